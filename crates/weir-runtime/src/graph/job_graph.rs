//! The job graph: the stream graph with operators chained into vertices, every parallelism
//! resolved, and the job validated — misuse is reported here, before anything runs.

use super::chaining::{ChainCandidate, can_chain};
use super::stream_graph::{NodeId, StreamGraph, StreamNode, WriterFactory};
use crate::error::JobError;
use crate::task::partitioner::PartitionKind;
use std::fmt;
use std::sync::Arc;
use weir_core::key_group::check_parallelism;
use weir_core::operator::InputSide;

/// One task: a chain of operators with one parallelism.
pub(crate) struct JobVertex {
    pub(crate) name: String,
    pub(crate) parallelism: usize,
    /// The chained nodes, head first.
    pub(crate) nodes: Vec<NodeId>,
}

/// A network edge between two vertices.
pub(crate) struct JobEdge {
    pub(crate) from_vertex: usize,
    pub(crate) to_vertex: usize,
    pub(crate) side: InputSide,
    /// Resolved: never `Default`.
    pub(crate) partition: PartitionKind,
    pub(crate) output_tag: Option<String>,
    pub(crate) writer: Arc<dyn WriterFactory>,
}

pub(crate) struct JobGraph {
    pub(crate) nodes: Vec<StreamNode>,
    pub(crate) vertices: Vec<JobVertex>,
    pub(crate) edges: Vec<JobEdge>,
    pub(crate) max_parallelism: usize,
    /// The parallelism of every node.
    pub(crate) node_parallelism: Vec<usize>,
}

/// Settings that shape the job graph.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GraphSettings {
    pub(crate) default_parallelism: usize,
    pub(crate) max_parallelism: usize,
    pub(crate) chaining_enabled: bool,
}

impl JobGraph {
    /// The uid of a node: the one the job set, or `auto-<node id>` (stable for an unchanged
    /// graph only).
    pub(crate) fn uid_of(&self, node: NodeId) -> weir_core::OperatorUid {
        weir_core::OperatorUid(self.nodes[node].uid.clone().unwrap_or_else(|| format!("auto-{node}")))
    }

    /// Validates the stream graph and chains it.
    pub(crate) fn build(graph: StreamGraph, settings: GraphSettings) -> Result<JobGraph, JobError> {
        let mut problems = graph.errors.clone();
        if !graph.nodes.iter().any(|n| n.is_sink) {
            problems.push("the job has no sink: add one with sink_to(...) or print()".into());
        }
        check_parallelism(settings.default_parallelism, settings.max_parallelism)
            .map_err(|e| JobError::InvalidJob(e.to_string()))?;
        let node_parallelism: Vec<usize> =
            graph.nodes.iter().map(|n| n.parallelism.unwrap_or(settings.default_parallelism)).collect();
        for node in &graph.nodes {
            if let Err(e) = check_parallelism(node_parallelism[node.id], settings.max_parallelism) {
                problems.push(format!("operator '{}': {e}", node.name));
            }
            for edge in &node.inputs {
                let (up, down) = (node_parallelism[edge.from], node_parallelism[node.id]);
                if edge.partition == PartitionKind::Forward && up != down {
                    problems.push(format!(
                        "forward partitioning from '{}' (parallelism {up}) to '{}' (parallelism {down}) needs equal parallelism; use rebalance() or rescale()",
                        graph.nodes[edge.from].name, node.name
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(JobError::InvalidJob(problems.join("; ")));
        }

        // Chains: node ids are topological, so a chained upstream always has its vertex already.
        let mut vertex_of: Vec<usize> = Vec::with_capacity(graph.nodes.len());
        let mut vertices: Vec<JobVertex> = Vec::new();
        for node in &graph.nodes {
            let chained_to = match node.inputs.as_slice() {
                [edge] => {
                    let upstream = &graph.nodes[edge.from];
                    let candidate = ChainCandidate {
                        enabled: settings.chaining_enabled,
                        partition: edge.partition,
                        upstream_parallelism: node_parallelism[edge.from],
                        downstream_parallelism: node_parallelism[node.id],
                        upstream_outputs: graph.out_degree(edge.from),
                        downstream_inputs: node.inputs.len(),
                        upstream: upstream.chaining,
                        downstream: node.chaining,
                        side_output: edge.output_tag.is_some(),
                    };
                    can_chain(&candidate).then_some(vertex_of[edge.from])
                }
                _ => None,
            };
            match chained_to {
                Some(vertex) => {
                    vertices[vertex].nodes.push(node.id);
                    vertex_of.push(vertex);
                }
                None => {
                    vertex_of.push(vertices.len());
                    vertices.push(JobVertex {
                        name: String::new(),
                        parallelism: node_parallelism[node.id],
                        nodes: vec![node.id],
                    });
                }
            }
        }
        for vertex in &mut vertices {
            vertex.name = vertex.nodes.iter().map(|&n| graph.nodes[n].name.as_str()).collect::<Vec<_>>().join(" -> ");
        }

        let mut edges = Vec::new();
        for node in &graph.nodes {
            for edge in &node.inputs {
                let (from_vertex, to_vertex) = (vertex_of[edge.from], vertex_of[node.id]);
                if from_vertex == to_vertex {
                    continue; // chained
                }
                edges.push(JobEdge {
                    from_vertex,
                    to_vertex,
                    side: edge.side,
                    partition: edge.partition.resolve(node_parallelism[edge.from], node_parallelism[node.id]),
                    output_tag: edge.output_tag.clone(),
                    writer: Arc::clone(&edge.writer),
                });
            }
        }
        Ok(JobGraph {
            nodes: graph.nodes,
            vertices,
            edges,
            max_parallelism: settings.max_parallelism,
            node_parallelism,
        })
    }

    /// A readable description of the plan, for `explain()` and tests.
    pub(crate) fn plan(&self) -> JobPlan {
        JobPlan {
            vertices: self
                .vertices
                .iter()
                .map(|v| PlanVertex {
                    name: v.name.clone(),
                    parallelism: v.parallelism,
                    operators: v.nodes.iter().map(|&n| self.nodes[n].name.clone()).collect(),
                })
                .collect(),
            edges: self
                .edges
                .iter()
                .map(|e| PlanEdge { from: e.from_vertex, to: e.to_vertex, partitioning: e.partition.to_string() })
                .collect(),
        }
    }
}

/// The chained plan of a job: what `StreamExecutionEnvironment::explain` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobPlan {
    pub vertices: Vec<PlanVertex>,
    pub edges: Vec<PlanEdge>,
}

/// One task of the plan and the operators chained in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanVertex {
    pub name: String,
    pub parallelism: usize,
    pub operators: Vec<String>,
}

/// A network edge of the plan, between vertex indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEdge {
    pub from: usize,
    pub to: usize,
    pub partitioning: String,
}

impl fmt::Display for JobPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.vertices.iter().enumerate() {
            writeln!(f, "[{i}] {} (parallelism {})", v.name, v.parallelism)?;
            for e in self.edges.iter().filter(|e| e.from == i) {
                writeln!(f, "      --{}--> [{}] {}", e.partitioning, e.to, self.vertices[e.to].name)?;
            }
        }
        Ok(())
    }
}
