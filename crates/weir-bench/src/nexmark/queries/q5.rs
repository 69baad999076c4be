//! Query 5, hot items: which auctions had the most bids in the last 10 seconds, every 2 seconds.
//! Sliding windows, then a maximum per window.
//!
//! ```sql
//! SELECT AuctionBids.auction, AuctionBids.num
//! FROM (SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
//!       FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
//!       GROUP BY auction, window_start, window_end) AS AuctionBids
//! JOIN (SELECT max(CountBids.num) AS maxn, CountBids.starttime, CountBids.endtime
//!       FROM (... the same counts ...) AS CountBids
//!       GROUP BY CountBids.starttime, CountBids.endtime) AS MaxBids
//! ON AuctionBids.starttime = MaxBids.starttime AND AuctionBids.endtime = MaxBids.endtime
//!    AND AuctionBids.num >= MaxBids.maxn;
//! ```
//!
//! As a weir job: the auction ids of the bids (only what the query reads crosses the exchange,
//! as a SQL planner's projection would have it; the record keeps its timestamp) keyed by auction
//! into sliding event-time windows (10 s, every 2 s) with an incremental count (weir's
//! slice-sharing path: each bid updates one 2 s slice), emitting `(auction, count, window end)`;
//! then keyed by window end, [`HottestAuctions`] keeps the highest count and the auctions that
//! have it, and emits them when the watermark passes the window's end (an event-time timer).
//! Every auction tied for the maximum is emitted.

use super::CountRecords;
use crate::nexmark::model::Event;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use weir_core::Timestamp;
use weir_runtime::prelude::*;

/// The windows' length.
pub const SIZE: Duration = Duration::from_secs(10);
/// How often a window starts.
pub const SLIDE: Duration = Duration::from_secs(2);

/// Bids on one auction in one window (stage 1's result).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionCount {
    pub auction: u64,
    pub count: u64,
    pub window_end: Timestamp,
}

/// One result: an auction with the most bids of its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HotItem {
    pub window_end: Timestamp,
    pub auction: u64,
    pub count: u64,
}

pub fn build(events: &DataStream<Event>) -> Result<DataStream<HotItem>> {
    let counts = events
        .flat_map(|event: Event| event.into_bid().map(|bid| bid.auction))
        .name("q5: auction of every bid")
        .key_by(|&auction: &u64| auction)
        .window(SlidingWindows::event_time(SIZE, SLIDE)?)
        .aggregate_with_process(CountRecords, EmitAuctionCount)
        .uid("q5-counts")
        .name("q5: bids per auction and window");
    Ok(counts
        .key_by(|count: &AuctionCount| count.window_end)
        .process(HottestAuctions::new())
        .uid("q5-hottest")
        .name("q5: hottest auctions per window"))
}

/// Emits a window's count with its auction and end.
#[derive(Debug, Clone, Copy)]
pub struct EmitAuctionCount;

impl ProcessWindowFunction<u64, u64, AuctionCount, TimeWindow> for EmitAuctionCount {
    fn process(
        &mut self,
        auction: &u64,
        ctx: &mut WindowContext<'_, u64, TimeWindow, AuctionCount>,
        counts: Vec<u64>,
    ) -> Result<()> {
        let window_end = ctx.window().end;
        for count in counts {
            ctx.collect(AuctionCount { auction: *auction, count, window_end });
        }
        Ok(())
    }
}

/// Per window end: the highest count so far and the auctions that have it.
#[derive(Debug, Clone)]
pub struct HottestAuctions {
    best: ValueStateDescriptor<(u64, Vec<u64>)>,
}

impl HottestAuctions {
    pub fn new() -> Self {
        HottestAuctions { best: ValueStateDescriptor::new("hottest") }
    }
}

impl KeyedProcessFunction<Timestamp, AuctionCount, HotItem> for HottestAuctions {
    fn process_element(&mut self, count: AuctionCount, ctx: &mut KeyedContext<'_, Timestamp, HotItem>) -> Result<()> {
        let mut state = ctx.value(&self.best)?;
        let first = state.get().is_none();
        let (best, auctions) = state.get_or_insert_with(|| (0, Vec::new()));
        if count.count > *best {
            *best = count.count;
            auctions.clear();
        }
        if count.count == *best {
            auctions.push(count.auction);
        }
        if first {
            ctx.timer_service().register_event_time_timer(count.window_end - 1);
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, Timestamp, HotItem>,
    ) -> Result<()> {
        let window_end = timestamp + 1;
        if let Some((count, auctions)) = ctx.value(&self.best)?.take() {
            for auction in auctions {
                ctx.collect(HotItem { window_end, auction, count });
            }
        }
        Ok(())
    }
}
