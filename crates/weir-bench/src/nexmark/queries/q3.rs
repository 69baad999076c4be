//! Query 3, local item suggestion: who sells in Oregon, Idaho or California in category 10, and
//! which auctions. An incremental join of persons and auctions on `seller = id`, with a filter on
//! each side.
//!
//! ```sql
//! SELECT P.name, P.city, P.state, A.id
//! FROM auction AS A INNER JOIN person AS P ON A.seller = P.id
//! WHERE A.category = 10 AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
//! ```
//!
//! As a weir job: both filters run in one pass chained to the source ([`split`]), then persons
//! keyed by `id` and auctions keyed by `seller` meet in [`LocalSellerJoin`], a keyed co-process
//! function. A person is kept in keyed state for good (every later auction of theirs joins at
//! once); an auction whose seller has not arrived waits, as its id only, until the seller does.
//! Like Flink's regular join, nothing expires: auctions of sellers outside the three states wait
//! forever. Every pair is emitted once, whichever side comes first.

use super::split::{Route, split};
use crate::nexmark::model::Event;
use serde::{Deserialize, Serialize};
use weir_runtime::prelude::*;

/// The category the query selects.
pub const CATEGORY: u64 = 10;
/// The states the query selects.
pub const STATES: [&str; 3] = ["OR", "ID", "CA"];

/// The part of a person the join keeps and emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    pub id: u64,
    pub name: String,
    pub city: String,
    pub state: String,
}

/// The part of an auction the join needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SellerAuction {
    pub id: u64,
    pub seller: u64,
}

/// One result: a seller in one of the states and an auction of theirs in the category.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalItem {
    pub name: String,
    pub city: String,
    pub state: String,
    pub auction: u64,
}

pub fn build(events: &DataStream<Event>) -> DataStream<LocalItem> {
    let (sellers, auctions) =
        split(events, "q3: persons in OR, ID, CA and auctions in category 10", |event| match event {
            Event::Person(p) if STATES.contains(&p.state.as_str()) => {
                Route::First(Seller { id: p.id, name: p.name, city: p.city, state: p.state })
            }
            Event::Auction(a) if a.category == CATEGORY => Route::Second(SellerAuction { id: a.id, seller: a.seller }),
            _ => Route::Drop,
        });
    sellers
        .key_by(|seller: &Seller| seller.id)
        .connect(&auctions.key_by(|auction: &SellerAuction| auction.seller))
        .process(LocalSellerJoin::new())
        .uid("q3-join")
        .name("q3: join on seller")
}

/// The join: per seller id, the seller once known and the auctions that came before.
#[derive(Debug, Clone)]
pub struct LocalSellerJoin {
    seller: ValueStateDescriptor<Seller>,
    waiting: ListStateDescriptor<u64>,
}

impl LocalSellerJoin {
    pub fn new() -> Self {
        LocalSellerJoin { seller: ValueStateDescriptor::new("seller"), waiting: ListStateDescriptor::new("waiting") }
    }
}

fn local_item(seller: &Seller, auction: u64) -> LocalItem {
    LocalItem { name: seller.name.clone(), city: seller.city.clone(), state: seller.state.clone(), auction }
}

impl KeyedCoProcessFunction<u64, Seller, SellerAuction, LocalItem> for LocalSellerJoin {
    fn process_element1(&mut self, seller: Seller, ctx: &mut KeyedContext<'_, u64, LocalItem>) -> Result<()> {
        let waiting = ctx.list(&self.waiting)?.take();
        for auction in waiting {
            ctx.collect(local_item(&seller, auction));
        }
        ctx.value(&self.seller)?.update(seller);
        Ok(())
    }

    fn process_element2(&mut self, auction: SellerAuction, ctx: &mut KeyedContext<'_, u64, LocalItem>) -> Result<()> {
        let item = ctx.value(&self.seller)?.get().map(|seller| local_item(seller, auction.id));
        match item {
            Some(item) => ctx.collect(item),
            None => ctx.list(&self.waiting)?.add(auction.id),
        }
        Ok(())
    }
}
