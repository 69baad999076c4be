//! Query 1, currency conversion: every bid with its price in euros, at 0.908 euros per dollar.
//! A map over the bids.
//!
//! ```sql
//! SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid;
//! ```
//!
//! Flink's result column is `DECIMAL(23, 3)`: exactly `0.908 · price` with three decimals. Here
//! it is that value times 1,000, an integer (thousandths of a euro cent), so no rounding happens.

use crate::nexmark::model::{Bid, Event};
use serde::{Deserialize, Serialize};
use weir_core::Timestamp;
use weir_runtime::prelude::*;

/// Euro cents per dollar cent, times 1,000.
pub const EURO_MILLICENTS_PER_CENT: u64 = 908;

/// A bid with its price in euros.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EuroBid {
    pub auction: u64,
    pub bidder: u64,
    /// `0.908 · price` in thousandths of a euro cent.
    pub price_eur_millicents: u64,
    pub date_time: Timestamp,
    pub extra: String,
}

impl EuroBid {
    pub fn of(bid: Bid) -> Self {
        EuroBid {
            auction: bid.auction,
            bidder: bid.bidder,
            price_eur_millicents: bid.price * EURO_MILLICENTS_PER_CENT,
            date_time: bid.date_time,
            extra: bid.extra,
        }
    }
}

pub fn build(events: &DataStream<Event>) -> DataStream<EuroBid> {
    events.flat_map(|event: Event| event.into_bid().map(EuroBid::of)).name("q1: bids in euros")
}
