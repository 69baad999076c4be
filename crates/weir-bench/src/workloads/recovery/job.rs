//! The job process of the `recovery` workload (`weir-bench recovery-job`, started by the
//! driver, never by hand): runs the checked keyed count until it is killed, and reports on its
//! stdout what the driver measures ([`Report`]).
//!
//! The job: datagen of `(key, index)` with `key = index % keys` (one source subtask, unbounded)
//! → `key_by(key)` → a keyed function keeping a count and a sum per key in one
//! `ValueState<(u64, u64)>` → blackhole, with the same uids as `restore`'s job. The keyed
//! function checks every record against its key's count, as `restore`'s does: with one source
//! subtask and parallelism 1, before record `i` its key must have counted `i / keys` records,
//! so a restore that lost or doubled state fails the job at its first record.
//!
//! What the function tells the reporting thread, per record: one relaxed atomic store of the
//! record's index. Once: the time of its first record (taken after the state access, so the
//! heap backend's decoding of restored state on first access is inside), and the time it
//! processed the record the driver asked it to catch up to (`--caught-up-at`). The main thread
//! prints every millisecond (see [`report`]) and ends the process if its stdout is closed.
//!
//! Its I/O: stdout (the reports), and what the job does (checkpoints into
//! `state.checkpoints.dir`, a restore from `execution.savepoint.path`).

use super::protocol::Report;
use crate::measure::monotonic_micros;
use crate::workloads::restore::add_checked;
use anyhow::{Context, bail};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use weir_connectors::{BlackholeSink, DataGenSource};
use weir_core::config::Configuration;
use weir_runtime::prelude::*;

/// How often the job process prints its progress.
const REPORT_INTERVAL: Duration = Duration::from_millis(1);
/// Every how many reports it reads the checkpoint statistics (10 ms).
const CHECKPOINT_POLL_EVERY: u64 = 10;

/// "Not yet" in the tracker's atomics.
const NONE: u64 = u64::MAX;

/// Runs the job with `conf` (checkpointing, and the snapshot to restore, are set there by the
/// driver) and reports until the process is killed or its stdout closed. Returns only when the
/// job ended, which is an error, or the driver went away.
pub fn run(conf: Configuration, keys: u64, caught_up_at: Option<u64>) -> anyhow::Result<()> {
    if keys == 0 {
        bail!("--keys must be at least 1");
    }
    let tracker = Arc::new(Tracker::default());
    let env = StreamExecutionEnvironment::with_config(conf);
    env.from_source(DataGenSource::new(move |index| (index % keys, index)), "DataGen")
        .uid("keys")
        .set_parallelism(1)
        .key_by(|&(key, _): &(u64, u64)| key)
        .process(CheckedCount::new(keys, Arc::clone(&tracker), caught_up_at))
        .uid("count-and-sum")
        .sink_to(BlackholeSink::new())
        .uid("blackhole");
    let client = env.execute_async("weir-bench recovery").context("submitting the job")?;
    let submitted = monotonic_micros();
    report(&client, &tracker, submitted)
}

/// Prints the reports until the job ends (an error: it never should) or stdout is closed (the
/// driver is gone: the job is cancelled and the process returns).
fn report(client: &JobClient, tracker: &Tracker, submitted_us: u64) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut write = |report: Report| writeln!(out, "{report}").and_then(|()| out.flush());
    let job = Report::Job { id: client.job_id().to_string(), at_us: submitted_us };
    let mut newest_reported = NONE;
    let (mut first_reported, mut caught_up_reported) = (false, false);
    let mut newest_checkpoint = 0;
    let mut written = write(job);
    let mut tick: u64 = 0;
    loop {
        tick += 1;
        if written.is_err() {
            // Nobody reads any more: the driver ended.
            client.cancel();
            return Ok(());
        }
        std::thread::sleep(REPORT_INTERVAL);
        let newest = tracker.newest_index.load(Ordering::Relaxed);
        if newest != NONE && newest != newest_reported {
            newest_reported = newest;
            written = write(Report::Progress { newest_index: newest, at_us: monotonic_micros() });
        }
        if !first_reported && let Some((index, at_us)) = tracker.first.get() {
            first_reported = true;
            written = written.and_then(|()| write(Report::FirstRecord { index, at_us }));
        }
        if !caught_up_reported && let Some((index, at_us)) = tracker.caught_up.get() {
            caught_up_reported = true;
            written = written.and_then(|()| write(Report::CaughtUp { index, at_us }));
        }
        if tick.is_multiple_of(CHECKPOINT_POLL_EVERY) {
            if let Some(latest) = client.checkpoints().latest_completed
                && latest.id > newest_checkpoint
            {
                newest_checkpoint = latest.id;
                written = written.and_then(|()| {
                    write(Report::Checkpoint {
                        id: latest.id,
                        at_us: monotonic_micros(),
                        duration_ms: latest.duration.map_or(0, |d| d.as_millis() as u64),
                        state_bytes: latest.state_size,
                    })
                });
            }
            if let Some(ended) = client.wait_timeout(Duration::ZERO) {
                let message = match ended {
                    Ok(result) => format!("the job ended ({})", result.status),
                    Err(error) => format!("the job failed: {error}"),
                };
                let _ = write(Report::Ended { message: message.clone() });
                bail!("{message}");
            }
        }
    }
}

/// What the keyed function tells the reporting thread.
#[derive(Debug)]
struct Tracker {
    /// The index of the newest record processed ([`NONE`] before the first).
    newest_index: AtomicU64,
    first: Mark,
    caught_up: Mark,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker { newest_index: AtomicU64::new(NONE), first: Mark::default(), caught_up: Mark::default() }
    }
}

/// A record index and the instant it was processed, set once.
#[derive(Debug)]
struct Mark {
    index: AtomicU64,
    at_us: AtomicU64,
}

impl Default for Mark {
    fn default() -> Self {
        Mark { index: AtomicU64::new(NONE), at_us: AtomicU64::new(NONE) }
    }
}

impl Mark {
    fn set(&self, index: u64, at_us: u64) {
        self.index.store(index, Ordering::Relaxed);
        // Release: whoever sees the instant sees the index.
        self.at_us.store(at_us, Ordering::Release);
    }

    fn get(&self) -> Option<(u64, u64)> {
        let at_us = self.at_us.load(Ordering::Acquire);
        (at_us != NONE).then(|| (self.index.load(Ordering::Relaxed), at_us))
    }
}

/// Per key: how many records, and the sum of their values; checks every record's count (see the
/// module docs) and tells the [`Tracker`] what it processed.
#[derive(Clone)]
struct CheckedCount {
    totals: ValueStateDescriptor<(u64, u64)>,
    keys: u64,
    tracker: Arc<Tracker>,
    seen_first: bool,
    /// The index to report catching up at ([`NONE`]: none, or reported).
    caught_up_at: u64,
}

impl CheckedCount {
    /// Over `keys` keys, reporting to `tracker`, and catching up at record `caught_up_at` if given.
    fn new(keys: u64, tracker: Arc<Tracker>, caught_up_at: Option<u64>) -> Self {
        CheckedCount {
            totals: ValueStateDescriptor::new("count-and-sum"),
            keys,
            tracker,
            seen_first: false,
            caught_up_at: caught_up_at.unwrap_or(NONE),
        }
    }
}

impl KeyedProcessFunction<u64, (u64, u64), (u64, u64, u64)> for CheckedCount {
    fn process_element(
        &mut self,
        (key, index): (u64, u64),
        ctx: &mut KeyedContext<'_, u64, (u64, u64, u64)>,
    ) -> Result<()> {
        add_checked(ctx, &self.totals, self.keys, (key, index))?;
        self.tracker.newest_index.store(index, Ordering::Relaxed);
        if !self.seen_first {
            self.seen_first = true;
            self.tracker.first.set(index, monotonic_micros());
        }
        if index >= self.caught_up_at {
            self.caught_up_at = NONE;
            self.tracker.caught_up.set(index, monotonic_micros());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_is_read_once_set() {
        let mark = Mark::default();
        assert_eq!(mark.get(), None);
        mark.set(42, 1_000);
        assert_eq!(mark.get(), Some((42, 1_000)));
    }

    /// A restore that lost the keyed state but kept the source position: key 5's second record
    /// (index 15 of 10 keys) meets an empty state, and the job fails.
    #[test]
    fn a_record_whose_key_lost_its_count_fails_the_job() {
        let env = StreamExecutionEnvironment::new();
        env.set_config("weir.progress", "false").set_parallelism(1);
        let tracker = Arc::new(Tracker::default());
        env.from_collection(vec![(5_u64, 15_u64)])
            .key_by(|&(key, _): &(u64, u64)| key)
            .process(CheckedCount {
                totals: ValueStateDescriptor::new("count-and-sum"),
                keys: 10,
                tracker: Arc::clone(&tracker),
                seen_first: false,
                caught_up_at: NONE,
            })
            .sink_to(BlackholeSink::new());
        let err = env.execute("lost state").expect_err("the check fails the job").to_string();
        assert!(err.contains("key 5 had counted 0 records before record 15 instead of 1"), "{err}");
    }

    /// The first record and the catch-up mark are taken once, at the right records.
    #[test]
    fn the_function_marks_its_first_record_and_catching_up() {
        let env = StreamExecutionEnvironment::new();
        env.set_config("weir.progress", "false").set_parallelism(1);
        let tracker = Arc::new(Tracker::default());
        let keys = 10;
        env.from_collection((0..30_u64).map(|index| (index % keys, index)).collect::<Vec<_>>())
            .key_by(|&(key, _): &(u64, u64)| key)
            .process(CheckedCount::new(keys, Arc::clone(&tracker), Some(17)))
            .sink_to(BlackholeSink::new());
        env.execute("marks").expect("runs");
        assert_eq!(tracker.first.get().map(|(index, _)| index), Some(0));
        assert_eq!(tracker.caught_up.get().map(|(index, _)| index), Some(17));
        assert_eq!(tracker.newest_index.load(Ordering::Relaxed), 29);
        let (first, caught_up) = (tracker.first.get(), tracker.caught_up.get());
        assert!(first.zip(caught_up).is_some_and(|((_, a), (_, b))| a <= b));
    }
}
