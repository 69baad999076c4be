use super::*;
use crate::window::aggregate::ReduceAggregate;
use std::time::Duration;

/// Count and sum of `i64`s.
struct CountSum;

impl AggregateFunction<i64, (u64, i64), (u64, i64)> for CountSum {
    fn create_accumulator(&self) -> (u64, i64) {
        (0, 0)
    }
    fn add(&self, acc: &mut (u64, i64), value: &i64) {
        *acc = (acc.0 + 1, acc.1 + value);
    }
    fn merge(&self, acc: &mut (u64, i64), other: &(u64, i64)) {
        *acc = (acc.0 + other.0, acc.1 + other.1);
    }
    fn get_result(&self, acc: &(u64, i64)) -> (u64, i64) {
        *acc
    }
}

fn slicing(size: i64, slide: i64, offset: i64) -> Slicing {
    Slicing::new(size, slide, offset).expect("valid")
}

#[test]
fn slices_are_cut_at_window_starts_and_ends() {
    // The slide divides the size: one slice per slide.
    let s = slicing(10_000, 1_000, 0);
    assert_eq!((s.slices_per_slide(), s.slice_start(2_500).expect("ok"), s.slice_end(2_000)), (1, 2_000, 3_000));
    // 10 s every 167 ms: windows start at 167k and end at 167k + 10000 = 167(k + 59) + 147, so
    // slices of 147 and 20 ms alternate (not gcd(10000, 167) = 1 ms).
    let s = slicing(10_000, 167, 0);
    assert_eq!(s.slices_per_slide(), 2);
    assert_eq!([0, 146, 147, 166, 167, 314].map(|t| s.slice_start(t).expect("ok")), [0, 0, 147, 147, 167, 314]);
    assert_eq!([0, 147, 167].map(|t| s.slice_end(t)), [147, 167, 314]);
    assert_eq!([-20, 0, 147, 167, 314, 334].map(|t| s.slice_number(t)), [-1, 0, 1, 2, 3, 4]);
    // 7 every 3: starts at 3k, ends at 3k + 1.
    let s = slicing(7, 3, 0);
    assert_eq!([0, 1, 2, 3, 4, 5, -1].map(|t| s.slice_start(t).expect("ok")), [0, 1, 1, 3, 4, 4, -2]);
    assert!(slicing(60, 60, 0).one_slice_per_window() && slicing(2, 5, 0).one_slice_per_window());
    assert!(!slicing(10, 4, 0).one_slice_per_window());
    // Gaps: size 2 every 5: [0, 2) is a window's slice, [2, 5) lies in the gap.
    let gaps = slicing(2, 5, 0);
    assert_eq!([0, 1, 2, 4, 5].map(|t| gaps.slice_start(t).expect("ok")), [0, 0, 2, 2, 5]);
    assert!(Slicing::new(0, 1, 0).is_err());
    assert!(Slicing::new(1, 0, 0).is_err());
}

#[test]
fn slice_starts_by_hand() {
    let s = slicing(10, 4, 0);
    assert_eq!(s.slice_start(0).expect("ok"), 0);
    assert_eq!(s.slice_start(3).expect("ok"), 2);
    assert_eq!(s.slice_start(-1).expect("ok"), -2);
    // Offset 1 (windows start at 1 + 4k): slices start at odd numbers.
    let s = slicing(10, 4, 1);
    assert_eq!(s.slice_start(1).expect("ok"), 1);
    assert_eq!(s.slice_start(0).expect("ok"), -1);
    assert_eq!(s.slice_start(4).expect("ok"), 3);
}

#[test]
fn window_ends_of_a_slice() {
    // size 10, slide 4: windows [..., [-8, 2), [-4, 6), [0, 10), [4, 14), ...].
    let s = slicing(10, 4, 0);
    assert_eq!(s.window_ends_of_slice(0).collect::<Vec<_>>(), [2, 6, 10]);
    assert_eq!(s.window_ends_of_slice(2).collect::<Vec<_>>(), [6, 10]);
    assert_eq!(s.window_ends_of_slice(4).collect::<Vec<_>>(), [6, 10, 14]);
    assert_eq!((s.first_window_end(4), s.last_window_end(4)), (Some(6), 14));
    assert!(s.is_window_end(10) && s.is_window_end(-2) && !s.is_window_end(12));
    assert_eq!(s.window_ending_at(10), TimeWindow::new(0, 10));
    assert_eq!(s.next_window_start(10), 4);
    // Gaps: size 2, slide 5: windows [0, 2), [5, 7), ...
    let gaps = slicing(2, 5, 0);
    assert_eq!(gaps.window_ends_of_slice(1).collect::<Vec<_>>(), [2]);
    assert_eq!(gaps.window_ends_of_slice(2).count(), 0);
    assert_eq!(gaps.window_ends_of_slice(-1).count(), 0);
    assert_eq!(gaps.first_window_end(2), None);
    // Non-dividing: size 10, slide 4, offset 1: windows [1, 11), [5, 15), ...; the slice [11, 13)
    // is in [5, 15) and [9, 19).
    let s = slicing(10, 4, 1);
    assert_eq!(s.slice_start(12).expect("ok"), 11);
    assert_eq!(s.window_ends_of_slice(11).collect::<Vec<_>>(), [15, 19]);
}

#[test]
fn a_record_goes_into_one_slice_and_windows_merge_their_slices() {
    let agg = SliceAggregator::new(slicing(10, 4, 0), CountSum);
    let mut slices = SliceAccumulators::new();
    let added = agg.add(&mut slices, 3, &100).expect("ok");
    assert_eq!(added, SliceAdded { slice_start: 2, is_new: true, previous: None });
    assert_eq!(agg.add(&mut slices, 2, &10).expect("ok"), SliceAdded { slice_start: 2, is_new: false, previous: None });
    assert_eq!(
        agg.add(&mut slices, 9, &1).expect("ok"),
        SliceAdded { slice_start: 8, is_new: true, previous: Some(2) }
    );
    // Out of order, into an earlier slice.
    assert!(agg.add(&mut slices, -7, &1000).expect("ok").is_new);
    assert_eq!(slices.iter().map(|(s, _)| s).collect::<Vec<_>>(), [-8, 2, 8]);
    assert_eq!(agg.result_for_window(&slices, 2), Some((1, 1000)));
    assert_eq!(agg.result_for_window(&slices, 6), Some((2, 110)));
    assert_eq!(agg.result_for_window(&slices, 10), Some((3, 111)));
    assert_eq!(agg.result_for_window(&slices, 14), Some((1, 1)));
    assert_eq!(agg.result_for_window(&slices, 22), None);
    assert_eq!(slices.retire_before(agg.slicing().next_window_start(6)), 1);
    assert_eq!(agg.result_for_window(&slices, 10), Some((3, 111)), "later windows keep their slices");
}

#[test]
fn tumbling_windows_are_one_slice_each() {
    let tumbling = TumblingWindows::event_time(Duration::from_secs(1)).expect("valid");
    let agg = SliceAggregator::new(Slicing::for_tumbling(&tumbling).expect("valid"), CountSum);
    let mut slices = SliceAccumulators::new();
    for ts in [0, 500, 999, 1000, -1] {
        agg.add(&mut slices, ts, &ts).expect("ok");
    }
    assert_eq!(agg.result_for_window(&slices, 1000), Some((3, 1499)));
    assert_eq!(agg.result_for_window(&slices, 2000), Some((1, 1000)));
    assert_eq!(agg.result_for_window(&slices, 0), Some((1, -1)));
}

#[test]
fn reduce_functions_slice_too() {
    let sliding = SlidingWindows::event_time(Duration::from_millis(6), Duration::from_millis(4)).expect("valid");
    let agg = SliceAggregator::new(Slicing::for_sliding(&sliding).expect("valid"), ReduceAggregate(i64::max));
    let mut slices = SliceAccumulators::new();
    for (ts, v) in [(0, 5), (3, 9), (5, 1), (7, 2)] {
        agg.add(&mut slices, ts, &v).expect("ok");
    }
    // Windows [0, 6) and [4, 10).
    assert_eq!(agg.result_for_window(&slices, 6), Some(Some(9)));
    assert_eq!(agg.result_for_window(&slices, 10), Some(Some(2)));
}

#[test]
fn the_ends_of_time_are_refused() {
    let s = slicing(10, 4, 0);
    assert!(s.slice_start(i64::MAX).is_err());
    assert!(s.slice_start(i64::MIN).is_err());
    assert!(s.slice_start(i64::MAX - 18).is_ok());
    assert!(s.slice_start(i64::MAX - 17).is_err());
    let agg = SliceAggregator::new(s, CountSum);
    let mut slices = SliceAccumulators::new();
    assert!(agg.add(&mut slices, i64::MIN + 3, &1).is_err());
    assert!(slices.is_empty());
    let huge = slicing(i64::MAX, i64::MAX, 0);
    assert!(huge.slice_start(0).is_ok());
    assert!(huge.slice_start(1).is_err());
}

#[test]
fn serde_round_trip() {
    let agg = SliceAggregator::new(slicing(10, 5, 0), CountSum);
    let mut slices = SliceAccumulators::new();
    for ts in [1, 7, 12] {
        agg.add(&mut slices, ts, &ts).expect("ok");
    }
    let bytes = postcard::to_allocvec(&slices).expect("encode");
    assert_eq!(postcard::from_bytes::<SliceAccumulators<(u64, i64)>>(&bytes).expect("decode"), slices);
    // The layout is the slices' alone (as before the Two-Stacks cache), whatever the cache holds.
    agg.fire_window(&mut slices, 10);
    let plain: std::collections::VecDeque<(i64, (u64, i64))> = slices.iter().map(|(s, acc)| (s, *acc)).collect();
    assert_eq!(postcard::to_allocvec(&slices).expect("encode"), postcard::to_allocvec(&plain).expect("encode"));
}

#[test]
fn windows_fired_in_order_combine_cached_partials() {
    // 10 every 4 at offset 0: ends at 2 mod 4, slices of 2.
    let agg = SliceAggregator::new(slicing(10, 4, 0), CountSum);
    let mut slices = SliceAccumulators::new();
    for ts in 0..40 {
        agg.add(&mut slices, ts, &ts).expect("ok");
    }
    let mut end = 2;
    while end <= 50 {
        assert_eq!(agg.fire_window(&mut slices, end), agg.result_for_window(&slices, end), "window ending at {end}");
        end += 4;
    }
    // Going back is answered from scratch.
    assert_eq!(agg.fire_window(&mut slices, 30), agg.result_for_window(&slices, 30));
    assert_eq!(agg.fire_window(&mut slices, 54), None);
}

#[test]
fn a_late_record_in_a_combined_slice_is_seen_by_later_windows() {
    let agg = SliceAggregator::new(slicing(10, 4, 0), CountSum);
    let mut slices = SliceAccumulators::new();
    for ts in 0..30 {
        agg.add(&mut slices, ts, &1).expect("ok");
    }
    assert_eq!(agg.fire_window(&mut slices, 14), Some((10, 10)));
    // 13 is in [4, 14) (fired) and in [8, 18), [12, 22): the cache must not keep the old slice.
    agg.add(&mut slices, 13, &100).expect("ok");
    assert_eq!(agg.fire_window(&mut slices, 14), Some((11, 110)), "re-firing");
    assert_eq!(agg.fire_window(&mut slices, 18), Some((11, 110)));
    assert_eq!(agg.fire_window(&mut slices, 22), Some((11, 110)));
    assert_eq!(agg.fire_window(&mut slices, 26), Some((10, 10)));
    // Retiring what the next windows do not need keeps them whole.
    slices.retire_before(agg.slicing().next_window_start(26));
    assert_eq!(agg.fire_window(&mut slices, 30), Some((10, 10)));
    assert_eq!(agg.fire_window(&mut slices, 26), agg.result_for_window(&slices, 26), "behind: from scratch");
}
