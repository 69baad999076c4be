//! Query 7, highest bid: the bids with the highest price of every 10-second tumbling window.
//!
//! ```sql
//! SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra
//! FROM bid B
//! JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime
//!       FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//!       GROUP BY window_start, window_end) B1
//! ON B.price = B1.maxprice
//! WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime;
//! ```
//!
//! As a weir job: one window over all bids (`window_all`, a single subtask, as the query groups
//! by the window only) with the incremental aggregate [`HighestBids`], which keeps the highest
//! price and the bids that have it (every tie is emitted, as the join does), so a window holds a
//! handful of bids however many it saw. (The SQL's `BETWEEN` is inclusive at the window's end, so
//! a bid at exactly `window_end` with the maximum price would also be joined; the windowed job
//! reads `[start, end)` as Flink's window functions do.)

use crate::nexmark::model::{Bid, Event};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use weir_core::Timestamp;
use weir_runtime::prelude::*;

/// The windows' length.
pub const SIZE: Duration = Duration::from_secs(10);

/// One result: a bid with the highest price of its window.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HighestBid {
    pub window_end: Timestamp,
    pub auction: u64,
    pub price: u64,
    pub bidder: u64,
    pub date_time: Timestamp,
    pub extra: String,
}

pub fn build(events: &DataStream<Event>) -> Result<DataStream<HighestBid>> {
    Ok(events
        .flat_map(Event::into_bid)
        .name("q7: bids")
        .window_all(TumblingWindows::event_time(SIZE)?)
        .aggregate_with_process(HighestBids, EmitHighest)
        .uid("q7-highest")
        .name("q7: highest bids per window"))
}

/// The highest price seen and the bids that have it.
#[derive(Debug, Clone, Copy)]
pub struct HighestBids;

impl AggregateFunction<Bid, (u64, Vec<Bid>), Vec<Bid>> for HighestBids {
    fn create_accumulator(&self) -> (u64, Vec<Bid>) {
        (0, Vec::new())
    }

    #[inline]
    fn add(&self, (highest, bids): &mut (u64, Vec<Bid>), bid: &Bid) {
        if bid.price > *highest || bids.is_empty() {
            *highest = bid.price;
            bids.clear();
            bids.push(bid.clone());
        } else if bid.price == *highest {
            bids.push(bid.clone());
        }
    }

    fn merge(&self, accumulator: &mut (u64, Vec<Bid>), (price, bids): &(u64, Vec<Bid>)) {
        if bids.is_empty() {
            return;
        }
        if *price > accumulator.0 || accumulator.1.is_empty() {
            *accumulator = (*price, bids.clone());
        } else if *price == accumulator.0 {
            accumulator.1.extend(bids.iter().cloned());
        }
    }

    fn get_result(&self, (_, bids): &(u64, Vec<Bid>)) -> Vec<Bid> {
        bids.clone()
    }
}

/// Emits the window's highest bids with its end.
#[derive(Debug, Clone, Copy)]
pub struct EmitHighest;

impl ProcessWindowFunction<(), Vec<Bid>, HighestBid, TimeWindow> for EmitHighest {
    fn process(
        &mut self,
        _key: &(),
        ctx: &mut WindowContext<'_, (), TimeWindow, HighestBid>,
        results: Vec<Vec<Bid>>,
    ) -> Result<()> {
        let window_end = ctx.window().end;
        for bid in results.into_iter().flatten() {
            let Bid { auction, bidder, price, date_time, extra } = bid;
            ctx.collect(HighestBid { window_end, auction, price, bidder, date_time, extra });
        }
        Ok(())
    }
}
