//! Side outputs: process functions emit to tagged outputs of their own types, consumed as
//! streams of their own — also several times, and from keyed functions.

use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

#[derive(Clone)]
struct Split {
    odd: OutputTag<u64>,
    words: OutputTag<String>,
}

impl ProcessFunction<u64, u64> for Split {
    fn process_element(&mut self, value: u64, ctx: &mut ProcessContext<'_, u64>) -> Result<()> {
        if value.is_multiple_of(2) {
            ctx.collect(value);
        } else {
            ctx.output(&self.odd, value);
        }
        if value.is_multiple_of(10) {
            ctx.output(&self.words, format!("ten-{value}"));
        }
        Ok(())
    }
}

#[test]
fn records_go_to_the_main_and_side_outputs_of_their_kind() {
    for p in [1, 2] {
        let env = StreamExecutionEnvironment::new();
        env.set_parallelism(p).set_config("weir.progress", "false");
        let odd = OutputTag::<u64>::new("odd");
        let words = OutputTag::<String>::new("words");
        let split =
            env.from_collection((0u64..100).collect()).process(Split { odd: odd.clone(), words: words.clone() });
        let (evens, odds, odds_again, tens) =
            (CollectSink::new(), CollectSink::new(), CollectSink::new(), CollectSink::new());
        split.sink_to(evens.clone());
        split.get_side_output(&odd).sink_to(odds.clone());
        split.get_side_output(&odd).map(|x| x * 100).sink_to(odds_again.clone());
        split.get_side_output(&words).sink_to(tens.clone());
        env.execute("side outputs").expect("job runs");
        assert_eq!(evens.sorted_values(), (0u64..100).filter(|x| x % 2 == 0).collect::<Vec<_>>(), "p={p}");
        assert_eq!(odds.sorted_values(), (0u64..100).filter(|x| x % 2 == 1).collect::<Vec<_>>(), "p={p}");
        assert_eq!(odds_again.sorted_values(), (0u64..100).filter(|x| x % 2 == 1).map(|x| x * 100).collect::<Vec<_>>());
        let mut want: Vec<String> = (0u64..100).step_by(10).map(|v| format!("ten-{v}")).collect();
        want.sort();
        assert_eq!(tens.sorted_values(), want, "p={p}");
    }
}

#[derive(Clone)]
struct Duplicates {
    seen: ValueStateDescriptor<bool>,
    repeats: OutputTag<(String, i64)>,
}

impl KeyedProcessFunction<String, (String, i64), String> for Duplicates {
    fn process_element(&mut self, (key, ts): (String, i64), ctx: &mut KeyedContext<'_, String, String>) -> Result<()> {
        if ctx.value(&self.seen)?.value().unwrap_or(false) {
            ctx.output(&self.repeats, (key, ts));
        } else {
            ctx.value(&self.seen)?.update(true);
            ctx.collect(key);
        }
        Ok(())
    }
}

#[test]
fn a_keyed_function_sends_repeats_to_a_side_output_with_their_timestamps() {
    // Which record of a key comes first must not be a race: source and assigner run at
    // parallelism 1 (their order is the collection's), the keyed function at 2.
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(1).set_config("weir.progress", "false");
    let repeats = OutputTag::<(String, i64)>::new("repeats");
    let events: Vec<(String, i64)> =
        ["a", "b", "a", "c", "b", "a"].iter().enumerate().map(|(i, k)| (k.to_string(), i as i64 * 10)).collect();
    let firsts = env
        .from_collection(events)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(String, i64), _| e.1),
        )
        .key_by(|(k, _): &(String, i64)| k.clone())
        .process(Duplicates { seen: ValueStateDescriptor::new("seen"), repeats: repeats.clone() })
        .set_parallelism(2);
    let (first_sink, repeat_sink) = (CollectSink::new(), CollectSink::new());
    firsts.sink_to(first_sink.clone());
    firsts.get_side_output(&repeats).sink_to(repeat_sink.clone());
    env.execute("dedup").expect("job runs");
    assert_eq!(first_sink.sorted_values(), ["a", "b", "c"]);
    let mut got: Vec<(String, i64, Option<i64>)> =
        repeat_sink.records().into_iter().map(|r| (r.value.0, r.value.1, r.timestamp)).collect();
    got.sort();
    assert_eq!(
        got,
        [("a".to_string(), 20, Some(20)), ("a".to_string(), 50, Some(50)), ("b".to_string(), 40, Some(40))]
    );
}

#[test]
fn naming_a_side_output_stream_is_reported() {
    let env = StreamExecutionEnvironment::new();
    let tag = OutputTag::<u64>::new("t");
    let s = env.from_collection(vec![1u64]).process(Split { odd: tag.clone(), words: OutputTag::new("w") });
    s.get_side_output(&tag).name("not an operator").sink_to(CollectSink::new());
    let err = env.execute("bad").expect_err("refused").to_string();
    assert!(err.contains("name() applies to one operator") && err.contains("side output"), "{err}");
}
