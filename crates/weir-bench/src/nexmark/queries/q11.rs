//! Query 11, user sessions: how many bids each bidder made per session, a session ending after
//! 10 seconds without a bid. Session windows.
//!
//! ```sql
//! SELECT B.bidder, count(*) AS bid_count,
//!        SESSION_START(B.dateTime, INTERVAL '10' SECOND) AS starttime,
//!        SESSION_END(B.dateTime, INTERVAL '10' SECOND) AS endtime
//! FROM bid B
//! GROUP BY B.bidder, SESSION(B.dateTime, INTERVAL '10' SECOND);
//! ```
//!
//! As a weir job: the bidders of the bids (only what the query reads crosses the exchange; the
//! record keeps its timestamp) keyed by bidder into event-time session windows with a 10 s gap
//! and an incremental count (weir's merging window operator). A session is `[first bid, last bid +
//! 10 s)`; two bids 10 s apart or less are in the same session, as in Flink.

use super::CountRecords;
use crate::nexmark::model::Event;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use weir_core::Timestamp;
use weir_runtime::prelude::*;

/// The inactivity that ends a session.
pub const GAP: Duration = Duration::from_secs(10);

/// One result: a bidder's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BidderSession {
    pub bidder: u64,
    pub bids: u64,
    pub start: Timestamp,
    pub end: Timestamp,
}

pub fn build(events: &DataStream<Event>) -> Result<DataStream<BidderSession>> {
    Ok(events
        .flat_map(|event: Event| event.into_bid().map(|bid| bid.bidder))
        .name("q11: bidder of every bid")
        .key_by(|&bidder: &u64| bidder)
        .window(SessionWindows::event_time(GAP)?)
        .aggregate_with_process(CountRecords, EmitSession)
        .uid("q11-sessions")
        .name("q11: bids per bidder session"))
}

/// Emits a session's count with its bidder and bounds.
#[derive(Debug, Clone, Copy)]
pub struct EmitSession;

impl ProcessWindowFunction<u64, u64, BidderSession, TimeWindow> for EmitSession {
    fn process(
        &mut self,
        bidder: &u64,
        ctx: &mut WindowContext<'_, u64, TimeWindow, BidderSession>,
        counts: Vec<u64>,
    ) -> Result<()> {
        let TimeWindow { start, end } = *ctx.window();
        for bids in counts {
            ctx.collect(BidderSession { bidder: *bidder, bids, start, end });
        }
        Ok(())
    }
}
