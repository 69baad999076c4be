//! Session merging with `MergingWindowSet` against reference models, on random out-of-order
//! records:
//! - the final windows equal the sorted-and-merged reference (touching windows merge);
//! - the state-window bookkeeping is consistent after every step: each in-flight window's state
//!   window is one of the windows that merged into it, no two windows share one, and moving state
//!   as the `MergeResult`s say leaves every session's records under its state window;
//! - with windows retired at random in between, the set behaves like a naive list of intervals.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use weir_core::window::{MergeResult, MergingWindowSet, TimeWindow};

/// Sorts windows by start and merges the intersecting (or touching) ones.
fn reference_sessions(mut windows: Vec<TimeWindow>) -> Vec<TimeWindow> {
    windows.sort();
    let mut sessions: Vec<TimeWindow> = Vec::new();
    for w in windows {
        match sessions.last_mut() {
            Some(last) if w.start <= last.end => *last = last.cover(&w),
            _ => sessions.push(w),
        }
    }
    sessions
}

/// Records as `(timestamp, gap)` in random arrival order; fixed or per-record gaps.
fn records() -> impl Strategy<Value = Vec<(i64, i64)>> {
    let fixed = (1i64..60, prop::collection::vec(-300i64..300, 0..80))
        .prop_map(|(gap, ts)| ts.into_iter().map(|t| (t, gap)).collect::<Vec<_>>());
    let dynamic = prop::collection::vec((-300i64..300, 1i64..60), 0..80);
    prop_oneof![fixed, dynamic].prop_shuffle()
}

/// What the operator would hold: the records' timestamps per state window.
type Contents = BTreeMap<TimeWindow, Vec<i64>>;

/// Checks one `add_window` against the set before it, and applies the result to `contents` and
/// `origins` (the added windows each in-flight window was formed from).
fn check_and_apply(
    before: &[(TimeWindow, TimeWindow)],
    new: TimeWindow,
    result: &MergeResult,
    contents: &mut Contents,
    origins: &mut BTreeMap<TimeWindow, BTreeSet<TimeWindow>>,
) -> Result<(), TestCaseError> {
    let state_of = |w: TimeWindow| before.iter().find(|(x, _)| *x == w).map(|&(_, s)| s);
    prop_assert_eq!(result.window().cover(&new), result.window(), "the result contains the new window");
    match result {
        MergeResult::Added(w) => {
            prop_assert_eq!(*w, new);
            prop_assert!(before.iter().all(|(x, _)| !x.intersects(&new)));
            origins.insert(new, BTreeSet::from([new]));
        }
        MergeResult::Absorbed { window, state_window } => {
            prop_assert_eq!(state_of(*window), Some(*state_window));
            prop_assert_eq!(window.cover(&new), *window);
            origins.entry(*window).or_default().insert(new);
        }
        MergeResult::Merged(merge) => {
            let merged: Vec<_> = merge.merged_windows().collect();
            prop_assert!(!merged.is_empty());
            let mut expected = new;
            let mut union = BTreeSet::from([new]);
            for w in &merged {
                prop_assert!(w.intersects(&new), "{:?} merged but does not intersect {:?}", w, new);
                prop_assert_eq!(state_of(*w), merge.merged.iter().find(|(x, _)| x == w).map(|&(_, s)| s));
                expected = expected.cover(w);
                union.extend(origins.remove(w).unwrap_or_default());
            }
            let untouched = before.iter().filter(|(w, _)| w.intersects(&new) && !merged.contains(w)).count();
            prop_assert_eq!(untouched, 0, "every intersecting window merges");
            prop_assert_eq!(merge.result, expected);
            prop_assert!(merge.merged.iter().any(|&(_, s)| s == merge.state_window));
            // Move the state as the operator would.
            for source in merge.merged_state_windows() {
                let moved = contents.remove(&source).unwrap_or_default();
                contents.entry(merge.state_window).or_default().extend(moved);
            }
            origins.insert(merge.result, union);
        }
    }
    contents.entry(result.state_window()).or_default().push(new.start);
    Ok(())
}

/// The invariants of the set at rest.
fn check_invariants(
    set: &MergingWindowSet,
    origins: &BTreeMap<TimeWindow, BTreeSet<TimeWindow>>,
) -> Result<(), TestCaseError> {
    let pairs: Vec<_> = set.iter().collect();
    for pair in pairs.windows(2) {
        prop_assert!(pair[0].0.end < pair[1].0.start, "sorted and disjoint: {:?}", pairs);
    }
    let states: BTreeSet<_> = pairs.iter().map(|&(_, s)| s).collect();
    prop_assert_eq!(states.len(), pairs.len(), "a state window belongs to one window");
    for (window, state) in &pairs {
        let from = origins.get(window);
        prop_assert!(
            from.is_some_and(|o| o.contains(state)),
            "{:?}'s state window {:?} is not one of its inputs",
            window,
            state
        );
        prop_assert_eq!(set.state_window(window), Some(*state));
    }
    prop_assert_eq!(origins.len(), pairs.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn merging_matches_the_sorted_reference_and_keeps_its_bookkeeping(records in records()) {
        let mut set = MergingWindowSet::new();
        let mut contents = Contents::new();
        let mut origins = BTreeMap::new();
        let windows: Vec<_> = records.iter().map(|&(t, gap)| TimeWindow::new(t, t + gap)).collect();
        for &new in &windows {
            let before: Vec<_> = set.iter().collect();
            let result = set.add_window(new);
            check_and_apply(&before, new, &result, &mut contents, &mut origins)?;
            check_invariants(&set, &origins)?;
        }
        let sessions: Vec<_> = set.iter().map(|(w, _)| w).collect();
        let reference = reference_sessions(windows.clone());
        prop_assert_eq!(&sessions, &reference);
        // Every session's records are under its state window, and nothing is left elsewhere.
        prop_assert_eq!(contents.len(), sessions.len());
        for (session, state) in set.iter() {
            let mut held = contents.get(&state).cloned().unwrap_or_default();
            held.sort();
            let mut expected: Vec<_> = windows.iter().filter(|w| session.cover(w) == session).map(|w| w.start).collect();
            expected.sort();
            prop_assert_eq!(held, expected, "records of {:?}", session);
        }
        // A checkpoint round trip keeps everything.
        let bytes = postcard::to_allocvec(&set).expect("encode");
        prop_assert_eq!(postcard::from_bytes::<MergingWindowSet>(&bytes).expect("decode"), set);
    }

    #[test]
    fn adds_and_retirements_match_a_naive_interval_list(
        ops in prop::collection::vec(prop_oneof![
            4 => (-200i64..200, 1i64..40).prop_map(|(t, gap)| Some(TimeWindow::new(t, t + gap))),
            1 => Just(None),
        ], 0..120),
        picks in prop::collection::vec(any::<usize>(), 120),
    ) {
        let mut set = MergingWindowSet::new();
        let mut naive: Vec<TimeWindow> = Vec::new();
        for (op, pick) in ops.into_iter().zip(picks) {
            match op {
                Some(new) => {
                    let (merged, kept): (Vec<_>, Vec<_>) = naive.iter().partition(|w| w.intersects(&new));
                    let result = merged.iter().fold(new, |acc, w| acc.cover(w));
                    naive = kept;
                    naive.push(result);
                    naive.sort();
                    prop_assert_eq!(set.add_window(new).window(), result);
                }
                None if naive.is_empty() => prop_assert!(set.is_empty()),
                None => {
                    let victim = naive.remove(pick % naive.len());
                    prop_assert!(set.retire_window(&victim).is_some());
                    prop_assert!(set.retire_window(&victim).is_none(), "retired twice");
                }
            }
            prop_assert_eq!(set.iter().map(|(w, _)| w).collect::<Vec<_>>(), naive.clone());
        }
    }
}
