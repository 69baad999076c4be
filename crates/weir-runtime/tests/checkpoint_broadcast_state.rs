//! The broadcast state pattern under injected failures: rules (a bounded stream, broadcast) are
//! kept in broadcast state; events (keyed) wait in keyed map state for their event-time timer,
//! which matches them against the rules and counts matches per key in keyed value state. The
//! job writes through the two-phase-commit file sink while random subtasks fail at random fault
//! points, and once surely after a few checkpoints completed — by then the rules source has
//! finished, so the rules exist only in the restored broadcast state. The committed output must
//! equal a failure-free run's.
//!
//! The output does not depend on when rules arrive relative to events: the rules stream has no
//! watermark until it ends, so no event-time timer fires before every rule is in.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use weir_connectors::{DataGenSource, ExactlyOnceFileSink};
use weir_runtime::prelude::*;

const RECORDS: u64 = 30_000;

/// A rule: a name and the modulus an event's index must be a multiple of (`None` removes it).
type Rule = (String, Option<u64>);

fn rules() -> Vec<Rule> {
    [("div3", Some(3)), ("div7", Some(7)), ("div5", Some(5)), ("div5", Some(11)), ("div7", None)]
        .into_iter()
        .map(|(name, modulus)| (name.to_string(), modulus))
        .collect()
}

#[derive(Clone)]
struct Matcher {
    rules: MapStateDescriptor<String, u64>,
    /// Events waiting for their timer, by timestamp.
    pending: MapStateDescriptor<i64, u64>,
    matches: ValueStateDescriptor<u64>,
    /// How many instances started with restored state (shared by the clones).
    restored: Arc<AtomicUsize>,
}

impl KeyedBroadcastProcessFunction<String, (String, u64), Rule, String> for Matcher {
    fn open(&mut self, ctx: &OperatorContext) -> Result<()> {
        if ctx.restored.is_some() {
            self.restored.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn process_element(
        &mut self,
        (_, index): (String, u64),
        ctx: &mut KeyedReadOnlyContext<'_, String, String>,
    ) -> Result<()> {
        let timestamp = ctx.timestamp().ok_or_else(|| Error::user("events carry timestamps"))?;
        ctx.map(&self.pending)?.put(timestamp, index);
        ctx.timer_service().register_event_time_timer(timestamp);
        Ok(())
    }

    fn process_broadcast_element(
        &mut self,
        (name, modulus): Rule,
        ctx: &mut BroadcastContext<'_, String>,
    ) -> Result<()> {
        let mut rules = ctx.broadcast_state(&self.rules)?;
        match modulus {
            Some(modulus) => rules.put(name, modulus),
            None => {
                rules.remove(&name);
            }
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedReadOnlyContext<'_, String, String>,
    ) -> Result<()> {
        let Some(index) = ctx.map(&self.pending)?.remove(&timestamp) else { return Ok(()) };
        let rules = ctx.broadcast_state(&self.rules)?;
        let mut matched: Vec<&str> =
            rules.iter().filter(|(_, modulus)| index % **modulus == 0).map(|(name, _)| name.as_str()).collect();
        if matched.is_empty() {
            return Ok(());
        }
        matched.sort_unstable();
        let matched = matched.join("+");
        let mut count = ctx.value(&self.matches)?;
        let n = count.value().unwrap_or(0) + 1;
        count.update(n);
        let key = ctx.current_key().clone();
        ctx.collect(format!("{key} {index} {matched} #{n}"));
        Ok(())
    }
}

/// Runs the job into `out` and returns how many matcher instances started restored.
fn run_job(env: &StreamExecutionEnvironment, out: &Path) -> usize {
    let restored = Arc::new(AtomicUsize::new(0));
    let matcher = Matcher {
        rules: MapStateDescriptor::new("rules"),
        pending: MapStateDescriptor::new("pending"),
        matches: ValueStateDescriptor::new("matches"),
        restored: Arc::clone(&restored),
    };
    let rules = env.from_collection(rules()).set_parallelism(1).uid("rules").broadcast_state(&matcher.rules);
    env.from_source(
        DataGenSource::new(|i| (format!("k{}", i % 13), i)).with_count(RECORDS).with_rate_limit(60_000.0),
        "events",
    )
    .uid("events")
    .assign_timestamps_and_watermarks(
        WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(40))
            .with_timestamp_assigner(|(_, i): &(String, u64), _| *i as i64),
    )
    .key_by(|(key, _): &(String, u64)| key.clone())
    .connect(&rules)
    .process(matcher)
    .uid("matcher")
    .sink_to(ExactlyOnceFileSink::lines(out))
    .uid("files");
    let result = env.execute("broadcast-state").expect("the job recovers and finishes");
    println!("{} restarts", result.restarts);
    restored.load(Ordering::Relaxed)
}

fn check_recovery(parallelism: usize, seed: u64, failures: u32) {
    let expected = common::assert_recovers_exactly_once(parallelism, seed, failures, run_job);
    // Multiples of 3 or 11 (the rules left at the end) among 0..RECORDS.
    let multiples = (0..RECORDS).filter(|i| i % 3 == 0 || i % 11 == 0).count();
    assert_eq!(expected.len(), multiples, "the reference run matched every event against the final rules");
}

#[test]
fn keyed_broadcast_state_survives_failures_exactly_once_at_parallelism_1() {
    check_recovery(1, 0xb0ad_0001, 4);
}

#[test]
fn keyed_broadcast_state_survives_failures_exactly_once_at_parallelism_2() {
    check_recovery(2, 0xb0ad_0002, 4);
}
