//! Unit tests of the generator: proportions, ids, skew, time, determinism.

use super::*;
use crate::nexmark::config::DEFAULT_BASE_TIME;

fn person(event: Event) -> Option<Person> {
    if let Event::Person(p) = event { Some(*p) } else { None }
}

fn auction(event: Event) -> Option<Auction> {
    if let Event::Auction(a) = event { Some(*a) } else { None }
}

fn events(config: NexmarkConfig) -> Vec<Event> {
    let generator = NexmarkGenerator::new(config.clone());
    (0..config.events).map(|i| generator.event(i)).collect()
}

#[test]
fn kinds_come_in_the_proportions_1_3_46() {
    let all = events(NexmarkConfig::new(50_000));
    let persons = all.iter().filter(|e| matches!(e, Event::Person(_))).count();
    let auctions = all.iter().filter(|e| matches!(e, Event::Auction(_))).count();
    let bids = all.iter().filter(|e| matches!(e, Event::Bid(_))).count();
    assert_eq!((persons, auctions, bids), (1_000, 3_000, 46_000));
}

#[test]
fn persons_and_auctions_take_dense_ids_in_order() {
    let all = events(NexmarkConfig::new(5_000));
    let persons: Vec<u64> = all.iter().filter_map(|e| person(e.clone())).map(|p| p.id).collect();
    let auctions: Vec<u64> = all.iter().filter_map(|e| auction(e.clone())).map(|a| a.id).collect();
    assert_eq!(persons, (FIRST_PERSON_ID..FIRST_PERSON_ID + 100).collect::<Vec<_>>());
    assert_eq!(auctions, (FIRST_AUCTION_ID..FIRST_AUCTION_ID + 300).collect::<Vec<_>>());
}

#[test]
fn references_point_at_recent_or_next_ids() {
    let config = NexmarkConfig::new(200_000);
    let generator = NexmarkGenerator::new(config);
    for i in 0..200_000u64 {
        let last_person = last_base0_person_id(i) + FIRST_PERSON_ID;
        match generator.event(i) {
            Event::Bid(bid) => {
                let last_auction = last_base0_auction_id(i) + FIRST_AUCTION_ID;
                assert!(bid.auction <= last_auction + AUCTION_ID_LEAD, "event {i}: {bid:?}");
                assert!(bid.auction + NUM_IN_FLIGHT_AUCTIONS.max(HOT_BATCH) >= last_auction, "event {i}: {bid:?}");
                assert!(bid.bidder <= last_person + PERSON_ID_LEAD, "event {i}: {bid:?}");
                assert!(bid.bidder + NUM_ACTIVE_PEOPLE >= last_person, "event {i}: {bid:?}");
            }
            Event::Auction(auction) => {
                assert!(auction.seller <= last_person + PERSON_ID_LEAD, "event {i}: {auction:?}");
                assert!(auction.expires > auction.date_time);
                assert!((FIRST_CATEGORY_ID..FIRST_CATEGORY_ID + NUM_CATEGORIES).contains(&auction.category));
                assert!(auction.reserve > auction.initial_bid);
            }
            Event::Person(person) => {
                assert_eq!(person.id, last_person);
                assert!(US_STATES.contains(&person.state.as_str()) && US_CITIES.contains(&person.city.as_str()));
            }
        }
    }
}

#[test]
fn hot_auctions_and_bidders_take_most_bids() {
    let all = events(NexmarkConfig::new(500_000));
    let bids: Vec<(u64, Bid)> =
        all.into_iter().enumerate().filter_map(|(i, e)| e.into_bid().map(|b| (i as u64, b))).collect();
    let on_hot_auction = bids
        .iter()
        .filter(|(i, b)| b.auction == last_base0_auction_id(*i) / HOT_BATCH * HOT_BATCH + FIRST_AUCTION_ID)
        .count() as f64
        / bids.len() as f64;
    let by_hot_bidder = bids
        .iter()
        .filter(|(i, b)| b.bidder == last_base0_person_id(*i) / HOT_BATCH * HOT_BATCH + 1 + FIRST_PERSON_ID)
        .count() as f64
        / bids.len() as f64;
    // 1/2 and 3/4 by choice, plus the random choices that land on the hot ones.
    assert!((0.495..0.515).contains(&on_hot_auction), "{on_hot_auction}");
    assert!((0.745..0.755).contains(&by_hot_bidder), "{by_hot_bidder}");
}

#[test]
fn event_time_advances_with_the_configured_rate_on_every_timeline() {
    let one = NexmarkGenerator::new(NexmarkConfig::new(10_000).with_events_per_second(1_000));
    assert_eq!(
        [0, 1, 999, 1_000, 9_999].map(|i| one.event(i).date_time() - DEFAULT_BASE_TIME),
        [0, 1, 999, 1_000, 9_999]
    );
    // Two timelines of 5,000 events, each at 500 events per second, both from the base time.
    let two = NexmarkGenerator::new(NexmarkConfig::new(10_000).with_events_per_second(1_000).with_splits(2));
    assert_eq!(two.splits(), 2);
    assert_eq!(
        [0, 1, 2, 4_999, 5_000, 5_001, 9_999].map(|i| two.event(i).date_time() - DEFAULT_BASE_TIME),
        [0, 2, 4, 9_998, 0, 2, 9_998]
    );
    assert_eq!(two.event(5_001).date_time(), DEFAULT_BASE_TIME + 2);
    // The default rate: 10 M events per second, 10,000 per millisecond.
    let fast = NexmarkGenerator::new(NexmarkConfig::new(100_000));
    assert_eq!([9_999, 10_000, 99_999].map(|i| fast.event(i).date_time() - DEFAULT_BASE_TIME), [0, 1, 9]);
}

#[test]
fn auctions_last_about_as_long_as_a_hundred_more_take_to_open() {
    // At 1,000 events per second, 100 auctions take 1,666 events = 1.666 s: lengths are uniform
    // in 1 ms ..= 3.332 s, 1.67 s on average.
    let all = events(NexmarkConfig::new(100_000).with_events_per_second(1_000));
    let lengths: Vec<i64> = all.iter().filter_map(|e| auction(e.clone())).map(|a| a.expires - a.date_time).collect();
    let mean = lengths.iter().sum::<i64>() as f64 / lengths.len() as f64;
    assert!(lengths.iter().all(|&l| (1..=3_332).contains(&l)));
    assert!((1_600.0..1_730.0).contains(&mean), "{mean}");
}

#[test]
fn records_have_the_specified_average_sizes() {
    let all = events(NexmarkConfig::new(50_000));
    let bid_extra: Vec<usize> = all.iter().filter_map(|e| e.clone().into_bid()).map(|b| b.extra.len()).collect();
    let mean = bid_extra.iter().sum::<usize>() as f64 / bid_extra.len() as f64;
    assert!((66.0..70.0).contains(&mean), "{mean}");
}

#[test]
fn events_depend_only_on_the_configuration_and_the_index() {
    let config = NexmarkConfig::new(2_000).with_splits(2);
    let generator = NexmarkGenerator::new(config.clone());
    assert_eq!(events(config.clone()), events(config.clone()));
    // Out of order, as a restored source reads them.
    assert_eq!(generator.event(1_234), events(config.clone())[1_234]);
    assert_ne!(events(NexmarkConfig { seed: 7, ..config.clone() }), events(config));
}
