//! Running a job through its client (`execute_async`): its status, waiting for it, and
//! cancelling it — promptly, whatever its subtasks are doing, as a distinct end that is neither
//! a failure nor restarted.

mod common;

use common::IdleSource;
use common::checkpoints::PATIENCE;
use crossbeam_channel::{Receiver, bounded};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use weir_connectors::{BlackholeSink, DataGenSource};
use weir_runtime::prelude::*;
use weir_runtime::{CancelOutcome, CheckpointingMode, FaultInjector, FaultPoint};

/// How long a cancelled job may take to stop: every subtask stops at its next element, poll or
/// command, which takes milliseconds; the rest is room for a loaded machine.
const PROMPT: Duration = Duration::from_secs(10);

/// An endless job with a slow sink behind a network edge (its channels fill: backpressure), and
/// a receiver that hears of the sink's first record.
fn endless_job(env: &StreamExecutionEnvironment) -> Receiver<()> {
    let (seen_tx, seen_rx) = bounded(1);
    env.from_source(DataGenSource::new(|i| i), "numbers")
        .rebalance()
        .map(move |x: u64| {
            let _ = seen_tx.try_send(());
            std::thread::sleep(Duration::from_micros(50)); // a slow sink, not a wait
            x
        })
        .sink_to(BlackholeSink::new());
    seen_rx
}

fn cancel_and_wait(client: &JobClient) -> JobExecutionResult {
    assert_eq!(client.cancel(), CancelOutcome::Requested);
    let result = client.wait_timeout(PROMPT).unwrap_or_else(|| panic!("the job did not stop within {PROMPT:?}"));
    result.expect("a cancelled job is not an error")
}

#[test]
fn a_cancelled_job_stops_promptly_and_ends_as_cancelled() {
    let env = common::env(2);
    let seen = endless_job(&env);
    let client = env.execute_async("endless").expect("submitted");
    seen.recv_timeout(PATIENCE).expect("the job runs");
    assert_eq!(client.wait_for_status(JobStatus::Running, Duration::ZERO), JobStatus::Running);

    let result = cancel_and_wait(&client);
    assert_eq!(result.status, JobStatus::Cancelled);
    assert!(result.is_cancelled());
    assert_eq!(result.job_id, client.job_id());
    assert_eq!(result.restarts, 0);
    assert!(result.operator("Map").expect("map").records_in > 0);
    assert!(result.to_string().contains("was cancelled after"), "{result}");

    assert_eq!(client.status(), JobStatus::Cancelled);
    assert_eq!(client.cancel(), CancelOutcome::AlreadyEnded(JobStatus::Cancelled));
    let again = client.clone().wait().expect("every waiter gets the result");
    assert_eq!(again.status, JobStatus::Cancelled);
}

#[test]
fn a_cancelled_job_is_not_restarted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = common::env(2);
    env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().display().to_string())
        .set_config("restart-strategy.type", "fixed-delay")
        .set_config("restart-strategy.fixed-delay.attempts", "1000")
        .set_config("restart-strategy.fixed-delay.delay", "0 ms");
    let seen = endless_job(&env);
    let client = env.execute_async("endless, checkpointed").expect("submitted");
    seen.recv_timeout(PATIENCE).expect("the job runs");
    let result = cancel_and_wait(&client);
    assert_eq!((result.status, result.restarts), (JobStatus::Cancelled, 0));
}

#[test]
fn a_job_can_be_cancelled_before_it_runs() {
    let env = common::env(1);
    env.from_source(IdleSource::<u64>::new(), "idle").sink_to(BlackholeSink::new());
    let client = env.execute_async("cancelled at once").expect("submitted");
    let result = cancel_and_wait(&client);
    assert_eq!(result.status, JobStatus::Cancelled);
}

/// An idle source waits for an hour between polls; cancelling must not wait for that, with
/// checkpoints (it waits on its command channel) or without (it waits on the cancel token).
#[test]
fn idle_sources_are_cancelled_promptly() {
    for checkpointing in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = common::env(2);
        if checkpointing {
            env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
                .set_config("state.checkpoints.dir", dir.path().display().to_string());
        }
        let watch = common::checkpoints::CheckpointWatch::new();
        env.set_fault_injector(watch.clone());
        env.from_source(IdleSource::<u64>::new(), "idle").rebalance().sink_to(BlackholeSink::new());
        let client = env.execute_async("idle").expect("submitted");
        if checkpointing {
            watch.wait_for_completed(1); // the job is up: its idle sources took part in a checkpoint
        }
        let result = cancel_and_wait(&client);
        assert_eq!(result.status, JobStatus::Cancelled, "checkpointing: {checkpointing}");
    }
}

/// Fails the first subtask that processes something, and says so.
struct FailOnce {
    fired: AtomicBool,
    told: crossbeam_channel::Sender<()>,
}

impl FaultInjector for FailOnce {
    fn should_fail(&self, point: FaultPoint, _task: &str, _subtask: usize) -> bool {
        if point != FaultPoint::Processing || self.fired.swap(true, Ordering::SeqCst) {
            return false;
        }
        let _ = self.told.try_send(());
        true
    }
}

/// A cancel request that arrives while the job fails over ends it as cancelled, not restarted.
#[test]
fn cancel_during_a_failover_ends_the_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = common::env(1);
    env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().display().to_string())
        .set_config("restart-strategy.type", "fixed-delay")
        .set_config("restart-strategy.fixed-delay.delay", "0 ms");
    let (told, failed) = bounded(1);
    env.set_fault_injector(Arc::new(FailOnce { fired: AtomicBool::new(false), told }));
    endless_job(&env);
    let client = env.execute_async("failing").expect("submitted");
    failed.recv_timeout(PATIENCE).expect("the failure was injected");
    let result = cancel_and_wait(&client);
    assert_eq!(result.status, JobStatus::Cancelled);
    assert!(result.restarts <= 1, "{result}");
}

/// The job waits an hour before restarting; a cancel request ends the wait and the job.
#[test]
fn cancel_reaches_a_job_waiting_to_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = common::env(1);
    env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().display().to_string())
        .set_config("restart-strategy.type", "fixed-delay")
        .set_config("restart-strategy.fixed-delay.delay", "1 h");
    let (told, _failed) = bounded(1);
    env.set_fault_injector(Arc::new(FailOnce { fired: AtomicBool::new(false), told }));
    endless_job(&env);
    let client = env.execute_async("failing").expect("submitted");
    assert_eq!(client.wait_for_status(JobStatus::Restarting, PATIENCE), JobStatus::Restarting);
    let result = cancel_and_wait(&client);
    assert_eq!((result.status, result.restarts), (JobStatus::Cancelled, 0), "it was never redeployed");
}

#[test]
fn a_finished_job_stays_finished() {
    let env = common::env(2);
    env.from_collection((0..1000u64).collect()).sink_to(BlackholeSink::new());
    let client = env.execute_async("short").expect("submitted");
    let result = client.wait().expect("finished");
    assert_eq!(result.status, JobStatus::Finished);
    assert!(!result.is_cancelled());
    assert_eq!(client.cancel(), CancelOutcome::AlreadyEnded(JobStatus::Finished));
    assert_eq!(client.wait().expect("still finished").status, JobStatus::Finished);
}

#[test]
fn a_failed_job_reports_its_error_through_wait() {
    let env = common::env(1);
    env.from_collection((0..10u64).collect())
        .map(|x: u64| if x == 5 { panic!("five") } else { x })
        .sink_to(BlackholeSink::new());
    let client = env.execute_async("failing").expect("submitted");
    let error = client.wait().expect_err("it fails");
    assert!(matches!(error, JobError::Failed { .. }), "{error:?}");
    assert!(error.to_string().contains("five"), "{error}");
    assert_eq!(client.status(), JobStatus::Failed);
    assert_eq!(client.cancel(), CancelOutcome::AlreadyEnded(JobStatus::Failed));
    let again = client.wait().expect_err("still failed");
    assert!(matches!(again, JobError::AlreadyReported { .. }), "{again:?}");
    assert_eq!(again.to_string(), error.to_string());
}
