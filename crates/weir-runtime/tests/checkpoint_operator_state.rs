//! Operator state of a non-keyed process function under injected failures: a function that
//! emits records in groups, keeping the group being filled in list state and its count of
//! groups in union list state (each subtask picks its own entry out of the union on restore, as
//! a Kafka consumer does with its offsets), writes through the two-phase-commit file sink while
//! random subtasks fail at random fault points, and once surely after a few checkpoints
//! completed. The committed output must equal a failure-free run's: a buffer or a count lost or
//! restored twice would drop, repeat or renumber a group.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use weir_connectors::{DataGenSource, ExactlyOnceFileSink};
use weir_runtime::prelude::*;

const GROUP: usize = 7;
const RECORDS: u64 = 40_000;

/// Emits `s<subtask> #<n>: <values>` for every `GROUP` values of its subtask.
#[derive(Clone)]
struct Grouping {
    buffer: ListStateDescriptor<u64>,
    /// `(subtask, groups emitted)`, one entry per subtask; every subtask gets all on restore.
    groups: ListStateDescriptor<(usize, u64)>,
    subtask: usize,
    emitted: u64,
    /// How many instances started with restored state (shared by the clones).
    restored: Arc<AtomicUsize>,
}

impl Grouping {
    fn new(restored: Arc<AtomicUsize>) -> Self {
        Grouping {
            buffer: ListStateDescriptor::new("buffer"),
            groups: ListStateDescriptor::new("groups-emitted"),
            subtask: 0,
            emitted: 0,
            restored,
        }
    }

    fn emit(&mut self, values: Vec<u64>, ctx: &mut ProcessContext<'_, String>) -> Result<()> {
        self.emitted += 1;
        ctx.union_list_state(&self.groups)?.update(vec![(self.subtask, self.emitted)]);
        let values: Vec<String> = values.iter().map(u64::to_string).collect();
        ctx.collect(format!("s{} #{}: {}", self.subtask, self.emitted, values.join(",")));
        Ok(())
    }
}

impl ProcessFunction<u64, String> for Grouping {
    fn initialize_state(&mut self, ctx: &mut InitContext<'_>) -> Result<()> {
        self.subtask = ctx.operator().subtask.0;
        if ctx.is_restored() {
            self.restored.fetch_add(1, Ordering::Relaxed);
            let subtask = self.subtask;
            let groups = ctx.union_list_state(&self.groups)?;
            self.emitted = groups.get().iter().filter(|(s, _)| *s == subtask).map(|(_, n)| *n).max().unwrap_or(0);
        }
        Ok(())
    }

    fn process_element(&mut self, value: u64, ctx: &mut ProcessContext<'_, String>) -> Result<()> {
        let mut buffer = ctx.list_state(&self.buffer)?;
        buffer.add(value);
        if buffer.get().len() == GROUP {
            let full = buffer.take();
            self.emit(full, ctx)?;
        }
        Ok(())
    }

    fn on_end_of_input(&mut self, ctx: &mut ProcessContext<'_, String>) -> Result<()> {
        let rest = ctx.list_state(&self.buffer)?.take();
        if !rest.is_empty() {
            self.emit(rest, ctx)?;
        }
        Ok(())
    }
}

/// Runs the job into `out` and returns how many instances started restored.
fn run_job(env: &StreamExecutionEnvironment, out: &Path) -> usize {
    let restored = Arc::new(AtomicUsize::new(0));
    env.from_source(DataGenSource::new(|i| i).with_count(RECORDS).with_rate_limit(80_000.0), "numbers")
        .uid("numbers")
        .process(Grouping::new(Arc::clone(&restored)))
        .uid("groups")
        .sink_to(ExactlyOnceFileSink::lines(out))
        .uid("files");
    let result = env.execute("operator-state").expect("the job recovers and finishes");
    println!("{} restarts", result.restarts);
    restored.load(Ordering::Relaxed)
}

fn check_recovery(parallelism: usize, seed: u64, failures: u32) {
    let expected = common::assert_recovers_exactly_once(parallelism, seed, failures, run_job);
    assert_eq!(expected.len(), (RECORDS as usize).div_ceil(GROUP) + parallelism - 1, "groups of the reference run");
}

#[test]
fn list_and_union_list_state_survive_failures_exactly_once_at_parallelism_1() {
    check_recovery(1, 0x0b57_0001, 4);
}

#[test]
fn list_and_union_list_state_survive_failures_exactly_once_at_parallelism_2() {
    check_recovery(2, 0x0b57_0002, 4);
}
