//! Helpers shared by the integration tests.

#![allow(dead_code)]

pub mod checkpoints;

use weir_core::watermark::{WatermarkGenerator, WatermarkOutput};
use weir_runtime::prelude::*;

/// A punctuated generator: after every record, the watermark trails the highest timestamp by
/// `bound` — deterministic in a job, unlike periodic emission.
pub struct Punctuated {
    bound: i64,
    max: Option<i64>,
}

impl Punctuated {
    pub fn new(bound: i64) -> Self {
        Punctuated { bound, max: None }
    }
}

impl<T> WatermarkGenerator<T> for Punctuated {
    fn on_event(&mut self, _event: &T, timestamp: Timestamp, output: &mut WatermarkOutput) {
        let max = self.max.map_or(timestamp, |m| m.max(timestamp));
        self.max = Some(max);
        output.emit_watermark(Watermark(max.saturating_sub(self.bound).saturating_sub(1)));
    }
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

/// Describes a window of `(key, index)` records: key, bounds, record count and sum of the
/// indices — one line per firing, so two runs' outputs compare line by line.
#[derive(Clone)]
pub struct SummarizeWindow;

impl ProcessWindowFunction<u64, (u64, u64), String, TimeWindow> for SummarizeWindow {
    fn process(
        &mut self,
        key: &u64,
        ctx: &mut WindowContext<'_, u64, TimeWindow, String>,
        elements: Vec<(u64, u64)>,
    ) -> Result<()> {
        let w = *ctx.window();
        let sum: u64 = elements.iter().map(|(_, i)| i).sum();
        ctx.collect(format!("{key} [{}, {}) n={} sum={sum}", w.start, w.end, elements.len()));
        Ok(())
    }
}

/// The event time of record `i`: rising with `i`, up to 29 ms early (a deterministic jitter
/// below the tests' 40 ms out-of-orderness bound, so no record is ever late).
pub fn jittered_timestamp(i: u64) -> i64 {
    i as i64 - ((i * 7919) % 30) as i64
}

/// An environment at parallelism `p`, enough slots, no progress output.
pub fn env(parallelism: usize) -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(parallelism)
        .set_config("taskmanager.numberOfTaskSlots", "4")
        .set_config("weir.progress", "false");
    env
}

/// `(key, timestamp)` events with punctuated watermarks trailing by `bound`, keyed by key.
pub fn keyed_events(
    env: &StreamExecutionEnvironment,
    events: Vec<(String, i64)>,
    bound: i64,
) -> KeyedStream<String, (String, i64)> {
    env.from_collection(events)
        .set_parallelism(1)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(move || Punctuated::new(bound))
                .with_timestamp_assigner(|(_, ts): &(String, i64), _| *ts),
        )
        .set_parallelism(1)
        .key_by(|(k, _): &(String, i64)| k.clone())
}

pub fn events(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(k, t)| (k.to_string(), *t)).collect()
}

/// Turns on exactly-once checkpoints every `interval` into `dir`, with restarts without limit
/// or delay: a job under injected failures always recovers.
pub fn checkpoint_and_restart(env: &StreamExecutionEnvironment, interval: std::time::Duration, dir: &std::path::Path) {
    env.enable_checkpointing(interval, weir_runtime::CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.display().to_string())
        .set_config("restart-strategy.type", "fixed-delay")
        .set_config("restart-strategy.fixed-delay.attempts", "100000")
        .set_config("restart-strategy.fixed-delay.delay", "0 ms");
}

/// Every line committed to `dir` by an exactly-once file sink, sorted; fails on uncommitted
/// (hidden) files left behind.
pub fn committed_lines(dir: &std::path::Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(dir).expect("output dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().to_string();
        assert!(!name.starts_with('.'), "uncommitted file {name} left behind in {}", dir.display());
        let text = std::fs::read_to_string(entry.path()).expect("part file");
        lines.extend(text.lines().map(str::to_string));
    }
    lines.sort();
    lines
}

/// Random faults, plus one sure failure mid-stream: the first batch processed after `commits`
/// checkpoint completions reached the subtasks (counted at their `AfterCommit` fault point)
/// fails, so the job restores from a completed checkpoint at least once, however the random
/// failures fell.
pub struct FailAfterCommits {
    random: std::sync::Arc<weir_testkit::RandomFaults>,
    commits: usize,
    seen: std::sync::atomic::AtomicUsize,
    failed: std::sync::atomic::AtomicBool,
}

impl FailAfterCommits {
    pub fn new(random: std::sync::Arc<weir_testkit::RandomFaults>, commits: usize) -> Self {
        FailAfterCommits { random, commits, seen: Default::default(), failed: Default::default() }
    }
}

impl weir_runtime::FaultInjector for FailAfterCommits {
    fn should_fail(&self, point: weir_runtime::FaultPoint, task: &str, subtask: usize) -> bool {
        use std::sync::atomic::Ordering;
        use weir_runtime::FaultPoint;
        if point == FaultPoint::AfterCommit {
            self.seen.fetch_add(1, Ordering::SeqCst);
        }
        if point == FaultPoint::Processing
            && self.seen.load(Ordering::SeqCst) >= self.commits
            && !self.failed.swap(true, Ordering::SeqCst)
        {
            println!("sure failure: {task} after {} commit notifications", self.commits);
            return true;
        }
        self.random.should_fail(point, task, subtask)
    }
}

/// Runs a job twice — failure-free into `reference/`, then with checkpoints every 20 ms under
/// `failures` random injected failures (seeded by `seed`) plus one sure failure after
/// `3 × parallelism` commit notifications, into `recovered/` — and asserts that both committed
/// the same lines and that the recovered run restored state at least once. `run_job` builds and
/// runs the job in the environment it is given (checkpointing and faults already set for the
/// second run), writing into the directory it is given, and returns how many operator instances
/// started restored. Returns the reference output, for the test's own checks of it.
pub fn assert_recovers_exactly_once(
    parallelism: usize,
    seed: u64,
    failures: u32,
    run_job: impl Fn(&StreamExecutionEnvironment, &std::path::Path) -> usize,
) -> Vec<String> {
    use std::sync::Arc;
    let dirs = tempfile::tempdir().expect("tempdir");
    let (reference, recovered, checkpoints) =
        (dirs.path().join("reference"), dirs.path().join("recovered"), dirs.path().join("checkpoints"));
    run_job(&env(parallelism), &reference);
    let expected = committed_lines(&reference);

    let random = Arc::new(weir_testkit::RandomFaults::new(seed, failures));
    let recovering = env(parallelism);
    checkpoint_and_restart(&recovering, std::time::Duration::from_millis(20), &checkpoints);
    recovering.set_fault_injector(Arc::new(FailAfterCommits::new(Arc::clone(&random), 3 * parallelism)));
    let restored = run_job(&recovering, &recovered);
    println!("seed {seed}: {restored} instances restored state; injected {:?}", random.fired());
    let got = committed_lines(&recovered);
    assert_eq!(got.len(), expected.len(), "seed {seed}: line count differs");
    assert!(got == expected, "seed {seed}: the committed output differs from the failure-free run");
    assert!(restored >= parallelism, "seed {seed}: the job restored its state at least once");
    expected
}

/// An unbounded source that never emits anything (an input idle for as long as the job runs):
/// every poll says to come back in an hour, so only a checkpoint trigger or a cancellation
/// wakes its subtask.
pub struct IdleSource<T>(std::marker::PhantomData<fn() -> T>);

impl<T> IdleSource<T> {
    pub fn new() -> Self {
        IdleSource(std::marker::PhantomData)
    }
}

/// A split of [`IdleSource`], named by its number.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct IdleSplit(u32);

impl weir_core::source::SourceSplit for IdleSplit {
    fn split_id(&self) -> weir_core::source::SplitId {
        weir_core::source::SplitId::new(self.0.to_string())
    }
}

impl<T: weir_core::Data> weir_core::source::Source<T> for IdleSource<T> {
    type Split = IdleSplit;
    fn name(&self) -> &str {
        "Idle"
    }
    fn boundedness(&self) -> weir_core::source::Boundedness {
        weir_core::source::Boundedness::Unbounded
    }
    fn create_splits(&self, parallelism: usize) -> weir_core::Result<Vec<IdleSplit>> {
        Ok((0..parallelism as u32).map(IdleSplit).collect())
    }
    fn create_reader(
        &self,
        _ctx: &OperatorContext,
    ) -> weir_core::Result<Box<dyn weir_core::source::SourceReader<T, IdleSplit>>> {
        Ok(Box::new(IdleReader { splits: Vec::new() }))
    }
}

struct IdleReader {
    splits: Vec<IdleSplit>,
}

impl<T> weir_core::source::SourceReader<T, IdleSplit> for IdleReader {
    fn add_splits(&mut self, splits: Vec<IdleSplit>) -> weir_core::Result<()> {
        self.splits.extend(splits);
        Ok(())
    }
    fn poll_next(
        &mut self,
        _out: &mut weir_core::source::ReaderOutput<T>,
        _max_records: usize,
    ) -> weir_core::Result<weir_core::source::SourcePoll> {
        Ok(weir_core::source::SourcePoll::NothingAvailable { retry_after: std::time::Duration::from_secs(3600) })
    }
    fn snapshot_splits(&self) -> Vec<IdleSplit> {
        self.splits.clone()
    }
}

/// Checks every retained checkpoint under `checkpoints_dir` (every job directory's `chk-*` with
/// a `_metadata`) as a restore would — every file it names exists with its size and checksum,
/// shared ones included. With `no_strays`, also that no job's `shared/` directory holds a file
/// none of them references (true only while no checkpoint is in flight). Returns how many
/// shared files they reference.
pub fn retained_checkpoints_are_whole(checkpoints_dir: &std::path::Path, no_strays: bool) -> usize {
    use std::collections::BTreeSet;
    let mut referenced = 0;
    let Ok(jobs) = std::fs::read_dir(checkpoints_dir) else { return 0 };
    for job in jobs.flatten() {
        let mut shared = BTreeSet::new();
        for entry in std::fs::read_dir(job.path()).expect("job dir").flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.starts_with("chk-") || !entry.path().join("_metadata").exists() {
                continue;
            }
            let loaded = weir_state::load_snapshot(&entry.path())
                .unwrap_or_else(|e| panic!("retained checkpoint {} is not whole: {e}", entry.path().display()));
            for (_, _, file) in loaded.metadata.files() {
                if file.scope == weir_checkpoint::FileScope::Shared {
                    shared.insert(file.path.as_str().to_string());
                }
            }
        }
        if no_strays {
            let on_disk: BTreeSet<String> = std::fs::read_dir(job.path().join("shared"))
                .map(|dir| dir.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect())
                .unwrap_or_default();
            let strays: Vec<_> = on_disk.difference(&shared).collect();
            assert!(strays.is_empty(), "shared files no retained checkpoint references: {strays:?}");
        }
        referenced += shared.len();
    }
    referenced
}

/// Per key: how many records so far and their sum, emitted with every record as
/// `key,count,sum` (the restore tests' job; [`running_counts`] is its reference).
#[derive(Clone)]
pub struct RunningCount {
    pub totals: ValueStateDescriptor<(u64, u64)>,
}

impl RunningCount {
    pub fn new() -> Self {
        RunningCount { totals: ValueStateDescriptor::new("totals") }
    }
}

impl KeyedProcessFunction<u64, (u64, u64), String> for RunningCount {
    fn process_element(&mut self, (key, value): (u64, u64), ctx: &mut KeyedContext<'_, u64, String>) -> Result<()> {
        let mut totals = ctx.value(&self.totals)?;
        let (count, sum) = totals.get().copied().unwrap_or((0, 0));
        totals.update((count + 1, sum + value));
        ctx.collect(format!("{key},{},{}", count + 1, sum + value));
        Ok(())
    }
}

/// What [`RunningCount`] emits over records `(i % keys, i)` for `i` in `0..records`, sorted:
/// an uninterrupted run's committed output, computed independently of weir.
pub fn running_counts(records: u64, keys: u64) -> Vec<String> {
    let mut totals: std::collections::BTreeMap<u64, (u64, u64)> = std::collections::BTreeMap::new();
    let mut lines: Vec<String> = (0..records)
        .map(|i| {
            let t = totals.entry(i % keys).or_default();
            *t = (t.0 + 1, t.1 + i);
            format!("{},{},{}", i % keys, t.0, t.1)
        })
        .collect();
    lines.sort();
    lines
}

/// Adds the restore tests' job to `env`: `records` records `(i % keys, i)` from one source
/// subtask (rate-limited if `rate` is given) → `key_by` → [`RunningCount`] → an exactly-once
/// file sink into `out`, with the uids `numbers`, `running-count` and `sink` every restore of it
/// must find again.
pub fn add_running_count_job(
    env: &StreamExecutionEnvironment,
    records: u64,
    keys: u64,
    rate: Option<f64>,
    out: &std::path::Path,
) {
    let source = weir_connectors::DataGenSource::new(move |i| (i % keys, i)).with_count(records);
    let source = match rate {
        Some(rate) => source.with_rate_limit(rate),
        None => source,
    };
    env.from_source(source, "numbers")
        .uid("numbers")
        .set_parallelism(1)
        .key_by(|(key, _): &(u64, u64)| *key)
        .process(RunningCount::new())
        .uid("running-count")
        .sink_to(weir_connectors::ExactlyOnceFileSink::lines(out))
        .uid("sink")
        .set_parallelism(1);
}
