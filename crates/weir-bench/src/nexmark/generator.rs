//! [`NexmarkGenerator`]: the Nexmark event with a given index, as a pure function.
//!
//! Following the specification as Flink's and Beam's generators implement it:
//!
//! - **Kinds.** Event `id` is a person when `id % 50 < 1`, an auction when `< 4`, a bid
//!   otherwise: persons, auctions and bids in the proportions 1 : 3 : 46.
//! - **Ids.** A person or auction takes the next id of its kind, so ids are dense and known from
//!   the event id alone ([`last_base0_person_id`], [`last_base0_auction_id`]). A bid refers to
//!   the current *hot* auction (the first of the latest 100) with probability 1/2, otherwise to
//!   one of the latest 100 auctions or the next 10 (not created yet); its bidder is the hot
//!   bidder (the second of the latest 100 persons) with probability 3/4, otherwise one of the
//!   latest 1,000 persons or the next 10. An auction's seller is the hot seller (the first of the
//!   latest 100 persons) with probability 3/4, otherwise chosen like a bidder.
//! - **Time.** The index range is cut into `splits` contiguous parts, the generators of
//!   Nexmark's parallel timelines (and the splits of the weir source). Event `n` of a part has
//!   event time `base_time + n * splits / events_per_second` seconds, so each part starts at the
//!   base time and together they make `events_per_second` events per second of event time. An
//!   auction stays open for a random time averaging the time it takes to generate 100 more
//!   auctions.
//! - **Randomness.** Every choice of event `id` comes from [`EventRandom::new(seed, id)`], so an
//!   event depends on nothing but the configuration and its index: a source reading indices
//!   `i..` after a restore regenerates exactly the events it would have.
//!
//! It is **not** Flink's generator bit for bit (the random streams differ, so the same seed
//! gives other events), and it does no I/O.

use super::config::NexmarkConfig;
use super::config::spec::*;
use super::model::{Auction, Bid, Event, Person};
use super::random::EventRandom;
use weir_connectors::DataGenSplit;
use weir_core::Timestamp;

const US_STATES: [&str; 6] = ["AZ", "CA", "ID", "OR", "WA", "WY"];
const US_CITIES: [&str; 10] =
    ["Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"];
const FIRST_NAMES: [&str; 11] =
    ["Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"];
const LAST_NAMES: [&str; 9] = ["Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"];

/// What kind of event an id is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Person,
    Auction,
    Bid,
}

impl EventKind {
    #[inline]
    pub fn of(event_id: u64) -> Self {
        match event_id % TOTAL_PROPORTION {
            r if r < PERSON_PROPORTION => EventKind::Person,
            r if r < PERSON_PROPORTION + AUCTION_PROPORTION => EventKind::Auction,
            _ => EventKind::Bid,
        }
    }
}

/// The id (counted from 0) of the latest person at event `event_id`: the event's own when it is
/// a person.
#[inline]
pub fn last_base0_person_id(event_id: u64) -> u64 {
    let (epoch, offset) = (event_id / TOTAL_PROPORTION, event_id % TOTAL_PROPORTION);
    // An auction or a bid: the last person of this epoch.
    let offset = if offset >= PERSON_PROPORTION { PERSON_PROPORTION - 1 } else { offset };
    epoch * PERSON_PROPORTION + offset
}

/// The id (counted from 0) of the latest auction at event `event_id`: the event's own when it
/// is an auction (0 before the first auction).
#[inline]
pub fn last_base0_auction_id(event_id: u64) -> u64 {
    let (epoch, offset) = (event_id / TOTAL_PROPORTION, event_id % TOTAL_PROPORTION);
    if offset < PERSON_PROPORTION {
        // A person: the last auction of the previous epoch.
        (epoch * AUCTION_PROPORTION).saturating_sub(1)
    } else if offset >= PERSON_PROPORTION + AUCTION_PROPORTION {
        // A bid: the last auction of this epoch.
        epoch * AUCTION_PROPORTION + AUCTION_PROPORTION - 1
    } else {
        epoch * AUCTION_PROPORTION + offset - PERSON_PROPORTION
    }
}

/// One of the latest [`NUM_ACTIVE_PEOPLE`] persons or the next [`PERSON_ID_LEAD`] (base 0).
fn next_base0_person_id(event_id: u64, random: &mut EventRandom) -> u64 {
    let people = last_base0_person_id(event_id) + 1;
    let active = people.min(NUM_ACTIVE_PEOPLE);
    people - active + random.below(active + PERSON_ID_LEAD)
}

/// One of the latest [`NUM_IN_FLIGHT_AUCTIONS`] auctions or the next [`AUCTION_ID_LEAD`] (base 0).
fn next_base0_auction_id(event_id: u64, random: &mut EventRandom) -> u64 {
    let last = last_base0_auction_id(event_id);
    let first = last.saturating_sub(NUM_IN_FLIGHT_AUCTIONS);
    first + random.below(last - first + 1 + AUCTION_ID_LEAD)
}

/// The events of one [`NexmarkConfig`], by index.
#[derive(Debug, Clone)]
pub struct NexmarkGenerator {
    config: NexmarkConfig,
    /// The first index of each timeline (source split), ascending.
    split_starts: Vec<u64>,
}

impl NexmarkGenerator {
    pub fn new(config: NexmarkConfig) -> Self {
        let splits = config.splits.clamp(1, config.events.max(1));
        let split_starts = (0..splits).map(|id| DataGenSplit::range(id, splits, config.events).next).collect();
        NexmarkGenerator { config, split_starts }
    }

    /// How many splits the source must be cut into (the timelines).
    pub fn splits(&self) -> usize {
        self.split_starts.len()
    }

    /// The event with index `index` (its id: ids are the indices).
    pub fn event(&self, index: u64) -> Event {
        let number = self.number(index);
        let timestamp = self.timestamp_of(number);
        let mut random = EventRandom::new(self.config.seed, index);
        match EventKind::of(index) {
            EventKind::Person => Event::Person(Box::new(person(index, timestamp, &mut random))),
            EventKind::Auction => Event::Auction(Box::new(self.auction(index, number, timestamp, &mut random))),
            EventKind::Bid => Event::Bid(bid(index, timestamp, &mut random)),
        }
    }

    /// The place of `index` on its timeline.
    #[inline]
    fn number(&self, index: u64) -> u64 {
        let split = self.split_starts.partition_point(|&start| start <= index).saturating_sub(1);
        index - self.split_starts[split]
    }

    /// The event time of the `number`-th event of a timeline.
    #[inline]
    fn timestamp_of(&self, number: u64) -> Timestamp {
        let per_split_ms = u128::from(number) * self.split_starts.len() as u128 * 1_000;
        self.config.base_time + (per_split_ms / u128::from(self.config.events_per_second)) as Timestamp
    }

    fn auction(&self, event_id: u64, number: u64, timestamp: Timestamp, random: &mut EventRandom) -> Auction {
        let id = last_base0_auction_id(event_id) + FIRST_AUCTION_ID;
        let seller = if random.below(HOT_SELLERS_RATIO) > 0 {
            last_base0_person_id(event_id) / HOT_BATCH * HOT_BATCH
        } else {
            next_base0_person_id(event_id, random)
        } + FIRST_PERSON_ID;
        let category = FIRST_CATEGORY_ID + random.below(NUM_CATEGORIES);
        let initial_bid = random.price();
        let expires = timestamp + self.auction_length_ms(number, timestamp, random);
        let item_name = random.string(20);
        let description = random.string(100);
        let reserve = initial_bid + random.price();
        let size = 8 + item_name.len() + description.len() + 8 * 5;
        let extra = random.extra(size, AVG_AUCTION_BYTES);
        Auction {
            id,
            item_name,
            description,
            initial_bid,
            reserve,
            date_time: timestamp,
            expires,
            seller,
            category,
            extra,
        }
    }

    /// How long an auction opened at the `number`-th event of its timeline stays open: at least
    /// 1 ms, on average as long as the timeline takes to open [`NUM_IN_FLIGHT_AUCTIONS`] more.
    fn auction_length_ms(&self, number: u64, timestamp: Timestamp, random: &mut EventRandom) -> i64 {
        let events_for_auctions = NUM_IN_FLIGHT_AUCTIONS * TOTAL_PROPORTION / AUCTION_PROPORTION;
        let horizon = self.timestamp_of(number + events_for_auctions) - timestamp;
        1 + random.below((horizon * 2).max(1) as u64) as i64
    }
}

fn person(event_id: u64, timestamp: Timestamp, random: &mut EventRandom) -> Person {
    let id = last_base0_person_id(event_id) + FIRST_PERSON_ID;
    let first = FIRST_NAMES[random.below(FIRST_NAMES.len() as u64) as usize];
    let last = LAST_NAMES[random.below(LAST_NAMES.len() as u64) as usize];
    let name = format!("{first} {last}");
    let email_address = format!("{}@{}.com", random.string(7), random.string(5));
    let credit_card = (0..4).map(|_| format!("{:04}", random.below(10_000))).collect::<Vec<_>>().join(" ");
    let city = US_CITIES[random.below(US_CITIES.len() as u64) as usize].to_string();
    let state = US_STATES[random.below(US_STATES.len() as u64) as usize].to_string();
    let size = 8 + name.len() + email_address.len() + credit_card.len() + city.len() + state.len();
    let extra = random.extra(size, AVG_PERSON_BYTES);
    Person { id, name, email_address, credit_card, city, state, date_time: timestamp, extra }
}

fn bid(event_id: u64, timestamp: Timestamp, random: &mut EventRandom) -> Bid {
    let auction = if random.below(HOT_AUCTION_RATIO) > 0 {
        last_base0_auction_id(event_id) / HOT_BATCH * HOT_BATCH
    } else {
        next_base0_auction_id(event_id, random)
    } + FIRST_AUCTION_ID;
    let bidder = if random.below(HOT_BIDDERS_RATIO) > 0 {
        last_base0_person_id(event_id) / HOT_BATCH * HOT_BATCH + 1
    } else {
        next_base0_person_id(event_id, random)
    } + FIRST_PERSON_ID;
    let price = random.price();
    let extra = random.extra(8 * 4, AVG_BID_BYTES);
    Bid { auction, bidder, price, date_time: timestamp, extra }
}

#[cfg(test)]
mod tests;
