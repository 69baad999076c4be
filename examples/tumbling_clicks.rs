//! Clicks per page in 10-second tumbling event-time windows, with out-of-order clicks, allowed
//! lateness and a side output for clicks that come too late.
//!
//! ```text
//! cargo run --release -p weir --example tumbling_clicks
//! cargo run --release -p weir --example tumbling_clicks -- --clicks 3000 --rate 1000 -p 2
//! ```
//!
//! **The clicks** come from the datagen connector, a pure function of the click's index `i`
//! (seeded SplitMix64), so every run sees the same clicks in the same order. Click `i` is *sent*
//! at `09:00:00 + i × 100 ms` (10 clicks per second of event time, from 2026-11-21 09:00 UTC), but
//! its event timestamp is when it *happened*: up to 2 s earlier, at random, so the stream is out
//! of order by up to 2 s. Every 250th click is deliberately very late: it happened 45 s before it
//! was sent (a phone that was offline). Each click has a page (40 % `/home`, 30 % `/search`,
//! 20 % `/product`, 10 % `/checkout`), a user and a dwell time on the page.
//!
//! **The job**: `WatermarkStrategy::for_bounded_out_of_orderness(1 s)` with the click's timestamp
//! → `key_by(page)` → 10 s tumbling event-time windows → `allowed_lateness(2 s)` →
//! late clicks to the side output `late-clicks` → an incremental aggregate (click count and dwell
//! sum) combined with a process function that adds the window's bounds. Results print as
//! `window> ...`, the late side output as `late> ...`.
//!
//! **What to expect**:
//! - a window fires when the watermark passes its end, i.e. 1 s of event time after a click at
//!   or past its end was seen;
//! - a click delayed by 1–2 s can arrive after its window fired: the watermark trails the newest
//!   click by only 1 s. It is still within the 2 s of allowed lateness, so the window fires again
//!   with the click included, printed as `update N`. The last line of a window is its final
//!   count. No click with the ordinary ≤ 2 s delay is ever dropped;
//! - the 45 s-late clicks arrive long after their window's allowed lateness ended and go to the
//!   `late` side output, not into any count.
//!
//! Periodic watermarks follow processing time (every `pipeline.auto-watermark-interval`), so
//! the source is rate-limited as a live stream would be (`--rate`, default 400 clicks/s: 40 s of
//! event time per second, so the default 1,200 clicks take 3 s); otherwise the whole stream would
//! pass before the first periodic watermark, only the final watermark of the bounded input would
//! fire the windows, and nothing would be late. Since event time runs 40× faster than the wall
//! clock, the example sets the interval to 5 ms (unless `-D pipeline.auto-watermark-interval=...`
//! is given), a watermark per 200 ms of event time, as the 200 ms default gives a stream running
//! in real time. Which windows get `update` lines still depends on when the watermarks fall
//! between the clicks, so it varies from run to run (a handful in a run); the final count of
//! every window and the late clicks do not.
//!
//! The source runs at parallelism 1 (one ordered click log); the window operator runs at the
//! job's parallelism (`-p`). Every operator has a `uid`.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::process::ExitCode;
use std::time::Duration;
use weir_connectors::{DataGenSource, PrintSink, random_range};
use weir_runtime::prelude::*;

const SEED: u64 = 1121;
/// 2026-11-21 09:00:00 UTC, in milliseconds since the epoch.
const START_MS: i64 = 1_795_251_600_000;
/// A click is sent every 100 ms of event time.
const CLICK_EVERY_MS: i64 = 100;
/// The ordinary delay between a click happening and being sent: 0 to 2 s.
const MAX_DELAY_MS: u64 = 2_000;
/// Every this-many-th click is very late...
const VERY_LATE_EVERY: u64 = 250;
/// ...by this much.
const VERY_LATE_DELAY_MS: i64 = 45_000;
const WINDOW: Duration = Duration::from_secs(10);
const OUT_OF_ORDERNESS: Duration = Duration::from_secs(1);
const ALLOWED_LATENESS: Duration = Duration::from_secs(2);

#[derive(Clone, Serialize, Deserialize)]
struct Click {
    id: u64,
    user: u32,
    page: String,
    dwell_ms: u64,
    /// When the click happened (event time), in ms since the epoch.
    timestamp: i64,
}

/// Click `i`; see the module docs.
fn click(i: u64) -> Click {
    let delay = if i % VERY_LATE_EVERY == VERY_LATE_EVERY - 1 {
        VERY_LATE_DELAY_MS
    } else {
        random_range(SEED, 4 * i, MAX_DELAY_MS + 1) as i64
    };
    let page = match random_range(SEED, 4 * i + 1, 10) {
        0..=3 => "/home",
        4..=6 => "/search",
        7..=8 => "/product",
        _ => "/checkout",
    };
    Click {
        id: i,
        user: random_range(SEED, 4 * i + 2, 50) as u32,
        page: page.to_string(),
        dwell_ms: 500 + random_range(SEED, 4 * i + 3, 30_000),
        timestamp: START_MS + i as i64 * CLICK_EVERY_MS - delay,
    }
}

/// The line the `late` side output prints (`print` shows records with `Debug`).
impl fmt::Debug for Click {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sent = START_MS + self.id as i64 * CLICK_EVERY_MS;
        write!(
            f,
            "click #{} by user {} on {} happened at {}, sent at {} ({:.1} s late): its window had closed",
            self.id,
            self.user,
            self.page,
            clock(self.timestamp),
            clock(sent),
            (sent - self.timestamp) as f64 / 1000.0,
        )
    }
}

/// Clicks and total dwell time of a window, folded in as the clicks arrive.
struct ClickStats;

impl AggregateFunction<Click, (u64, u64), (u64, u64)> for ClickStats {
    fn create_accumulator(&self) -> (u64, u64) {
        (0, 0)
    }

    fn add(&self, (clicks, dwell): &mut (u64, u64), click: &Click) {
        *clicks += 1;
        *dwell += click.dwell_ms;
    }

    fn merge(&self, (clicks, dwell): &mut (u64, u64), other: &(u64, u64)) {
        *clicks += other.0;
        *dwell += other.1;
    }

    fn get_result(&self, accumulator: &(u64, u64)) -> (u64, u64) {
        *accumulator
    }
}

/// One firing of one page's window.
#[derive(Clone, Serialize, Deserialize)]
struct PageWindow {
    page: String,
    start: i64,
    end: i64,
    clicks: u64,
    dwell_ms: u64,
    /// 1 for the firing at the end of the window, 2, 3, ... for re-firings on late clicks.
    firing: u32,
}

/// The line the results print (`print` shows records with `Debug`).
impl fmt::Debug for PageWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let average = if self.clicks == 0 { 0.0 } else { self.dwell_ms as f64 / self.clicks as f64 / 1000.0 };
        write!(
            f,
            "{:<9} [{}, {})  clicks {:>3}  dwell {:>7} ms (avg {average:>4.1} s)",
            self.page,
            clock(self.start),
            clock(self.end),
            self.clicks,
            self.dwell_ms,
        )?;
        if self.firing > 1 {
            write!(f, "  update {}: late clicks within the allowed lateness", self.firing)?;
        }
        Ok(())
    }
}

/// Adds the page and window to the aggregate and numbers the firings of each window. The
/// numbering is per subtask, which is enough: a page's windows all fire on one subtask.
#[derive(Clone, Default)]
struct ReportWindow {
    firings: HashMap<(String, i64), u32>,
}

impl ProcessWindowFunction<String, (u64, u64), PageWindow, TimeWindow> for ReportWindow {
    fn process(
        &mut self,
        page: &String,
        ctx: &mut WindowContext<'_, String, TimeWindow, PageWindow>,
        results: Vec<(u64, u64)>,
    ) -> Result<()> {
        let window = *ctx.window();
        let firing = self.firings.entry((page.clone(), window.start)).or_insert(0);
        *firing += 1;
        for (clicks, dwell_ms) in results {
            let firing = *firing;
            ctx.collect(PageWindow {
                page: page.clone(),
                start: window.start,
                end: window.end,
                clicks,
                dwell_ms,
                firing,
            });
        }
        Ok(())
    }
}

/// `HH:MM:SS.mmm` (UTC) of a timestamp in ms since the epoch.
fn clock(millis: i64) -> String {
    let of_day = millis.rem_euclid(86_400_000);
    let (h, m, s, ms) = (of_day / 3_600_000, of_day / 60_000 % 60, of_day / 1_000 % 60, of_day % 1_000);
    if ms == 0 { format!("{h:02}:{m:02}:{s:02}") } else { format!("{h:02}:{m:02}:{s:02}.{ms:03}") }
}

/// Periodic watermarks are emitted every this much processing time.
const WATERMARK_INTERVAL_KEY: &str = "pipeline.auto-watermark-interval";
/// How often a live stream emits watermarks by default, in event time here (see the module docs).
const WATERMARK_EVERY_EVENT_MS: f64 = 200.0;

/// The processing-time interval at which watermarks come every
/// [`WATERMARK_EVERY_EVENT_MS`] of event time when the source sends `rate` clicks per second
/// (at least 1 ms, the setting's resolution): 5 ms at the default 400 clicks/s.
fn watermark_interval_ms(rate: f64) -> u64 {
    let event_ms_per_wall_ms = rate * CLICK_EVERY_MS as f64 / 1000.0;
    ((WATERMARK_EVERY_EVENT_MS / event_ms_per_wall_ms) as u64).max(1)
}

/// The job's own options.
struct Options {
    clicks: u64,
    rate: f64,
}

fn parse_options(args: &[String]) -> anyhow::Result<Options> {
    let mut options = Options { clicks: 1_200, rate: 400.0 };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--clicks" => options.clicks = value.parse().with_context(|| format!("--clicks {value}"))?,
            "--rate" => options.rate = value.parse().with_context(|| format!("--rate {value}"))?,
            _ => anyhow::bail!(
                "usage: tumbling_clicks [-p N] [-D key=value]... [--clicks N] [--rate CLICKS_PER_S]; got {flag}"
            ),
        }
    }
    anyhow::ensure!(options.rate.is_finite() && options.rate > 0.0, "--rate must be positive, got {}", options.rate);
    Ok(options)
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
    let options = parse_options(&args)?;
    if env.config().get_raw(WATERMARK_INTERVAL_KEY).is_none() {
        env.set_config(WATERMARK_INTERVAL_KEY, format!("{} ms", watermark_interval_ms(options.rate)));
    }

    let late_clicks = OutputTag::<Click>::new("late-clicks");
    let clicks = env
        .from_source(DataGenSource::new(click).with_count(options.clicks).with_rate_limit(options.rate), "Clicks")
        .set_parallelism(1)
        .uid("clicks-source")
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(OUT_OF_ORDERNESS)
                .with_timestamp_assigner(|click: &Click, _| click.timestamp),
        )
        .set_parallelism(1)
        .uid("click-timestamps");
    let per_page = clicks
        .key_by(|click: &Click| click.page.clone())
        .window(TumblingWindows::event_time(WINDOW)?)
        .allowed_lateness(ALLOWED_LATENESS)
        .side_output_late_data(&late_clicks)
        .aggregate_with_process(ClickStats, ReportWindow::default())
        .name("Clicks per page")
        .uid("clicks-per-page");
    per_page.sink_to(PrintSink::new().with_identifier("window")).set_parallelism(1).uid("print-windows");
    per_page
        .get_side_output(&late_clicks)
        .sink_to(PrintSink::new().with_identifier("late"))
        .set_parallelism(1)
        .uid("print-late");

    let result = env.execute("Tumbling clicks example")?;
    eprintln!("{result}");
    Ok(())
}
