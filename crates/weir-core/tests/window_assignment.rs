//! Tumbling and sliding window assignment against a brute-force model: a record at `t` belongs to
//! every window `[s, s + size)` with `s ≡ offset (mod slide)` that contains `t`, and when any such
//! window does not fit in `i64`, assignment is an error.

use proptest::prelude::*;
use std::time::Duration;
use weir_core::window::{SlidingWindows, TimeWindow, TumblingWindows, WindowAssigner, window_start_with_offset};

/// Every window containing `ts`, latest start first; `None` if one of them does not fit in i64.
fn brute_force(ts: i64, size: i64, slide: i64, offset: i64) -> Option<Vec<TimeWindow>> {
    let (ts, size, slide, offset) = (i128::from(ts), i128::from(size), i128::from(slide), i128::from(offset));
    let mut windows = Vec::new();
    let mut s = ts;
    while s > ts - size {
        if (s - offset).rem_euclid(slide) == 0 {
            let start = i64::try_from(s).ok()?;
            let end = i64::try_from(s + size).ok()?;
            windows.push(TimeWindow::new(start, end));
        }
        s -= 1;
    }
    Some(windows)
}

/// Timestamps: mostly ordinary, some anywhere in i64, some at its very ends.
fn timestamp() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => -10_000_000i64..10_000_000,
        2 => any::<i64>(),
        1 => (0i64..3000).prop_map(|d| i64::MIN + d),
        1 => (0i64..3000).prop_map(|d| i64::MAX - d),
    ]
}

/// `(size, slide, offset)` with `|offset| < slide`, slides from 1 to past the size (gaps).
fn sliding_definition() -> impl Strategy<Value = (i64, i64, i64)> {
    (1i64..=600, 1i64..=700)
        .prop_flat_map(|(size, slide)| (Just(size), Just(slide), -(slide - 1)..slide))
        .prop_filter("slide at most size * 2", |(size, slide, _)| *slide <= size * 2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn tumbling_assignment_matches_the_model(size in 1i64..=1000, offset_seed in any::<i64>(), ts in timestamp()) {
        let offset = offset_seed % size;
        let assigner = TumblingWindows::event_time(Duration::from_millis(size as u64))
            .and_then(|w| w.with_offset(offset))
            .expect("valid definition");
        let expected = brute_force(ts, size, size, offset);
        match (assigner.window_for(ts), expected) {
            (Ok(window), Some(model)) => prop_assert_eq!(vec![window], model),
            (Err(_), None) => {}
            (ours, model) => prop_assert!(false, "ts={} size={} offset={}: {:?} vs {:?}", ts, size, offset, ours, model),
        }
    }

    #[test]
    fn sliding_assignment_matches_the_model((size, slide, offset) in sliding_definition(), ts in timestamp()) {
        let assigner = SlidingWindows::event_time(Duration::from_millis(size as u64), Duration::from_millis(slide as u64))
            .and_then(|w| w.with_offset(offset))
            .expect("valid definition");
        let mut ours = vec![TimeWindow::new(1, 2)];
        let result = WindowAssigner::<()>::assign_windows(&assigner, &(), ts, &mut ours);
        match (result, brute_force(ts, size, slide, offset)) {
            (Ok(()), Some(model)) => {
                prop_assert_eq!(ours[0], TimeWindow::new(1, 2), "the buffer is appended to, not cleared");
                prop_assert_eq!(&ours[1..], &model[..]);
            }
            (Err(_), None) => {}
            (result, model) => prop_assert!(
                false, "ts={} size={} slide={} offset={}: {:?} {:?} vs {:?}", ts, size, slide, offset, result, ours, model
            ),
        }
    }

    #[test]
    fn window_start_is_the_latest_grid_point_at_or_before_the_timestamp(
        ts in timestamp(), size in 1i64..=1_000_000, offset in any::<i64>(),
    ) {
        let (t, s, o) = (i128::from(ts), i128::from(size), i128::from(offset));
        let model = t - (t - o).rem_euclid(s);
        prop_assert_eq!(window_start_with_offset(ts, offset, size), i64::try_from(model).ok());
    }
}
