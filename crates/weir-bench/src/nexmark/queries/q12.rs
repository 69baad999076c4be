//! Query 12, processing-time windows: how many bids each bidder makes per 10 seconds of
//! processing time (the wall clock where the window operator runs).
//!
//! ```sql
//! CREATE VIEW B AS SELECT *, PROCTIME() AS p_time FROM bid;
//! SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
//! FROM TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
//! GROUP BY bidder, window_start, window_end;
//! ```
//!
//! As a weir job: the bidders of the bids (only what the query reads crosses the exchange) keyed
//! by bidder into processing-time tumbling windows with an incremental count. The results depend
//! on when records arrive, so only their totals are reproducible.
//!
//! **End of input.** Processing-time windows fire when the clock passes their end; when a
//! bounded input ends first, weir (like Flink) ends the job without firing them, and a run
//! shorter than a window would emit nothing. So the windows here have
//! [`ProcessingTimeOrEndOfInput`], which is the processing-time trigger plus a firing at the
//! final watermark (`i64::MAX`, sent only when every source has ended): every bid is counted
//! exactly once, in a window that fired on time or at the end.

use super::CountRecords;
use crate::nexmark::model::Event;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use weir_core::Timestamp;
use weir_core::window::{ProcessingTimeTrigger, Trigger, TriggerContext, TriggerResult};
use weir_runtime::prelude::*;

/// The windows' length.
pub const SIZE: Duration = Duration::from_secs(10);

/// One result: a bidder's bids in one processing-time window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BidderWindowCount {
    pub bidder: u64,
    pub bids: u64,
    pub start: Timestamp,
    pub end: Timestamp,
}

pub fn build(events: &DataStream<Event>) -> Result<DataStream<BidderWindowCount>> {
    Ok(events
        .flat_map(|event: Event| event.into_bid().map(|bid| bid.bidder))
        .name("q12: bidder of every bid")
        .key_by(|&bidder: &u64| bidder)
        .window(TumblingWindows::processing_time(SIZE)?)
        .trigger(ProcessingTimeOrEndOfInput)
        .aggregate_with_process(CountRecords, EmitWindowCount)
        .uid("q12-counts")
        .name("q12: bids per bidder and processing-time window"))
}

/// Emits a window's count with its bidder and bounds.
#[derive(Debug, Clone, Copy)]
pub struct EmitWindowCount;

impl ProcessWindowFunction<u64, u64, BidderWindowCount, TimeWindow> for EmitWindowCount {
    fn process(
        &mut self,
        bidder: &u64,
        ctx: &mut WindowContext<'_, u64, TimeWindow, BidderWindowCount>,
        counts: Vec<u64>,
    ) -> Result<()> {
        let TimeWindow { start, end } = *ctx.window();
        for bids in counts {
            ctx.collect(BidderWindowCount { bidder: *bidder, bids, start, end });
        }
        Ok(())
    }
}

/// Fires a window when processing time passes its end (as [`ProcessingTimeTrigger`]) or, with
/// its contents purged, when the final watermark of a bounded input arrives.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessingTimeOrEndOfInput;

impl<T, W: Window> Trigger<T, W> for ProcessingTimeOrEndOfInput {
    fn on_element(
        &self,
        element: &T,
        timestamp: Timestamp,
        window: &W,
        ctx: &mut dyn TriggerContext,
    ) -> Result<TriggerResult> {
        ctx.register_event_time_timer(Timestamp::MAX)?;
        Trigger::<T, W>::on_element(&ProcessingTimeTrigger, element, timestamp, window, ctx)
    }

    fn on_processing_time(&self, time: Timestamp, window: &W, ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        Trigger::<T, W>::on_processing_time(&ProcessingTimeTrigger, time, window, ctx)
    }

    fn on_event_time(&self, time: Timestamp, _window: &W, _ctx: &mut dyn TriggerContext) -> Result<TriggerResult> {
        Ok(if time == Timestamp::MAX { TriggerResult::FireAndPurge } else { TriggerResult::Continue })
    }

    fn clear(&self, window: &W, ctx: &mut dyn TriggerContext) -> Result<()> {
        ctx.delete_event_time_timer(Timestamp::MAX)?;
        Trigger::<T, W>::clear(&ProcessingTimeTrigger, window, ctx)
    }
}
