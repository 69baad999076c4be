//! Triggers against reference models, driven through `InMemoryTriggerContext`:
//! - a count trigger fires exactly on every n-th record of each window (purging or not);
//! - an event-time trigger fires a window exactly when the watermark reaches its max timestamp
//!   (and at once for records arriving after that);
//! - a continuous event-time trigger fires at every interval boundary before the window's end
//!   and at the end;
//! - on session windows merged by `MergingWindowSet`, with the operator's merge steps, an
//!   event-time trigger fires each final session once and leaves no timers of merged windows,
//!   and a count trigger's counts add up across merges.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use weir_core::window::{
    ContinuousEventTimeTrigger, CountTrigger, EventTimeTrigger, InMemoryTriggerContext, MergeResult, MergingWindowSet,
    PurgingTrigger, TimeWindow, Trigger, TriggerResult, TumblingWindows,
};

/// Sends a record to `window` through `trigger`.
fn on_element<Tr: Trigger<(), TimeWindow>>(
    trigger: &Tr,
    ctx: &mut InMemoryTriggerContext<TimeWindow>,
    window: TimeWindow,
    ts: i64,
) -> TriggerResult {
    trigger.on_element(&(), ts, &window, &mut ctx.scope(window)).expect("in-memory context")
}

/// Does what the window operator does when `add_window` merged windows.
fn apply_merge<Tr: Trigger<(), TimeWindow>>(
    trigger: &Tr,
    ctx: &mut InMemoryTriggerContext<TimeWindow>,
    result: &MergeResult,
) {
    if let MergeResult::Merged(merge) = result {
        let merged: Vec<_> = merge.merged_windows().collect();
        trigger.on_merge(&merge.result, &mut ctx.merge_scope(merge.result, &merged)).expect("ok");
        for w in merged {
            trigger.clear(&w, &mut ctx.scope(w)).expect("ok");
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Record(i64),
    Watermark(i64),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![3 => (-500i64..500).prop_map(Step::Record), 1 => (-500i64..600).prop_map(Step::Watermark)],
        0..120,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn count_triggers_fire_on_every_nth_record_of_each_window(
        n in 1u64..12,
        purging in any::<bool>(),
        windows in prop::collection::vec(0i64..4, 0..200),
    ) {
        let count = CountTrigger::of(n).expect("valid");
        let trigger: Box<dyn Trigger<(), TimeWindow>> =
            if purging { Box::new(PurgingTrigger::of(count)) } else { Box::new(count) };
        let fire = if purging { TriggerResult::FireAndPurge } else { TriggerResult::Fire };
        let mut ctx = InMemoryTriggerContext::new();
        let mut seen: BTreeMap<i64, u64> = BTreeMap::new();
        for k in windows {
            let window = TimeWindow::new(k * 10, k * 10 + 10);
            let nth = seen.entry(k).or_default();
            *nth += 1;
            let expected = if nth.is_multiple_of(n) { fire } else { TriggerResult::Continue };
            prop_assert_eq!(on_element(&trigger, &mut ctx, window, k * 10), expected);
        }
        for k in seen.keys() {
            let window = TimeWindow::new(k * 10, k * 10 + 10);
            trigger.clear(&window, &mut ctx.scope(window)).expect("ok");
        }
        prop_assert!(ctx.is_empty());
    }

    #[test]
    fn event_time_triggers_fire_exactly_when_the_watermark_reaches_the_window_end(
        size in 1u64..100,
        steps in steps(),
    ) {
        let tumbling = TumblingWindows::event_time(Duration::from_millis(size)).expect("valid");
        let trigger = EventTimeTrigger;
        let mut ctx = InMemoryTriggerContext::new();
        let mut watermark = i64::MIN;
        let mut pending: BTreeSet<(i64, TimeWindow)> = BTreeSet::new();
        for step in steps {
            match step {
                Step::Record(ts) => {
                    let window = tumbling.window_for(ts).expect("in range");
                    let result = on_element(&trigger, &mut ctx, window, ts);
                    if window.max_timestamp() <= watermark {
                        prop_assert_eq!(result, TriggerResult::Fire, "late record in {:?} at watermark {}", window, watermark);
                    } else {
                        prop_assert_eq!(result, TriggerResult::Continue);
                        pending.insert((window.max_timestamp(), window));
                    }
                }
                Step::Watermark(wm) => {
                    watermark = watermark.max(wm);
                    let fired = ctx.advance_watermark::<()>(&trigger, wm).expect("ok");
                    let due: Vec<_> = pending.iter().filter(|(end, _)| *end <= watermark).copied().collect();
                    let expected: Vec<_> = due.iter().map(|&(end, w)| (w, end, TriggerResult::Fire)).collect();
                    prop_assert_eq!(fired, expected);
                    for d in due {
                        pending.remove(&d);
                    }
                }
            }
        }
    }

    #[test]
    fn continuous_event_time_triggers_fire_on_every_interval_and_at_the_end(
        start in -1000i64..1000,
        size in 1i64..200,
        interval in 1u64..50,
        first in 0i64..200,
    ) {
        let window = TimeWindow::new(start, start + size);
        let first = start + first % size;
        let trigger = ContinuousEventTimeTrigger::of(Duration::from_millis(interval)).expect("valid");
        let mut ctx = InMemoryTriggerContext::new();
        prop_assert_eq!(on_element(&trigger, &mut ctx, window, first), TriggerResult::Continue);
        let fired: Vec<_> = ctx.advance_watermark::<()>(&trigger, i64::MAX).expect("ok").into_iter().map(|(_, t, r)| (t, r)).collect();
        let interval = interval as i64;
        let mut expected: Vec<_> = (first.div_euclid(interval) + 1..)
            .map(|k| k * interval)
            .take_while(|t| *t < window.max_timestamp())
            .map(|t| (t, TriggerResult::Fire))
            .collect();
        expected.push((window.max_timestamp(), TriggerResult::Fire));
        prop_assert_eq!(fired, expected);
        Trigger::<(), _>::clear(&trigger, &window, &mut ctx.scope(window)).expect("ok");
        prop_assert!(ctx.is_empty());
    }

    #[test]
    fn merged_sessions_fire_once_each_and_leave_no_timers_behind(
        gap in 1i64..40,
        ts in prop::collection::vec(-300i64..300, 1..60),
    ) {
        let trigger = EventTimeTrigger;
        let mut ctx = InMemoryTriggerContext::new();
        let mut set = MergingWindowSet::new();
        for &t in &ts {
            let result = set.add_window(TimeWindow::new(t, t + gap));
            apply_merge(&trigger, &mut ctx, &result);
            on_element(&trigger, &mut ctx, result.window(), t);
        }
        let sessions: Vec<_> = set.iter().map(|(w, _)| w).collect();
        let timers: Vec<_> = ctx.event_timers().into_iter().map(|(_, w)| w).collect();
        prop_assert_eq!(&timers, &sessions, "one timer per in-flight session, none for merged windows");
        let fired: Vec<_> = ctx.advance_watermark::<()>(&trigger, i64::MAX).expect("ok").into_iter().map(|(w, _, r)| (w, r)).collect();
        let expected: Vec<_> = sessions.iter().map(|w| (*w, TriggerResult::Fire)).collect();
        prop_assert_eq!(fired, expected);
    }

    #[test]
    fn count_triggers_add_up_across_session_merges(
        n in 1u64..8,
        gap in 1i64..40,
        ts in prop::collection::vec(-300i64..300, 1..80),
    ) {
        let trigger = CountTrigger::of(n).expect("valid");
        let mut ctx = InMemoryTriggerContext::new();
        let mut set = MergingWindowSet::new();
        // Model: each in-flight window's count since its last firing; merges add counts up.
        let mut counts: BTreeMap<TimeWindow, u64> = BTreeMap::new();
        for &t in &ts {
            let result = set.add_window(TimeWindow::new(t, t + gap));
            apply_merge(&trigger, &mut ctx, &result);
            if let MergeResult::Merged(merge) = &result {
                let sum = merge.merged_windows().map(|w| counts.remove(&w).unwrap_or(0)).sum();
                counts.insert(merge.result, sum);
            }
            let count = counts.entry(result.window()).or_default();
            *count += 1;
            let expected = if *count >= n {
                *count = 0;
                TriggerResult::Fire
            } else {
                TriggerResult::Continue
            };
            prop_assert_eq!(on_element(&trigger, &mut ctx, result.window(), t), expected);
        }
        for (window, count) in &counts {
            let stored = ctx.state_of(window, "count").unwrap_or(0);
            prop_assert_eq!(stored as u64, *count);
        }
    }
}
