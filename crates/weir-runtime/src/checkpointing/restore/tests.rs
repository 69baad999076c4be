//! Operator state through the runtime's restore path: instances snapshotted at parallelism 2,
//! their files dealt by [`deal`] to 3, 1 and 2 new instances, which start from them as a
//! deployed operator does (`on_start` with [`OperatorContext::restored`]) and show what they
//! got. (A restore at another parallelism is not reachable from the public API yet: savepoints
//! and `-s` come later.)

use super::*;
use crate::api::broadcast_functions::{
    BroadcastContext, BroadcastProcessFunction, KeyedBroadcastProcessFunction, KeyedReadOnlyContext, ReadOnlyContext,
};
use crate::api::functions::{InitContext, ProcessContext, ProcessFunction};
use crate::operators::broadcast_process::BroadcastProcessOperator;
use crate::operators::keyed_broadcast_process::KeyedBroadcastProcessOperator;
use crate::operators::process::ProcessOperator;
use crate::timers::TimeDomain;
use weir_core::key_group::{assign_key_group, subtask_for_key_group};
use weir_core::operator::{OneInputOperator, OperatorContext, TwoInputOperator};
use weir_core::output::{Emitted, Output};
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::{OperatorUid, Record, Result, Timestamp, Watermark};
use weir_state::{ListStateDescriptor, MapStateDescriptor, ValueStateDescriptor};

const MAX_PARALLELISM: usize = 128;

fn context(subtask: usize, parallelism: usize) -> OperatorContext {
    OperatorContext::new("op", OperatorUid("op".into()), subtask, parallelism, MAX_PARALLELISM)
}

fn checkpoint() -> CheckpointInfo {
    CheckpointInfo { id: 7, timestamp: 0, is_savepoint: false }
}

fn records<T>(values: impl IntoIterator<Item = T>) -> Vec<Record<T>> {
    values.into_iter().map(Record::new).collect()
}

fn drain<T>(out: &mut Output<T>) -> Vec<T> {
    let mut values = Vec::new();
    while let Some(element) = out.pop() {
        if let Emitted::Batch(batch) = element {
            values.extend(batch.into_iter().map(|r| r.value));
        }
    }
    values
}

/// The files the old instances' snapshots would be written to (a `None` snapshot writes none).
fn files(snapshots: Vec<Option<StateSnapshot>>) -> Vec<OldState> {
    snapshots
        .into_iter()
        .enumerate()
        .filter_map(|(subtask, snapshot)| {
            let snapshot = snapshot?;
            let key_groups = snapshot.key_groups;
            let bytes = snapshot.data.into_bytes().expect("snapshot bytes");
            Some(OldState { subtask, key_groups, bytes: Arc::new(bytes), files: Arc::default() })
        })
        .collect()
}

/// The contexts of `parallelism` new instances restoring `files` of `old_parallelism` old ones.
fn restoring(files: &[OldState], old_parallelism: usize, parallelism: usize) -> Vec<OperatorContext> {
    let copies = files.iter().map(|f| OldState {
        subtask: f.subtask,
        key_groups: f.key_groups,
        bytes: Arc::clone(&f.bytes),
        files: Arc::clone(&f.files),
    });
    deal(7, copies.collect(), old_parallelism, parallelism, MAX_PARALLELISM)
        .into_iter()
        .enumerate()
        .map(|(i, restored)| context(i, parallelism).with_restored(restored))
        .collect()
}

// ---- list and union list state of a process function ----

/// Buffers every value in list state and union list state; at the end of input emits whether it
/// was restored and both lists.
#[derive(Clone)]
struct Buffering {
    buffer: ListStateDescriptor<u64>,
    seen: ListStateDescriptor<u64>,
    restored: bool,
}

impl Buffering {
    fn new() -> Self {
        Buffering {
            buffer: ListStateDescriptor::new("buffer"),
            seen: ListStateDescriptor::new("seen"),
            restored: false,
        }
    }
}

type Lists = (bool, Vec<u64>, Vec<u64>);

impl ProcessFunction<u64, Lists> for Buffering {
    fn initialize_state(&mut self, ctx: &mut InitContext<'_>) -> Result<()> {
        self.restored = ctx.is_restored();
        Ok(())
    }

    fn process_element(&mut self, value: u64, ctx: &mut ProcessContext<'_, Lists>) -> Result<()> {
        ctx.list_state(&self.buffer)?.add(value);
        ctx.union_list_state(&self.seen)?.add(value);
        Ok(())
    }

    fn on_end_of_input(&mut self, ctx: &mut ProcessContext<'_, Lists>) -> Result<()> {
        let buffer = ctx.list_state(&self.buffer)?.get().to_vec();
        let seen = ctx.union_list_state(&self.seen)?.get().to_vec();
        ctx.collect((self.restored, buffer, seen));
        Ok(())
    }
}

/// Old subtask 0 buffered 1, 2, 3; old subtask 1 buffered 4, 5 (or nothing).
fn buffering_files(second: Vec<u64>) -> Vec<OldState> {
    let snapshots = [vec![1, 2, 3], second]
        .into_iter()
        .enumerate()
        .map(|(i, values)| {
            let mut op = ProcessOperator::new(Buffering::new());
            op.on_start(&context(i, 2)).expect("start");
            let mut out = Output::new();
            op.process_batch(records(values), &mut out).expect("process");
            op.snapshot_state(&checkpoint(), &mut out).expect("snapshot")
        })
        .collect();
    files(snapshots)
}

fn restored_lists(files: &[OldState], parallelism: usize) -> Vec<Lists> {
    restoring(files, 2, parallelism)
        .iter()
        .map(|ctx| {
            let mut op = ProcessOperator::new(Buffering::new());
            op.on_start(ctx).expect("restore");
            let mut out = Output::new();
            op.on_end_of_input(&mut out).expect("end");
            drain(&mut out).pop().expect("one output")
        })
        .collect()
}

#[test]
fn list_state_is_dealt_round_robin_and_union_state_goes_whole_to_every_subtask() {
    let files = buffering_files(vec![4, 5]);
    let all = vec![1, 2, 3, 4, 5];
    assert_eq!(
        restored_lists(&files, 3),
        vec![(true, vec![1, 4], all.clone()), (true, vec![2, 5], all.clone()), (true, vec![3], all.clone())]
    );
    assert_eq!(restored_lists(&files, 1), vec![(true, all.clone(), all.clone())]);
    // Unchanged parallelism: each keeps its own list; union lists are still whole (as Flink's).
    assert_eq!(restored_lists(&files, 2), vec![(true, vec![1, 2, 3], all.clone()), (true, vec![4, 5], all)]);
}

#[test]
fn a_subtask_that_kept_no_state_still_gets_the_union_lists() {
    let files = buffering_files(Vec::new());
    assert_eq!(files.len(), 1, "old subtask 1 named no state and wrote no file");
    assert_eq!(
        restored_lists(&files, 2),
        vec![(true, vec![1, 2, 3], vec![1, 2, 3]), (true, Vec::new(), vec![1, 2, 3])]
    );
}

// ---- broadcast state of a broadcast process function ----

fn rules() -> MapStateDescriptor<String, u64> {
    MapStateDescriptor::new("rules")
}

fn declared() -> Arc<[String]> {
    vec!["rules".to_string()].into()
}

/// The rules of a broadcast state, sorted, as `a=1,b=2`.
fn listed<'a>(entries: impl Iterator<Item = (&'a String, &'a u64)>) -> String {
    let mut entries: Vec<String> = entries.map(|(k, v)| format!("{k}={v}")).collect();
    entries.sort();
    entries.join(",")
}

/// Stores broadcast rules; for every record, emits the rules it sees.
#[derive(Clone)]
struct ShowRules {
    rules: MapStateDescriptor<String, u64>,
}

impl BroadcastProcessFunction<u64, (String, u64), String> for ShowRules {
    fn process_element(&mut self, _value: u64, ctx: &mut ReadOnlyContext<'_, String>) -> Result<()> {
        let rules = listed(ctx.broadcast_state(&self.rules)?.iter());
        ctx.collect(rules);
        Ok(())
    }

    fn process_broadcast_element(
        &mut self,
        (k, v): (String, u64),
        ctx: &mut BroadcastContext<'_, String>,
    ) -> Result<()> {
        ctx.broadcast_state(&self.rules)?.put(k, v);
        Ok(())
    }
}

/// Old broadcast instances: subtask 0 saw rules a, b; subtask 1 also c. (Copies that differ
/// break the broadcast contract; here they show which copy a new instance restores.)
fn broadcast_files() -> Vec<OldState> {
    let snapshots = (0..2)
        .map(|i| {
            let mut op = BroadcastProcessOperator::new(ShowRules { rules: rules() }, declared());
            op.on_start(&context(i, 2)).expect("start");
            let mut seen = vec![("a".to_string(), 1), ("b".to_string(), 2)];
            if i == 1 {
                seen.push(("c".to_string(), 3));
            }
            let mut out = Output::new();
            op.process_batch2(records(seen), &mut out).expect("rules");
            op.snapshot_state(&checkpoint(), &mut out).expect("snapshot")
        })
        .collect();
    files(snapshots)
}

fn restored_rules(files: &[OldState], parallelism: usize) -> Vec<String> {
    restoring(files, 2, parallelism)
        .iter()
        .map(|ctx| {
            let mut op = BroadcastProcessOperator::new(ShowRules { rules: rules() }, declared());
            op.on_start(ctx).expect("restore");
            let mut out = Output::new();
            op.process_batch1(records([0]), &mut out).expect("process");
            drain(&mut out).pop().expect("one output")
        })
        .collect()
}

#[test]
fn broadcast_state_is_restored_from_one_copy_on_every_subtask() {
    let files = broadcast_files();
    assert_eq!(restored_rules(&files, 3), vec!["a=1,b=2"; 3], "the lowest old subtask's copy, not a merge");
    assert_eq!(restored_rules(&files, 1), vec!["a=1,b=2"]);
    assert_eq!(restored_rules(&files, 2), vec!["a=1,b=2", "a=1,b=2,c=3"], "each its own copy");
}

#[test]
fn an_undeclared_broadcast_state_is_an_error_naming_it() {
    let mut op = BroadcastProcessOperator::new(
        ShowRules { rules: MapStateDescriptor::new("rulez") },
        vec!["rules".to_string()].into(),
    );
    op.on_start(&context(0, 1)).expect("start");
    let err = op.process_batch1(records([0]), &mut Output::new()).expect_err("undeclared").to_string();
    assert!(err.contains("'rulez'") && err.contains("declared: rules"), "{err}");
}

// ---- keyed state, timers and broadcast state of a keyed broadcast process function ----

/// Counts records per key and registers an event-time timer at 100 per key; the timer emits
/// the key, its count and the rules seen then.
#[derive(Clone)]
struct CountWithRules {
    rules: MapStateDescriptor<String, u64>,
    count: ValueStateDescriptor<u64>,
}

impl CountWithRules {
    fn new() -> Self {
        CountWithRules { rules: rules(), count: ValueStateDescriptor::new("count") }
    }
}

impl KeyedBroadcastProcessFunction<String, String, (String, u64), String> for CountWithRules {
    fn process_element(&mut self, _key: String, ctx: &mut KeyedReadOnlyContext<'_, String, String>) -> Result<()> {
        let mut count = ctx.value(&self.count)?;
        let n = count.value().unwrap_or(0) + 1;
        count.update(n);
        ctx.timer_service().register_event_time_timer(100);
        Ok(())
    }

    fn process_broadcast_element(
        &mut self,
        (k, v): (String, u64),
        ctx: &mut BroadcastContext<'_, String>,
    ) -> Result<()> {
        ctx.broadcast_state(&self.rules)?.put(k, v);
        Ok(())
    }

    fn on_timer(
        &mut self,
        _timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedReadOnlyContext<'_, String, String>,
    ) -> Result<()> {
        let count = ctx.value(&self.count)?.value().unwrap_or(0);
        let rules = listed(ctx.broadcast_state(&self.rules)?.iter());
        let key = ctx.current_key().clone();
        ctx.collect(format!("{key} n={count} rules={rules}"));
        Ok(())
    }
}

fn keys() -> Vec<String> {
    (0..20).map(|i| format!("k{i}")).collect()
}

fn subtask_of(key: &String, parallelism: usize) -> usize {
    let group = assign_key_group(key, MAX_PARALLELISM).expect("key group");
    subtask_for_key_group(group, MAX_PARALLELISM, parallelism)
}

fn keyed_operator() -> KeyedBroadcastProcessOperator<String, String, (String, u64), String, CountWithRules> {
    KeyedBroadcastProcessOperator::new(CountWithRules::new(), Arc::new(|key: &String| key.clone()), declared())
}

/// Old keyed instances at parallelism 2, each with its keys counted once and a timer per key;
/// broadcast rules as in [`broadcast_files`].
fn keyed_broadcast_files() -> Vec<OldState> {
    let snapshots = (0..2)
        .map(|i| {
            let mut op = keyed_operator();
            op.on_start(&context(i, 2)).expect("start");
            let mut seen = vec![("a".to_string(), 1), ("b".to_string(), 2)];
            if i == 1 {
                seen.push(("c".to_string(), 3));
            }
            let mut out = Output::new();
            op.process_batch2(records(seen), &mut out).expect("rules");
            op.process_batch1(records(keys().into_iter().filter(|k| subtask_of(k, 2) == i)), &mut out).expect("keys");
            op.snapshot_state(&checkpoint(), &mut out).expect("snapshot")
        })
        .collect();
    files(snapshots)
}

/// Every new instance fires its restored timers: one line per key it owns.
fn restored_counts(files: &[OldState], parallelism: usize) -> Vec<Vec<String>> {
    restoring(files, 2, parallelism)
        .iter()
        .map(|ctx| {
            let mut op = keyed_operator();
            op.on_start(ctx).expect("restore");
            let mut out = Output::new();
            op.handle_watermark(Watermark(100), &mut out).expect("timers");
            let mut lines = drain(&mut out);
            lines.sort();
            lines
        })
        .collect()
}

/// The lines of the keys of new subtask `i` of `parallelism`, with `rules`.
fn expected_lines(i: usize, parallelism: usize, rules: &str) -> Vec<String> {
    let mut lines: Vec<String> = keys()
        .into_iter()
        .filter(|k| subtask_of(k, parallelism) == i)
        .map(|k| format!("{k} n=1 rules={rules}"))
        .collect();
    lines.sort();
    lines
}

#[test]
fn keyed_broadcast_state_rescales_keyed_state_by_key_group_and_broadcast_state_from_one_copy() {
    let files = keyed_broadcast_files();
    assert!(files.iter().all(|f| f.key_groups.is_some()), "a keyed-broadcast snapshot is keyed");
    // At 3, new subtask 1's key groups overlap both old subtasks': it takes old subtask 0's
    // copy only; new subtask 2 overlaps old subtask 1 only, and takes its copy.
    let at_three = restored_counts(&files, 3);
    assert_eq!(at_three[0], expected_lines(0, 3, "a=1,b=2"));
    assert_eq!(at_three[1], expected_lines(1, 3, "a=1,b=2"));
    assert_eq!(at_three[2], expected_lines(2, 3, "a=1,b=2,c=3"));
    assert_eq!(restored_counts(&files, 1), vec![expected_lines(0, 1, "a=1,b=2")]);
    assert_eq!(restored_counts(&files, 2), vec![expected_lines(0, 2, "a=1,b=2"), expected_lines(1, 2, "a=1,b=2,c=3")]);
    let lines: usize = at_three.iter().map(Vec::len).sum();
    assert_eq!(lines, keys().len(), "every key's count and timer restored exactly once");
}
