//! The input gate: the consumer side of all channels into one subtask.
//!
//! It takes elements from its channels fairly (round-robin when several have data, blocking on
//! all of them with `crossbeam` select when none has), and turns per-channel control elements
//! into the subtask's view of the stream:
//! - the subtask's **watermark** is the minimum over its channels that are neither idle nor
//!   finished; it is reported only when it advances, so it never goes backwards;
//! - the subtask is **idle** when every channel that has not ended is idle; that status is
//!   reported when it changes, so consumers further down stop waiting for this subtask too;
//! - an input **ends** when every channel of that input sent end-of-input;
//! - a channel that closes without end-of-input means its producer stopped abnormally (a failure
//!   or a cancellation), which ends this subtask too.
//!
//! - a checkpoint **barrier** is aligned over the channels by a
//!   [`BarrierAligner`](crate::checkpointing::alignment::BarrierAligner): in exactly-once mode a
//!   channel that delivered the barrier is not read until every open channel did.
//!
//! The gate also listens to the subtask's command channel from the job manager (checkpoint
//! notifications), so a subtask blocked on its inputs still hears them.
//!
//! Before blocking, a gate polls its channels for a short while ([`SPIN_WAIT`]): a consumer that
//! keeps pace with its producer would otherwise park and be woken for every batch, and on this
//! scale the futex round trip costs more than the batch (measured: 53% of the `rebalance`
//! benchmark's samples in the scheduler). With no more subtask threads than cores it spins; with
//! more, it yields between polls, so a producer waiting for the core runs first.

use super::element::{AnyBatch, ChannelElement, InputEnd};
use crate::checkpointing::alignment::{AlignmentEvent, AlignmentMode, BarrierAligner};
use crate::checkpointing::messages::TaskCommand;
use crossbeam_channel::{Receiver, Select, TryRecvError};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How long a gate polls before it blocks.
pub(crate) const SPIN_WAIT: Duration = Duration::from_micros(50);
use weir_core::operator::InputSide;
use weir_core::snapshot::CheckpointInfo;
use weir_core::time::WatermarkStatus;
use weir_core::{Error, Result, Watermark};

/// One channel from one producer subtask.
pub(crate) struct InputChannel {
    pub(crate) receiver: Receiver<ChannelElement>,
    pub(crate) side: InputSide,
    watermark: Watermark,
    idle: bool,
    ended: bool,
    /// It ended because the job stops for a savepoint: its watermark still holds the others
    /// back, so event time does not run ahead of records it will deliver after the restore.
    stopped: bool,
}

impl InputChannel {
    pub(crate) fn new(receiver: Receiver<ChannelElement>, side: InputSide) -> Self {
        InputChannel { receiver, side, watermark: Watermark::MIN, idle: false, ended: false, stopped: false }
    }
}

/// What the subtask has to do next.
pub(crate) enum GateEvent {
    Batch(InputSide, AnyBatch),
    Watermark(Watermark),
    /// Every open channel went idle, or one became active again.
    WatermarkStatus(WatermarkStatus),
    /// Every channel of this side ended; `Stopped` if any of them stopped for a savepoint.
    EndOfInput(InputSide, InputEnd),
    /// Barrier `info` arrived on every open channel: snapshot now.
    Barrier {
        info: CheckpointInfo,
        alignment: Duration,
    },
    /// A newer barrier overtook checkpoint `id` during its alignment: decline it.
    AlignmentAborted {
        id: u64,
    },
    /// A command from the job manager.
    Command(TaskCommand),
    /// Every input ended.
    Finished,
    /// The deadline passed with nothing to read.
    TimedOut,
}

pub(crate) struct InputGate {
    channels: Vec<InputChannel>,
    /// Channels of each side that have not ended.
    open: [usize; 2],
    /// Whether a channel of each side ended because the job is stopping for a savepoint.
    stopped: [bool; 2],
    watermark: Watermark,
    next_poll: usize,
    pending: VecDeque<GateEvent>,
    /// Whether to spin (true) or yield (false) while polling before blocking.
    spin: bool,
    /// Whether this gate last reported itself idle.
    idle: bool,
    aligner: BarrierAligner,
    commands: Option<Receiver<TaskCommand>>,
}

/// Where an element came from.
enum Source {
    Channel(usize, ChannelElement),
    Command(TaskCommand),
}

fn side_index(side: InputSide) -> usize {
    match side {
        InputSide::First => 0,
        InputSide::Second => 1,
    }
}

impl InputGate {
    pub(crate) fn new(channels: Vec<InputChannel>) -> Self {
        let mut open = [0, 0];
        let aligner = BarrierAligner::new(AlignmentMode::ExactlyOnce, channels.len());
        for c in &channels {
            open[side_index(c.side)] += 1;
        }
        InputGate {
            channels,
            open,
            stopped: [false, false],
            watermark: Watermark::MIN,
            next_poll: 0,
            pending: VecDeque::new(),
            spin: false,
            idle: false,
            aligner,
            commands: None,
        }
    }

    /// Aligns barriers in `mode` and listens to the job manager's `commands`.
    pub(crate) fn with_checkpointing(mut self, mode: AlignmentMode, commands: Receiver<TaskCommand>) -> Self {
        self.aligner = BarrierAligner::new(mode, self.channels.len());
        self.commands = Some(commands);
        self
    }

    /// The checkpoint being aligned, if any.
    pub(crate) fn aligning(&self) -> Option<u64> {
        self.aligner.aligning()
    }

    /// Spin rather than yield while polling before blocking (see the module docs).
    pub(crate) fn with_spin(mut self, spin: bool) -> Self {
        self.spin = spin;
        self
    }

    /// The next event, waiting at most until `deadline` (forever if `None`).
    pub(crate) fn next(&mut self, deadline: Option<Instant>) -> Result<GateEvent> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(event);
            }
            if self.open == [0, 0] {
                return Ok(GateEvent::Finished);
            }
            let received = match self.try_receive()? {
                Some(received) => received,
                None => match self.spin_receive(deadline)? {
                    Some(received) => received,
                    None => match self.wait(deadline)? {
                        Some(received) => received,
                        None => return Ok(GateEvent::TimedOut),
                    },
                },
            };
            match received {
                Source::Channel(i, element) => self.handle(i, element),
                Source::Command(command) => return Ok(GateEvent::Command(command)),
            }
        }
    }

    /// Polls for a short while, not past the deadline.
    fn spin_receive(&mut self, deadline: Option<Instant>) -> Result<Option<Source>> {
        let start = Instant::now();
        let until = deadline.map_or(start + SPIN_WAIT, |d| d.min(start + SPIN_WAIT));
        loop {
            if self.spin {
                for _ in 0..64 {
                    std::hint::spin_loop();
                }
            } else {
                std::thread::yield_now();
            }
            if let Some(received) = self.try_receive()? {
                return Ok(Some(received));
            }
            if Instant::now() >= until {
                return Ok(None);
            }
        }
    }

    /// Takes a command if one waits, else an element from the next readable channel
    /// (round-robin) that has one.
    fn try_receive(&mut self) -> Result<Option<Source>> {
        if let Some(commands) = &self.commands {
            match commands.try_recv() {
                Ok(command) => return Ok(Some(Source::Command(command))),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => self.commands = None,
            }
        }
        let n = self.channels.len();
        for k in 0..n {
            let i = (self.next_poll + k) % n;
            if self.channels[i].ended || self.aligner.is_blocked(i) {
                continue;
            }
            match self.channels[i].receiver.try_recv() {
                Ok(element) => {
                    self.next_poll = (i + 1) % n;
                    return Ok(Some(Source::Channel(i, element)));
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => return Err(Error::Cancelled),
            }
        }
        Ok(None)
    }

    /// Blocks until a readable channel has an element, a command comes, or the deadline passes.
    fn wait(&mut self, deadline: Option<Instant>) -> Result<Option<Source>> {
        let mut select = Select::new();
        let mut indices = Vec::with_capacity(self.channels.len());
        for (i, channel) in self.channels.iter().enumerate() {
            if !channel.ended && !self.aligner.is_blocked(i) {
                select.recv(&channel.receiver);
                indices.push(i);
            }
        }
        let command_index = self.commands.as_ref().map(|commands| select.recv(commands));
        let operation = match deadline {
            Some(deadline) => match select.select_deadline(deadline) {
                Ok(operation) => operation,
                Err(_) => return Ok(None),
            },
            None => select.select(),
        };
        if Some(operation.index()) == command_index {
            let commands = self.commands.as_ref().ok_or_else(|| Error::Internal("command channel vanished".into()))?;
            return match operation.recv(commands) {
                Ok(command) => Ok(Some(Source::Command(command))),
                Err(_) => {
                    self.commands = None;
                    Ok(None)
                }
            };
        }
        let i = indices[operation.index()];
        let element = operation.recv(&self.channels[i].receiver).map_err(|_| Error::Cancelled)?;
        self.next_poll = (i + 1) % self.channels.len();
        Ok(Some(Source::Channel(i, element)))
    }

    fn handle(&mut self, i: usize, element: ChannelElement) {
        let side = self.channels[i].side;
        match element {
            ChannelElement::Batch(batch) => self.pending.push_back(GateEvent::Batch(side, batch)),
            ChannelElement::Watermark(watermark) => {
                let channel = &mut self.channels[i];
                channel.watermark = channel.watermark.max(watermark);
                channel.idle = false;
                self.report_status();
                self.advance_watermark();
            }
            ChannelElement::WatermarkStatus(status) => {
                self.channels[i].idle = status == WatermarkStatus::Idle;
                self.advance_watermark();
                self.report_status();
            }
            ChannelElement::Barrier(info) => {
                let events = self.aligner.on_barrier(i, info, Instant::now());
                self.push_alignment(events);
            }
            ChannelElement::EndOfInput(end) => {
                self.channels[i].ended = true;
                if end == InputEnd::Stopped {
                    self.channels[i].stopped = true;
                    self.stopped[side_index(side)] = true;
                }
                let completed = self.aligner.on_end_of_input(i, Instant::now());
                self.push_alignment(completed);
                self.open[side_index(side)] -= 1;
                self.advance_watermark();
                self.report_status();
                if self.open[side_index(side)] == 0 {
                    let end = if self.stopped[side_index(side)] { InputEnd::Stopped } else { InputEnd::Finished };
                    self.pending.push_back(GateEvent::EndOfInput(side, end));
                }
            }
        }
    }

    fn push_alignment(&mut self, events: impl IntoIterator<Item = AlignmentEvent>) {
        for event in events {
            self.pending.push_back(match event {
                AlignmentEvent::Completed { info, alignment } => GateEvent::Barrier { info, alignment },
                AlignmentEvent::Aborted { id } => GateEvent::AlignmentAborted { id },
            });
        }
    }

    /// Reports a change of the gate's idleness: idle when every open channel is idle.
    fn report_status(&mut self) {
        let mut open = self.channels.iter().filter(|c| !c.ended).peekable();
        let idle = open.peek().is_some() && open.all(|c| c.idle);
        if idle != self.idle {
            self.idle = idle;
            self.pending.push_back(GateEvent::WatermarkStatus(if idle {
                WatermarkStatus::Idle
            } else {
                WatermarkStatus::Active
            }));
        }
    }

    /// Reports the minimum over active channels (open or stopped, not idle) if it moved forward.
    fn advance_watermark(&mut self) {
        let minimum = self.channels.iter().filter(|c| (!c.ended || c.stopped) && !c.idle).map(|c| c.watermark).min();
        if let Some(minimum) = minimum
            && minimum > self.watermark
        {
            self.watermark = minimum;
            self.pending.push_back(GateEvent::Watermark(minimum));
        }
    }
}

#[cfg(test)]
mod tests;
