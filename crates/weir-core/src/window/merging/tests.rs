use super::*;

fn tw(start: i64, end: i64) -> TimeWindow {
    TimeWindow::new(start, end)
}

fn merge(result: MergeResult) -> Merge {
    match result {
        MergeResult::Merged(merge) => merge,
        other => panic!("expected a merge, got {other:?}"),
    }
}

#[test]
fn flinks_incremental_merging_example() {
    // After MergingWindowSetTest.testIncrementalMerging.
    let mut set = MergingWindowSet::new();
    assert_eq!(set.add_window(tw(0, 4)), MergeResult::Added(tw(0, 4)));
    assert_eq!(set.add_window(tw(0, 4)), MergeResult::Absorbed { window: tw(0, 4), state_window: tw(0, 4) });

    let m = merge(set.add_window(tw(3, 6)));
    assert_eq!((m.result, m.state_window), (tw(0, 6), tw(0, 4)));
    assert_eq!(m.merged_windows().collect::<Vec<_>>(), [tw(0, 4)]);
    assert_eq!(m.merged_state_windows().count(), 0, "one window grew: no state moves");

    assert_eq!(set.add_window(tw(3, 6)), MergeResult::Absorbed { window: tw(0, 6), state_window: tw(0, 4) });
    assert_eq!(set.add_window(tw(1, 2)), MergeResult::Absorbed { window: tw(0, 6), state_window: tw(0, 4) });
    assert_eq!(set.add_window(tw(10, 13)), MergeResult::Added(tw(10, 13)));
    assert_eq!(set.iter().collect::<Vec<_>>(), [(tw(0, 6), tw(0, 4)), (tw(10, 13), tw(10, 13))]);

    // A window bridging both merges all three; the earliest's state window is kept.
    let m = merge(set.add_window(tw(5, 11)));
    assert_eq!((m.result, m.state_window), (tw(0, 13), tw(0, 4)));
    assert_eq!(m.merged_windows().collect::<Vec<_>>(), [tw(0, 6), tw(10, 13)]);
    assert_eq!(m.merged_state_windows().collect::<Vec<_>>(), [tw(10, 13)]);
    assert_eq!(set.iter().collect::<Vec<_>>(), [(tw(0, 13), tw(0, 4))]);
}

#[test]
fn touching_windows_merge_and_gapped_ones_do_not() {
    let mut set = MergingWindowSet::new();
    set.add_window(tw(0, 10));
    assert_eq!(set.add_window(tw(11, 20)), MergeResult::Added(tw(11, 20)));
    let m = merge(set.add_window(tw(10, 11)));
    assert_eq!(m.result, tw(0, 20));
    assert_eq!(set.len(), 1);
}

#[test]
fn a_new_window_covering_an_old_one_takes_its_state_window() {
    let mut set = MergingWindowSet::new();
    set.add_window(tw(5, 10));
    let m = merge(set.add_window(tw(0, 20)));
    assert_eq!((m.result, m.state_window), (tw(0, 20), tw(5, 10)));
    assert_eq!(set.state_window(&tw(0, 20)), Some(tw(5, 10)));
    assert_eq!(set.state_window(&tw(5, 10)), None, "no longer in flight");
}

#[test]
fn windows_added_out_of_order_stay_sorted() {
    let mut set = MergingWindowSet::new();
    for start in [50, 10, 30, -20, 70] {
        assert_eq!(set.add_window(tw(start, start + 5)), MergeResult::Added(tw(start, start + 5)));
    }
    let starts: Vec<_> = set.iter().map(|(w, _)| w.start).collect();
    assert_eq!(starts, [-20, 10, 30, 50, 70]);
    // One window in the middle spanning three.
    let m = merge(set.add_window(tw(12, 52)));
    assert_eq!(m.result, tw(10, 55));
    assert_eq!(m.merged_state_windows().collect::<Vec<_>>(), [tw(30, 35), tw(50, 55)]);
    let starts: Vec<_> = set.iter().map(|(w, _)| w.start).collect();
    assert_eq!(starts, [-20, 10, 70]);
}

#[test]
fn retiring_returns_the_state_window() {
    let mut set = MergingWindowSet::new();
    set.add_window(tw(0, 5));
    set.add_window(tw(3, 8));
    assert_eq!(set.retire_window(&tw(0, 5)), None);
    assert_eq!(set.retire_window(&tw(0, 8)), Some(tw(0, 5)));
    assert!(set.is_empty());
    // A retired window's successor starts afresh.
    assert_eq!(set.add_window(tw(4, 9)), MergeResult::Added(tw(4, 9)));
}

#[test]
fn results_name_the_window_and_its_state() {
    let mut set = MergingWindowSet::new();
    let added = set.add_window(tw(0, 5));
    assert_eq!((added.window(), added.state_window()), (tw(0, 5), tw(0, 5)));
    let merged = set.add_window(tw(4, 9));
    assert_eq!((merged.window(), merged.state_window()), (tw(0, 9), tw(0, 5)));
    let absorbed = set.add_window(tw(1, 2));
    assert_eq!((absorbed.window(), absorbed.state_window()), (tw(0, 9), tw(0, 5)));
}

#[test]
fn serde_round_trip_and_validation() {
    let mut set = MergingWindowSet::new();
    for w in [tw(0, 5), tw(3, 9), tw(20, 25)] {
        set.add_window(w);
    }
    let bytes = postcard::to_allocvec(&set).expect("encode");
    assert_eq!(postcard::from_bytes::<MergingWindowSet>(&bytes).expect("decode"), set);

    let intersecting = vec![(tw(0, 5), tw(0, 5)), (tw(5, 9), tw(5, 9))];
    let bytes = postcard::to_allocvec(&intersecting).expect("encode");
    assert!(postcard::from_bytes::<MergingWindowSet>(&bytes).is_err());
    let err = MergingWindowSet::from_pairs(intersecting).expect_err("corrupt");
    assert!(err.contains("intersect"), "{err}");
    let shared_state = vec![(tw(0, 5), tw(0, 1)), (tw(10, 15), tw(0, 1))];
    assert!(MergingWindowSet::from_pairs(shared_state).is_err());
    let unsorted = vec![(tw(10, 15), tw(10, 11)), (tw(0, 5), tw(0, 1))];
    let set = MergingWindowSet::from_pairs(unsorted).expect("valid, just unsorted");
    assert_eq!(set.state_window(&tw(0, 5)), Some(tw(0, 1)));
}
