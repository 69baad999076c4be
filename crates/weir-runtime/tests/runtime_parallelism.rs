//! Jobs run at parallelism 1, 2 and 4 give the same result as a sequential reference.

use std::collections::BTreeMap;
use weir_connectors::{DataGenSource, FileSource};
use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

const PARALLELISMS: [usize; 3] = [1, 2, 4];

fn env(parallelism: usize) -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(parallelism)
        .set_config("taskmanager.numberOfTaskSlots", "4")
        .set_config("weir.progress", "false");
    env
}

fn words(i: u64) -> String {
    const VOCABULARY: [&str; 7] = ["the", "weir", "holds", "back", "the", "river", "flow"];
    (0..(i % 5 + 1)).map(|j| VOCABULARY[((i * 7 + j * 3) % 7) as usize]).collect::<Vec<_>>().join(" ")
}

fn reference_counts(n: u64) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for i in 0..n {
        for w in words(i).split(' ') {
            *counts.entry(w.to_string()).or_default() += 1;
        }
    }
    counts
}

#[test]
fn word_count_with_reduce_matches_a_sequential_count() {
    let n = 20_000;
    let reference = reference_counts(n);
    for p in PARALLELISMS {
        let env = env(p);
        let sink = CollectSink::new();
        env.from_source(DataGenSource::new(words).with_count(n), "Lines")
            .flat_map(|line: String| line.split(' ').map(|w| (w.to_string(), 1u64)).collect::<Vec<_>>())
            .key_by(|(word, _): &(String, u64)| word.clone())
            .reduce(|(w, a), (_, b)| (w, a + b))
            .sink_to(sink.clone());
        let result = env.execute("word count").expect("job runs");
        // The rolling reduce emits every intermediate count; the largest per word is the final.
        let mut finals = BTreeMap::new();
        for (word, count) in sink.values() {
            let c: &mut u64 = finals.entry(word).or_default();
            *c = (*c).max(count);
        }
        assert_eq!(finals, reference, "parallelism {p}");
        let total_words: u64 = reference.values().sum();
        assert_eq!(result.operator("Keyed Reduce").expect("reduce").records_in, total_words, "parallelism {p}");
        assert_eq!(result.operator("Source: Lines").expect("source").records_out, n, "parallelism {p}");
    }
}

/// Keeps value, list and map state per key and emits a summary when a key's 10th record arrives.
#[derive(Clone)]
struct Summarize {
    count: ValueStateDescriptor<u64>,
    recent: ListStateDescriptor<u64>,
    by_parity: MapStateDescriptor<bool, u64>,
}

impl KeyedProcessFunction<u64, (u64, u64), (u64, u64, Vec<u64>, u64)> for Summarize {
    fn process_element(
        &mut self,
        (key, value): (u64, u64),
        ctx: &mut KeyedContext<'_, u64, (u64, u64, Vec<u64>, u64)>,
    ) -> Result<()> {
        assert_eq!(*ctx.current_key(), key);
        let count = ctx.value(&self.count)?.value().unwrap_or(0) + 1;
        ctx.value(&self.count)?.update(count);
        ctx.list(&self.recent)?.add(value);
        let mut parity = ctx.map(&self.by_parity)?;
        let even = parity.get(&(value % 2 == 0)).copied().unwrap_or(0);
        parity.put(value % 2 == 0, even + value);
        if count == 10 {
            let recent = ctx.list(&self.recent)?.take();
            let evens = ctx.map(&self.by_parity)?.get(&true).copied().unwrap_or(0);
            ctx.collect((key, count, recent, evens));
        }
        Ok(())
    }
}

#[test]
fn keyed_state_is_per_key_at_every_parallelism() {
    let keys = 50u64;
    let n = keys * 10;
    // Record i belongs to key i % keys; each key sees values in increasing order of i
    // only per producing subtask, so compare sorted lists.
    let mut reference: Vec<(u64, u64, Vec<u64>, u64)> = (0..keys)
        .map(|k| {
            let values: Vec<u64> = (0..10).map(|j| k + j * keys).collect();
            let evens = values.iter().filter(|v| *v % 2 == 0).sum();
            (k, 10, values, evens)
        })
        .collect();
    reference.sort();
    for p in PARALLELISMS {
        let env = env(p);
        let sink = CollectSink::new();
        env.from_source(DataGenSource::new(move |i| (i % keys, i)).with_count(n), "Pairs")
            .key_by(|(k, _): &(u64, u64)| *k)
            .process(Summarize {
                count: ValueStateDescriptor::new("count"),
                recent: ListStateDescriptor::new("recent"),
                by_parity: MapStateDescriptor::new("by-parity"),
            })
            .uid("summarize")
            .sink_to(sink.clone());
        env.execute("keyed state").expect("job runs");
        let mut got: Vec<_> = sink
            .values()
            .into_iter()
            .map(|(k, c, mut l, e)| {
                l.sort();
                (k, c, l, e)
            })
            .collect();
        got.sort();
        assert_eq!(got, reference, "parallelism {p}");
    }
}

#[test]
fn union_connect_and_partitionings_deliver_every_record() {
    for p in PARALLELISMS {
        let env = env(p);
        let evens = env.from_collection((0u64..500).map(|i| i * 2).collect());
        let odds = env.from_collection((0u64..500).map(|i| i * 2 + 1).collect());
        let all = CollectSink::new();
        evens.union(&[&odds]).rebalance().map(|x| x + 1000).sink_to(all.clone());

        let labels = CollectSink::new();
        let names = env.from_collection(vec!["a".to_string(), "b".to_string()]);
        evens.connect(&names).map(|n| format!("n{n}"), |s| format!("s{s}")).rescale().sink_to(labels.clone());

        let everywhere = CollectSink::new();
        env.from_collection(vec![7u64]).broadcast().map(|x| x).sink_to(everywhere.clone());

        env.execute("partitionings").expect("job runs");
        assert_eq!(all.sorted_values(), (1000u64..2000).collect::<Vec<_>>(), "parallelism {p}");
        let mut want: Vec<String> = (0u64..500).map(|i| format!("n{}", i * 2)).collect();
        want.extend(["sa".to_string(), "sb".to_string()]);
        want.sort();
        assert_eq!(labels.sorted_values(), want, "parallelism {p}");
        assert_eq!(everywhere.values(), vec![7u64; p], "broadcast reaches each of the {p} subtasks");
    }
}

/// Joins prices and orders by product: both inputs share the keyed state of the product.
#[derive(Clone)]
struct Enrich {
    price: ValueStateDescriptor<u64>,
    waiting: ListStateDescriptor<u64>,
}

impl KeyedCoProcessFunction<String, (String, u64), (String, u64), (String, u64)> for Enrich {
    fn process_element1(
        &mut self,
        (_, price): (String, u64),
        ctx: &mut KeyedContext<'_, String, (String, u64)>,
    ) -> Result<()> {
        ctx.value(&self.price)?.update(price);
        let waiting = ctx.list(&self.waiting)?.take();
        let product = ctx.current_key().clone();
        for quantity in waiting {
            ctx.collect((product.clone(), quantity * price));
        }
        Ok(())
    }

    fn process_element2(
        &mut self,
        (product, quantity): (String, u64),
        ctx: &mut KeyedContext<'_, String, (String, u64)>,
    ) -> Result<()> {
        match ctx.value(&self.price)?.value() {
            Some(price) => ctx.collect((product, quantity * price)),
            None => ctx.list(&self.waiting)?.add(quantity),
        }
        Ok(())
    }
}

#[test]
fn keyed_connect_shares_state_between_inputs() {
    let products = ["apple", "pear", "plum", "fig"];
    for p in PARALLELISMS {
        let env = env(p);
        let prices =
            env.from_collection(products.iter().enumerate().map(|(i, n)| (n.to_string(), i as u64 + 1)).collect());
        let orders = env.from_collection((0u64..400).map(|i| (products[(i % 4) as usize].to_string(), i)).collect());
        let sink = CollectSink::new();
        prices
            .connect(&orders)
            .key_by(|(n, _): &(String, u64)| n.clone(), |(n, _): &(String, u64)| n.clone())
            .process(Enrich { price: ValueStateDescriptor::new("price"), waiting: ListStateDescriptor::new("waiting") })
            .sink_to(sink.clone());
        env.execute("enrich").expect("job runs");
        let mut want: Vec<(String, u64)> =
            (0u64..400).map(|i| (products[(i % 4) as usize].to_string(), i * (i % 4 + 1))).collect();
        want.sort();
        assert_eq!(sink.sorted_values(), want, "parallelism {p}");
    }
}

#[test]
fn a_bounded_file_job_reads_every_line_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut reference = Vec::new();
    for f in 0..5 {
        let lines: Vec<String> = (0..200).map(|i| format!("file{f} line{i}")).collect();
        std::fs::write(dir.path().join(format!("part-{f}.txt")), lines.join("\n") + "\n").expect("write");
        reference.extend(lines);
    }
    reference.sort();
    for p in PARALLELISMS {
        let env = env(p);
        let sink = CollectSink::new();
        env.from_source(FileSource::new(dir.path()), "Files").filter(|l: &String| !l.is_empty()).sink_to(sink.clone());
        env.execute("files").expect("job runs");
        assert_eq!(sink.sorted_values(), reference, "parallelism {p}");
    }
}

#[test]
fn a_process_function_sees_timestamps_and_the_end_of_input() {
    #[derive(Clone)]
    struct CountThenTotal(u64);
    impl ProcessFunction<u64, String> for CountThenTotal {
        fn process_element(&mut self, value: u64, ctx: &mut ProcessContext<'_, String>) -> Result<()> {
            self.0 += value;
            ctx.collect_with_timestamp(format!("v{value}"), value as i64);
            Ok(())
        }
        fn on_end_of_input(&mut self, ctx: &mut ProcessContext<'_, String>) -> Result<()> {
            ctx.collect(format!("total{}", self.0));
            Ok(())
        }
    }
    let env = env(1);
    let sink = CollectSink::new();
    env.from_collection(vec![1u64, 2, 3]).process(CountThenTotal(0)).sink_to(sink.clone());
    env.execute("process").expect("job runs");
    let records = sink.records();
    assert_eq!(records.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(), ["v1", "v2", "v3", "total6"]);
    assert_eq!(records.iter().map(|r| r.timestamp).collect::<Vec<_>>(), [Some(1), Some(2), Some(3), None]);
}
