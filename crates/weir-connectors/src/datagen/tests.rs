//! Unit tests of the datagen connector: splits, randomness, rate limiting and resumption.

use super::*;
use crate::testing::{
    assert_reports_its_splits, assert_resumes_exactly, context, drain, read_all_sorted, read_polls, readers,
};
use std::time::{Duration, Instant};
use weir_core::source::{Boundedness, ReaderOutput, Source, SourcePoll};

#[test]
fn bounded_covers_every_index_once_at_every_parallelism() {
    for count in [0u64, 1, 2, 7, 100, 1001] {
        for parallelism in 1..=9 {
            let source = DataGenSource::new(|i| i).with_count(count);
            let all = read_all_sorted(&source, parallelism);
            assert_eq!(all, (0..count).collect::<Vec<_>>(), "count={count} parallelism={parallelism}");
        }
    }
}

#[test]
fn bounded_splits_are_contiguous_and_never_empty() {
    let source = DataGenSource::new(|i| i).with_count(10);
    let splits = source.create_splits(3).expect("splits");
    let ranges: Vec<_> = splits.iter().map(|s| (s.next, s.end, s.stride)).collect();
    assert_eq!(ranges, [(0, 3, 1), (3, 6, 1), (6, 10, 1)]);
    assert_eq!(source.create_splits(50).expect("splits").len(), 10, "no more splits than records");
    assert!(DataGenSource::new(|i| i).with_count(0).create_splits(4).expect("splits").is_empty());
}

#[test]
fn with_splits_overrides_the_parallelism() {
    let source = DataGenSource::new(|i| i).with_splits(5);
    let splits = source.create_splits(2).expect("splits");
    assert_eq!(splits.len(), 5);
    assert!(splits.iter().all(|s| s.stride == 5 && s.end == u64::MAX));
    assert_eq!(DataGenSource::new(|i| i).with_splits(0).create_splits(2).expect("splits").len(), 1);
    assert_eq!(source.boundedness(), Boundedness::Unbounded);
    assert_eq!(source.with_count(3).boundedness(), Boundedness::Bounded);
}

#[test]
fn unbounded_splits_interleave() {
    let source = DataGenSource::new(|i| i).with_splits(3);
    let mut firsts: Vec<u64> = readers(&source, source.create_splits(1).expect("splits"), 3)
        .iter_mut()
        .flat_map(|r| read_polls(r.as_mut(), 4, 1))
        .collect();
    firsts.sort();
    assert_eq!(firsts, (0..12).collect::<Vec<_>>());
}

#[test]
fn bounded_resumes_exactly_after_a_snapshot_even_at_another_parallelism() {
    let source = DataGenSource::new(|i| i * 10).with_count(1000).with_splits(4);
    for (before, after, max_records, polls) in
        [(1, 1, 7, 3), (2, 3, 10, 5), (4, 1, 100, 2), (3, 2, 1, 0), (1, 2, 1000, 9)]
    {
        assert_resumes_exactly(&source, before, after, max_records, polls);
    }
}

#[test]
fn unbounded_resumed_reader_continues_where_the_snapshot_was_taken() {
    let source = DataGenSource::new(|i| i).with_splits(3);
    let splits = source.create_splits(1).expect("splits");
    let mut uninterrupted = readers(&source, splits.clone(), 1).remove(0);
    let expected = read_polls(uninterrupted.as_mut(), 5, 20);

    let mut first = readers(&source, splits, 1).remove(0);
    let mut seen = read_polls(first.as_mut(), 5, 7);
    let mut second = readers(&source, first.snapshot_splits(), 1).remove(0);
    seen.extend(read_polls(second.as_mut(), 5, 13));
    assert_eq!(seen, expected);
}

#[test]
fn a_reader_without_splits_is_finished() {
    let source = DataGenSource::new(|i| i);
    let mut reader = source.create_reader(&context(0, 1)).expect("reader");
    let mut out = ReaderOutput::new();
    assert_eq!(reader.poll_next(&mut out, 10).expect("poll"), SourcePoll::Finished);
    assert!(out.is_empty());
}

#[test]
fn finished_comes_only_after_the_last_records_were_taken() {
    let source = DataGenSource::new(|i| i).with_count(3);
    let mut reader = readers(&source, source.create_splits(1).expect("splits"), 1).remove(0);
    let mut out = ReaderOutput::new();
    assert_eq!(reader.poll_next(&mut out, 10).expect("poll"), SourcePoll::MoreAvailable);
    assert_eq!(drain(&mut out), [0, 1, 2]);
    assert!(reader.snapshot_splits().is_empty(), "a finished split is not snapshotted");
    assert_eq!(reader.poll_next(&mut out, 10).expect("poll"), SourcePoll::Finished);
}

#[test]
fn malformed_splits_and_rates_are_errors() {
    let source = DataGenSource::new(|i| i);
    let mut reader = source.create_reader(&context(0, 1)).expect("reader");
    let bad = DataGenSplit { id: 0, split_count: 1, next: 0, stride: 0, end: 10 };
    let err = reader.add_splits(vec![bad]).expect_err("stride 0").to_string();
    assert!(err.contains("datagen") && err.contains("malformed"), "{err}");

    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = DataGenSource::new(|i| i).with_rate_limit(rate).create_splits(1).expect_err("bad rate");
        assert!(err.to_string().contains("rate limit"), "{err}");
    }
}

#[test]
fn a_rate_limited_reader_asks_to_wait_instead_of_blocking() {
    let source = DataGenSource::new(|i| i).with_rate_limit(2.0).with_splits(2);
    // One reader with one of two splits gets 1 record per second.
    let splits = source.create_splits(2).expect("splits");
    let mut reader = readers(&source, splits, 2).remove(0);
    let mut out = ReaderOutput::new();
    assert_eq!(reader.poll_next(&mut out, 100).expect("poll"), SourcePoll::MoreAvailable);
    assert_eq!(drain(&mut out), [0], "the first chunk is one record");
    match reader.poll_next(&mut out, 100).expect("poll") {
        SourcePoll::NothingAvailable { retry_after } => {
            assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_millis(100), "{retry_after:?}");
        }
        other => panic!("expected to wait, got {other:?}"),
    }
    assert!(out.is_empty());
}

#[test]
fn the_limiter_paces_to_its_rate_over_simulated_time() {
    let start = Instant::now();
    let mut limiter = RateLimiter::new(10_000.0);
    let mut emitted = 0usize;
    let mut now = start;
    while now < start + Duration::from_secs(10) {
        match limiter.acquire(now, 1_000) {
            Permit::Granted(n) => emitted += n,
            Permit::Wait(wait) => now += wait.max(Duration::from_micros(1)),
        }
    }
    assert!((99_990..=100_010).contains(&emitted), "{emitted} records in 10 s at 10k/s");
}

#[test]
fn the_limiter_grants_chunks_and_caps_bursts() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(1_000.0);
    assert_eq!(limiter.acquire(t0, 50), Permit::Granted(1), "one chunk (1 ms) to start");
    assert_eq!(limiter.acquire(t0, 50), Permit::Wait(Duration::from_millis(1)));
    assert_eq!(limiter.acquire(t0, 0), Permit::Granted(0));
    // After a long pause, at most 100 ms worth is released at once.
    assert_eq!(limiter.acquire(t0 + Duration::from_secs(60), 10_000), Permit::Granted(100));

    let mut slow = RateLimiter::new(0.5);
    assert_eq!(slow.acquire(t0, 10), Permit::Granted(1));
    assert_eq!(slow.acquire(t0, 10), Permit::Wait(Duration::from_secs(2)));
    assert_eq!(slow.acquire(t0 + Duration::from_secs(2), 10), Permit::Granted(1));
}

#[test]
fn the_limiter_waits_for_a_chunk_at_high_rates() {
    let t0 = Instant::now();
    let mut fast = RateLimiter::new(1_000_000.0);
    assert_eq!(fast.acquire(t0, 1_000_000), Permit::Granted(1_000));
    match fast.acquire(t0 + Duration::from_micros(10), 1_000_000) {
        Permit::Wait(wait) => assert!(wait <= Duration::from_millis(1), "{wait:?}"),
        other => panic!("expected to wait for a chunk, got {other:?}"),
    }
    assert_eq!(
        fast.acquire(t0 + Duration::from_millis(1), 500),
        Permit::Granted(500),
        "a small ask needs no full chunk"
    );
}

#[test]
fn changing_the_rate_keeps_accrued_tokens() {
    let t0 = Instant::now();
    let mut limiter = RateLimiter::new(100.0);
    assert_eq!(limiter.acquire(t0, 1), Permit::Granted(1));
    limiter.set_rate(t0 + Duration::from_millis(50), 1_000.0); // 5 tokens accrued at the old rate
    assert_eq!(limiter.rate(), 1_000.0);
    assert_eq!(limiter.acquire(t0 + Duration::from_millis(50), 100), Permit::Granted(5));
}

#[test]
fn random_values_are_pinned() {
    // SplitMix64's reference outputs: part of the compatibility promise.
    assert_eq!(random_u64(0, 0), 0xE220_A839_7B1D_CDAF);
    assert_eq!(random_u64(1_234_567, 0), 6_457_827_717_110_365_317);
    assert_eq!(random_u64(1_234_567, 1), 3_203_168_211_198_807_973);
    assert_ne!(random_u64(1, 0), random_u64(0, 0));
}

#[test]
fn random_range_and_f64_stay_in_bounds() {
    for i in 0..10_000 {
        assert!(random_range(7, i, 10) < 10);
        let x = random_f64(7, i);
        assert!((0.0..1.0).contains(&x), "{x}");
    }
    assert_eq!(random_range(7, 3, 0), 0);
    assert_eq!(random_range(7, 3, 1), 0);
    let mut counts = [0u32; 4];
    for i in 0..40_000 {
        counts[random_range(42, i, 4) as usize] += 1;
    }
    assert!(counts.iter().all(|&c| (9_500..10_500).contains(&c)), "{counts:?}");
}

#[test]
fn split_arithmetic_does_not_overflow_near_the_end_of_the_sequence() {
    let mut split = DataGenSplit { id: 2, split_count: 3, next: u64::MAX - 4, stride: 3, end: u64::MAX };
    assert_eq!(split.remaining(), 2); // u64::MAX - 4, u64::MAX - 1
    split.advance(2);
    assert!(split.is_finished());
    let range = DataGenSplit::range(2, 3, u64::MAX);
    assert_eq!(range.end, u64::MAX);
}

#[test]
fn every_record_is_tagged_with_its_split_and_every_split_is_finished_once() {
    let source = DataGenSource::new(|i| i).with_count(1000).with_splits(5);
    for (parallelism, max_records) in [(1, 64), (2, 7), (5, 1000), (7, 3)] {
        assert_reports_its_splits(&source, parallelism, max_records);
    }
}

#[test]
fn a_split_handed_over_finished_is_reported_finished_and_not_snapshotted() {
    let source = DataGenSource::new(|i| i).with_count(10).with_splits(2);
    let mut splits = source.create_splits(1).expect("splits");
    splits[0].next = splits[0].end;
    let mut reader = source.create_reader(&context(0, 1)).expect("reader");
    reader.add_splits(splits).expect("add");
    assert_eq!(reader.snapshot_splits().len(), 1, "only the unfinished split");
    let mut out = ReaderOutput::per_split();
    let mut events = Vec::new();
    while reader.poll_next(&mut out, 100).expect("poll") != SourcePoll::Finished {
        events.extend(std::iter::from_fn(|| out.pop()).map(|e| match e {
            weir_core::source::ReaderEmitted::Batch { split, batch } => format!("{split:?}: {}", batch.len()),
            weir_core::source::ReaderEmitted::SplitFinished(id) => format!("{id} done"),
        }));
    }
    assert_eq!(events, ["0 done", "Some(\"1\"): 5", "1 done"]);
}
