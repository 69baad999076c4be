//! `incremental`: what incremental RocksDB checkpoints upload when a small part of a large state
//! changes between them (issue 6's target: ≤ 5 % of the full size, ≤ 2 s per checkpoint).
//!
//! One job: two sources in a union → `key_by(key)` → a keyed function keeping a count per key in
//! one `ValueState<u64>` → blackhole.
//! - **Load**: a bounded source emitting every key of `0..--keys` once, as fast as it goes.
//! - **Updates**: an unbounded source emitting random keys at `--keys / 100` records per
//!   checkpoint interval, so about 1 % of the keys change per interval (a little less: some keys
//!   repeat).
//!
//! The run: the job starts; once the keyed function has seen every key of the load, the workload
//! waits for the next completed checkpoint — the **full** one, `full_bytes` = the size of every
//! file it references, i.e. what a full checkpoint uploads — and then for `CHECKPOINTS` more.
//! For each of those it reads the checkpoint's `_metadata` and adds up what that checkpoint
//! newly uploaded: its exclusive files plus the shared files no earlier checkpoint referenced.
//! `incremental_bytes` is the median of those, `incremental_ms` the median trigger-to-completion
//! time. `seconds`/`events_per_s` cover the load (submission to the last key loaded).
//!
//! **Restore.** The job is then cancelled and the same job submitted again with
//! `execution.savepoint.path` set to the last measured checkpoint: `restore_ms` is the time from
//! that submission to the restored keyed function's first record processed (after its state
//! access). The load source restores as finished, so that record is an update of a loaded key:
//! the count it finds must be at least 1, or the run fails (an empty restore cannot pass for a
//! fast one). `peak_rss_mb` covers both jobs: with `state.backend.rocksdb.memory.fixed-per-slot`
//! small against `--keys` it shows whether the process stays near that bound while loading,
//! checkpointing and restoring state many times its size.
//!
//! Configuration set unless `-D` sets it: `state.backend.type=rocksdb`,
//! `execution.checkpointing.incremental=true`, `execution.checkpointing.interval=2s`,
//! `state.checkpoints.num-retained=10` (a measured checkpoint's `_metadata` is read as soon as
//! it completes, and the last one restored right after; more retained checkpoints only keep the
//! files of the load's compactions: 12 GB at 100 retained, a quarter into a 50 M-key load),
//! `execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION` (the
//! restore reads one after the cancel), `restart-strategy.type=none`, `state.checkpoints.dir` and `state.backend.rocksdb.localdir`
//! under a scratch directory that is deleted at the end.

use super::{Run, ScenarioFigures, ScenarioOutcome, Workload, WorkloadParams};
use crate::report::{CheckpointFigures, IncrementalFigures};
use anyhow::{Context, bail, ensure};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use weir_checkpoint::FileScope;
use weir_connectors::{BlackholeSink, DataGenSource, random_range};
use weir_core::config::Configuration;
use weir_runtime::prelude::*;
use weir_runtime::{CheckpointSummary, JobClient};

pub const WORKLOAD: Workload = Workload {
    name: "incremental",
    description: "--keys keys loaded into RocksDB, then 1% of them updated per checkpoint interval: incremental checkpoint upload vs full size",
    default_events: 1_000_000,
    default_keys: 1_000_000,
    samples_rss: false,
    run: Run::Scenario(run),
};

/// Checkpoints measured after the full one.
const CHECKPOINTS: usize = 5;

/// How long the run waits for any one step before giving up (the load: at least this).
const PATIENCE: Duration = Duration::from_secs(900);

/// The slowest load rate the run waits for: 50 M keys load in ~40 minutes at it (10 M loaded at
/// 35–68 K keys/s here, slower as the database grows).
const SLOWEST_LOAD_KEYS_PER_S: u64 = 20_000;

const DEFAULTS: &[(&str, &str)] = &[
    ("state.backend.type", "rocksdb"),
    ("execution.checkpointing.incremental", "true"),
    ("execution.checkpointing.interval", "2s"),
    ("state.checkpoints.num-retained", "10"),
    ("restart-strategy.type", "none"),
    ("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"),
];

fn run(conf: &Configuration, params: &WorkloadParams) -> anyhow::Result<ScenarioOutcome> {
    ensure!(params.keys >= 100, "incremental needs at least 100 keys (--keys), got {}", params.keys);
    let scratch = tempfile::Builder::new().prefix("weir-bench-incremental-").tempdir().context("scratch directory")?;
    let mut conf = conf.clone();
    for (key, value) in DEFAULTS {
        if conf.get_raw(key).is_none() {
            conf.set(*key, *value);
        }
    }
    for (key, sub) in [("state.checkpoints.dir", "checkpoints"), ("state.backend.rocksdb.localdir", "rocksdb")] {
        if conf.get_raw(key).is_none() {
            conf.set(key, scratch.path().join(sub).display().to_string());
        }
    }
    let interval = weir_core::config::parse_duration(conf.get_raw("execution.checkpointing.interval").unwrap_or("2s"))
        .map_err(|e| anyhow::anyhow!("execution.checkpointing.interval: {e}"))?;

    let keys = params.keys;
    let loaded = Arc::new(AtomicU64::new(0));
    let (env, _) = build(conf.clone(), keys, interval, Arc::clone(&loaded));
    let checkpointing = env.checkpoint_config().get().context("reading the checkpoint configuration")?;
    let submitted = Instant::now();
    let client = env.execute_async("weir-bench incremental").context("submitting the job")?;
    let load_patience = PATIENCE.max(Duration::from_secs(keys / SLOWEST_LOAD_KEYS_PER_S));
    let load_time =
        wait(&client, "every key loaded", load_patience, || (loaded.load(Ordering::Relaxed) >= keys).then_some(()))
            .map(|()| submitted.elapsed())?;

    // The first checkpoint triggered after the load is the full one; then CHECKPOINTS more.
    let loaded_at = client.checkpoints().recent.iter().map(|c| c.id).max().unwrap_or(0);
    let mut measured: Vec<CheckpointSummary> = Vec::new();
    let mut seen_shared: BTreeSet<String> = BTreeSet::new();
    let mut full_bytes = None;
    let mut uploads = Vec::new();
    while measured.len() < CHECKPOINTS + 1 {
        let last = measured.last().map_or(loaded_at, |c| c.id);
        let next = wait(&client, "the next completed checkpoint", PATIENCE, || {
            let overview = client.checkpoints();
            if let Some(failed) = overview.recent.iter().find(|c| c.id > last && c.failure.is_some()) {
                return Some(Err(failed.failure.clone().unwrap_or_default()));
            }
            overview.recent.into_iter().find(|c| c.id > last && c.completed && !c.is_savepoint).map(Ok)
        })?;
        let next = match next {
            Ok(next) => next,
            Err(failure) => bail!("a checkpoint failed: {failure}"),
        };
        let (total, uploaded) = sizes(&next.path, &mut seen_shared)?;
        match full_bytes {
            None => full_bytes = Some(total),
            Some(_) => uploads.push(uploaded),
        }
        measured.push(next);
    }
    client.cancel();
    let _ = client.wait_timeout(PATIENCE);
    let last = measured.last().context("no checkpoint measured")?;
    let restore_time = restore(&conf, keys, interval, &last.path)?;

    uploads.sort_unstable();
    let mut durations: Vec<u64> =
        measured[1..].iter().map(|c| c.duration.map_or(0, |d| d.as_millis() as u64)).collect();
    durations.sort_unstable();
    Ok(ScenarioOutcome {
        events: keys,
        seconds: load_time.as_secs_f64(),
        figures: ScenarioFigures::Incremental {
            incremental: IncrementalFigures {
                full_bytes: full_bytes.unwrap_or(0),
                incremental_bytes: uploads[uploads.len() / 2],
                incremental_ms: durations[durations.len() / 2],
                incremental_checkpoints: uploads.len(),
                restore_ms: restore_time.as_millis() as u64,
            },
            checkpoints: CheckpointFigures::from_history(interval, checkpointing.mode, &measured),
        },
    })
}

/// The job on `conf`, and where its keyed function reports its first record: the instant after
/// that record's state access and the count it found.
fn build(
    conf: Configuration,
    keys: u64,
    interval: Duration,
    loaded: Arc<AtomicU64>,
) -> (StreamExecutionEnvironment, Arc<OnceLock<(Instant, u64)>>) {
    let first = Arc::new(OnceLock::new());
    let env = StreamExecutionEnvironment::with_config(conf);
    let load =
        env.from_source(DataGenSource::new(|i| (i, true)).with_count(keys), "Load").uid("load").set_parallelism(1);
    let updates_per_s = (keys as f64 / 100.0) / interval.as_secs_f64().max(0.001);
    let updates = env
        .from_source(
            DataGenSource::new(move |i| (random_range(super::SEED, i, keys), false)).with_rate_limit(updates_per_s),
            "Updates",
        )
        .uid("updates")
        .set_parallelism(1);
    load.union(&[&updates])
        .key_by(|&(key, _): &(u64, bool)| key)
        .process(Count { count: ValueStateDescriptor::new("count"), loaded, first: Arc::clone(&first) })
        .uid("count")
        .sink_to(BlackholeSink::new())
        .uid("blackhole");
    (env, first)
}

/// Submits the job again restored from `checkpoint` and waits for its first record: the time
/// from submission to that record, checked to have found its key's loaded state.
fn restore(conf: &Configuration, keys: u64, interval: Duration, checkpoint: &Path) -> anyhow::Result<Duration> {
    let mut conf = conf.clone();
    conf.set("execution.savepoint.path", checkpoint.display().to_string());
    let (env, first) = build(conf, keys, interval, Arc::new(AtomicU64::new(0)));
    let submitted = Instant::now();
    let client = env.execute_async("weir-bench incremental (restored)").context("submitting the restored job")?;
    let (at, found) = wait(&client, "the restored job's first record", PATIENCE, || first.get().copied())?;
    client.cancel();
    let _ = client.wait_timeout(PATIENCE);
    ensure!(
        found >= 1,
        "the restored job's first record found a count of {found}: the state of {} was not restored",
        checkpoint.display()
    );
    Ok(at.duration_since(submitted))
}

/// Polls `check` every 20 ms until it gives a value; fails after `patience` or if the job
/// ended, naming `what`.
fn wait<T>(
    client: &JobClient,
    what: &str,
    patience: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        let status = client.status();
        if status.is_terminal() {
            bail!("the job ended ({status:?}) while waiting for {what}");
        }
        if started.elapsed() > patience {
            bail!("waited {patience:?} for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The total size of the files checkpoint `dir` references, and what it newly uploaded: its
/// exclusive files plus the shared ones not in `seen` (which it adds them to).
fn sizes(dir: &Path, seen: &mut BTreeSet<String>) -> anyhow::Result<(u64, u64)> {
    let snapshot = weir_state::storage::open_snapshot(dir)
        .with_context(|| format!("reading the metadata of {}", dir.display()))?;
    let (mut total, mut uploaded) = (0, 0);
    for (_, _, file) in snapshot.metadata.files() {
        total += file.size;
        let new = match file.scope {
            FileScope::Shared => seen.insert(file.path.as_str().to_string()),
            _ => true,
        };
        if new {
            uploaded += file.size;
        }
    }
    Ok((total, uploaded))
}

/// Counts records per key; reports load records and its first record.
#[derive(Clone)]
struct Count {
    count: ValueStateDescriptor<u64>,
    loaded: Arc<AtomicU64>,
    /// Set once: the instant after the first record's state access and the count it found.
    first: Arc<OnceLock<(Instant, u64)>>,
}

impl KeyedProcessFunction<u64, (u64, bool), u64> for Count {
    fn process_element(&mut self, (_, load): (u64, bool), ctx: &mut KeyedContext<'_, u64, u64>) -> Result<()> {
        let mut count = ctx.value(&self.count)?;
        let found = count.get().copied().unwrap_or(0);
        let n = found + 1;
        count.update(n);
        if self.first.get().is_none() {
            let _ = self.first.set((Instant::now(), found));
        }
        if load {
            self.loaded.fetch_add(1, Ordering::Relaxed);
        }
        ctx.collect(n);
        Ok(())
    }
}
