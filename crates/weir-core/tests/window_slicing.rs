//! Shared-slice aggregation against naive per-window aggregation: for random out-of-order
//! records and many size/slide pairs (slide = size/2 … size/60, non-dividing pairs, gaps,
//! offsets), every window's result via slices equals aggregating the records the sliding
//! assigner puts into that window, and each record lands in exactly one slice.

use proptest::prelude::*;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;
use weir_core::window::{
    AggregateFunction, ReduceAggregate, SliceAccumulators, SliceAggregator, Slicing, SlidingWindows, TimeWindow,
};

/// Count, sum, min and max: commutative, so slice order does not matter.
struct Stats;

type Acc = (u64, i64, i64, i64);

impl AggregateFunction<i64, Acc, Acc> for Stats {
    fn create_accumulator(&self) -> Acc {
        (0, 0, i64::MAX, i64::MIN)
    }
    fn add(&self, acc: &mut Acc, v: &i64) {
        *acc = (acc.0 + 1, acc.1 + v, acc.2.min(*v), acc.3.max(*v));
    }
    fn merge(&self, acc: &mut Acc, o: &Acc) {
        *acc = (acc.0 + o.0, acc.1 + o.1, acc.2.min(o.2), acc.3.max(o.3));
    }
    fn get_result(&self, acc: &Acc) -> Acc {
        *acc
    }
}

/// `(size, slide)` pairs in ms.
const PAIRS: &[(u64, u64)] = &[
    // slide = size / k for k in 1..=60 (sampled), size 600.
    (600, 600),
    (600, 300),
    (600, 200),
    (600, 150),
    (600, 120),
    (600, 100),
    (600, 60),
    (600, 50),
    (600, 40),
    (600, 30),
    (600, 20),
    (600, 10),
    // slides that do not divide the size: slices cut at window starts and ends.
    (600, 250),
    (600, 7),
    (100, 30),
    (7, 3),
    (12, 8),
    (10_000, 1_000),
    (10_000, 167),
    (1_000, 167),
    // gaps between windows.
    (10, 15),
    (3, 10),
];

fn definition() -> impl Strategy<Value = (u64, u64, i64)> {
    (0..PAIRS.len()).prop_flat_map(|i| {
        let (size, slide) = PAIRS[i];
        let slide_i = slide as i64;
        (Just(size), Just(slide), prop_oneof![Just(0i64), -(slide_i - 1)..slide_i])
    })
}

fn records() -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop::collection::vec((-3000i64..3000, -1000i64..1000), 0..200).prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn sliced_results_equal_naive_per_window_aggregation((size, slide, offset) in definition(), records in records()) {
        let sliding = SlidingWindows::event_time(Duration::from_millis(size), Duration::from_millis(slide))
            .and_then(|w| w.with_offset(offset))
            .expect("valid definition");
        let slicing = Slicing::for_sliding(&sliding).expect("valid");
        let agg = SliceAggregator::new(slicing, Stats);
        let mut slices = SliceAccumulators::new();

        // Naive: copy each record into each of its windows.
        let mut naive: BTreeMap<i64, Acc> = BTreeMap::new();
        let mut buffer = Vec::new();
        for &(ts, v) in &records {
            buffer.clear();
            sliding.windows_for(ts, &mut buffer).expect("in range");
            for w in &buffer {
                Stats.add(naive.entry(w.end).or_insert_with(|| Stats.create_accumulator()), &v);
            }
            let added = agg.add(&mut slices, ts, &v).expect("in range");
            // One division finds what the separate functions find.
            let position = slicing.position(ts).expect("in range");
            prop_assert_eq!(position.slice_start, added.slice_start);
            prop_assert_eq!(position.slice_number, slicing.slice_number(added.slice_start));
            prop_assert_eq!(position.first_window_end, slicing.first_window_end(added.slice_start));
            if position.first_window_end.is_some() {
                prop_assert_eq!(position.last_window_end, slicing.last_window_end(added.slice_start));
            }
            prop_assert!(added.slice_start <= ts && ts < slicing.slice_end(added.slice_start));
            if added.is_new {
                // The windows of a slice are the windows of its start.
                buffer.clear();
                sliding.windows_for(added.slice_start, &mut buffer).expect("in range");
                let mut ends: Vec<_> = buffer.iter().map(|w| w.end).collect();
                ends.sort();
                prop_assert_eq!(slicing.window_ends_of_slice(added.slice_start).collect::<Vec<_>>(), ends);
            }
        }

        // Each record is in exactly one slice, and no slice is empty.
        prop_assert_eq!(slices.iter().map(|(_, acc)| acc.0).sum::<u64>(), records.len() as u64);
        prop_assert!(slices.iter().all(|(_, acc)| acc.0 > 0));
        prop_assert!(slices.iter().map(|(s, _)| s).collect::<Vec<_>>().windows(2).all(|p| p[0] < p[1]));

        // Every window end in range: sliced == naive, including windows without records.
        let (slide_i, size_i) = (slide as i64, size as i64);
        let first_end = -3000 - slide_i - (-3000 - slide_i - offset - size_i).rem_euclid(slide_i);
        let mut end = first_end;
        while end <= 3000 + size_i + slide_i {
            prop_assert!(slicing.is_window_end(end));
            prop_assert_eq!(slicing.window_ending_at(end), TimeWindow::new(end - size_i, end));
            prop_assert_eq!(agg.result_for_window(&slices, end), naive.get(&end).copied(), "window ending at {}", end);
            end += slide_i;
        }
        prop_assert!(naive.keys().all(|e| slicing.is_window_end(*e)));
    }

    #[test]
    fn retiring_slices_keeps_later_windows_intact((size, slide, offset) in definition(), records in records(), cut in -3000i64..3000) {
        let sliding = SlidingWindows::event_time(Duration::from_millis(size), Duration::from_millis(slide))
            .and_then(|w| w.with_offset(offset))
            .expect("valid definition");
        let slicing = Slicing::for_sliding(&sliding).expect("valid");
        let agg = SliceAggregator::new(slicing, ReduceAggregate(|a: i64, b: i64| a.wrapping_add(b)));
        let mut slices = SliceAccumulators::new();
        for &(ts, v) in &records {
            agg.add(&mut slices, ts, &v).expect("in range");
        }
        let full = slices.clone();
        // Fire the window ending at the first window end >= cut, then retire what it alone needed.
        let fired_end = cut + (offset + size as i64 - cut).rem_euclid(slide as i64);
        slices.retire_before(slicing.next_window_start(fired_end));
        let mut end = fired_end + slide as i64;
        while end <= 3000 + 2 * size as i64 {
            prop_assert_eq!(agg.result_for_window(&slices, end), agg.result_for_window(&full, end));
            end += slide as i64;
        }
    }

    /// Firing windows in order through the Two-Stacks cache, with records arriving late into
    /// slices it combined already, re-firings of earlier windows, and slices retired behind the
    /// fired windows (as allowed lateness does): always the result merged from scratch.
    #[test]
    fn windows_fired_in_order_equal_merging_from_scratch(
        (size, slide, offset) in definition(),
        records in records(),
        bound in 0i64..600,
        lateness_windows in 0i64..3,
        refire in prop::collection::vec(0i64..4, 0..20),
        restore_every in 0usize..40,
    ) {
        let sliding = SlidingWindows::event_time(Duration::from_millis(size), Duration::from_millis(slide))
            .and_then(|w| w.with_offset(offset))
            .expect("valid definition");
        let slicing = Slicing::for_sliding(&sliding).expect("valid");
        let agg = SliceAggregator::new(slicing, Stats);
        let mut slices = SliceAccumulators::new();
        let slide_i = slide as i64;
        // The first window end at or after -3000.
        let mut next_end = -3000 + (offset + size as i64 + 3000).rem_euclid(slide_i);
        let mut max_ts = i64::MIN;
        // The reference: each slice's accumulator by start, kept apart from the slices' layout
        // (open ring, closed slices, what a restore brings back).
        let mut model: BTreeMap<i64, Acc> = BTreeMap::new();
        for (i, &(ts, v)) in records.iter().enumerate() {
            agg.add(&mut slices, ts, &v).expect("in range");
            Stats.add(model.entry(slicing.slice_start(ts).expect("in range")).or_insert_with(|| Stats.create_accumulator()), &v);
            max_ts = max_ts.max(ts);
            while next_end - 1 <= max_ts - bound {
                let from_model = model.range(next_end - size as i64..next_end).fold(None, |acc: Option<Acc>, (_, slice)| {
                    let mut acc = acc.unwrap_or_else(|| Stats.create_accumulator());
                    Stats.merge(&mut acc, slice);
                    Some(acc)
                });
                prop_assert_eq!(agg.result_for_window(&slices, next_end), from_model, "window ending at {}", next_end);
                prop_assert_eq!(agg.fire_window(&mut slices, next_end), from_model, "window ending at {}", next_end);
                let cleaned = next_end - lateness_windows * slide_i;
                let retire = slicing.next_window_start(cleaned);
                slices.retire_before(retire);
                model.retain(|start, _| *start >= retire);
                next_end += slide_i;
            }
            // The same slices, in order, as one sequence of `(start, accumulator)`; now and then
            // the operator is restored from them.
            prop_assert_eq!(slices.iter().map(|(s, acc)| (s, *acc)).collect::<Vec<_>>(), model.iter().map(|(s, acc)| (*s, *acc)).collect::<Vec<_>>());
            let bytes = postcard::to_allocvec(&slices).expect("encode");
            let plain: VecDeque<(i64, Acc)> = model.iter().map(|(s, acc)| (*s, *acc)).collect();
            prop_assert_eq!(&bytes, &postcard::to_allocvec(&plain).expect("encode"));
            if restore_every > 0 && i % restore_every == restore_every - 1 {
                slices = postcard::from_bytes(&bytes).expect("decode");
            }
            if let Some(back) = refire.get(i % refire.len().max(1)) {
                let end = next_end - (1 + back) * slide_i;
                if end - slicing.size() >= next_end - (lateness_windows + 1) * slide_i - slicing.size() {
                    prop_assert_eq!(agg.fire_window(&mut slices, end), agg.result_for_window(&slices, end), "re-firing {}", end);
                }
            }
        }
    }
}
