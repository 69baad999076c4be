//! Checkpoints in a running job, without failures: barriers flow, every subtask acknowledges,
//! `_metadata` is written in the agreed layout, and the job result carries the history.

mod common;

use std::time::Duration;
use weir_connectors::DataGenSource;
use weir_runtime::CheckpointingMode;
use weir_testkit::CollectSink;

#[test]
fn a_bounded_job_completes_a_final_checkpoint_and_finishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = common::env(2);
    env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
        .set_config("state.checkpoints.dir", dir.path().display().to_string())
        .set_config("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    let sink = CollectSink::new();
    env.from_source(DataGenSource::new(|i| i).with_count(50_000), "numbers")
        .map(|x| x * 2)
        .rebalance()
        .filter(|x| x % 3 == 0)
        .sink_to(sink.clone());
    let result = env.execute("smoke").expect("job");
    let mut values = sink.values();
    values.sort_unstable();
    let expected: Vec<u64> = (0..50_000).map(|x| x * 2).filter(|x| x % 3 == 0).collect();
    assert_eq!(values, expected);
    let completed: Vec<_> = result.checkpoints.iter().filter(|c| c.completed).collect();
    assert!(!completed.is_empty(), "at least the final checkpoint completes: {:?}", result.checkpoints);
    println!("{result}");
}

/// Reducing and aggregating state with a TTL, through a keyed process function, restored after
/// a failure: the per-key totals equal the failure-free ones.
mod reducing_and_aggregating_state {
    use super::*;
    use std::sync::Arc;
    use weir_runtime::prelude::*;
    use weir_testkit::{Average, RandomFaults};

    #[derive(Clone)]
    struct Totals {
        sum: ReducingStateDescriptor<u64>,
        average: AggregatingStateDescriptor<u64, (u64, u64), u64>,
    }

    impl KeyedProcessFunction<u64, u64, (u64, u64, u64)> for Totals {
        fn process_element(&mut self, value: u64, ctx: &mut KeyedContext<'_, u64, (u64, u64, u64)>) -> Result<()> {
            let key = *ctx.current_key();
            ctx.reducing(&self.sum)?.add(value);
            let sum = ctx.reducing(&self.sum)?.get().copied().unwrap_or(0);
            let mut average = ctx.aggregating(&self.average)?;
            average.add(&value);
            let average = average.get().unwrap_or(0);
            ctx.collect((key, sum, average));
            Ok(())
        }
    }

    fn run(faults: Option<Arc<RandomFaults>>, dir: &std::path::Path) -> Vec<(u64, u64, u64)> {
        let env = common::env(2);
        env.enable_checkpointing(Duration::from_millis(10), CheckpointingMode::ExactlyOnce)
            .set_config("state.checkpoints.dir", dir.display().to_string())
            .set_config("restart-strategy.type", "fixed-delay")
            .set_config("restart-strategy.fixed-delay.attempts", "1000")
            .set_config("restart-strategy.fixed-delay.delay", "0 ms");
        if let Some(faults) = faults {
            env.set_fault_injector(faults);
        }
        let ttl = StateTtlConfig::new(Duration::from_secs(3600));
        let totals = Totals {
            sum: ReducingStateDescriptor::new("sum", |a: &u64, b: &u64| a + b).with_ttl(ttl),
            average: AggregatingStateDescriptor::new("average", Average),
        };
        let sink = CollectSink::new();
        env.from_source(DataGenSource::new(|i| i).with_count(30_000).with_rate_limit(60_000.0), "numbers")
            .key_by(|x: &u64| x % 7)
            .process(totals)
            .sink_to(sink.clone());
        env.execute("totals").expect("job");
        // The last output per key is its final total, whatever was replayed.
        let mut last = std::collections::BTreeMap::new();
        for (key, sum, average) in sink.values() {
            let entry = last.entry(key).or_insert((0, 0));
            if sum >= entry.0 {
                *entry = (sum, average);
            }
        }
        last.into_iter().map(|(k, (s, a))| (k, s, a)).collect()
    }

    #[test]
    fn totals_survive_failures() {
        let dir = tempfile::tempdir().expect("tempdir");
        let expected = run(None, &dir.path().join("a"));
        assert_eq!(expected.len(), 7);
        let faults = Arc::new(RandomFaults::new(11, 3));
        let got = run(Some(Arc::clone(&faults)), &dir.path().join("b"));
        assert!(!faults.fired().is_empty(), "a failure was injected");
        assert_eq!(got, expected, "injected: {:?}", faults.fired());
    }
}
