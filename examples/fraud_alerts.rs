//! Fraud detection, after Flink's walkthrough: a small transaction immediately followed by a
//! large one on the same account is how card thieves test a stolen card, so it raises an alert.
//!
//! ```text
//! cargo run --release -p weir --example fraud_alerts
//! cargo run --release -p weir --example fraud_alerts -- --transactions 1000000 -p 2
//! cargo run --release -p weir --example fraud_alerts -- --transactions 100000000 -d \
//!     -D execution.checkpointing.interval=1s -D state.savepoints.dir=/tmp/savepoints
//! ```
//!
//! It runs through `weir::job_binary::run`, so it takes `weir run`'s flags and serves the REST
//! API while it runs: `-d` runs it in the background, and `weir savepoint <job-id>`,
//! `weir stop <job-id>` and a later `-s <savepoint>` work as for a built-in job.
//!
//! Transactions come from the datagen connector (a pure function of the index, so every run
//! sees the same ones), are keyed by account, and go through a [`FraudDetector`], a
//! `KeyedProcessFunction` with two pieces of keyed state:
//! - `ValueState<Transaction>`: the account's last transaction if it was small (Flink's flag);
//! - `MapState<u32, u64>`: how often the account paid each merchant, so an alert can say whether
//!   the large payment went to a merchant the account never paid before.
//!
//! Unlike Flink's version there is no one-minute timer clearing the flag (timers are coming):
//! here only the very next transaction of the account counts. The stateful operator has a `uid`,
//! as every stateful operator of a job that will be restored should.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::process::ExitCode;
use weir_connectors::{DataGenSource, random_f64, random_range};
use weir_runtime::prelude::*;

const SEED: u64 = 2026;
const ACCOUNTS: u64 = 25;
const MERCHANTS: u64 = 1_000;
/// Below this a transaction is "small" ($1.00).
const SMALL_CENTS: u64 = 100;
/// Above this a transaction is "large" ($500.00).
const LARGE_CENTS: u64 = 50_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Transaction {
    id: u64,
    account: u32,
    merchant: u32,
    cents: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Alert {
    account: u32,
    small_id: u64,
    small_cents: u64,
    large_id: u64,
    large_cents: u64,
    merchant: u32,
    new_merchant: bool,
}

/// Transaction `i`: a random account and merchant; 3 % small, 2 % large, the rest ordinary.
fn transaction(i: u64) -> Transaction {
    let kind = random_f64(SEED, 4 * i);
    let amount = random_range(SEED, 4 * i + 1, 1 << 20);
    let cents = if kind < 0.03 {
        1 + amount % (SMALL_CENTS - 1)
    } else if kind < 0.05 {
        LARGE_CENTS + 1 + amount % 150_000
    } else {
        1_000 + amount % 30_000
    };
    let account = random_range(SEED, 4 * i + 2, ACCOUNTS) as u32;
    let merchant = random_range(SEED, 4 * i + 3, MERCHANTS) as u32;
    Transaction { id: i, account, merchant, cents }
}

/// Flags a small transaction followed by a large one; see the module docs.
#[derive(Clone)]
struct FraudDetector {
    last_small: ValueStateDescriptor<Transaction>,
    merchants_paid: MapStateDescriptor<u32, u64>,
}

impl KeyedProcessFunction<u32, Transaction, Alert> for FraudDetector {
    fn process_element(&mut self, tx: Transaction, ctx: &mut KeyedContext<'_, u32, Alert>) -> Result<()> {
        let times_paid = {
            let mut merchants = ctx.map(&self.merchants_paid)?;
            let before = merchants.get(&tx.merchant).copied().unwrap_or(0);
            merchants.put(tx.merchant, before + 1);
            before
        };
        let mut last_small = ctx.value(&self.last_small)?;
        let previous = last_small.value();
        if tx.cents < SMALL_CENTS {
            last_small.update(tx.clone());
        } else {
            last_small.clear();
        }
        if let Some(small) = previous.filter(|_| tx.cents > LARGE_CENTS) {
            ctx.collect(Alert {
                account: tx.account,
                small_id: small.id,
                small_cents: small.cents,
                large_id: tx.id,
                large_cents: tx.cents,
                merchant: tx.merchant,
                new_merchant: times_paid == 0,
            });
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    // `weir run`'s flags (`-p`, `-D`, `--config`, `-s`, `-n`, `-d`) and its REST API, so
    // `weir savepoint|stop|cancel` work on this job too; the rest of the arguments are ours.
    let mut count = 0;
    let result = weir::job_binary::run("Fraud alerts example", |env, args| {
        count = match args {
            [] => 20_000,
            [flag, n] if flag == "--transactions" => n.parse().with_context(|| format!("--transactions {n}"))?,
            _ => anyhow::bail!(
                "usage: fraud_alerts [-p N] [-D key=value]... [-s PATH [-n]] [-d] [--transactions N]; got {args:?}"
            ),
        };
        let detector = FraudDetector {
            last_small: ValueStateDescriptor::new("last-small-transaction"),
            merchants_paid: MapStateDescriptor::new("merchants-paid"),
        };
        env.from_source(DataGenSource::new(transaction).with_count(count), "Transactions")
            .uid("transactions")
            .key_by(|tx: &Transaction| tx.account)
            .process(detector)
            .name("Fraud detector")
            .uid("fraud-detector")
            .print();
        Ok(())
    })?;
    if let Some(result) = result {
        let alerts = result.operator("Fraud detector").map_or(0, |op| op.records_out);
        eprintln!("{result}{alerts} alerts in {count} transactions");
    }
    Ok(())
}
