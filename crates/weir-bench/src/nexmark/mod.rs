//! # Nexmark: the auction benchmark, as weir jobs
//!
//! **Why.** weir-bench's other workloads each isolate one path of the engine (a chain, an
//! exchange, a window operator) on synthetic `(key, value)` records. Nexmark is the benchmark
//! stream processors are compared on (Flink's suite, Arroyo, RisingWave and Feldera publish
//! figures): an online auction's persons, auctions and bids, with skewed keys, payload strings
//! and queries that combine filters, joins, windows and timers. Running it tells how weir does
//! on work that looks like a user's, in units other engines report (events per second per
//! core), and its latency at a given rate.
//!
//! **Layout.**
//! - [`model`]: [`Person`](model::Person), [`Auction`](model::Auction), [`Bid`](model::Bid),
//!   [`Event`](model::Event);
//! - [`config`]: what a run generates ([`NexmarkConfig`](config::NexmarkConfig)) and the
//!   specification's fixed parameters;
//! - [`generator`]: the event of a given index, a pure function (proportions 1:3:46, ids that
//!   refer to existing or imminent persons and auctions, hot auctions, sellers and bidders,
//!   event time advancing at the configured rate on parallel timelines), with [`random`] for the
//!   per-event random streams, strings and prices;
//! - [`source`]: the generator as a weir source (a `DataGenSource`, so checkpoints and
//!   savepoints resume it by its splits' positions) with Flink's 4 s watermark delay;
//! - [`queries`]: q0–q5, q7, q8, q11, q12, one file each;
//! - [`latency`] and [`histogram`]: the sink that measures end-to-end latency (its module docs
//!   define it) and its histogram.
//!
//! The benchmark workloads `nexmark-q0` … `nexmark-q12` are in
//! [`workloads::nexmark`](crate::workloads::nexmark); the correctness tests, which compare every
//! query's output with a plain computation over the same events, in `tests.rs` here.
//!
//! **It is not** a port of Flink's code (the random streams differ, so the same seed gives other
//! events than Flink's generator; the distributions are the specification's), nor a SQL engine
//! (each query is hand-written against the DataStream API), nor the queries Flink's suite adds
//! beyond these ten. It does no I/O; the latency sink reads the system clock.

pub mod config;
pub mod generator;
pub mod histogram;
pub mod latency;
pub mod model;
pub mod queries;
pub mod random;
pub mod source;

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
