//! `recovery`: how long a job whose process was killed takes to get going again from its latest
//! checkpoint, and to catch up with where it was, with `--keys` keys of heap state.
//!
//! The job runs in a **child process** (`weir-bench recovery-job`, see [`job`]), so the kill is a
//! real `SIGKILL` of a real process: no shutdown hook runs, no file is closed, the checkpoint
//! being written when it dies stays half-written. The job is `restore`'s keyed count: datagen of
//! `(key, index)` with `key = index % keys` (one source subtask, unbounded, as fast as the job
//! goes) → `key_by` → count and sum per key in `ValueState<(u64, u64)>`, every record checked
//! against its key's count → blackhole, at parallelism 1. Checkpoints every
//! `execution.checkpointing.interval` (1 s unless `-D` sets it), exactly-once unless `-D` says
//! otherwise, into a scratch directory.
//!
//! The run:
//!
//! 1. **Load.** Start the job process; wait until it has processed `max(--events, --keys)`
//!    records (so every key holds state) and then [`CHECKPOINTS_BEFORE_KILL`] more checkpoints
//!    completed; wait half an interval more (the kill lands mid-interval, as a crash would on
//!    average), then `kill -9` it and wait for it to be reaped. `events`, `seconds` and
//!    `events_per_s` of the `RESULT` line are this process's: records it processed, from its
//!    start to the kill.
//! 2. **Restart.** The clock starts when the killed process is reaped (t₀): find the latest
//!    restorable checkpoint in the job's checkpoint directory with `weir-state`'s
//!    `find_latest_restorable` (a half-written newer one is skipped, with its reason on stderr),
//!    and start a new job process restored from it (`-s <chk-n>`).
//!
//! The figures, all from t₀, from instants the processes take on the machine's monotonic clock:
//!
//! - **`restart_to_first_record_ms`**: to the new process's first record processed, marked by
//!   the keyed function after its state access (the heap backend decodes restored state on first
//!   access, so that is inside). Includes finding and verifying the checkpoint, starting the
//!   process, building and submitting the job, loading the checkpoint.
//! - **`time_to_caught_up_ms`**: to the new process having processed the newest record the killed
//!   process reported processing — **caught up** means: every record the killed process was seen
//!   to have processed has been processed again, so output is back where it was at the kill.
//!   With one source subtask and parallelism 1 records are processed in index order, so this is
//!   the first record whose index reaches the killed process's last reported one. The killed
//!   process reported its newest record every millisecond, so "where it was" is at most ~1 ms of
//!   processing (plus any delay of its reporting thread) behind its true position at the kill.
//! - **`replayed_records`**: records processed twice: from the checkpoint's source position (the
//!   new process's first record) to the killed process's last reported one.
//! - **`state_bytes`**: bytes of state in the restored checkpoint (its `_metadata`).
//!
//! A second line, `RECOVERY_PHASES`, gives the parts: the restored checkpoint's id and age at the
//! kill, kill-to-reaped, finding the checkpoint, and the new process's job submission.
//! `cpu_s` and `peak_rss_mb` are the child processes' (`RUSAGE_CHILDREN`; the peak is the larger
//! child's).
//!
//! The source runs as fast as the job goes, not at a fixed rate: with a rate-limited datagen a
//! restarted job would never catch up with the wall clock (its limiter forgives the downtime),
//! so "caught up" could only mean "reached the killed one's position" anyway, and it would take
//! longer only by the rate's slack.
//!
//! It is **not** a restore-equivalence test (the per-record check only guards the figures), and
//! it does not measure the in-process failover of the mini-cluster (restart strategies).

pub mod job;
pub mod protocol;

use super::scratch::Scratch;
use super::{Run, ScenarioFigures, ScenarioOutcome, Workload, WorkloadParams};
use crate::measure::monotonic_micros;
use crate::report::{RecoveryFigures, RecoveryPhases};
use anyhow::{Context, bail, ensure};
use protocol::Report;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use weir_core::config::Configuration;
use weir_runtime::CheckpointConfig;
use weir_runtime::config::SAVEPOINT_PATH;

pub const WORKLOAD: Workload = Workload {
    name: "recovery",
    description: "keyed count over --keys keys in a child process with checkpoints, killed with SIGKILL, restarted \
                  from its latest checkpoint: restart-to-first-record and time to catch up",
    default_events: 1_000_000,
    default_keys: 1_000_000,
    samples_rss: false,
    run: Run::Scenario(run),
};

/// Completed checkpoints after the load before the kill.
pub const CHECKPOINTS_BEFORE_KILL: usize = 3;

/// How long any one wait may take before the run gives up: far beyond any useful figure.
const PATIENCE: Duration = Duration::from_secs(600);

/// Configuration set unless `-D` set it: see the module docs.
const DEFAULTS: &[(&str, &str)] = &[("execution.checkpointing.interval", "1s"), ("restart-strategy.type", "none")];

fn run(conf: &Configuration, params: &WorkloadParams) -> anyhow::Result<ScenarioOutcome> {
    ensure!(
        params.parallelism == 1,
        "recovery runs at parallelism 1 (its catch-up mark relies on records processed in order)"
    );
    let scratch = Scratch::create("recovery")?;
    let mut conf = conf.clone();
    for (key, value) in DEFAULTS {
        if conf.get_raw(key).is_none() {
            conf.set(*key, *value);
        }
    }
    let checkpoints_dir = match conf.get_raw("state.checkpoints.dir") {
        Some(dir) => dir.into(),
        None => scratch.path.join("checkpoints"),
    };
    conf.set("state.checkpoints.dir", checkpoints_dir.display().to_string());
    let interval = CheckpointConfig::from_configuration(&conf)
        .context("the checkpoint configuration")?
        .interval
        .context("recovery needs checkpointing: execution.checkpointing.interval is off")?;
    let load = params.events.max(params.keys);

    // 1. Load, checkpoint, kill.
    let started = Instant::now();
    let mut killed = JobProcess::start(&conf, params.keys, None, None)?;
    let (mut loaded, mut checkpoints_since) = (false, 0);
    while checkpoints_since < CHECKPOINTS_BEFORE_KILL {
        match killed.next(PATIENCE, "the job to load its keys and checkpoint")? {
            Report::Progress { newest_index, .. } if newest_index + 1 >= load => loaded = true,
            Report::Checkpoint { .. } if loaded => checkpoints_since += 1,
            _ => {}
        }
    }
    let kill_at = Instant::now() + interval / 2;
    while let Some(remaining) = kill_at.checked_duration_since(Instant::now()) {
        if remaining.is_zero() || killed.next_within(remaining)?.is_none() {
            break;
        }
    }
    let killed_ran = started.elapsed();
    let kill_us = monotonic_micros();
    killed.child.kill().context("killing the job process")?;
    killed.child.wait().context("waiting for the killed job process")?;
    let dead_us = monotonic_micros();
    killed.drain()?;
    let killed_at = killed.newest_index.context("the killed job process never reported a record")?;
    let job_id = killed.job_id.clone().context("the killed job process never reported its job id")?;

    // 2. Restart from the latest checkpoint.
    let job_dir = checkpoints_dir.join(&job_id);
    let (latest, skipped) = weir_state::find_latest_restorable(&job_dir)
        .with_context(|| format!("looking for checkpoints in {}", job_dir.display()))?;
    for skipped in &skipped {
        eprintln!("note: {skipped}");
    }
    let latest = latest.with_context(|| format!("no restorable checkpoint in {}", job_dir.display()))?;
    let found_us = monotonic_micros();
    let mut restarted = JobProcess::start(&conf, params.keys, Some(latest.dir()), Some(killed_at))?;
    let (mut first, mut caught_up) = (None, None);
    while first.is_none() || caught_up.is_none() {
        match restarted.next(PATIENCE, "the restarted job to catch up")? {
            Report::FirstRecord { index, at_us } => first = Some((index, at_us)),
            Report::CaughtUp { at_us, .. } => caught_up = Some(at_us),
            _ => {}
        }
    }
    restarted.stop()?;
    let (Some((restored_from, first_us)), Some(caught_up_us), Some(submitted_us)) =
        (first, caught_up, restarted.submitted_us)
    else {
        bail!("the restarted job process did not report its job, first record and catch-up");
    };

    let checkpoint_id = latest.metadata.checkpoint_id.0;
    let since_dead = |at_us: u64| Duration::from_micros(at_us.saturating_sub(dead_us));
    Ok(ScenarioOutcome {
        events: killed_at + 1,
        seconds: killed_ran.as_secs_f64(),
        figures: ScenarioFigures::Recovery {
            recovery: RecoveryFigures {
                restart_to_first_record: since_dead(first_us),
                caught_up: since_dead(caught_up_us),
                keys: params.keys,
                state_bytes: latest.metadata.state_size(),
                replayed_records: (killed_at + 1).saturating_sub(restored_from),
            },
            phases: RecoveryPhases {
                checkpoint_interval: interval,
                checkpoint_id,
                checkpoint_age: killed
                    .checkpoints
                    .iter()
                    .find(|(id, _)| *id == checkpoint_id)
                    .map(|(_, at_us)| Duration::from_micros(kill_us.saturating_sub(*at_us))),
                kill_to_dead: Duration::from_micros(dead_us.saturating_sub(kill_us)),
                find_checkpoint: since_dead(found_us),
                job_submitted: since_dead(submitted_us),
                killed_at_index: killed_at,
                restored_from_index: restored_from,
            },
        },
    })
}

/// A job process and what it reported so far.
struct JobProcess {
    child: Child,
    reports: Receiver<anyhow::Result<Report>>,
    job_id: Option<String>,
    submitted_us: Option<u64>,
    newest_index: Option<u64>,
    /// Completed checkpoints: id, and when the process saw it.
    checkpoints: Vec<(u64, u64)>,
}

impl JobProcess {
    /// Starts `weir-bench recovery-job` with `conf`, restored from `from` if given, reporting
    /// when it processed `caught_up_at`.
    fn start(conf: &Configuration, keys: u64, from: Option<&Path>, caught_up_at: Option<u64>) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("finding weir-bench's own executable")?;
        let mut command = Command::new(&exe);
        command.arg("recovery-job").arg("--keys").arg(keys.to_string());
        for (key, value) in conf.iter() {
            command.arg("-D").arg(format!("{key}={value}"));
        }
        if let Some(from) = from {
            command.arg("-D").arg(format!("{}={}", SAVEPOINT_PATH.key, from.display()));
        }
        if let Some(index) = caught_up_at {
            command.arg("--caught-up-at").arg(index.to_string());
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {} recovery-job", exe.display()))?;
        let stdout = child.stdout.take().context("the job process has no stdout")?;
        let (to, reports) = mpsc::channel();
        std::thread::Builder::new()
            .name("recovery-reports".into())
            .spawn(move || read_reports(stdout, &to))
            .context("starting the thread that reads the job process's reports")?;
        Ok(JobProcess { child, reports, job_id: None, submitted_us: None, newest_index: None, checkpoints: Vec::new() })
    }

    /// The next report, within `patience`; an error if the process ends or fails first.
    fn next(&mut self, patience: Duration, what: &str) -> anyhow::Result<Report> {
        match self.next_within(patience)? {
            Some(report) => Ok(report),
            None => bail!("waited {patience:?} in vain for {what}"),
        }
    }

    /// The next report, or `None` if none came within `timeout`; an error if the process ended
    /// (its stdout closed) or reported that its job ended.
    fn next_within(&mut self, timeout: Duration) -> anyhow::Result<Option<Report>> {
        match self.reports.recv_timeout(timeout) {
            Ok(report) => {
                let report = report?;
                self.note(&report)?;
                Ok(Some(report))
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().context("waiting for the job process")?;
                bail!("the job process ended ({status}) before it was killed")
            }
        }
    }

    /// Reads what the (dead) process reported up to its end.
    fn drain(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.reports.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(report) => self.note(&report?)?,
                Err(RecvTimeoutError::Disconnected) => return Ok(()),
                Err(RecvTimeoutError::Timeout) => bail!("the killed job process's output did not end"),
            }
        }
    }

    fn note(&mut self, report: &Report) -> anyhow::Result<()> {
        match report {
            Report::Job { id, at_us } => {
                self.job_id = Some(id.clone());
                self.submitted_us = Some(*at_us);
            }
            Report::Progress { newest_index, .. } => self.newest_index = Some(*newest_index),
            Report::Checkpoint { id, at_us, .. } => self.checkpoints.push((*id, *at_us)),
            Report::Ended { message } => bail!("in the job process: {message}"),
            Report::FirstRecord { .. } | Report::CaughtUp { .. } => {}
        }
        Ok(())
    }

    /// Kills the process (its work is done) and waits for it.
    fn stop(&mut self) -> anyhow::Result<()> {
        self.child.kill().context("stopping the restarted job process")?;
        self.child.wait().context("waiting for the restarted job process")?;
        Ok(())
    }
}

impl Drop for JobProcess {
    /// A run that fails half-way leaves no job process behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Forwards every line of the job process's stdout, parsed, until it closes.
fn read_reports(stdout: ChildStdout, to: &mpsc::Sender<anyhow::Result<Report>>) {
    for line in BufReader::new(stdout).lines() {
        let report = line.context("reading the job process's output").and_then(|line| {
            Report::parse(&line).with_context(|| format!("the job process printed an unexpected line: {line}"))
        });
        let failed = report.is_err();
        if to.send(report).is_err() || failed {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_parallelism_one_is_accepted() {
        let err = run(&Configuration::new(), &WorkloadParams::new(10, 10, 2)).expect_err("refused").to_string();
        assert!(err.contains("parallelism 1"), "{err}");
    }

    #[test]
    fn checkpointing_must_be_on() {
        let mut conf = Configuration::new();
        conf.set("execution.checkpointing.interval", "0");
        // Refused before any process starts (a unit test's executable is not weir-bench).
        let err = run(&conf, &WorkloadParams::new(10, 10, 1)).expect_err("refused");
        assert!(format!("{err:#}").contains("execution.checkpointing.interval"), "{err:#}");
    }
}
