//! `keyed-count`: datagen of `(key, value)` → `key_by(key)` → a keyed process function keeping a
//! running count and sum per key in one `ValueState` and emitting `(key, count, sum)` for every
//! record → blackhole.
//!
//! Keys are `random_range(SEED, i, keys)`, uniform over `0..keys` (`--keys`, default 10,000);
//! values are small pseudo-random numbers. It measures the hash exchange (key-group assignment
//! and per-record routing into channel buffers) plus keyed-state access: always an exchange,
//! even at P = 1, where the source chain and the keyed chain run on two threads.

use super::{DEFAULT_KEYS, Run, SEED, Workload, WorkloadParams};
use weir_connectors::{BlackholeSink, DataGenSource, random_range, random_u64};
use weir_runtime::prelude::*;

pub const WORKLOAD: Workload = Workload {
    name: "keyed-count",
    description: "datagen (key, value) -> key_by -> count and sum per key in ValueState -> blackhole",
    default_events: 50_000_000,
    default_keys: DEFAULT_KEYS,
    samples_rss: false,
    run: Run::Job(build),
};

fn build(env: &StreamExecutionEnvironment, params: &WorkloadParams) -> anyhow::Result<()> {
    let keys = params.keys;
    env.from_source(
        DataGenSource::new(move |i| (random_range(SEED, i, keys), random_u64(SEED ^ 1, i) % 1_000))
            .with_count(params.events),
        "DataGen",
    )
    .key_by(|&(key, _): &(u64, u64)| key)
    .process(CountAndSum::new())
    .uid("count-and-sum")
    .sink_to(BlackholeSink::new());
    Ok(())
}

/// Per key: how many records, and the sum of their values.
#[derive(Clone)]
struct CountAndSum {
    totals: ValueStateDescriptor<(u64, u64)>,
}

impl CountAndSum {
    fn new() -> Self {
        CountAndSum { totals: ValueStateDescriptor::new("count-and-sum") }
    }
}

impl KeyedProcessFunction<u64, (u64, u64), (u64, u64, u64)> for CountAndSum {
    fn process_element(
        &mut self,
        (key, value): (u64, u64),
        ctx: &mut KeyedContext<'_, u64, (u64, u64, u64)>,
    ) -> Result<()> {
        let mut totals = ctx.value(&self.totals)?;
        let (count, sum) = totals.get().copied().unwrap_or((0, 0));
        let (count, sum) = (count + 1, sum + value);
        totals.update((count, sum));
        ctx.collect((key, count, sum));
        Ok(())
    }
}
