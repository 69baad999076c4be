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
fn slices_are_the_gcd_of_size_and_slide() {
    assert_eq!(slicing(10_000, 1_000, 0).slice_length(), 1_000);
    assert_eq!(slicing(10, 4, 0).slice_length(), 2);
    assert_eq!(slicing(7, 3, 0).slice_length(), 1);
    assert_eq!(slicing(60, 60, 0).slice_length(), 60);
    assert_eq!(slicing(10, 4, 0).slices_per_window(), 5);
    assert_eq!(slicing(2, 5, 0).slice_length(), 1, "gaps between windows");
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
    assert!(s.is_window_end(10) && s.is_window_end(-2) && !s.is_window_end(12));
    assert_eq!(s.window_ending_at(10), TimeWindow::new(0, 10));
    assert_eq!(s.next_window_start(10), 4);
    // Gaps: size 2, slide 5: windows [0, 2), [5, 7), ...
    let gaps = slicing(2, 5, 0);
    assert_eq!(gaps.window_ends_of_slice(1).collect::<Vec<_>>(), [2]);
    assert_eq!(gaps.window_ends_of_slice(2).count(), 0);
    assert_eq!(gaps.window_ends_of_slice(-1).count(), 0);
}

#[test]
fn a_record_goes_into_one_slice_and_windows_merge_their_slices() {
    let agg = SliceAggregator::new(slicing(10, 4, 0), CountSum);
    let mut slices = SliceAccumulators::new();
    let added = agg.add(&mut slices, 3, &100).expect("ok");
    assert_eq!(added, SliceAdded { slice_start: 2, is_new: true });
    assert_eq!(agg.add(&mut slices, 2, &10).expect("ok"), SliceAdded { slice_start: 2, is_new: false });
    agg.add(&mut slices, 9, &1).expect("ok");
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
    assert!(s.slice_start(i64::MAX - 14).is_ok());
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
}
