use super::*;
use std::time::Duration;
use weir_core::OperatorUid;
use weir_core::config::Configuration;
use weir_core::output::Emitted;
use weir_core::record::Record;
use weir_testkit::ManualClock;

fn start(
    strategy: WatermarkStrategy<i64>,
    clock: &ManualClock,
    interval_ms: u64,
) -> TimestampsAndWatermarksOperator<i64> {
    let mut config = Configuration::new();
    config.set(AUTO_WATERMARK_INTERVAL.key, format!("{interval_ms} ms"));
    let ctx = OperatorContext::new("assigner", OperatorUid("a".into()), 0, 1, 128)
        .with_clock(Arc::new(clock.clone()))
        .with_config(Arc::new(config));
    let mut op = TimestampsAndWatermarksOperator::new(strategy);
    op.on_start(&ctx).expect("starts");
    op
}

fn drain(out: &mut Output<i64>) -> Vec<String> {
    std::iter::from_fn(|| out.pop())
        .map(|e| match e {
            Emitted::Batch(b) => format!("{:?}", b.iter().map(|r| (r.value, r.timestamp)).collect::<Vec<_>>()),
            Emitted::Watermark(w) => format!("wm{w}"),
            Emitted::WatermarkStatus(s) => format!("{s:?}"),
            Emitted::Side { tag, .. } => format!("side {tag}"),
        })
        .collect()
}

fn tick(op: &mut TimestampsAndWatermarksOperator<i64>, clock: &ManualClock, out: &mut Output<i64>) {
    let now = clock.now_millis();
    if op.next_processing_time().is_some_and(|t| t <= now) {
        op.on_processing_time(now, out).expect("periodic emit");
    }
}

#[test]
fn periodic_watermarks_follow_the_interval() {
    let clock = ManualClock::new(10_000);
    let strategy = WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(100))
        .with_timestamp_assigner(|v: &i64, _| *v);
    let mut op = start(strategy, &clock, 200);
    let mut out = Output::new();
    assert_eq!(op.next_processing_time(), Some(10_200));
    op.process_batch(vec![Record::new(500), Record::new(300)], &mut out).expect("batch");
    assert_eq!(drain(&mut out), ["[(500, Some(500)), (300, Some(300))]"], "periodic: nothing until the interval");
    clock.advance(Duration::from_millis(199));
    tick(&mut op, &clock, &mut out);
    assert!(drain(&mut out).is_empty());
    clock.advance(Duration::from_millis(1));
    tick(&mut op, &clock, &mut out);
    assert_eq!(drain(&mut out), ["wm399"]);
    assert_eq!(op.next_processing_time(), Some(10_400));
    clock.advance(Duration::from_millis(200));
    tick(&mut op, &clock, &mut out);
    assert!(drain(&mut out).is_empty(), "an unchanged watermark is not sent again");
}

#[test]
fn an_idle_stream_is_marked_idle_and_active_again_with_its_next_record() {
    let clock = ManualClock::new(0);
    let strategy = WatermarkStrategy::for_monotonous_timestamps()
        .with_timestamp_assigner(|v: &i64, _| *v)
        .with_idleness(Duration::from_millis(1_000));
    let mut op = start(strategy, &clock, 200);
    let mut out = Output::new();
    op.process_batch(vec![Record::new(50)], &mut out).expect("batch");
    for _ in 0..5 {
        clock.advance(Duration::from_millis(200));
        tick(&mut op, &clock, &mut out);
    }
    assert_eq!(drain(&mut out), ["[(50, Some(50))]", "wm49", "Idle"]);
    op.process_batch(vec![Record::new(70)], &mut out).expect("batch");
    clock.advance(Duration::from_millis(200));
    tick(&mut op, &clock, &mut out);
    assert_eq!(drain(&mut out), ["[(70, Some(70))]", "Active", "wm69"]);
}

#[test]
fn ingestion_time_stamps_records_with_the_clock() {
    let clock = ManualClock::new(42_000);
    let mut op = start(WatermarkStrategy::ingestion_time(), &clock, 0);
    assert_eq!(op.next_processing_time(), None, "an interval of 0 turns periodic emission off");
    let mut out = Output::new();
    op.process_batch(vec![Record::with_timestamp(1, 5), Record::new(2)], &mut out).expect("batch");
    assert_eq!(drain(&mut out), ["[(1, Some(42000)), (2, Some(42000))]"]);
}

#[test]
fn upstream_watermarks_are_replaced_but_the_final_one_passes() {
    let clock = ManualClock::new(0);
    let mut op = start(WatermarkStrategy::no_watermarks(), &clock, 200);
    let mut out = Output::new();
    op.handle_watermark(Watermark(500), &mut out).expect("watermark");
    assert!(drain(&mut out).is_empty());
    op.handle_watermark(Watermark::MAX, &mut out).expect("watermark");
    assert_eq!(drain(&mut out), ["wm+inf"]);
}
