//! Recovery from job failures: deciding *whether* and *when* a failed job is restarted.
//!
//! - [`restart_strategy`]: Flink's restart strategies (`none`, `fixed-delay`, `failure-rate`,
//!   `exponential-delay`) with Flink's `restart-strategy.*` keys and defaults, as a state machine
//!   fed failures and "running again" notices that returns a [`RestartDecision`].
//!
//! It is **not** the code that restarts anything: the job manager reports the facts (a failure
//! at time *t*, running since time *t*), executes the decision (waits, then redeploys from the
//! latest checkpoint, or fails the job) and draws the jitter from its random source. Nor does it
//! decide *which* tasks restart (Flink's failover strategy). Nothing here reads a clock, sleeps or
//! does I/O.

pub mod restart_strategy;

pub use restart_strategy::{RestartDecision, RestartStrategy, RestartStrategyConfig, RestartStrategyType};
