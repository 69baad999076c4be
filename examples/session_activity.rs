//! User sessions: a user's activity events grouped into event-time session windows that close
//! after 30 s without activity, each reported with its start, end and number of events.
//!
//! ```text
//! cargo run --release -p weir --example session_activity
//! cargo run --release -p weir --example session_activity -- --slots 24 -p 2
//! ```
//!
//! **The activity** comes from the datagen connector, a pure function of the index (seeded
//! SplitMix64), so every run sees the same events. Time, from 2026-11-21 09:00 UTC, is cut into
//! 5-minute *slots* (`--slots`, default 6) of 12 *steps* each, one step every 15 s. In every slot
//! each of 5 users makes one visit of 0 to 6 steps (0: no visit), starting at one of the first 6
//! steps; the user does one thing at each step of the visit, at the step's time plus up to 10 s of
//! random jitter. The datagen enumerates every (slot, step, user) in that order and emits an event
//! only when the step is part of the user's visit (`flat_map` drops the rest).
//!
//! So within a visit consecutive events are 5–25 s apart, under the 30 s gap, and form one
//! session; a visit ends by step 11 of its slot (at most 2:55 into it) and the next visit starts
//! at 5:00 or later, so visits never merge. Every session is therefore a visit:
//! `[first event, last event + 30 s)`.
//!
//! **The job**: bounded-out-of-orderness watermarks of 10 s (events of one step arrive in user
//! order, so the stream is out of order by up to the 10 s of jitter) → `key_by(user)` →
//! `SessionWindows::event_time(30 s)` → a [`ProcessWindowFunction`] that sees all events of a
//! session and reports its start, end, duration, event count and actions. Nothing is late, so the
//! output is the same on every run (its order too at parallelism 1). The source runs at
//! parallelism 1, the window operator at the job's parallelism (`-p`). Every operator has a `uid`.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::process::ExitCode;
use std::time::Duration;
use weir_connectors::{DataGenSource, PrintSink, random_range};
use weir_runtime::prelude::*;

const SEED: u64 = 1121;
/// 2026-11-21 09:00:00 UTC, in milliseconds since the epoch.
const START_MS: i64 = 1_795_251_600_000;
const USERS: u64 = 5;
const SLOT_MS: i64 = 300_000;
const STEPS_PER_SLOT: u64 = 12;
const STEP_MS: i64 = 15_000;
/// A visit starts at one of the first this-many steps of its slot...
const FIRST_STEPS: u64 = 6;
/// ...and lasts at most this many steps.
const MAX_VISIT_STEPS: u64 = 6;
const MAX_JITTER_MS: u64 = 10_000;
const GAP: Duration = Duration::from_secs(30);
const OUT_OF_ORDERNESS: Duration = Duration::from_secs(10);
const ACTIONS: [&str; 4] = ["view", "search", "add-to-cart", "checkout"];

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Activity {
    user: u32,
    action: String,
    /// Event time, in ms since the epoch.
    timestamp: i64,
}

/// The user's visit in a slot: its first step and its number of steps (0: no visit).
fn visit(slot: u64, user: u64) -> (u64, u64) {
    let visit = slot * USERS + user;
    (random_range(SEED, 2 * visit, FIRST_STEPS), random_range(SEED, 2 * visit + 1, MAX_VISIT_STEPS + 1))
}

/// The event of index `i` = (slot, step, user), if that step is part of the user's visit.
fn activity(i: u64) -> Option<Activity> {
    let (slot, step, user) = (i / (STEPS_PER_SLOT * USERS), i / USERS % STEPS_PER_SLOT, i % USERS);
    let (first, steps) = visit(slot, user);
    if step < first || step >= first + steps {
        return None;
    }
    let jitter = random_range(SEED ^ 1, i, MAX_JITTER_MS) as i64;
    let action = if step + 1 == first + steps && random_range(SEED ^ 2, i, 3) == 0 {
        ACTIONS[3] // some visits end with a purchase
    } else {
        ACTIONS[random_range(SEED ^ 3, i, 3) as usize]
    };
    Some(Activity {
        user: user as u32,
        action: action.to_string(),
        timestamp: START_MS + slot as i64 * SLOT_MS + step as i64 * STEP_MS + jitter,
    })
}

/// One closed session of one user.
#[derive(Clone, Serialize, Deserialize)]
struct Session {
    user: u32,
    /// The session window: from the first event to the last event plus the gap.
    window: (i64, i64),
    first_event: i64,
    last_event: i64,
    events: usize,
    actions: Vec<String>,
}

/// The line `print` shows (it prints records with `Debug`).
impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "user-{}  {} – {}  {:>5.1} s  {} event{}  [{}]  (window [{}, {}))",
            self.user,
            clock(self.first_event),
            clock(self.last_event),
            (self.last_event - self.first_event) as f64 / 1000.0,
            self.events,
            if self.events == 1 { "" } else { "s" },
            self.actions.join(", "),
            clock(self.window.0),
            clock(self.window.1),
        )
    }
}

/// Reports a session from all of its events when the watermark passes its end.
#[derive(Clone)]
struct ReportSession;

impl ProcessWindowFunction<u32, Activity, Session, TimeWindow> for ReportSession {
    fn process(
        &mut self,
        user: &u32,
        ctx: &mut WindowContext<'_, u32, TimeWindow, Session>,
        mut events: Vec<Activity>,
    ) -> Result<()> {
        // The window gets its records in arrival order; report them in event-time order.
        events.sort_by_key(|event| event.timestamp);
        let (Some(first), Some(last)) = (events.first(), events.last()) else { return Ok(()) };
        let window = *ctx.window();
        let session = Session {
            user: *user,
            window: (window.start, window.end),
            first_event: first.timestamp,
            last_event: last.timestamp,
            events: events.len(),
            actions: events.iter().map(|event| event.action.clone()).collect(),
        };
        ctx.collect(session);
        Ok(())
    }
}

/// `HH:MM:SS.mmm` (UTC) of a timestamp in ms since the epoch.
fn clock(millis: i64) -> String {
    let of_day = millis.rem_euclid(86_400_000);
    let (h, m, s, ms) = (of_day / 3_600_000, of_day / 60_000 % 60, of_day / 1_000 % 60, of_day % 1_000);
    format!("{h:02}:{m:02}:{s:02}.{ms:03}")
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
    let (env, args) = StreamExecutionEnvironment::from_args(std::env::args().skip(1))?;
    let slots: u64 = match args.as_slice() {
        [] => 6,
        [flag, n] if flag == "--slots" => n.parse().with_context(|| format!("--slots {n}"))?,
        _ => anyhow::bail!("usage: session_activity [-p N] [-D key=value]... [--slots N]; got {args:?}"),
    };

    let indices = slots * STEPS_PER_SLOT * USERS;
    env.from_source(DataGenSource::new(activity).with_count(indices), "Activity")
        .set_parallelism(1)
        .uid("activity-source")
        .flat_map(|event: Option<Activity>| event)
        .name("Visit steps only")
        .set_parallelism(1)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(OUT_OF_ORDERNESS)
                .with_timestamp_assigner(|event: &Activity, _| event.timestamp),
        )
        .set_parallelism(1)
        .uid("activity-timestamps")
        .key_by(|event: &Activity| event.user)
        .window(SessionWindows::event_time(GAP)?)
        .process(ReportSession)
        .name("Sessions")
        .uid("sessions")
        .sink_to(PrintSink::new())
        .set_parallelism(1)
        .uid("print-sessions");

    let result = env.execute("Session activity example")?;
    let sessions = result.operator("Sessions").map_or(0, |op| op.records_out);
    eprintln!("{result}{sessions} sessions");
    Ok(())
}
