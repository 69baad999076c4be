//! What each query should output, computed plainly from the list of events with maps and loops:
//! the independent side of the correctness tests (`tests.rs`). Nothing here uses weir; only the
//! queries' result types and constants are shared with the jobs. Every function returns its
//! results sorted, as the tests compare them with the jobs' sorted output.

use super::model::{Auction, Bid, Event, Person};
use super::queries::q1::EuroBid;
use super::queries::q2::AuctionPrice;
use super::queries::q3::LocalItem;
use super::queries::q4::{CategoryAverage, WinningBid};
use super::queries::q5::HotItem;
use super::queries::q7::HighestBid;
use super::queries::q8::NewSeller;
use super::queries::q11::BidderSession;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use weir_core::Timestamp;

const SECOND: i64 = 1_000;

fn bids(events: &[Event]) -> impl Iterator<Item = &Bid> {
    events.iter().filter_map(|e| if let Event::Bid(b) = e { Some(b) } else { None })
}

fn auctions(events: &[Event]) -> impl Iterator<Item = &Auction> {
    events.iter().filter_map(|e| if let Event::Auction(a) = e { Some(&**a) } else { None })
}

fn persons(events: &[Event]) -> impl Iterator<Item = &Person> {
    events.iter().filter_map(|e| if let Event::Person(p) = e { Some(&**p) } else { None })
}

/// The start of the `size_ms` tumbling window holding `t`.
fn tumble(t: Timestamp, size_ms: i64) -> Timestamp {
    t - t.rem_euclid(size_ms)
}

fn sorted<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort();
    values
}

pub fn q0(events: &[Event]) -> Vec<Bid> {
    sorted(bids(events).cloned().collect())
}

pub fn q1(events: &[Event]) -> Vec<EuroBid> {
    let euros = |b: &Bid| EuroBid {
        auction: b.auction,
        bidder: b.bidder,
        // 0.908 · price, times 1,000.
        price_eur_millicents: b.price * 908,
        date_time: b.date_time,
        extra: b.extra.clone(),
    };
    sorted(bids(events).map(euros).collect())
}

pub fn q2(events: &[Event]) -> Vec<AuctionPrice> {
    sorted(
        bids(events)
            .filter(|b| b.auction % 123 == 0)
            .map(|b| AuctionPrice { auction: b.auction, price: b.price })
            .collect(),
    )
}

pub fn q3(events: &[Event]) -> Vec<LocalItem> {
    let sellers: HashMap<u64, &Person> =
        persons(events).filter(|p| ["OR", "ID", "CA"].contains(&p.state.as_str())).map(|p| (p.id, p)).collect();
    let mut items = Vec::new();
    for auction in auctions(events).filter(|a| a.category == 10) {
        if let Some(p) = sellers.get(&auction.seller) {
            items.push(LocalItem {
                name: p.name.clone(),
                city: p.city.clone(),
                state: p.state.clone(),
                auction: auction.id,
            });
        }
    }
    sorted(items)
}

/// q4's inner query: per auction, the highest price among its bids made between its opening
/// and its expiry (both included); auctions without such a bid have no row.
pub fn q4_winning_bids(events: &[Event]) -> Vec<WinningBid> {
    let by_id: HashMap<u64, &Auction> = auctions(events).map(|a| (a.id, a)).collect();
    let mut best: HashMap<u64, u64> = HashMap::new();
    for bid in bids(events) {
        if let Some(a) = by_id.get(&bid.auction)
            && a.date_time <= bid.date_time
            && bid.date_time <= a.expires
        {
            let price = best.entry(a.id).or_insert(bid.price);
            *price = (*price).max(bid.price);
        }
    }
    sorted(
        best.into_iter().map(|(id, price)| WinningBid { auction: id, category: by_id[&id].category, price }).collect(),
    )
}

/// q4: per category, the count, sum and (rounded-down) average of the winning prices.
pub fn q4(events: &[Event]) -> Vec<CategoryAverage> {
    let mut totals: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for winner in q4_winning_bids(events) {
        let (count, sum) = totals.entry(winner.category).or_default();
        *count += 1;
        *sum += winner.price;
    }
    totals
        .into_iter()
        .map(|(category, (auctions, total))| CategoryAverage { category, auctions, total, average: total / auctions })
        .collect()
}

/// q5: per window of 10 s starting every 2 s, the auctions with the most bids.
pub fn q5(events: &[Event]) -> Vec<HotItem> {
    let (size, slide) = (10 * SECOND, 2 * SECOND);
    let mut counts: HashMap<(Timestamp, u64), u64> = HashMap::new();
    for bid in bids(events) {
        let last_start = tumble(bid.date_time, slide);
        for k in 0..size / slide {
            let end = last_start - k * slide + size;
            *counts.entry((end, bid.auction)).or_default() += 1;
        }
    }
    let mut max: HashMap<Timestamp, u64> = HashMap::new();
    for (&(end, _), &count) in &counts {
        let m = max.entry(end).or_default();
        *m = (*m).max(count);
    }
    sorted(
        counts
            .into_iter()
            .filter(|((end, _), count)| *count == max[end])
            .map(|((window_end, auction), count)| HotItem { window_end, auction, count })
            .collect(),
    )
}

/// q7: per tumbling window of 10 s, the bids with the window's highest price.
pub fn q7(events: &[Event]) -> Vec<HighestBid> {
    let size = 10 * SECOND;
    let mut highest: HashMap<Timestamp, u64> = HashMap::new();
    for bid in bids(events) {
        let h = highest.entry(tumble(bid.date_time, size)).or_default();
        *h = (*h).max(bid.price);
    }
    sorted(
        bids(events)
            .filter(|b| b.price == highest[&tumble(b.date_time, size)])
            .map(|b| HighestBid {
                window_end: tumble(b.date_time, size) + size,
                auction: b.auction,
                price: b.price,
                bidder: b.bidder,
                date_time: b.date_time,
                extra: b.extra.clone(),
            })
            .collect(),
    )
}

/// q8: the persons who opened an auction in the 10 s tumbling window they registered in.
pub fn q8(events: &[Event]) -> Vec<NewSeller> {
    let size = 10 * SECOND;
    let sold: BTreeSet<(u64, Timestamp)> = auctions(events).map(|a| (a.seller, tumble(a.date_time, size))).collect();
    sorted(
        persons(events)
            .map(|p| (p, tumble(p.date_time, size)))
            .filter(|(p, window)| sold.contains(&(p.id, *window)))
            .map(|(p, window_start)| NewSeller { id: p.id, name: p.name.clone(), window_start })
            .collect(),
    )
}

/// q11: each bidder's sessions: bids at most 10 s apart are in one session, which ends 10 s
/// after its last bid.
pub fn q11(events: &[Event]) -> Vec<BidderSession> {
    let gap = 10 * SECOND;
    let mut times: BTreeMap<u64, Vec<Timestamp>> = BTreeMap::new();
    for bid in bids(events) {
        times.entry(bid.bidder).or_default().push(bid.date_time);
    }
    let mut sessions = Vec::new();
    for (bidder, mut times) in times {
        times.sort_unstable();
        let mut current = BidderSession { bidder, bids: 1, start: times[0], end: times[0] + gap };
        for &t in &times[1..] {
            if t <= current.end {
                current.bids += 1;
                current.end = current.end.max(t + gap);
            } else {
                sessions.push(current);
                current = BidderSession { bidder, bids: 1, start: t, end: t + gap };
            }
        }
        sessions.push(current);
    }
    sorted(sessions)
}

/// q12's totals: bids per bidder.
pub fn bids_per_bidder(events: &[Event]) -> BTreeMap<u64, u64> {
    let mut counts = BTreeMap::new();
    for bid in bids(events) {
        *counts.entry(bid.bidder).or_default() += 1;
    }
    counts
}
