//! Checkpoints with an input that sends nothing: aligned (exactly-once) barriers over a union and
//! a two-input operator, one of whose inputs is idle for the whole job or has ended. An idle
//! source still receives the coordinator's triggers and sends barriers; an ended input is no
//! longer waited for. Alignment must not hang in either case.
//!
//! Every test runs until a number of checkpoints completed (counted as the job manager writes
//! them), then cancels the job.

mod common;

use common::IdleSource;
use common::checkpoints::{CheckpointWatch, PATIENCE};
use crossbeam_channel::{Receiver, Sender, unbounded};
use std::sync::Arc;
use std::time::Duration;
use weir_connectors::{BlackholeSink, DataGenSource};
use weir_core::operator::OneInputOperator;
use weir_core::output::Output;
use weir_core::record::Batch;
use weir_runtime::prelude::*;
use weir_runtime::{CancelOutcome, CheckpointingMode};

const CHECKPOINTS: u64 = 3;

/// A checkpointed environment at parallelism 2 and its checkpoint counter.
fn checkpointed_env(dir: &std::path::Path) -> (StreamExecutionEnvironment, Arc<CheckpointWatch>) {
    let env = common::env(2);
    env.checkpoint_config()
        .set_checkpoint_interval(Duration::from_millis(10))
        .expect("interval")
        .set_checkpointing_mode(CheckpointingMode::ExactlyOnce)
        .set_checkpoint_storage(dir)
        .expect("dir");
    let watch = CheckpointWatch::new();
    env.set_fault_injector(watch.clone());
    (env, watch)
}

fn active(env: &StreamExecutionEnvironment) -> DataStream<u64> {
    env.from_source(DataGenSource::new(|i| i).with_rate_limit(20_000.0), "active")
}

/// Waits for `more` checkpoints beyond those already completed, cancels, and checks that none
/// failed but the one the cancel may have caught in flight.
fn run_until_checkpoints(client: &JobClient, watch: &CheckpointWatch, more: u64) -> JobExecutionResult {
    let target = watch.completed() + more;
    watch.wait_for_completed(target);
    assert_eq!(client.cancel(), CancelOutcome::Requested);
    let result = client.wait_timeout(PATIENCE).expect("the job stopped").expect("cancelled");
    let completed = result.checkpoints.iter().filter(|c| c.completed).count() as u64;
    assert!(completed >= target, "{:?}", result.checkpoints);
    for failed in result.checkpoints.iter().filter(|c| !c.completed) {
        assert_eq!(failed.failure.as_deref(), Some("the job ended"), "{failed:?}");
    }
    result
}

#[test]
fn a_union_with_an_idle_input_completes_checkpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (env, watch) = checkpointed_env(dir.path());
    let idle = env.from_source(IdleSource::<u64>::new(), "idle");
    active(&env)
        .union(&[&idle])
        .key_by(|x: &u64| x % 13)
        .reduce(|a, b| a.wrapping_add(b))
        .sink_to(BlackholeSink::new());
    let client = env.execute_async("union with an idle input").expect("submitted");
    let result = run_until_checkpoints(&client, &watch, CHECKPOINTS);
    assert_eq!(result.operator("Source: idle").expect("idle source").records_out, 0);
}

#[test]
fn a_two_input_operator_with_an_idle_input_completes_checkpoints() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (env, watch) = checkpointed_env(dir.path());
    let idle = env.from_source(IdleSource::<String>::new(), "idle");
    active(&env).connect(&idle).map(|x: u64| x, |s: String| s.len() as u64).sink_to(BlackholeSink::new());
    let client = env.execute_async("two inputs, one idle").expect("submitted");
    run_until_checkpoints(&client, &watch, CHECKPOINTS);
}

/// A pass-through operator that reports the end of its input.
#[derive(Clone)]
struct EndSignal(Sender<()>);

impl OneInputOperator<u64, u64> for EndSignal {
    fn process_batch(&mut self, batch: Batch<u64>, out: &mut Output<u64>) -> weir_core::Result<()> {
        out.emit_batch(batch);
        Ok(())
    }

    fn on_end_of_input(&mut self, _out: &mut Output<u64>) -> weir_core::Result<()> {
        let _ = self.0.send(());
        Ok(())
    }
}

/// A bounded stream of a few records whose end (on every subtask) `ended` reports.
fn ending(env: &StreamExecutionEnvironment) -> (DataStream<u64>, Receiver<()>) {
    let (tx, ended) = unbounded();
    let stream = env.from_collection((0..100u64).collect()).transform("End signal", EndSignal(tx));
    (stream, ended)
}

fn wait_for_the_end(ended: &Receiver<()>) {
    for _ in 0..2 {
        ended.recv_timeout(PATIENCE).expect("every subtask of the bounded input ended");
    }
}

#[test]
fn a_union_goes_on_checkpointing_after_one_input_ended() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (env, watch) = checkpointed_env(dir.path());
    let (bounded, ended) = ending(&env);
    active(&env)
        .union(&[&bounded])
        .key_by(|x: &u64| x % 13)
        .reduce(|a, b| a.wrapping_add(b))
        .sink_to(BlackholeSink::new());
    let client = env.execute_async("union, one input ended").expect("submitted");
    wait_for_the_end(&ended);
    run_until_checkpoints(&client, &watch, CHECKPOINTS);
}

#[test]
fn a_two_input_operator_goes_on_checkpointing_after_one_input_ended() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (env, watch) = checkpointed_env(dir.path());
    let (bounded, ended) = ending(&env);
    active(&env).connect(&bounded).map(|x: u64| x, |y: u64| y).sink_to(BlackholeSink::new());
    let client = env.execute_async("two inputs, one ended").expect("submitted");
    wait_for_the_end(&ended);
    run_until_checkpoints(&client, &watch, CHECKPOINTS);
}
