//! Per-window state at the operator level, where the keyed state can be looked at: it is gone
//! once its window is cleaned up, whether `clear` dropped it or not, on the general and the
//! slicing operator; after a restore, entries of windows cleaned up before the function used
//! the state again are swept on that first use.

use super::contents::Incremental;
use super::slicing::SlicingWindowOperator;
use super::*;
use crate::api::window_function::ProcessWindowFunction;
use std::sync::Arc;
use weir_core::OperatorUid;
use weir_core::snapshot::RestoredState;
use weir_core::window::{AggregateFunction, Slicing, SlidingWindows, TumblingWindows};
use weir_state::ValueStateDescriptor;

/// `(key, timestamp)`.
type Event = (u32, i64);

/// Counts each window's firings in per-window state; `clear` reports the count (and drops it
/// itself if `clear_itself`); with `touch_in_clear` false, `clear` does not look at state.
#[derive(Clone)]
struct CountFirings {
    fired: ValueStateDescriptor<u32>,
    clear_itself: bool,
    touch_in_clear: bool,
}

impl CountFirings {
    fn new(clear_itself: bool) -> Self {
        CountFirings { fired: ValueStateDescriptor::new("fired"), clear_itself, touch_in_clear: true }
    }
}

impl ProcessWindowFunction<u32, u64, String, TimeWindow> for CountFirings {
    fn process(
        &mut self,
        key: &u32,
        ctx: &mut WindowContext<'_, u32, TimeWindow, String>,
        _counts: Vec<u64>,
    ) -> Result<()> {
        let mut fired = ctx.window_state().value(&self.fired)?;
        *fired.get_or_insert_with(|| 0) += 1;
        let n = fired.value();
        let start = ctx.window().start;
        ctx.collect(format!("{key} {start} fired {n:?}"));
        Ok(())
    }

    fn clear(&mut self, key: &u32, ctx: &mut WindowContext<'_, u32, TimeWindow, String>) -> Result<()> {
        let start = ctx.window().start;
        if !self.touch_in_clear {
            ctx.collect(format!("{key} {start} cleared"));
            return Ok(());
        }
        let n = ctx.window_state().value(&self.fired)?.value();
        ctx.collect(format!("{key} {start} cleared after {n:?}"));
        if self.clear_itself {
            ctx.window_state().value(&self.fired)?.clear();
        }
        Ok(())
    }
}

#[derive(Clone)]
struct Count;

impl AggregateFunction<Event, u64, u64> for Count {
    fn create_accumulator(&self) -> u64 {
        0
    }
    fn add(&self, acc: &mut u64, _value: &Event) {
        *acc += 1;
    }
    fn merge(&self, acc: &mut u64, other: &u64) {
        *acc += other;
    }
    fn get_result(&self, acc: &u64) -> u64 {
        *acc
    }
}

const LATENESS: i64 = 500;

fn tumbling() -> TumblingWindows {
    TumblingWindows::event_time(std::time::Duration::from_secs(1)).expect("valid")
}

type General = WindowOperator<u32, Event, TimeWindow, String, Incremental<Count, u64, u64, CountFirings>>;
type Sliced = SlicingWindowOperator<u32, Event, TimeWindow, u64, u64, String, Count, CountFirings>;

/// Either operator, with a way to its keyed state.
trait UnderTest: OneInputOperator<Event, String> {
    fn keyed_state(&mut self) -> &mut KeyedStateBackend<u32>;
}

impl UnderTest for General {
    fn keyed_state(&mut self) -> &mut KeyedStateBackend<u32> {
        self.state.as_mut().expect("started")
    }
}

impl UnderTest for Sliced {
    fn keyed_state(&mut self) -> &mut KeyedStateBackend<u32> {
        self.keyed_state().expect("started")
    }
}

fn general(function: CountFirings, lateness: i64) -> Box<dyn UnderTest> {
    let spec = WindowSpec {
        key_selector: Arc::new(|e: &Event| e.0),
        assigner: Arc::new(tumbling()),
        trigger: Arc::from(WindowAssigner::<Event>::default_trigger(&tumbling())),
        allowed_lateness: lateness,
        late_tag: None,
    };
    let core = Incremental { aggregate: Arc::new(Count), process: function, _types: PhantomData };
    Box::new(General::new(spec, core))
}

fn sliced(function: CountFirings, lateness: i64) -> Box<dyn UnderTest> {
    let slicing = Slicing::for_tumbling(&tumbling()).expect("sliceable");
    Box::new(Sliced::new(Arc::new(|e: &Event| e.0), slicing, Arc::new(Count), function, lateness, None))
}

/// An operator started (restoring `restored` if given), and its output.
struct Harness {
    op: Box<dyn UnderTest>,
    out: Output<String>,
}

impl Harness {
    fn start(sliced_path: bool, function: CountFirings, restored: Option<Vec<u8>>) -> Harness {
        Harness::with_lateness(sliced_path, function, restored, LATENESS)
    }

    fn with_lateness(sliced_path: bool, function: CountFirings, restored: Option<Vec<u8>>, lateness: i64) -> Harness {
        let op = if sliced_path { sliced(function, lateness) } else { general(function, lateness) };
        Harness::started(op, restored)
    }

    fn started(mut op: Box<dyn UnderTest>, restored: Option<Vec<u8>>) -> Harness {
        let restored = restored.map(|bytes| {
            Arc::new(RestoredState {
                checkpoint_id: 1,
                snapshots: vec![Arc::new(bytes)],
                rescaled: false,
                ..RestoredState::default()
            })
        });
        let ctx = OperatorContext::new("window", OperatorUid("window".into()), 0, 1, 128).with_restored(restored);
        op.on_start(&ctx).expect("starts");
        Harness { op, out: Output::new() }
    }

    fn records(&mut self, events: &[Event]) {
        let batch = events.iter().map(|e| Record::with_timestamp(*e, e.1)).collect();
        self.op.process_batch(batch, &mut self.out).expect("batch");
    }

    fn watermark(&mut self, time: Timestamp) {
        self.op.handle_watermark(Watermark(time), &mut self.out).expect("watermark");
    }

    fn output(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(element) = self.out.pop() {
            if let weir_core::output::Emitted::Batch(batch) = element {
                lines.extend(batch.into_iter().map(|r| r.value));
            }
        }
        lines
    }

    /// The per-window count of `key`'s window starting at `start`, read from keyed state.
    fn fired(&mut self, key: u32, start: i64) -> Option<u32> {
        let state = self.op.keyed_state();
        state.set_current_key(key, assign_key_group(&key, 128).expect("hash")).expect("in range");
        let derived = MapStateDescriptor::<TimeWindow, u32>::new("window-state:fired");
        state.map_get(&derived, &TimeWindow::new(start, start + 1_000)).expect("readable")
    }

    fn snapshot(&mut self) -> Vec<u8> {
        let info = CheckpointInfo { id: 1, timestamp: 0, is_savepoint: false };
        let snapshot = self.op.snapshot_state(&info, &mut self.out).expect("snapshot").expect("keyed state");
        snapshot.data.into_bytes().expect("bytes")
    }
}

fn per_window_state_goes_with_its_window(sliced_path: bool, clear_itself: bool) {
    let mut h = Harness::start(sliced_path, CountFirings::new(clear_itself), None);
    h.records(&[(1, 100), (2, 200)]);
    h.watermark(999);
    h.records(&[(1, 300), (1, 1_200)]);
    assert_eq!(h.output(), ["1 0 fired Some(1)", "2 0 fired Some(1)", "1 0 fired Some(2)"]);
    assert_eq!((h.fired(1, 0), h.fired(2, 0)), (Some(2), Some(1)));
    // [0, 1000) is cleaned up at 999 + 500.
    h.watermark(1_499);
    assert_eq!(h.output(), ["1 0 cleared after Some(2)", "2 0 cleared after Some(1)"]);
    assert_eq!((h.fired(1, 0), h.fired(2, 0)), (None, None), "gone with the window");
    h.watermark(1_999);
    assert_eq!(h.output(), ["1 1000 fired Some(1)"]);
    assert_eq!(h.fired(1, 1_000), Some(1));
    h.watermark(2_499);
    assert_eq!(h.output(), ["1 1000 cleared after Some(1)"]);
    assert_eq!(h.fired(1, 1_000), None);
}

#[test]
fn per_window_state_is_dropped_at_cleanup_when_clear_leaves_it() {
    per_window_state_goes_with_its_window(false, false);
    per_window_state_goes_with_its_window(true, false);
}

#[test]
fn per_window_state_dropped_by_clear_itself_is_gone_too() {
    per_window_state_goes_with_its_window(false, true);
    per_window_state_goes_with_its_window(true, true);
}

fn restored_entries_of_cleaned_up_windows_are_swept(sliced_path: bool) {
    // `clear` does not look at state: after a restore, the operator learns the per-window
    // state's name only when a window fires again.
    let function = CountFirings { touch_in_clear: false, ..CountFirings::new(false) };
    let mut h = Harness::start(sliced_path, function.clone(), None);
    h.records(&[(1, 100), (2, 200), (2, 1_100)]);
    h.watermark(999);
    assert_eq!(h.output(), ["1 0 fired Some(1)", "2 0 fired Some(1)"]);
    let bytes = h.snapshot();

    let mut r = Harness::start(sliced_path, function, Some(bytes));
    assert_eq!((r.fired(1, 0), r.fired(2, 0)), (Some(1), Some(1)), "restored");
    // Both [0, 1000) are cleaned up before anything names the state: their entries stay.
    r.watermark(1_499);
    assert_eq!(r.output(), ["1 0 cleared", "2 0 cleared"]);
    assert_eq!((r.fired(1, 0), r.fired(2, 0)), (Some(1), Some(1)), "the name is not known yet");
    // Key 2's [1000, 2000) fires and names the state: every key's stale entries go.
    r.watermark(1_999);
    assert_eq!(r.output(), ["2 1000 fired Some(1)"]);
    assert_eq!((r.fired(1, 0), r.fired(2, 0), r.fired(2, 1_000)), (None, None, Some(1)));
}

#[test]
fn after_a_restore_the_first_use_sweeps_entries_of_windows_cleaned_up_before() {
    restored_entries_of_cleaned_up_windows_are_swept(false);
    restored_entries_of_cleaned_up_windows_are_swept(true);
}

fn a_late_record_first_after_a_restore_refires_its_window(sliced_path: bool) {
    // Lateness 1500: [0, 1000) and [1000, 2000) have both fired at watermark 1999, and [0, 1000)
    // waits for late records until 2499.
    let mut h = Harness::with_lateness(sliced_path, CountFirings::new(false), None, 1_500);
    h.records(&[(1, 100), (1, 1_100)]);
    h.watermark(1_999);
    assert_eq!(h.output(), ["1 0 fired Some(1)", "1 1000 fired Some(1)"]);
    let bytes = h.snapshot();

    // A restored operator knows no watermark until the first one arrives: the late record
    // a@300 comes before it. Its window re-fires at that watermark (as it would have at once
    // without the restore), and only its window: [1000, 2000) fired before and has nothing new.
    let mut r = Harness::with_lateness(sliced_path, CountFirings::new(false), Some(bytes), 1_500);
    r.records(&[(1, 300)]);
    r.watermark(2_000);
    assert_eq!(r.output(), ["1 0 fired Some(2)"]);
    r.watermark(3_499);
    assert_eq!(r.output(), ["1 0 cleared after Some(2)", "1 1000 cleared after Some(1)"]);
}

#[test]
fn a_late_record_first_after_a_restore_refires_its_window_once() {
    a_late_record_first_after_a_restore_refires_its_window(false);
    a_late_record_first_after_a_restore_refires_its_window(true);
}

/// Emits `key start count` for every firing.
#[derive(Clone)]
struct EmitCount;

impl ProcessWindowFunction<u32, u64, String, TimeWindow> for EmitCount {
    fn process(
        &mut self,
        key: &u32,
        ctx: &mut WindowContext<'_, u32, TimeWindow, String>,
        counts: Vec<u64>,
    ) -> Result<()> {
        let start = ctx.window().start;
        ctx.collect(format!("{key} {start} {}", counts.iter().sum::<u64>()));
        Ok(())
    }
}

type SlicedSliding = SlicingWindowOperator<u32, Event, TimeWindow, u64, u64, String, Count, EmitCount>;

impl UnderTest for SlicedSliding {
    fn keyed_state(&mut self) -> &mut KeyedStateBackend<u32> {
        self.keyed_state().expect("started")
    }
}

/// 1 s windows every 300 ms (the slide does not divide the size: slices of 100 and 200 ms).
fn sliced_sliding(lateness: i64) -> Box<dyn UnderTest> {
    let sliding =
        SlidingWindows::event_time(std::time::Duration::from_millis(1_000), std::time::Duration::from_millis(300))
            .expect("valid");
    let slicing = Slicing::for_sliding(&sliding).expect("sliceable");
    Box::new(SlicedSliding::new(Arc::new(|e: &Event| e.0), slicing, Arc::new(Count), EmitCount, lateness, None))
}

/// Feeds `steps` (a batch, then a watermark) and returns everything emitted.
fn feed(h: &mut Harness, steps: &[(Vec<Event>, Timestamp)]) -> Vec<String> {
    let mut lines = Vec::new();
    for (batch, watermark) in steps {
        h.records(batch);
        h.watermark(*watermark);
        lines.extend(h.output());
    }
    lines
}

#[test]
fn a_restored_sliding_operator_with_a_non_dividing_slide_fires_as_an_uninterrupted_one() {
    // Three keys; each batch's records lie 100 to 500 ms behind its step and each watermark
    // 150 ms behind it, so a good part of every batch is late for a window that fired, which
    // re-fires within the lateness (500 ms), also after the restore. The Two-Stacks cache is
    // not in the snapshot: the restored operator rebuilds it.
    for lateness in [0, 500] {
        let steps: Vec<(Vec<Event>, Timestamp)> = (0..40i64)
            .map(|step| {
                let batch = (0..7i64)
                    .map(|i| ((((step * 7 + i) % 3) as u32), step * 100 - 500 + (step * 7 + i) * 53 % 400))
                    .filter(|e| e.1 >= 0)
                    .collect();
                (batch, step * 100 - 150)
            })
            .collect();
        let mut whole = Harness::started(sliced_sliding(lateness), None);
        let expected = feed(&mut whole, &steps);
        assert!(expected.len() > 30, "the windows fire: {expected:?}");

        let (before, after) = steps.split_at(23);
        let mut first = Harness::started(sliced_sliding(lateness), None);
        let mut got = feed(&mut first, before);
        let bytes = first.snapshot();
        let mut restored = Harness::started(sliced_sliding(lateness), Some(bytes));
        // The first watermark after the restore is the last one before it (as a source resuming
        // from the snapshot would send), then the rest.
        restored.watermark(before[before.len() - 1].1);
        got.extend(restored.output());
        got.extend(feed(&mut restored, after));
        // Keys whose timers share a time may fire in another order after a restore (timers are
        // restored by key group); each key's own firings are in the same order.
        let of_key = |lines: &[String], key: &str| -> Vec<String> {
            lines.iter().filter(|l| l.split(' ').next() == Some(key)).cloned().collect()
        };
        assert_eq!(got.len(), expected.len(), "lateness {lateness}");
        for key in ["0", "1", "2"] {
            assert_eq!(of_key(&got, key), of_key(&expected, key), "lateness {lateness}, key {key}");
        }
    }
}

type GeneralSliding = WindowOperator<u32, Event, TimeWindow, String, Incremental<Count, u64, u64, EmitCount>>;

impl UnderTest for GeneralSliding {
    fn keyed_state(&mut self) -> &mut KeyedStateBackend<u32> {
        self.state.as_mut().expect("started")
    }
}

/// The general operator over the windows of [`sliced_sliding`].
fn general_sliding(lateness: i64) -> Box<dyn UnderTest> {
    let sliding =
        SlidingWindows::event_time(std::time::Duration::from_millis(1_000), std::time::Duration::from_millis(300))
            .expect("valid");
    let spec = WindowSpec {
        key_selector: Arc::new(|e: &Event| e.0),
        assigner: Arc::new(sliding),
        trigger: Arc::from(WindowAssigner::<Event>::default_trigger(&sliding)),
        allowed_lateness: lateness,
        late_tag: None,
    };
    let core = Incremental { aggregate: Arc::new(Count), process: EmitCount, _types: PhantomData };
    Box::new(GeneralSliding::new(spec, core))
}

#[test]
fn a_watermark_past_several_window_ends_fires_each_window_once_in_order_per_key() {
    // Without lateness, a firing fires the key's next window at once if the watermark passed its
    // end too. Key 0's slice at 2,500 asks for a timer of its own (nothing leads there yet);
    // the record at 1,400 then closes the gap, so the key's firings reach that window before
    // its timer, which must not fire it again. Key 1 has a slice every 100 ms, key 2 a few.
    let mut steps: Vec<(Vec<Event>, Timestamp)> = vec![
        (vec![(0, 100), (2, 50), (2, 1_900)], 0),
        (vec![(0, 2_500), (2, 3_100)], 10),
        (vec![(0, 1_400)], 20),
        ((0..40).map(|i| (1, i * 100)).collect(), 1_650),
        (vec![(0, 1_700), (1, 4_000)], 2_900),
    ];
    steps.push((vec![(2, 5_000), (0, 4_200)], 4_990));
    steps.push((Vec::new(), 10_000));
    for lateness in [0, 500] {
        let mut sliced = Harness::started(sliced_sliding(lateness), None);
        let mut general = Harness::started(general_sliding(lateness), None);
        let got = feed(&mut sliced, &steps);
        let expected = feed(&mut general, &steps);
        assert!(expected.len() > 40, "the windows fire: {expected:?}");
        let of_key = |lines: &[String], key: &str| -> Vec<String> {
            lines.iter().filter(|l| l.split(' ').next() == Some(key)).cloned().collect()
        };
        for key in ["0", "1", "2"] {
            assert_eq!(of_key(&got, key), of_key(&expected, key), "lateness {lateness}, key {key}");
        }
        assert_eq!(got.len(), expected.len(), "lateness {lateness}");
    }
}
