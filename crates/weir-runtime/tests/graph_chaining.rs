//! Which operators the job graph chains, seen through `explain()`.

use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

fn env() -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(2);
    env
}

fn chains(env: &StreamExecutionEnvironment) -> Vec<(Vec<String>, usize)> {
    env.explain().expect("valid job").vertices.into_iter().map(|v| (v.operators, v.parallelism)).collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn forward_edges_of_equal_parallelism_form_one_chain() {
    let env = env();
    env.from_collection(vec![1u64]).map(|x| x).filter(|_| true).sink_to(CollectSink::new());
    assert_eq!(chains(&env), vec![(names(&["Source: Collection", "Map", "Filter", "Sink: CollectSink"]), 2)]);
}

#[test]
fn key_by_parallelism_changes_and_partitionings_break_chains() {
    let env = env();
    let s = env.from_collection(vec![1u64]).map(|x| x);
    s.key_by(|x| *x)
        .reduce(|a, b| a + b)
        .map(|x| x)
        .set_parallelism(1)
        .rebalance()
        .filter(|_| true)
        .set_parallelism(1)
        .sink_to(CollectSink::new());
    let plan = env.explain().expect("valid job");
    let got: Vec<_> = plan.vertices.iter().map(|v| (v.operators.clone(), v.parallelism)).collect();
    assert_eq!(
        got,
        vec![
            (names(&["Source: Collection", "Map"]), 2),
            (names(&["Keyed Reduce"]), 2),
            (names(&["Map"]), 1),
            (names(&["Filter"]), 1),
            (names(&["Sink: CollectSink"]), 2),
        ]
    );
    let edges: Vec<_> = plan.edges.iter().map(|e| (e.from, e.to, e.partitioning.as_str())).collect();
    // Map(2) -> Map(1) has no partitioning asked for: rebalance, as the parallelism changes.
    assert_eq!(edges, vec![(0, 1, "HASH"), (1, 2, "REBALANCE"), (2, 3, "REBALANCE"), (3, 4, "REBALANCE")]);
}

#[test]
fn two_outputs_two_inputs_and_chaining_switches_break_chains() {
    let env = env();
    let s = env.from_collection(vec![1u64]);
    s.map(|x| x).sink_to(CollectSink::new());
    s.filter(|_| true).map(|x| x).disable_chaining().sink_to(CollectSink::new());
    let a = env.from_collection(vec![1u64]).map(|x| x).start_new_chain().filter(|_| true);
    let b = env.from_collection(vec![2u64]);
    a.union(&[&b]).sink_to(CollectSink::new()).name("Union sink");
    let got = chains(&env);
    assert_eq!(
        got,
        vec![
            (names(&["Source: Collection"]), 2),
            (names(&["Map", "Sink: CollectSink"]), 2),
            (names(&["Filter"]), 2),
            (names(&["Map"]), 2),
            (names(&["Sink: CollectSink"]), 2),
            (names(&["Source: Collection"]), 2),
            (names(&["Map", "Filter"]), 2),
            (names(&["Source: Collection"]), 2),
            (names(&["Union sink"]), 2),
        ]
    );
}

#[test]
fn chaining_can_be_disabled_for_the_job() {
    let env = env();
    env.disable_operator_chaining();
    env.from_collection(vec![1u64]).map(|x| x).sink_to(CollectSink::new());
    assert_eq!(chains(&env).len(), 3);
}

#[test]
fn misuse_is_reported_with_every_problem() {
    let env = env();
    let a = env.from_collection(vec![1u64]);
    let b = env.from_collection(vec![2u64]);
    a.union(&[&b]).name("ambiguous").sink_to(CollectSink::new());
    a.map(|x| x).set_parallelism(1).forward().map(|x| x).sink_to(CollectSink::new());
    let err = env.explain().expect_err("invalid").to_string();
    assert!(err.contains("name() applies to one operator"), "{err}");
    assert!(err.contains("forward partitioning from 'Map' (parallelism 1) to 'Map' (parallelism 2)"), "{err}");
}

#[test]
fn a_job_without_a_sink_is_refused() {
    let env = env();
    env.from_collection(vec![1u64]).map(|x| x);
    let err = env.execute("no sink").expect_err("refused").to_string();
    assert!(err.contains("no sink"), "{err}");
}

#[test]
fn a_strategy_given_at_the_source_is_no_operator_of_its_own_and_the_source_takes_the_settings() {
    let env = env();
    let strategy = WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|x: &u64, _| *x as i64);
    env.from_source_with_watermarks(weir_connectors::CollectionSource::new(vec![1u64]), strategy.clone(), "events")
        .set_parallelism(3)
        .map(|x| x)
        .sink_to(CollectSink::new());
    // The per-subtask assigner after a source is an operator that follows it (and takes what is
    // set after it).
    env.from_collection(vec![1u64])
        .assign_timestamps_and_watermarks(strategy)
        .set_parallelism(1)
        .sink_to(CollectSink::new());
    assert_eq!(
        chains(&env),
        vec![
            (names(&["Source: events"]), 3),
            (names(&["Map", "Sink: CollectSink"]), 2),
            (names(&["Source: Collection"]), 2),
            (names(&["Timestamps/Watermarks"]), 1),
            (names(&["Sink: CollectSink"]), 2),
        ]
    );
}
