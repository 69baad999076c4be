//! Query 4, average price for a category: the average winning price of the closed auctions of
//! each category. A join of auctions and bids over each auction's lifetime, then an aggregation.
//!
//! ```sql
//! SELECT Q.category, AVG(Q.final)
//! FROM (
//!     SELECT MAX(B.price) AS final, A.category
//!     FROM auction A, bid B
//!     WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
//!     GROUP BY A.id, A.category
//! ) Q
//! GROUP BY Q.category;
//! ```
//!
//! As a weir job, in two keyed stages:
//!
//! 1. [`WinningBids`], keyed by auction id, a co-process function of auctions and bids: it keeps
//!    the highest price of the bids within the auction's lifetime and, when the watermark passes
//!    `expires` (an event-time timer), emits the auction's winning price if it had a bid. A bid
//!    that arrives before its auction (it overtook it on the other channel, or names one of the
//!    next 10 auctions) waits for it until the watermark passes the bid; a closed auction is
//!    remembered for one more auction length, so that bids still naming it are dropped at once.
//! 2. [`CategoryAverages`], keyed by category: count and sum of winning prices, emitting the
//!    category's new average for every winning price (the updates of Flink's continuous
//!    aggregate). `AVG` of a `BIGINT` is a `BIGINT` in Flink, so `average` is `total / auctions`
//!    rounded down; count and total are emitted too.
//!
//! Unlike Flink's regular join, which keeps every auction and bid forever, an auction's state
//! lives until it closes (plus its memory), and a bid's until the watermark passes it: results
//! are the same because no event is late (the source's watermarks trail by 4 s and each of its
//! timelines is in order), so a bid newer than the watermark cannot belong to an auction that
//! closed, and one older than it cannot belong to an auction still to come.

use super::split::{Route, split};
use crate::nexmark::model::Event;
use serde::{Deserialize, Serialize};
use weir_core::Timestamp;
use weir_runtime::prelude::*;

/// What stage 1 needs of an auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuctionTerms {
    pub id: u64,
    pub category: u64,
    pub opens: Timestamp,
    pub expires: Timestamp,
}

/// What stage 1 needs of a bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidPrice {
    pub auction: u64,
    pub price: u64,
    pub date_time: Timestamp,
}

/// A closed auction's highest bid within its lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WinningBid {
    pub auction: u64,
    pub category: u64,
    pub price: u64,
}

/// A category's running average of winning prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CategoryAverage {
    pub category: u64,
    /// Closed auctions with a winning bid so far.
    pub auctions: u64,
    /// The sum of their winning prices.
    pub total: u64,
    /// `total / auctions`, rounded down.
    pub average: u64,
}

pub fn build(events: &DataStream<Event>) -> DataStream<CategoryAverage> {
    winning_bids(events)
        .key_by(|winner: &WinningBid| winner.category)
        .process(CategoryAverages::new())
        .uid("q4-averages")
        .name("q4: average per category")
}

/// Stage 1 alone: the winning bid of every closed auction that had one.
pub fn winning_bids(events: &DataStream<Event>) -> DataStream<WinningBid> {
    let (auctions, bids) = split(events, "q4: auctions and bids", |event| match event {
        Event::Auction(a) => {
            Route::First(AuctionTerms { id: a.id, category: a.category, opens: a.date_time, expires: a.expires })
        }
        Event::Bid(b) => Route::Second(BidPrice { auction: b.auction, price: b.price, date_time: b.date_time }),
        Event::Person(_) => Route::Drop,
    });
    auctions
        .key_by(|auction: &AuctionTerms| auction.id)
        .connect(&bids.key_by(|bid: &BidPrice| bid.auction))
        .process(WinningBids::new())
        .uid("q4-winning-bids")
        .name("q4: winning bids")
}

/// Per auction id: the bids that came before the auction, the open auction, or the memory of
/// a closed one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum AuctionSlot {
    /// Bids came, the auction has not (yet): their times and prices. A timer at `newest`, the
    /// latest bid time, drops them: once the watermark passes it, an auction still to come opens
    /// after every one of them.
    Early { bids: Vec<(Timestamp, u64)>, newest: Timestamp },
    /// The auction; `best` is its highest bid within `[opens, expires]` so far. A timer at
    /// `expires` closes it.
    Open { category: u64, opens: Timestamp, expires: Timestamp, best: Option<u64> },
    /// The auction closed: bids still naming it are dropped at once (they are newer than its
    /// expiry, so they cannot count). A timer at `forget_at`, one auction length after the
    /// expiry, drops the memory; a bid after that waits as an early one, and is dropped too.
    Closed { forget_at: Timestamp },
}

/// Stage 1 (see the module docs).
///
/// Bids and auctions come over two channels, so a bid may arrive before its auction although it
/// was made after it: auctions are 6% of the events and their batches fill more slowly. Such
/// bids wait in [`AuctionSlot::Early`] until the auction comes (or the watermark shows it never
/// will within their time).
#[derive(Debug, Clone)]
pub struct WinningBids {
    slot: ValueStateDescriptor<AuctionSlot>,
}

impl WinningBids {
    pub fn new() -> Self {
        WinningBids { slot: ValueStateDescriptor::new("auction") }
    }
}

impl KeyedCoProcessFunction<u64, AuctionTerms, BidPrice, WinningBid> for WinningBids {
    fn process_element1(&mut self, auction: AuctionTerms, ctx: &mut KeyedContext<'_, u64, WinningBid>) -> Result<()> {
        let AuctionTerms { category, opens, expires, .. } = auction;
        let lifetime = opens..=expires;
        let best = match ctx.value(&self.slot)?.take() {
            Some(AuctionSlot::Early { bids, newest }) => {
                ctx.timer_service().delete_event_time_timer(newest);
                bids.iter().filter(|(at, _)| lifetime.contains(at)).map(|&(_, price)| price).max()
            }
            // An auction id arrives once; nothing else can be here.
            _ => None,
        };
        ctx.value(&self.slot)?.update(AuctionSlot::Open { category, opens, expires, best });
        ctx.timer_service().register_event_time_timer(expires);
        Ok(())
    }

    fn process_element2(&mut self, bid: BidPrice, ctx: &mut KeyedContext<'_, u64, WinningBid>) -> Result<()> {
        let BidPrice { price, date_time, .. } = bid;
        let mut state = ctx.value(&self.slot)?;
        // The timer to move, for an early bid: (the one to delete, the one to register).
        let timers = match state.get_mut() {
            Some(AuctionSlot::Open { opens, expires, best, .. }) => {
                if (*opens..=*expires).contains(&date_time) {
                    *best = Some(best.map_or(price, |b| b.max(price)));
                }
                None
            }
            Some(AuctionSlot::Closed { .. }) => None,
            Some(AuctionSlot::Early { bids, newest }) => {
                bids.push((date_time, price));
                (date_time > *newest).then(|| (Some(std::mem::replace(newest, date_time)), date_time))
            }
            None => {
                state.update(AuctionSlot::Early { bids: vec![(date_time, price)], newest: date_time });
                Some((None, date_time))
            }
        };
        if let Some((stale, at)) = timers {
            let mut timer_service = ctx.timer_service();
            if let Some(stale) = stale {
                timer_service.delete_event_time_timer(stale);
            }
            timer_service.register_event_time_timer(at);
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, u64, WinningBid>,
    ) -> Result<()> {
        let auction = *ctx.current_key();
        let mut state = ctx.value(&self.slot)?;
        match state.get() {
            Some(&AuctionSlot::Open { category, opens, expires, best }) if expires == timestamp => {
                let forget_at = expires + (expires - opens).max(1);
                state.update(AuctionSlot::Closed { forget_at });
                ctx.timer_service().register_event_time_timer(forget_at);
                if let Some(price) = best {
                    ctx.collect(WinningBid { auction, category, price });
                }
            }
            Some(&AuctionSlot::Closed { forget_at }) if forget_at == timestamp => state.clear(),
            Some(&AuctionSlot::Early { newest, .. }) if newest == timestamp => state.clear(),
            _ => {}
        }
        Ok(())
    }
}

/// Stage 2 (see the module docs).
#[derive(Debug, Clone)]
pub struct CategoryAverages {
    totals: ValueStateDescriptor<(u64, u64)>,
}

impl CategoryAverages {
    pub fn new() -> Self {
        CategoryAverages { totals: ValueStateDescriptor::new("count-and-total") }
    }
}

impl KeyedProcessFunction<u64, WinningBid, CategoryAverage> for CategoryAverages {
    fn process_element(&mut self, winner: WinningBid, ctx: &mut KeyedContext<'_, u64, CategoryAverage>) -> Result<()> {
        let mut state = ctx.value(&self.totals)?;
        let (auctions, total) = state.get().map_or((1, winner.price), |&(n, sum)| (n + 1, sum + winner.price));
        state.update((auctions, total));
        ctx.collect(CategoryAverage { category: winner.category, auctions, total, average: total / auctions });
        Ok(())
    }
}
