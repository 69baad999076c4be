//! Query 2, selection: the auction and price of every bid on every 123rd auction. A filter over
//! the bids.
//!
//! ```sql
//! SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0;
//! ```
//!
//! (The original CQL query picked five fixed auction ids; Flink's suite takes every 123rd
//! auction so that the result grows with the input.)

use crate::nexmark::model::Event;
use serde::{Deserialize, Serialize};
use weir_runtime::prelude::*;

/// Bids on auctions whose id is a multiple of this are selected.
pub const AUCTION_MODULUS: u64 = 123;

/// One selected bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AuctionPrice {
    pub auction: u64,
    pub price: u64,
}

pub fn build(events: &DataStream<Event>) -> DataStream<AuctionPrice> {
    events
        .flat_map(|event: Event| match event {
            Event::Bid(bid) if bid.auction % AUCTION_MODULUS == 0 => {
                Some(AuctionPrice { auction: bid.auction, price: bid.price })
            }
            _ => None,
        })
        .name("q2: bids on every 123rd auction")
}
