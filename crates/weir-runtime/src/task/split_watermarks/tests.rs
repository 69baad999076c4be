use super::*;
use crate::task::element::AnyBatch;
use std::time::Duration;
use weir_core::OperatorUid;
use weir_core::config::Configuration;
use weir_core::record::Record;
use weir_core::time::{Watermark, WatermarkStatus};
use weir_core::watermark::WatermarkOutput;
use weir_testkit::ManualClock;

/// What the source subtask passed to its chain, as text.
#[derive(Default)]
struct Recorded(Vec<String>);

impl Emit for Recorded {
    fn batch(&mut self, batch: AnyBatch) -> Result<()> {
        let batch = batch.downcast::<Batch<i64>>().expect("a batch of i64");
        self.0.push(format!("{:?}", batch.iter().map(|r| r.timestamp.unwrap_or(i64::MIN)).collect::<Vec<_>>()));
        Ok(())
    }
    fn watermark(&mut self, watermark: Watermark) -> Result<()> {
        self.0.push(format!("wm{watermark}"));
        Ok(())
    }
    fn watermark_status(&mut self, status: WatermarkStatus) -> Result<()> {
        self.0.push(format!("{status:?}"));
        Ok(())
    }
    fn side_batch(&mut self, tag: &str, _batch: AnyBatch) -> Result<()> {
        self.0.push(format!("side {tag}"));
        Ok(())
    }
}

impl Recorded {
    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.0)
    }
}

/// Emits after every record: the highest timestamp minus `bound` minus one.
struct Punctuated {
    bound: i64,
    max: i64,
}

impl WatermarkGenerator<i64> for Punctuated {
    fn on_event(&mut self, _event: &i64, timestamp: Timestamp, output: &mut WatermarkOutput) {
        self.max = self.max.max(timestamp);
        output.emit_watermark(Watermark(self.max - self.bound - 1));
    }
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

fn start(strategy: WatermarkStrategy<i64>, clock: &ManualClock, splits: &[&str]) -> SplitWatermarks<i64> {
    let mut config = Configuration::new();
    config.set(AUTO_WATERMARK_INTERVAL.key, "100 ms");
    let ctx = OperatorContext::new("source", OperatorUid("s".into()), 0, 1, 128)
        .with_clock(Arc::new(clock.clone()))
        .with_config(Arc::new(config));
    let mut watermarks = SplitWatermarks::new(strategy, &ctx).expect("starts");
    for split in splits {
        watermarks.add_split(id(split));
    }
    watermarks
}

fn id(name: &str) -> SplitId {
    SplitId::new(name)
}

fn records(values: &[i64]) -> Batch<i64> {
    values.iter().map(|v| Record::new(*v)).collect()
}

fn bounded(bound_ms: u64) -> WatermarkStrategy<i64> {
    WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(bound_ms))
        .with_timestamp_assigner(|v: &i64, _| *v)
}

fn tick(watermarks: &mut SplitWatermarks<i64>, clock: &ManualClock, emit: &mut Recorded) {
    clock.advance(Duration::from_millis(100));
    let now = clock.now_millis();
    assert!(watermarks.next_processing_time().is_some_and(|t| t <= now), "the periodic emission is due");
    watermarks.on_processing_time(now, emit).expect("periodic emit");
}

#[test]
fn the_subtask_watermark_is_the_minimum_over_its_splits_so_the_earlier_split_is_not_late() {
    let clock = ManualClock::new(0);
    let mut w = start(bounded(10), &clock, &["early", "late"]);
    let mut emit = Recorded::default();
    w.publish(&mut emit).expect("publish");
    assert!(emit.take().is_empty(), "two splits at MIN: active, no watermark");
    // The reader reads the later split first, as a rotating reader does.
    w.process_batch(Some(id("late")), records(&[30_000, 30_001]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[30000, 30001]"], "the early split, not read yet, holds the watermark at MIN");
    w.process_batch(Some(id("early")), records(&[0, 1, 2]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[0, 1, 2]", "wm-9"], "the early split's records are not late");
    w.process_batch(Some(id("early")), records(&[40_000]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[40000]", "wm29990"]);
}

#[test]
fn punctuated_watermarks_are_published_right_after_their_record_as_the_minimum() {
    let clock = ManualClock::new(0);
    let strategy = WatermarkStrategy::for_generator(|| Punctuated { bound: 0, max: i64::MIN + 1 })
        .with_timestamp_assigner(|v: &i64, _| *v);
    let mut w = start(strategy, &clock, &["a", "b"]);
    let mut emit = Recorded::default();
    w.process_batch(Some(id("a")), records(&[100, 200]), &mut emit).expect("batch");
    assert_eq!(emit.take(), ["[100]", "[200]"], "b still at MIN");
    w.process_batch(Some(id("b")), records(&[150, 300]), &mut emit).expect("batch");
    assert_eq!(emit.take(), ["[150]", "wm149", "[300]", "wm199"]);
}

#[test]
fn an_idle_split_stops_holding_the_subtask_back_and_all_idle_makes_it_idle() {
    let clock = ManualClock::new(0);
    let mut w = start(bounded(0).with_idleness(Duration::from_millis(250)), &clock, &["busy", "quiet"]);
    let mut emit = Recorded::default();
    w.process_batch(Some(id("quiet")), records(&[10]), &mut emit).expect("batch");
    w.process_batch(Some(id("busy")), records(&[1_000]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[10]", "[1000]", "wm9"]);
    w.process_batch(Some(id("busy")), records(&[1_100]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[1100]"], "quiet still holds it at 9");
    w.process_batch(Some(id("busy")), records(&[1_200]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[1200]", "wm1199"], "quiet went idle after 250 ms: busy alone decides");
    tick(&mut w, &clock, &mut emit);
    tick(&mut w, &clock, &mut emit);
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["Idle"], "busy went quiet too: the subtask is idle");
    w.process_batch(Some(id("quiet")), records(&[2_000]), &mut emit).expect("batch");
    w.publish(&mut emit).expect("publish");
    assert_eq!(emit.take(), ["[2000]", "Active"], "active again with a record, the watermark unchanged");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["wm1999"]);
}

#[test]
fn a_finished_split_no_longer_counts_and_the_watermark_never_goes_backwards() {
    let clock = ManualClock::new(0);
    let mut w = start(bounded(0), &clock, &["a", "b"]);
    let mut emit = Recorded::default();
    w.process_batch(Some(id("a")), records(&[500]), &mut emit).expect("batch");
    w.process_batch(Some(id("b")), records(&[100]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[500]", "[100]", "wm99"]);
    w.finish_split(&id("b"));
    w.publish(&mut emit).expect("publish");
    assert_eq!(emit.take(), ["wm499"], "b is done: a alone decides at once");
    w.add_split(id("c"));
    w.process_batch(Some(id("c")), records(&[50]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[50]"], "a new split below the watermark does not move it back");
    w.finish_split(&id("a"));
    w.finish_split(&id("c"));
    w.publish(&mut emit).expect("publish");
    assert!(emit.take().is_empty(), "all finished: not idle (the reader is about to finish), nothing to publish");
}

#[test]
fn a_subtask_without_splits_is_idle() {
    let clock = ManualClock::new(0);
    let mut w = start(bounded(0), &clock, &[]);
    let mut emit = Recorded::default();
    w.publish(&mut emit).expect("publish");
    assert_eq!(emit.take(), ["Idle"]);
    tick(&mut w, &clock, &mut emit);
    assert!(emit.take().is_empty(), "reported once");
}

#[test]
fn records_of_a_split_never_handed_over_count_from_their_first_batch() {
    let clock = ManualClock::new(0);
    let mut w = start(bounded(0), &clock, &["a"]);
    let mut emit = Recorded::default();
    w.process_batch(Some(id("a")), records(&[100]), &mut emit).expect("batch");
    w.process_batch(Some(id("surprise")), records(&[50]), &mut emit).expect("batch");
    tick(&mut w, &clock, &mut emit);
    assert_eq!(emit.take(), ["[100]", "[50]", "wm49"]);
    let error = w.process_batch(None, records(&[1]), &mut emit).expect_err("untagged");
    assert!(error.to_string().contains("untagged"), "{error}");
}
