//! [`NexmarkConfig`]: what a run of the generator is asked for (how many events, how fast event
//! time advances, on how many parallel timelines, from which seed), and the fixed parameters of
//! the Nexmark specification ([`spec`]).

use weir_core::Timestamp;

/// The fixed parameters of the Nexmark specification, with the defaults Flink's and Beam's
/// implementations use.
pub mod spec {
    /// Of every [`TOTAL_PROPORTION`] consecutive events, this many are persons, ...
    pub const PERSON_PROPORTION: u64 = 1;
    /// ... this many auctions ...
    pub const AUCTION_PROPORTION: u64 = 3;
    /// ... and this many bids.
    pub const BID_PROPORTION: u64 = 46;
    pub const TOTAL_PROPORTION: u64 = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

    /// Ids start here, so that queries over small inputs still find matches.
    pub const FIRST_PERSON_ID: u64 = 1_000;
    pub const FIRST_AUCTION_ID: u64 = 1_000;
    pub const FIRST_CATEGORY_ID: u64 = 10;
    /// Categories are `FIRST_CATEGORY_ID..FIRST_CATEGORY_ID + NUM_CATEGORIES`.
    pub const NUM_CATEGORIES: u64 = 5;

    /// A bid is for the current hot auction with probability `1 - 1/HOT_AUCTION_RATIO` (1/2).
    pub const HOT_AUCTION_RATIO: u64 = 2;
    /// An auction is by the current hot seller with probability `1 - 1/HOT_SELLERS_RATIO` (3/4).
    pub const HOT_SELLERS_RATIO: u64 = 4;
    /// A bid is by the current hot bidder with probability `1 - 1/HOT_BIDDERS_RATIO` (3/4).
    pub const HOT_BIDDERS_RATIO: u64 = 4;
    /// The hot auction is the first of the latest batch of this many auctions; the hot seller
    /// the first and the hot bidder the second of the latest batch of this many persons.
    pub const HOT_BATCH: u64 = 100;

    /// A random auction is one of the latest this many (those likely still open) ...
    pub const NUM_IN_FLIGHT_AUCTIONS: u64 = 100;
    /// ... a random person one of the latest this many ...
    pub const NUM_ACTIVE_PEOPLE: u64 = 1_000;
    /// ... or one of the next this many, not generated yet (so a bid or an auction may refer to
    /// a person or auction that arrives later).
    pub const PERSON_ID_LEAD: u64 = 10;
    pub const AUCTION_ID_LEAD: u64 = 10;

    /// The average sizes the `extra` payload brings records to, in bytes.
    pub const AVG_PERSON_BYTES: usize = 200;
    pub const AVG_AUCTION_BYTES: usize = 500;
    pub const AVG_BID_BYTES: usize = 100;
}

/// Event time of the first event of every timeline when no base time is given: 2026-11-21
/// 00:00:00 UTC, as the other workloads.
pub const DEFAULT_BASE_TIME: Timestamp = 1_795_219_200_000;

/// Events per second of event time when not given: Flink's Nexmark suite runs at 10 M.
pub const DEFAULT_EVENTS_PER_SECOND: u64 = 10_000_000;

/// What one run of the generator produces.
///
/// The events are a pure function of this configuration and the event's index: the same
/// configuration always gives the same events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NexmarkConfig {
    /// Events in total (indices `0..events`).
    pub events: u64,
    /// Events per second of event time, over all timelines (Nexmark's `first-event.rate`).
    pub events_per_second: u64,
    /// How many generators run on parallel timelines (Nexmark's `numEventGenerators`): the index
    /// range is cut into this many contiguous parts, each starting at `base_time` and
    /// advancing at `events_per_second / splits`. The source must have exactly this many splits.
    pub splits: u64,
    /// The event time of each timeline's first event, in ms since the epoch.
    pub base_time: Timestamp,
    /// The seed of every random choice.
    pub seed: u64,
}

impl NexmarkConfig {
    /// `events` events on one timeline at the default rate, base time and seed.
    pub fn new(events: u64) -> Self {
        NexmarkConfig {
            events,
            events_per_second: DEFAULT_EVENTS_PER_SECOND,
            splits: 1,
            base_time: DEFAULT_BASE_TIME,
            seed: crate::workloads::SEED,
        }
    }

    pub fn with_events_per_second(mut self, events_per_second: u64) -> Self {
        self.events_per_second = events_per_second.max(1);
        self
    }

    /// Parallel timelines; at least 1 and at most one per event.
    pub fn with_splits(mut self, splits: u64) -> Self {
        self.splits = splits.clamp(1, self.events.max(1));
        self
    }

    pub fn with_base_time(mut self, base_time: Timestamp) -> Self {
        self.base_time = base_time;
        self
    }
}
