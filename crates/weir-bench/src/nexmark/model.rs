//! The Nexmark records: [`Person`], [`Auction`], [`Bid`], and [`Event`], one of the three.
//!
//! Fields and units follow the Nexmark specification as Flink's and Beam's implementations have
//! them: ids are `u64` (persons and auctions count from 1000, categories from 10), prices are in
//! cents, and `date_time`/`expires` are event-time milliseconds since the epoch. The `extra`
//! strings are payload that brings each record to the specification's average size (200 bytes
//! for a person, 500 for an auction, 100 for a bid).

use serde::{Deserialize, Serialize};
use weir_core::Timestamp;

/// A new user of the auction site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Person {
    pub id: u64,
    pub name: String,
    pub email_address: String,
    pub credit_card: String,
    pub city: String,
    /// A US state, two letters: one of AZ, CA, ID, OR, WA, WY.
    pub state: String,
    pub date_time: Timestamp,
    pub extra: String,
}

/// An item put up for auction by a person (the seller).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Auction {
    pub id: u64,
    pub item_name: String,
    pub description: String,
    /// The opening price, in cents.
    pub initial_bid: u64,
    /// The price below which the item is not sold, in cents.
    pub reserve: u64,
    /// When the auction opens.
    pub date_time: Timestamp,
    /// When the auction closes (after `date_time`).
    pub expires: Timestamp,
    /// The `Person::id` of the seller.
    pub seller: u64,
    /// One of five categories, 10 to 14.
    pub category: u64,
    pub extra: String,
}

/// A bid of a person on an auction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Bid {
    /// The `Auction::id` bid on.
    pub auction: u64,
    /// The `Person::id` of the bidder.
    pub bidder: u64,
    /// In cents.
    pub price: u64,
    pub date_time: Timestamp,
    pub extra: String,
}

/// One Nexmark event. Persons and auctions (8% of events) are boxed so that the common case, a
/// bid, moves as a small value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    Person(Box<Person>),
    Auction(Box<Auction>),
    Bid(Bid),
}

impl Event {
    /// The event's time: when the person registered, the auction opened or the bid was made.
    pub fn date_time(&self) -> Timestamp {
        match self {
            Event::Person(person) => person.date_time,
            Event::Auction(auction) => auction.date_time,
            Event::Bid(bid) => bid.date_time,
        }
    }

    /// The bid, if this event is one (for `flat_map`).
    pub fn into_bid(self) -> Option<Bid> {
        match self {
            Event::Bid(bid) => Some(bid),
            _ => None,
        }
    }
}
