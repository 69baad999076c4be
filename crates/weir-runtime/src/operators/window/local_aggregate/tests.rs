//! The local pre-aggregation on its own: what it holds, what it sends alone, and when it
//! flushes (watermark, idle status, barrier, end of input, the entry bound).

use super::*;
use weir_core::OperatorUid;
use weir_core::config::Configuration;
use weir_core::output::Emitted;
use weir_core::record::Record;
use weir_core::snapshot::CheckpointInfo;

/// `(key, timestamp)`.
type Event = (u32, i64);

#[derive(Clone)]
struct Count;

impl AggregateFunction<Event, u64, u64> for Count {
    fn create_accumulator(&self) -> u64 {
        0
    }
    fn add(&self, acc: &mut u64, _value: &Event) {
        *acc += 1;
    }
    fn merge(&self, acc: &mut u64, other: &u64) {
        *acc += other;
    }
    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }
}

/// What came out, in order: `(key, count, timestamp)` per partial, sorted within each run of
/// records; `W(ts)` and `S(..)` for watermarks and statuses as strings.
fn drain(out: &mut Output<LocalPartial<u32, u64>>) -> Vec<String> {
    let mut got = Vec::new();
    let mut run: Vec<String> = Vec::new();
    while let Some(element) = out.pop() {
        match element {
            Emitted::Batch(batch) => {
                run.extend(batch.into_iter().map(|r| format!("{}:{}@{:?}", r.value.key, r.value.acc, r.timestamp)))
            }
            Emitted::Watermark(w) => {
                run.sort();
                got.append(&mut run);
                got.push(format!("W{}", w.0));
            }
            Emitted::WatermarkStatus(s) => {
                run.sort();
                got.append(&mut run);
                got.push(format!("{s:?}"));
            }
            Emitted::Side { .. } => got.push("side".into()),
        }
    }
    run.sort();
    got.append(&mut run);
    got
}

struct Harness {
    op: LocalWindowAggregateOperator<u32, Event, u64, u64, Count>,
    out: Output<LocalPartial<u32, u64>>,
}

impl Harness {
    /// 1 s tumbling windows, holding at most `max_entries` partials.
    fn new(max_entries: usize) -> Self {
        let slicing = Slicing::new(1_000, 1_000, 0).expect("valid");
        let mut op = LocalWindowAggregateOperator::new(Arc::new(|e: &Event| e.0), slicing, Arc::new(Count));
        let mut config = Configuration::new();
        config.set("weir.windows.local-aggregation.max-entries", max_entries.to_string());
        let ctx = OperatorContext::new("local", OperatorUid("local".into()), 0, 1, 128).with_config(Arc::new(config));
        op.on_start(&ctx).expect("starts");
        Harness { op, out: Output::new() }
    }

    fn records(&mut self, events: &[Event]) -> Vec<String> {
        let batch = events.iter().map(|e| Record::with_timestamp(*e, e.1)).collect();
        self.op.process_batch(batch, &mut self.out).expect("batch");
        drain(&mut self.out)
    }

    fn watermark(&mut self, ts: i64) -> Vec<String> {
        self.op.handle_watermark(Watermark(ts), &mut self.out).expect("watermark");
        drain(&mut self.out)
    }
}

#[test]
fn records_of_a_key_and_slice_fold_into_one_partial_sent_before_the_watermark() {
    let mut h = Harness::new(100);
    assert!(h.records(&[(1, 10), (2, 20), (1, 999), (1, 1_000), (2, 30)]).is_empty());
    assert_eq!(h.watermark(500), ["1:1@Some(1000)", "1:2@Some(0)", "2:2@Some(0)", "W500"]);
    // Nothing is held across a watermark.
    assert_eq!(h.watermark(600), ["W600"]);
}

#[test]
fn a_record_whose_window_fired_at_the_last_watermark_goes_on_alone_at_once() {
    let mut h = Harness::new(100);
    h.watermark(999);
    // [0, 1000) fired at 999: its records go on one by one, with their own timestamps.
    assert_eq!(h.records(&[(1, 5), (1, 6), (1, 1_500), (1, 1_600)]), ["1:1@Some(5)", "1:1@Some(6)"]);
    assert_eq!(h.watermark(1_200), ["1:2@Some(1000)", "W1200"]);
}

#[test]
fn an_idle_status_flushes_first_and_then_records_go_on_one_by_one() {
    let mut h = Harness::new(100);
    h.records(&[(1, 10), (1, 20)]);
    h.op.handle_watermark_status(WatermarkStatus::Idle, &mut h.out).expect("status");
    assert_eq!(drain(&mut h.out), ["1:2@Some(0)", "Idle"]);
    h.op.handle_watermark_status(WatermarkStatus::Active, &mut h.out).expect("status");
    assert_eq!(drain(&mut h.out), ["Active"]);
    assert_eq!(h.records(&[(1, 30), (1, 40)]), ["1:1@Some(30)", "1:1@Some(40)"]);
}

#[test]
fn a_barrier_finds_nothing_held_and_no_state() {
    let mut h = Harness::new(100);
    h.records(&[(1, 10), (2, 20)]);
    let info = CheckpointInfo { id: 1, timestamp: 0, is_savepoint: false };
    let snapshot = h.op.snapshot_state(&info, &mut h.out).expect("snapshot");
    assert!(snapshot.is_none());
    assert_eq!(drain(&mut h.out), ["1:1@Some(0)", "2:1@Some(0)"]);
}

#[test]
fn the_end_of_input_flushes() {
    let mut h = Harness::new(100);
    h.records(&[(1, 10)]);
    h.op.on_end_of_input(&mut h.out).expect("end");
    assert_eq!(drain(&mut h.out), ["1:1@Some(0)"]);
}

#[test]
fn more_partials_than_the_bound_are_sent_on_at_the_end_of_the_batch() {
    let mut h = Harness::new(2);
    assert!(h.records(&[(1, 10), (2, 10)]).is_empty());
    assert_eq!(h.records(&[(3, 10), (3, 20)]), ["1:1@Some(0)", "2:1@Some(0)", "3:2@Some(0)"]);
}
