use super::*;
use crate::checkpointing::alignment::AlignmentMode;
use crate::checkpointing::messages::TaskCommand;
use crossbeam_channel::{Sender, unbounded};
use std::time::Duration;
use weir_core::snapshot::CheckpointInfo;

fn gate(sides: &[InputSide]) -> (InputGate, Vec<Sender<ChannelElement>>) {
    let (senders, channels): (Vec<_>, Vec<_>) = sides
        .iter()
        .map(|&side| {
            let (tx, rx) = unbounded();
            (tx, InputChannel::new(rx, side))
        })
        .unzip();
    (InputGate::new(channels), senders)
}

fn describe(event: GateEvent) -> String {
    match event {
        GateEvent::Batch(side, _) => format!("batch{side:?}"),
        GateEvent::Watermark(w) => format!("wm{w}"),
        GateEvent::WatermarkStatus(s) => format!("{s:?}"),
        GateEvent::EndOfInput(side, InputEnd::Finished) => format!("end{side:?}"),
        GateEvent::EndOfInput(side, InputEnd::Stopped) => format!("stopped{side:?}"),
        GateEvent::Finished => "finished".into(),
        GateEvent::TimedOut => "timeout".into(),
        GateEvent::Barrier { info, .. } => format!("barrier{}", info.id),
        GateEvent::AlignmentAborted { id } => format!("aborted{id}"),
        GateEvent::Command(command) => format!("{command:?}"),
    }
}

fn next(g: &mut InputGate) -> String {
    describe(g.next(Some(Instant::now())).expect("event"))
}

#[test]
fn the_watermark_is_the_minimum_over_channels_and_never_goes_back() {
    let (mut g, tx) = gate(&[InputSide::First, InputSide::First]);
    tx[0].send(ChannelElement::Watermark(Watermark(10))).expect("send");
    assert_eq!(next(&mut g), "timeout", "channel 1 has no watermark yet");
    tx[1].send(ChannelElement::Watermark(Watermark(5))).expect("send");
    assert_eq!(next(&mut g), "wm5");
    tx[1].send(ChannelElement::Watermark(Watermark(3))).expect("send");
    tx[1].send(ChannelElement::Watermark(Watermark(20))).expect("send");
    assert_eq!(next(&mut g), "wm10");
}

#[test]
fn an_idle_channel_does_not_hold_back_the_watermark() {
    let (mut g, tx) = gate(&[InputSide::First, InputSide::First]);
    tx[0].send(ChannelElement::Watermark(Watermark(10))).expect("send");
    tx[1].send(ChannelElement::WatermarkStatus(WatermarkStatus::Idle)).expect("send");
    assert_eq!(next(&mut g), "wm10");
}

#[test]
fn the_gate_is_idle_when_every_open_channel_is() {
    let (mut g, tx) = gate(&[InputSide::First, InputSide::First]);
    tx[0].send(ChannelElement::WatermarkStatus(WatermarkStatus::Idle)).expect("send");
    assert_eq!(next(&mut g), "timeout", "one of two idle: the gate is not");
    tx[1].send(ChannelElement::WatermarkStatus(WatermarkStatus::Idle)).expect("send");
    assert_eq!(next(&mut g), "Idle");
    tx[0].send(ChannelElement::Watermark(Watermark(4))).expect("send");
    assert_eq!(next(&mut g), "Active");
    assert_eq!(next(&mut g), "wm4", "channel 1 is idle, so channel 0 alone sets the watermark");
}

#[test]
fn inputs_end_separately_and_then_the_gate_finishes() {
    let (mut g, tx) = gate(&[InputSide::First, InputSide::Second, InputSide::Second]);
    tx[1].send(ChannelElement::EndOfInput(InputEnd::Finished)).expect("send");
    assert_eq!(next(&mut g), "timeout");
    tx[2].send(ChannelElement::EndOfInput(InputEnd::Finished)).expect("send");
    assert_eq!(next(&mut g), "endSecond");
    tx[0].send(ChannelElement::Batch(Box::new(Vec::<weir_core::Record<u8>>::new()))).expect("send");
    tx[0].send(ChannelElement::EndOfInput(InputEnd::Finished)).expect("send");
    assert_eq!(next(&mut g), "batchFirst");
    assert_eq!(next(&mut g), "endFirst");
    assert_eq!(next(&mut g), "finished");
}

#[test]
fn a_finished_channel_stops_holding_back_the_watermark_but_a_stopped_one_does_not() {
    let (mut g, tx) = gate(&[InputSide::First, InputSide::First]);
    tx[0].send(ChannelElement::Watermark(Watermark(10))).expect("send");
    tx[1].send(ChannelElement::Watermark(Watermark(100))).expect("send");
    assert_eq!(next(&mut g), "wm10");
    // Stopped for a savepoint at 10: the rest of its records (after the restore) may be as
    // early as 10, so the other channel alone must not move event time past it.
    tx[0].send(ChannelElement::EndOfInput(InputEnd::Stopped)).expect("send");
    tx[1].send(ChannelElement::Watermark(Watermark(200))).expect("send");
    assert_eq!(next(&mut g), "timeout");
    tx[1].send(ChannelElement::EndOfInput(InputEnd::Finished)).expect("send");
    assert_eq!(next(&mut g), "stoppedFirst", "one channel stopped: the side stopped");

    let (mut g, tx) = gate(&[InputSide::First, InputSide::First]);
    tx[0].send(ChannelElement::Watermark(Watermark(10))).expect("send");
    tx[0].send(ChannelElement::EndOfInput(InputEnd::Finished)).expect("send");
    assert_eq!(next(&mut g), "timeout");
    tx[1].send(ChannelElement::Watermark(Watermark(100))).expect("send");
    assert_eq!(next(&mut g), "wm100", "a finished channel holds nothing back");
}

#[test]
fn a_producer_that_vanishes_without_ending_cancels_the_consumer() {
    let (mut g, tx) = gate(&[InputSide::First]);
    drop(tx);
    assert!(matches!(g.next(None), Err(Error::Cancelled)));
}

#[test]
fn channels_are_read_fairly() {
    let (mut g, tx) = gate(&[InputSide::First, InputSide::Second]);
    for _ in 0..3 {
        for t in &tx {
            t.send(ChannelElement::Batch(Box::new(Vec::<weir_core::Record<u8>>::new()))).expect("send");
        }
    }
    let order: Vec<_> = (0..6).map(|_| next(&mut g)).collect();
    assert_eq!(order, ["batchFirst", "batchSecond", "batchFirst", "batchSecond", "batchFirst", "batchSecond"]);
}

#[test]
fn a_blocked_gate_wakes_for_data_from_another_thread() {
    let (mut g, tx) = gate(&[InputSide::First]);
    let sender = std::thread::spawn(move || tx[0].send(ChannelElement::Watermark(Watermark(1))).expect("send"));
    assert_eq!(describe(g.next(Some(Instant::now() + Duration::from_secs(60))).expect("event")), "wm1");
    sender.join().expect("sender");
}

fn barrier(id: u64) -> ChannelElement {
    ChannelElement::Barrier(CheckpointInfo { id, timestamp: 0, is_savepoint: false })
}

fn batch() -> ChannelElement {
    ChannelElement::Batch(Box::new(Vec::<weir_core::Record<u8>>::new()))
}

#[test]
fn exactly_once_holds_back_a_channel_behind_its_barrier_until_the_others_deliver_theirs() {
    let (gate, tx) = gate(&[InputSide::First, InputSide::First]);
    let (_commands_tx, commands) = unbounded();
    let mut g = gate.with_checkpointing(AlignmentMode::ExactlyOnce, commands);
    tx[0].send(barrier(1)).expect("send");
    tx[0].send(batch()).expect("send");
    tx[1].send(batch()).expect("send");
    assert_eq!(next(&mut g), "batchFirst", "channel 1's record comes first: channel 0 is blocked");
    assert_eq!(next(&mut g), "timeout", "channel 0's record after the barrier waits");
    tx[1].send(barrier(1)).expect("send");
    assert_eq!(next(&mut g), "barrier1");
    assert_eq!(next(&mut g), "batchFirst", "released after the snapshot");
}

#[test]
fn at_least_once_reads_on_behind_a_barrier() {
    let (gate, tx) = gate(&[InputSide::First, InputSide::First]);
    let (_commands_tx, commands) = unbounded();
    let mut g = gate.with_checkpointing(AlignmentMode::AtLeastOnce, commands);
    tx[0].send(barrier(1)).expect("send");
    tx[0].send(batch()).expect("send");
    assert_eq!(next(&mut g), "batchFirst");
    tx[1].send(barrier(1)).expect("send");
    assert_eq!(next(&mut g), "barrier1");
}

#[test]
fn commands_reach_a_gate_waiting_on_its_inputs() {
    let (gate, _tx) = gate(&[InputSide::First]);
    let (commands_tx, commands) = unbounded();
    let mut g = gate.with_checkpointing(AlignmentMode::ExactlyOnce, commands);
    commands_tx.send(TaskCommand::CheckpointComplete(3)).expect("send");
    assert_eq!(describe(g.next(None).expect("event")), "CheckpointComplete(3)");
}
