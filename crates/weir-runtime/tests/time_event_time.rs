//! Event time end to end: timestamps, watermarks from a generator, event-time timers per key,
//! lateness as seen from a function, and the final watermark of a bounded input.

use weir_core::watermark::{WatermarkGenerator, WatermarkOutput};
use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

/// A punctuated generator: after every record, the watermark trails the highest timestamp by
/// `bound` (deterministic in a job, unlike periodic emission).
struct Punctuated {
    bound: i64,
    max: i64,
}

impl<T> WatermarkGenerator<T> for Punctuated {
    fn on_event(&mut self, _event: &T, timestamp: Timestamp, output: &mut WatermarkOutput) {
        self.max = self.max.max(timestamp);
        output.emit_watermark(Watermark(self.max - self.bound - 1));
    }
    fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
}

fn env() -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(1).set_config("weir.progress", "false");
    env
}

/// Counts records per key in 1-second buckets of event time, emitting a bucket's count when the
/// watermark passes its end; records whose bucket already fired are reported as late.
#[derive(Clone)]
struct BucketCounts {
    counts: MapStateDescriptor<i64, u64>,
}

impl KeyedProcessFunction<String, (String, i64), String> for BucketCounts {
    fn process_element(&mut self, (key, ts): (String, i64), ctx: &mut KeyedContext<'_, String, String>) -> Result<()> {
        let bucket_end = ts - ts.rem_euclid(1000) + 1000;
        if bucket_end - 1 <= ctx.timer_service().current_watermark().0 {
            ctx.collect(format!("late {key}@{ts}"));
            return Ok(());
        }
        let mut counts = ctx.map(&self.counts)?;
        let n = counts.get(&bucket_end).copied().unwrap_or(0) + 1;
        counts.put(bucket_end, n);
        ctx.timer_service().register_event_time_timer(bucket_end - 1);
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, String, String>,
    ) -> Result<()> {
        assert_eq!(domain, TimeDomain::EventTime);
        let bucket_end = timestamp + 1;
        let key = ctx.current_key().clone();
        let n = ctx.map(&self.counts)?.remove(&bucket_end).unwrap_or(0);
        let watermark = ctx.timer_service().current_watermark();
        ctx.collect(format!("{key} [{}, {bucket_end}) = {n} (watermark {watermark})", bucket_end - 1000));
        Ok(())
    }
}

#[test]
fn out_of_order_records_are_counted_until_the_watermark_passes_then_late() {
    let events: Vec<(String, i64)> = [
        ("a", 1_000),
        ("a", 1_500),
        ("b", 1_200),
        ("a", 800),   // 800: out of order, bucket [0,1000) still open
        ("a", 2_600), // watermark 1_599: [0,1000) fires (its last millisecond is 999)
        ("b", 3_100), // watermark 2_099: [1000,2000) fires for a and b
        ("a", 1_900), // late: its bucket fired
        ("a", 2_700),
        ("b", 2_050), // on time: [2000,3000) still open
    ]
    .into_iter()
    .map(|(k, t)| (k.to_string(), t))
    .collect();
    let env = env();
    let sink = CollectSink::new();
    env.from_collection(events)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(|| Punctuated { bound: 1_000, max: i64::MIN + 1_001 })
                .with_timestamp_assigner(|(_, ts): &(String, i64), _| *ts),
        )
        .key_by(|(k, _): &(String, i64)| k.clone())
        .process(BucketCounts { counts: MapStateDescriptor::new("counts") })
        .sink_to(sink.clone());
    env.execute("buckets").expect("job runs");
    let got: Vec<String> = sink.records().into_iter().map(|r| format!("{} @{:?}", r.value, r.timestamp)).collect();
    assert_eq!(
        got,
        [
            "a [0, 1000) = 1 (watermark 1599) @Some(999)",
            "a [1000, 2000) = 2 (watermark 2099) @Some(1999)",
            "b [1000, 2000) = 1 (watermark 2099) @Some(1999)",
            "late a@1900 @Some(1900)",
            // The end of the bounded input: the final watermark fires the rest, in time order.
            "a [2000, 3000) = 2 (watermark +inf) @Some(2999)",
            "b [2000, 3000) = 1 (watermark +inf) @Some(2999)",
            "b [3000, 4000) = 1 (watermark +inf) @Some(3999)",
        ]
    );
}

/// Registers timers in a messy way: duplicates, a deleted one, and one registered from a timer.
#[derive(Clone)]
struct TimerChecks;

impl KeyedProcessFunction<u32, (u32, i64), String> for TimerChecks {
    fn process_element(&mut self, (_, ts): (u32, i64), ctx: &mut KeyedContext<'_, u32, String>) -> Result<()> {
        let mut timers = ctx.timer_service();
        timers.register_event_time_timer(ts + 100);
        timers.register_event_time_timer(ts + 100); // deduplicated
        timers.register_event_time_timer(ts + 50);
        timers.delete_event_time_timer(ts + 50); // cancelled
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, u32, String>,
    ) -> Result<()> {
        let key = *ctx.current_key();
        ctx.collect(format!("k{key}@{timestamp}"));
        if timestamp % 1000 == 100 {
            // A follow-up timer from inside a timer, below the current watermark: fires in the
            // same pass, after the timers already due before it.
            ctx.timer_service().register_event_time_timer(timestamp + 1);
        }
        Ok(())
    }
}

#[test]
fn timers_fire_once_in_timestamp_order_across_keys() {
    let env = env();
    let sink = CollectSink::new();
    env.from_collection(vec![(1u32, 1_000i64), (2, 500), (1, 2_000), (3, 700), (2, 1_000)])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::no_watermarks().with_timestamp_assigner(|(_, ts): &(u32, i64), _| *ts),
        )
        .key_by(|(k, _): &(u32, i64)| *k)
        .process(TimerChecks)
        .sink_to(sink.clone());
    env.execute("timers").expect("job runs");
    assert_eq!(sink.values(), ["k2@600", "k3@800", "k1@1100", "k2@1100", "k1@1101", "k2@1101", "k1@2100", "k1@2101"]);
}

#[test]
fn a_watermark_never_goes_backwards_through_the_assigner() {
    /// Emits the record's own timestamp as the watermark: out-of-order records would move it
    /// back; the operator must not let them.
    struct Echo;
    impl WatermarkGenerator<i64> for Echo {
        fn on_event(&mut self, _event: &i64, timestamp: Timestamp, output: &mut WatermarkOutput) {
            output.emit_watermark(Watermark(timestamp));
        }
        fn on_periodic_emit(&mut self, _output: &mut WatermarkOutput) {}
    }
    #[derive(Clone)]
    struct SeeWatermark;
    impl KeyedProcessFunction<u8, i64, i64> for SeeWatermark {
        fn process_element(&mut self, _value: i64, ctx: &mut KeyedContext<'_, u8, i64>) -> Result<()> {
            let watermark = ctx.timer_service().current_watermark().0;
            ctx.collect(watermark);
            Ok(())
        }
    }
    let env = env();
    env.set_config("execution.batch-size", "1").set_buffer_timeout(std::time::Duration::ZERO);
    let sink = CollectSink::new();
    env.from_collection(vec![10i64, 30, 20, 40])
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_generator(|| Echo).with_timestamp_assigner(|v: &i64, _| *v),
        )
        .key_by(|_| 0u8)
        .process(SeeWatermark)
        .sink_to(sink.clone());
    env.execute("monotone").expect("job runs");
    let seen = sink.values();
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "watermarks seen by the function went backwards: {seen:?}");
}
