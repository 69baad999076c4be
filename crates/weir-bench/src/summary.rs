//! `weir-bench summarize`: turns the `RESULT` lines of a checkpoint-cost series into one row per
//! cell (workload × checkpoint configuration), with the cost of checkpointing against the same
//! workload without it.
//!
//! Why a summarizer of its own: the matrix of `scripts/checkpoint-cost.sh` has dozens of cells of
//! three or more runs each, on a noisy machine; taking medians and ratios by hand is where
//! mistakes creep in. The rules, all here and tested:
//!
//! - A **cell** is the runs with the same `workload`, `parallelism`, `events` and checkpoint
//!   configuration (`ckpt_interval_ms` and `ckpt_mode`; a line without them ran with
//!   checkpointing off). Runs of another event count are another cell, never compared.
//! - Its throughput is the **median** of the runs' `events_per_s` (the mean of the two middle
//!   ones for an even count), its CPU the median `cpu_s`.
//! - A checkpointing cell is compared with the checkpointing-off cell of the same workload,
//!   parallelism and events: `throughput_ratio` = its median events/s over off's, `cost_pct` =
//!   (1 − ratio) × 100 (negative when the checkpointing runs happened to be faster: noise),
//!   `cpu_ratio` = its median CPU seconds over off's (the work checkpointing adds, less
//!   sensitive to what else runs on the machine than wall time).
//! - Checkpoint figures: the median of the runs' completed checkpoints and p50 duration; the
//!   largest max duration, size, alignment, synchronous and asynchronous part of any run; the
//!   failed checkpoints of all runs.
//!
//! Output: a Markdown table, then one `CELL key=value ...` line per cell for scripts. Lines
//! that are not `RESULT` lines (load averages, comments) are skipped. Pure: the caller reads
//! and prints.

use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One `RESULT` line's fields, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultLine {
    fields: BTreeMap<String, String>,
}

impl ResultLine {
    /// The fields of `line` if it is a `RESULT` line (`None` for any other line); an error when
    /// it is one but a field is not `key=value`.
    pub fn parse(line: &str) -> Option<anyhow::Result<Self>> {
        let rest = line.trim().strip_prefix("RESULT ")?;
        let mut fields = BTreeMap::new();
        for field in rest.split_whitespace() {
            let Some((key, value)) = field.split_once('=') else {
                return Some(Err(anyhow::anyhow!("'{field}' is not key=value in the line: {line}")));
            };
            fields.insert(key.to_string(), value.to_string());
        }
        Some(Ok(ResultLine { fields }))
    }

    fn text(&self, key: &str) -> anyhow::Result<&str> {
        self.fields.get(key).map(String::as_str).with_context(|| format!("the RESULT line has no '{key}'"))
    }

    fn number(&self, key: &str) -> anyhow::Result<f64> {
        let text = self.text(key)?;
        text.parse().with_context(|| format!("'{key}={text}' is not a number"))
    }

    /// A number that may be missing (older lines, or a run that completed no checkpoint).
    fn optional(&self, key: &str) -> anyhow::Result<Option<f64>> {
        match self.fields.get(key) {
            None => Ok(None),
            Some(text) => text.parse().map(Some).with_context(|| format!("'{key}={text}' is not a number")),
        }
    }
}

/// How a cell's runs checkpointed: `None` is off.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Checkpointing {
    pub interval_ms: u64,
    pub mode: String,
}

impl Checkpointing {
    /// `1s EO`, `10s ALO`, `500ms EO`: how the table names it.
    fn label(&self) -> String {
        let interval = if self.interval_ms.is_multiple_of(1000) {
            format!("{}s", self.interval_ms / 1000)
        } else {
            format!("{}ms", self.interval_ms)
        };
        let mode = match self.mode.as_str() {
            "EXACTLY_ONCE" => "EO",
            "AT_LEAST_ONCE" => "ALO",
            other => other,
        };
        format!("{interval} {mode}")
    }
}

/// What identifies a cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellKey {
    pub workload: String,
    pub parallelism: u64,
    pub events: u64,
    pub checkpointing: Option<Checkpointing>,
}

impl CellKey {
    /// The checkpointing-off cell this one is compared with.
    fn baseline(&self) -> CellKey {
        CellKey { checkpointing: None, ..self.clone() }
    }
}

/// The figures of one run that the summary uses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Run {
    events_per_s: f64,
    cpu_s: f64,
    checkpoints: f64,
    failed: f64,
    ckpt_p50_ms: f64,
    ckpt_max_ms: f64,
    size_max_bytes: f64,
    align_max_ms: f64,
    sync_max_ms: f64,
    async_max_ms: f64,
}

/// A cell's runs, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub key: CellKey,
    runs: Vec<Run>,
}

/// The cells of a series, in the order the summary prints them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    cells: Vec<Cell>,
    /// Workloads in the order they first appeared.
    workloads: Vec<String>,
}

impl Summary {
    /// Collects every `RESULT` line of `text`.
    pub fn from_text(text: &str) -> anyhow::Result<Self> {
        let mut summary = Summary::default();
        for (number, line) in text.lines().enumerate() {
            if let Some(parsed) = ResultLine::parse(line) {
                let parsed = parsed.with_context(|| format!("line {}", number + 1))?;
                summary.add(&parsed).with_context(|| format!("line {}", number + 1))?;
            }
        }
        Ok(summary)
    }

    fn add(&mut self, line: &ResultLine) -> anyhow::Result<()> {
        let checkpointing = match (line.fields.get("ckpt_interval_ms"), line.fields.get("ckpt_mode")) {
            (Some(interval), Some(mode)) => Some(Checkpointing {
                interval_ms: interval.parse().with_context(|| format!("'ckpt_interval_ms={interval}'"))?,
                mode: mode.clone(),
            }),
            (None, None) => None,
            _ => bail!("the RESULT line has only one of ckpt_interval_ms and ckpt_mode"),
        };
        let key = CellKey {
            workload: line.text("workload")?.to_string(),
            parallelism: line.number("parallelism")? as u64,
            events: line.number("events")? as u64,
            checkpointing,
        };
        let run = Run {
            events_per_s: line.number("events_per_s")?,
            cpu_s: line.number("cpu_s")?,
            checkpoints: line.optional("checkpoints")?.unwrap_or(0.0),
            failed: line.optional("ckpt_failed")?.unwrap_or(0.0),
            ckpt_p50_ms: line.optional("ckpt_p50_ms")?.unwrap_or(0.0),
            ckpt_max_ms: line.optional("ckpt_max_ms")?.unwrap_or(0.0),
            size_max_bytes: match line.optional("ckpt_size_max_bytes")? {
                Some(size) => size,
                None => line.optional("ckpt_size_bytes")?.unwrap_or(0.0),
            },
            align_max_ms: line.optional("align_max_ms")?.unwrap_or(0.0),
            sync_max_ms: line.optional("sync_pause_max_ms")?.unwrap_or(0.0),
            async_max_ms: line.optional("async_max_ms")?.unwrap_or(0.0),
        };
        if !self.workloads.contains(&key.workload) {
            self.workloads.push(key.workload.clone());
        }
        match self.cells.iter_mut().find(|c| c.key == key) {
            Some(cell) => cell.runs.push(run),
            None => self.cells.push(Cell { key, runs: vec![run] }),
        }
        Ok(())
    }

    /// The cells: workloads in order of appearance, then parallelism and events, off first,
    /// then longer intervals first, exactly-once before at-least-once.
    fn ordered(&self) -> Vec<&Cell> {
        let mut cells: Vec<&Cell> = self.cells.iter().collect();
        let rank = |c: &Cell| self.workloads.iter().position(|w| *w == c.key.workload).unwrap_or(usize::MAX);
        cells.sort_by(|a, b| {
            let order = |c: &Cell| {
                let ck =
                    c.key.checkpointing.as_ref().map(|ck| (std::cmp::Reverse(ck.interval_ms), mode_rank(&ck.mode)));
                (rank(c), c.key.parallelism, c.key.events, ck.is_some(), ck)
            };
            order(a).cmp(&order(b))
        });
        cells
    }

    fn baseline_of(&self, key: &CellKey) -> Option<&Cell> {
        let baseline = key.baseline();
        self.cells.iter().find(|c| c.key == baseline)
    }

    /// Each cell's figures, in print order.
    pub fn rows(&self) -> Vec<CellFigures> {
        self.ordered().into_iter().map(|cell| CellFigures::of(cell, self.baseline_of(&cell.key))).collect()
    }

    /// The Markdown table, then the `CELL` lines.
    pub fn render(&self) -> String {
        let rows = self.rows();
        let mut out = String::new();
        out.push_str(
            "| workload | p | events | checkpointing | runs | events/s, median | the runs (M/s) | vs off | CPU vs off \
             | ckpts per run | ckpt p50 / max ms | size max | align max ms | sync max ms | failed |\n",
        );
        out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for row in &rows {
            let _ = writeln!(out, "{}", row.table_row());
        }
        out.push('\n');
        for row in &rows {
            let _ = writeln!(out, "{row}");
        }
        out
    }
}

fn mode_rank(mode: &str) -> u8 {
    match mode {
        "EXACTLY_ONCE" => 0,
        "AT_LEAST_ONCE" => 1,
        _ => 2,
    }
}

/// The median of `values`: the middle one, or the mean of the two middle ones. `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// One cell, summarized.
#[derive(Debug, Clone, PartialEq)]
pub struct CellFigures {
    pub key: CellKey,
    pub runs: usize,
    pub events_per_s: f64,
    pub events_per_s_runs: Vec<f64>,
    pub cpu_s: f64,
    /// Against the checkpointing-off cell, when there is one (and this cell checkpoints).
    pub throughput_ratio: Option<f64>,
    pub cpu_ratio: Option<f64>,
    pub checkpoints: f64,
    pub ckpt_p50_ms: f64,
    pub ckpt_max_ms: f64,
    pub size_max_bytes: f64,
    pub align_max_ms: f64,
    pub sync_max_ms: f64,
    pub async_max_ms: f64,
    pub failed: f64,
}

impl CellFigures {
    fn of(cell: &Cell, baseline: Option<&Cell>) -> Self {
        let column = |f: fn(&Run) -> f64| cell.runs.iter().map(f).collect::<Vec<f64>>();
        let largest = |f: fn(&Run) -> f64| cell.runs.iter().map(f).fold(0.0, f64::max);
        let events_per_s_runs = column(|r| r.events_per_s);
        let events_per_s = median(&events_per_s_runs).unwrap_or(0.0);
        let cpu_s = median(&column(|r| r.cpu_s)).unwrap_or(0.0);
        let against = baseline.filter(|_| cell.key.checkpointing.is_some()).map(|b| {
            let eps = median(&b.runs.iter().map(|r| r.events_per_s).collect::<Vec<_>>()).unwrap_or(0.0);
            let cpu = median(&b.runs.iter().map(|r| r.cpu_s).collect::<Vec<_>>()).unwrap_or(0.0);
            (eps, cpu)
        });
        let ratio = |value: f64, base: f64| if base > 0.0 { Some(value / base) } else { None };
        CellFigures {
            key: cell.key.clone(),
            runs: cell.runs.len(),
            events_per_s,
            events_per_s_runs,
            cpu_s,
            throughput_ratio: against.and_then(|(eps, _)| ratio(events_per_s, eps)),
            cpu_ratio: against.and_then(|(_, cpu)| ratio(cpu_s, cpu)),
            checkpoints: median(&column(|r| r.checkpoints)).unwrap_or(0.0),
            ckpt_p50_ms: median(&column(|r| r.ckpt_p50_ms)).unwrap_or(0.0),
            ckpt_max_ms: largest(|r| r.ckpt_max_ms),
            size_max_bytes: largest(|r| r.size_max_bytes),
            align_max_ms: largest(|r| r.align_max_ms),
            sync_max_ms: largest(|r| r.sync_max_ms),
            async_max_ms: largest(|r| r.async_max_ms),
            failed: column(|r| r.failed).iter().sum(),
        }
    }

    /// (1 − throughput ratio) in percent: what checkpointing cost.
    pub fn cost_pct(&self) -> Option<f64> {
        self.throughput_ratio.map(|r| (1.0 - r) * 100.0)
    }

    fn table_row(&self) -> String {
        let runs: Vec<String> = self.events_per_s_runs.iter().map(|e| format!("{:.2}", e / 1e6)).collect();
        let label = self.key.checkpointing.as_ref().map_or_else(|| "off".to_string(), Checkpointing::label);
        let percent = |r: Option<f64>| r.map_or_else(|| "–".to_string(), |r| format!("{:+.1} %", (r - 1.0) * 100.0));
        let ck = self.key.checkpointing.is_some();
        let dash = || "–".to_string();
        format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            self.key.workload,
            self.key.parallelism,
            self.key.events,
            label,
            self.runs,
            format_rate(self.events_per_s),
            runs.join(", "),
            percent(self.throughput_ratio),
            percent(self.cpu_ratio),
            if ck { format!("{}", self.checkpoints) } else { dash() },
            if ck { format!("{:.0} / {:.0}", self.ckpt_p50_ms, self.ckpt_max_ms) } else { dash() },
            if ck { format_bytes(self.size_max_bytes) } else { dash() },
            if ck { format!("{:.1}", self.align_max_ms) } else { dash() },
            if ck { format!("{:.1}", self.sync_max_ms) } else { dash() },
            if ck { format!("{}", self.failed) } else { dash() },
        )
    }
}

impl std::fmt::Display for CellFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let runs: Vec<String> = self.events_per_s_runs.iter().map(|e| format!("{e:.0}")).collect();
        let checkpointing = self
            .key
            .checkpointing
            .as_ref()
            .map_or_else(|| "off".to_string(), |c| format!("{}/{}ms", c.mode, c.interval_ms));
        write!(
            f,
            "CELL workload={} parallelism={} events={} checkpointing={} runs={} events_per_s={:.0} events_per_s_runs={} \
             cpu_s={:.3}",
            self.key.workload,
            self.key.parallelism,
            self.key.events,
            checkpointing,
            self.runs,
            self.events_per_s,
            runs.join(","),
            self.cpu_s
        )?;
        if self.key.checkpointing.is_none() {
            return Ok(());
        }
        match (self.throughput_ratio, self.cost_pct(), self.cpu_ratio) {
            (Some(ratio), Some(cost), Some(cpu)) => {
                write!(f, " throughput_ratio={ratio:.4} cost_pct={cost:.1} cpu_ratio={cpu:.4}")?;
            }
            _ => f.write_str(" throughput_ratio=na cost_pct=na cpu_ratio=na")?,
        }
        write!(
            f,
            " checkpoints={} ckpt_p50_ms={:.0} ckpt_max_ms={:.0} ckpt_size_max_bytes={:.0} align_max_ms={:.1} \
             sync_pause_max_ms={:.1} async_max_ms={:.1} ckpt_failed={}",
            self.checkpoints,
            self.ckpt_p50_ms,
            self.ckpt_max_ms,
            self.size_max_bytes,
            self.align_max_ms,
            self.sync_max_ms,
            self.async_max_ms,
            self.failed
        )
    }
}

/// `12.35 M`, `850.0 K`, `999`: events per second for the table.
fn format_rate(rate: f64) -> String {
    if rate >= 1e6 {
        format!("{:.2} M", rate / 1e6)
    } else if rate >= 1e3 {
        format!("{:.1} K", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

/// `6.97 MB`, `12.0 KB`, `24 B` (decimal units, as the sizes are read off files).
fn format_bytes(bytes: f64) -> String {
    if bytes >= 1e6 {
        format!("{:.2} MB", bytes / 1e6)
    } else if bytes >= 1e3 {
        format!("{:.1} KB", bytes / 1e3)
    } else {
        format!("{bytes:.0} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFF: &str = "RESULT workload=keyed-count parallelism=1 events=1000 seconds=1.000 events_per_s={eps} \
                       cpu_s={cpu} peak_rss_mb=5.0";
    const ON: &str = "RESULT workload=keyed-count parallelism=1 events=1000 seconds=1.000 events_per_s={eps} \
                      cpu_s={cpu} peak_rss_mb=5.0 checkpoints={n} ckpt_p50_ms={p50} ckpt_max_ms={max} \
                      sync_pause_max_ms=0.1 ckpt_size_bytes=24 ckpt_failed=0 ckpt_size_max_bytes={size} \
                      align_p50_ms=0.0 align_max_ms={align} async_max_ms=5.0 ckpt_interval_ms=1000 ckpt_mode={mode}";

    fn off(eps: u64, cpu: f64) -> String {
        OFF.replace("{eps}", &eps.to_string()).replace("{cpu}", &cpu.to_string())
    }

    /// A checkpointing run; `(n, p50, max)`: its checkpoints and their p50 and max durations.
    fn on(eps: u64, cpu: f64, (n, p50, max): (u32, u32, u32), size: u64, align: f64, mode: &str) -> String {
        ON.replace("{eps}", &eps.to_string())
            .replace("{cpu}", &cpu.to_string())
            .replace("{n}", &n.to_string())
            .replace("{p50}", &p50.to_string())
            .replace("{max}", &max.to_string())
            .replace("{size}", &size.to_string())
            .replace("{align}", &align.to_string())
            .replace("{mode}", mode)
    }

    #[test]
    fn result_lines_are_recognized_and_split() {
        assert!(ResultLine::parse("# load: 1.0 2.0 3.0").is_none());
        assert!(ResultLine::parse("RSS_SAMPLES workload=x mb=1").is_none());
        let line = ResultLine::parse("RESULT workload=a events=10").expect("a RESULT line").expect("parses");
        assert_eq!(line.text("workload").ok(), Some("a"));
        assert_eq!(line.number("events").ok(), Some(10.0));
        assert!(line.number("cpu_s").is_err());
        assert!(ResultLine::parse("RESULT workload=a broken").expect("a RESULT line").is_err());
    }

    #[test]
    fn the_median_takes_the_middle_or_the_mean_of_the_two_middle_values() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[9.0, 1.0, 5.0]), Some(5.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn a_checkpointing_cell_is_compared_with_the_same_workload_without() {
        let text = [
            "# load: 1.00 1.00 1.00".to_string(),
            off(100, 1.0),
            on(97, 1.1, (10, 20, 40), 5_000, 0.0, "EXACTLY_ONCE"),
            on(99, 1.0, (10, 21, 30), 5_000, 0.0, "AT_LEAST_ONCE"),
            off(90, 1.2),
            on(80, 1.2, (11, 25, 90), 6_000, 1.5, "EXACTLY_ONCE"),
            on(95, 1.1, (10, 22, 30), 5_000, 0.0, "AT_LEAST_ONCE"),
            off(110, 0.9),
            on(96, 1.0, (9, 19, 50), 4_000, 0.5, "EXACTLY_ONCE"),
            on(101, 1.0, (10, 20, 30), 5_000, 0.0, "AT_LEAST_ONCE"),
            // Another event count is another cell, with no baseline.
            on(50, 2.0, (20, 20, 30), 5_000, 0.0, "EXACTLY_ONCE").replace("events=1000", "events=2000"),
        ]
        .join("\n");
        let rows = Summary::from_text(&text).expect("parses").rows();
        let labels: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {}", r.key.events, r.key.checkpointing.as_ref().map_or("off".into(), |c| c.label())))
            .collect();
        assert_eq!(labels, ["1000 off", "1000 1s EO", "1000 1s ALO", "2000 1s EO"]);

        let baseline = &rows[0];
        assert_eq!((baseline.runs, baseline.events_per_s, baseline.cpu_s), (3, 100.0, 1.0));
        assert_eq!(baseline.throughput_ratio, None);
        assert_eq!(
            baseline.to_string(),
            "CELL workload=keyed-count parallelism=1 events=1000 checkpointing=off runs=3 events_per_s=100 \
             events_per_s_runs=100,90,110 cpu_s=1.000"
        );

        let eo = &rows[1];
        assert_eq!(eo.events_per_s, 96.0);
        assert_eq!(eo.throughput_ratio, Some(0.96));
        assert!((eo.cost_pct().expect("compared") - 4.0).abs() < 1e-9);
        assert_eq!(eo.cpu_ratio, Some(1.1));
        assert_eq!((eo.checkpoints, eo.ckpt_p50_ms, eo.ckpt_max_ms), (10.0, 20.0, 90.0));
        assert_eq!((eo.size_max_bytes, eo.align_max_ms), (6_000.0, 1.5));
        assert_eq!(
            eo.to_string(),
            "CELL workload=keyed-count parallelism=1 events=1000 checkpointing=EXACTLY_ONCE/1000ms runs=3 \
             events_per_s=96 events_per_s_runs=97,80,96 cpu_s=1.100 throughput_ratio=0.9600 cost_pct=4.0 \
             cpu_ratio=1.1000 checkpoints=10 ckpt_p50_ms=20 ckpt_max_ms=90 ckpt_size_max_bytes=6000 \
             align_max_ms=1.5 sync_pause_max_ms=0.1 async_max_ms=5.0 ckpt_failed=0"
        );
        assert_eq!(
            eo.table_row(),
            "| keyed-count | 1 | 1000 | 1s EO | 3 | 96 | 0.00, 0.00, 0.00 | -4.0 % | +10.0 % | 10 | 20 / 90 | 6.0 KB \
             | 1.5 | 0.1 | 0 |"
        );

        let alo = &rows[2];
        assert_eq!(alo.throughput_ratio, Some(0.99));
        assert!((alo.cost_pct().expect("compared") - 1.0).abs() < 1e-9);

        let lone = &rows[3];
        assert_eq!(lone.throughput_ratio, None);
        assert!(lone.to_string().contains("throughput_ratio=na cost_pct=na cpu_ratio=na"), "{lone}");
    }

    #[test]
    fn a_line_with_half_a_checkpoint_configuration_is_refused() {
        let text = off(100, 1.0) + " ckpt_mode=EXACTLY_ONCE";
        let err = Summary::from_text(&text).expect_err("refused");
        assert!(format!("{err:#}").contains("only one of ckpt_interval_ms and ckpt_mode"), "{err:#}");
    }

    #[test]
    fn units_read_well() {
        assert_eq!(format_rate(12_345_678.0), "12.35 M");
        assert_eq!(format_rate(850_000.0), "850.0 K");
        assert_eq!(format_bytes(6_973_926.0), "6.97 MB");
        assert_eq!(format_bytes(24.0), "24 B");
        let labels = [(1000, "EXACTLY_ONCE"), (10_000, "AT_LEAST_ONCE"), (500, "EXACTLY_ONCE")]
            .map(|(interval_ms, mode)| Checkpointing { interval_ms, mode: mode.to_string() }.label());
        assert_eq!(labels, ["1s EO", "10s ALO", "500ms EO"]);
    }
}
