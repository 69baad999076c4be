//! Correctness of the Nexmark queries: each query runs as a weir job on a small deterministic
//! input, at parallelism 1 and 2, and its output must equal what [`reference`](super::reference)
//! computes from the same events with plain maps and loops.
//!
//! The input: 40,000 events on two timelines (two source splits at both parallelisms, so both
//! runs see the same events and must give the same output), event time advancing 1,000 events
//! per second, so the input spans 20 s of event time: two q7/q8 windows, ten q5 slides, many q4
//! auction lifetimes and q11 sessions. The source is rate-limited to 200,000 events per second
//! and watermarks are generated every 5 ms, so they advance during the run and windows and
//! timers fire while records still arrive, not only at the end.
//!
//! At parallelism 1 one reader holds both splits and emits a whole poll of one before the other:
//! with tokens saved up by the rate limiter, a poll can cover more event time than the 4 s the
//! watermark trails by. The source's per-split watermarks keep the other timeline's events from
//! being late (with one watermark for the reader, the first version of these tests failed under
//! load on exactly that).
//!
//! q12 counts in processing-time windows, whose contents depend on when records arrive: its
//! test checks that every bid is counted exactly once per bidder (the environment has no way to
//! inject a manual clock into a job, so its windows cannot be pinned).

use super::config::NexmarkConfig;
use super::generator::NexmarkGenerator;
use super::model::Event;
use super::queries::{q0, q1, q2, q3, q4, q5, q7, q8, q11, q12};
use super::reference;
use super::source::nexmark_events;
use std::collections::{BTreeMap, BTreeSet};
use weir_core::Data;
use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

const EVENTS: u64 = 40_000;
const EVENTS_PER_SECOND: u64 = 1_000;
const SPLITS: u64 = 2;
/// The source's rate limit in the tests: the input takes about 0.2 s.
const SOURCE_RATE: u64 = 200_000;

fn config() -> NexmarkConfig {
    NexmarkConfig::new(EVENTS).with_events_per_second(EVENTS_PER_SECOND).with_splits(SPLITS)
}

/// The test input, as the reference sees it.
fn input() -> Vec<Event> {
    let generator = NexmarkGenerator::new(config());
    (0..EVENTS).map(|i| generator.event(i)).collect()
}

/// Runs `query` over the test input at `parallelism` and returns its output, sorted.
fn run<T, F>(parallelism: usize, query: F) -> Vec<T>
where
    T: Data + Ord,
    F: FnOnce(&DataStream<Event>) -> Result<DataStream<T>>,
{
    let env = StreamExecutionEnvironment::new();
    env.set_config("weir.progress", "false")
        .set_config("taskmanager.numberOfTaskSlots", "2")
        .set_config("pipeline.auto-watermark-interval", "5 ms");
    env.set_parallelism(parallelism);
    let events = nexmark_events(&env, &config(), Some(SOURCE_RATE));
    let sink = CollectSink::new();
    query(&events).expect("the query builds").sink_to(sink.clone());
    let result = env.execute("nexmark test").expect("the job runs");
    let late: u64 = result.operators.iter().map(|o| o.late_records_dropped).sum();
    assert_eq!(late, 0, "no event of the generator is late");
    sink.sorted_values()
}

/// Runs `query` at parallelism 1 and 2 and checks both outputs against what `reference`
/// computes from the same input.
fn check<T, F>(reference: fn(&[Event]) -> Vec<T>, query: F)
where
    T: Data + Ord + std::fmt::Debug,
    F: Fn(&DataStream<Event>) -> Result<DataStream<T>>,
{
    let expected = reference(&input());
    assert!(expected.len() > 1, "the reference finds results, so the comparison means something");
    for parallelism in [1, 2] {
        let output = run(parallelism, &query);
        if output != expected {
            let first =
                output.iter().zip(&expected).position(|(a, b)| a != b).unwrap_or(output.len().min(expected.len()));
            panic!(
                "p={parallelism}: {} results, expected {}; first difference at {first}: {:?} vs {:?}",
                output.len(),
                expected.len(),
                output.get(first),
                expected.get(first)
            );
        }
    }
}

#[test]
fn q0_passes_every_bid_through() {
    check(reference::q0, |events| Ok(q0::build(events)));
}

#[test]
fn q1_converts_every_price() {
    check(reference::q1, |events| Ok(q1::build(events)));
}

#[test]
fn q2_selects_the_bids_on_every_123rd_auction() {
    check(reference::q2, |events| Ok(q2::build(events)));
}

#[test]
fn q3_joins_local_sellers_with_their_auctions() {
    check(reference::q3, |events| Ok(q3::build(events)));
}

#[test]
fn q4_finds_every_winning_bid() {
    check(reference::q4_winning_bids, |events| Ok(q4::winning_bids(events)));
}

#[test]
fn q4_averages_the_winning_prices_per_category() {
    let input = input();
    let expected = reference::q4(&input);
    let winners = reference::q4_winning_bids(&input).len() as u64;
    assert_eq!(expected.len(), 5, "every category has closed auctions");
    for parallelism in [1, 2] {
        // One update per winning bid; each category's last (largest count) is its final average.
        let updates = run(parallelism, |events| Ok(q4::build(events)));
        assert_eq!(updates.len() as u64, winners, "p={parallelism}");
        let mut last: BTreeMap<u64, q4::CategoryAverage> = BTreeMap::new();
        for update in updates {
            let entry = last.entry(update.category).or_insert(update);
            if update.auctions > entry.auctions {
                *entry = update;
            }
        }
        assert_eq!(last.into_values().collect::<Vec<_>>(), expected, "p={parallelism}");
    }
}

#[test]
fn q5_finds_the_hottest_auctions_of_every_sliding_window() {
    check(reference::q5, q5::build);
}

#[test]
fn q7_finds_the_highest_bids_of_every_window() {
    check(reference::q7, q7::build);
}

#[test]
fn q8_finds_the_persons_who_sold_in_the_window_they_joined() {
    check(reference::q8, |events| Ok(q8::build(events)));
}

#[test]
fn q11_counts_the_bids_of_every_session() {
    check(reference::q11, q11::build);
}

#[test]
fn q12_counts_every_bid_once() {
    let expected = reference::bids_per_bidder(&input());
    for parallelism in [1, 2] {
        let counts = run(parallelism, q12::build);
        let mut totals: BTreeMap<u64, u64> = BTreeMap::new();
        let mut windows = BTreeSet::new();
        for count in &counts {
            assert!(count.bids > 0 && count.end - count.start == 10_000, "{count:?}");
            assert!(windows.insert((count.bidder, count.start)), "a window fired twice: {count:?}");
            *totals.entry(count.bidder).or_default() += count.bids;
        }
        assert_eq!(totals, expected, "p={parallelism}");
    }
}
