//! Query 0, pass-through: every bid, unchanged. It measures what the source, the event
//! decoding (here: picking the bids out of the event stream) and the sink cost, with no query
//! work at all.
//!
//! ```sql
//! SELECT auction, bidder, price, dateTime, extra FROM bid;
//! ```

use crate::nexmark::model::{Bid, Event};
use weir_runtime::prelude::*;

pub fn build(events: &DataStream<Event>) -> DataStream<Bid> {
    events.flat_map(Event::into_bid).name("q0: bids")
}
