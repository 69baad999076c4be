//! Query 8, monitor new users: the persons who registered and opened an auction in the same
//! 10-second tumbling window. A window join of persons and auctions on `id = seller`.
//!
//! ```sql
//! SELECT P.id, P.name, P.starttime
//! FROM (SELECT id, name, window_start AS starttime, window_end AS endtime
//!       FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//!       GROUP BY id, name, window_start, window_end) P
//! JOIN (SELECT seller, window_start AS starttime, window_end AS endtime
//!       FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
//!       GROUP BY seller, window_start, window_end) A
//! ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
//! ```
//!
//! As a weir job: persons keyed by `id` and auctions keyed by `seller` (picked out in one pass,
//! [`split`]) meet in [`NewSellers`], a
//! keyed co-process function holding, per person id and window, the person's name (if they
//! registered in it) and whether they opened an auction in it. An event-time timer at the
//! window's end emits the person if both happened, once however many auctions they opened (the
//! `GROUP BY`s), and drops the window's entry.

use super::split::{Route, split};
use crate::nexmark::model::Event;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use weir_core::Timestamp;
use weir_runtime::prelude::*;

/// The windows' length.
pub const SIZE: Duration = Duration::from_secs(10);
const SIZE_MS: i64 = SIZE.as_millis() as i64;

/// What the join needs of a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    pub id: u64,
    pub name: String,
    pub date_time: Timestamp,
}

/// What the join needs of an auction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuction {
    pub seller: u64,
    pub date_time: Timestamp,
}

/// One result: a person who registered and sold in the window starting at `window_start`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NewSeller {
    pub id: u64,
    pub name: String,
    pub window_start: Timestamp,
}

/// The start of the tumbling window holding `timestamp` (windows start at multiples of the size
/// since the epoch, as weir's and Flink's tumbling windows do).
pub fn window_start(timestamp: Timestamp) -> Timestamp {
    timestamp - timestamp.rem_euclid(SIZE_MS)
}

pub fn build(events: &DataStream<Event>) -> DataStream<NewSeller> {
    let (persons, auctions) = split(events, "q8: persons and auctions", |event| match event {
        Event::Person(p) => Route::First(NewPerson { id: p.id, name: p.name, date_time: p.date_time }),
        Event::Auction(a) => Route::Second(NewAuction { seller: a.seller, date_time: a.date_time }),
        Event::Bid(_) => Route::Drop,
    });
    persons
        .key_by(|person: &NewPerson| person.id)
        .connect(&auctions.key_by(|auction: &NewAuction| auction.seller))
        .process(NewSellers::new())
        .uid("q8-join")
        .name("q8: window join on seller")
}

/// A person id's doings in one window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct WindowEntry {
    /// The person's name, if they registered in the window.
    name: Option<String>,
    /// Whether they opened an auction in it.
    sold: bool,
}

/// The window join (see the module docs).
#[derive(Debug, Clone)]
pub struct NewSellers {
    windows: MapStateDescriptor<Timestamp, WindowEntry>,
}

impl NewSellers {
    pub fn new() -> Self {
        NewSellers { windows: MapStateDescriptor::new("windows") }
    }

    /// The entry of the window holding `timestamp`, made (with its timer) if new.
    fn entry(
        &self,
        timestamp: Timestamp,
        ctx: &mut KeyedContext<'_, u64, NewSeller>,
        update: impl FnOnce(&mut WindowEntry),
    ) -> Result<()> {
        let start = window_start(timestamp);
        let mut windows = ctx.map(&self.windows)?;
        match windows.get_mut(&start) {
            Some(entry) => update(entry),
            None => {
                let mut entry = WindowEntry::default();
                update(&mut entry);
                windows.put(start, entry);
                ctx.timer_service().register_event_time_timer(start + SIZE_MS - 1);
            }
        }
        Ok(())
    }
}

impl KeyedCoProcessFunction<u64, NewPerson, NewAuction, NewSeller> for NewSellers {
    fn process_element1(&mut self, person: NewPerson, ctx: &mut KeyedContext<'_, u64, NewSeller>) -> Result<()> {
        self.entry(person.date_time, ctx, |entry| entry.name = Some(person.name))
    }

    fn process_element2(&mut self, auction: NewAuction, ctx: &mut KeyedContext<'_, u64, NewSeller>) -> Result<()> {
        self.entry(auction.date_time, ctx, |entry| entry.sold = true)
    }

    fn on_timer(
        &mut self,
        timestamp: Timestamp,
        _domain: TimeDomain,
        ctx: &mut KeyedContext<'_, u64, NewSeller>,
    ) -> Result<()> {
        let window_start = timestamp + 1 - SIZE_MS;
        let id = *ctx.current_key();
        if let Some(WindowEntry { name: Some(name), sold: true }) = ctx.map(&self.windows)?.remove(&window_start) {
            ctx.collect(NewSeller { id, name, window_start });
        }
        Ok(())
    }
}
