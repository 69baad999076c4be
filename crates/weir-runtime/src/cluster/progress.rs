//! Live progress of a running job on stderr: records read by the sources and written by the
//! sinks, with their rates. Watermarks and checkpoints join the line when they exist.

use std::io::Write;
use std::time::{Duration, Instant};

/// Counts at one moment.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProgressSample {
    pub(crate) source_records: u64,
    pub(crate) sink_records: u64,
}

pub(crate) struct ProgressReporter {
    job_name: String,
    started: Instant,
    last: (Instant, ProgressSample),
    /// Rewrite one line in place (a terminal) or print a line each time (a log).
    in_place: bool,
    printed: bool,
}

impl ProgressReporter {
    pub(crate) fn new(job_name: &str, in_place: bool) -> Self {
        let now = Instant::now();
        ProgressReporter {
            job_name: job_name.to_string(),
            started: now,
            last: (now, ProgressSample::default()),
            in_place,
            printed: false,
        }
    }

    pub(crate) fn report(&mut self, sample: ProgressSample) {
        let now = Instant::now();
        let line = format_progress(&self.job_name, now - self.started, now - self.last.0, self.last.1, sample);
        self.last = (now, sample);
        let mut err = std::io::stderr().lock();
        // Progress is best effort: a closed stderr must not fail the job.
        let _ = if self.in_place { write!(err, "\r\x1b[2K{line}") } else { writeln!(err, "{line}") };
        let _ = err.flush();
        self.printed = true;
    }

    /// Ends the progress line so later output starts on a fresh line.
    pub(crate) fn finish(&mut self) {
        if self.in_place && self.printed {
            let _ = writeln!(std::io::stderr());
        }
    }
}

/// One progress line: totals and rates since the previous sample.
pub(crate) fn format_progress(
    job: &str,
    elapsed: Duration,
    since_last: Duration,
    last: ProgressSample,
    now: ProgressSample,
) -> String {
    let secs = since_last.as_secs_f64().max(1e-9);
    let in_rate = (now.source_records.saturating_sub(last.source_records)) as f64 / secs;
    let out_rate = (now.sink_records.saturating_sub(last.sink_records)) as f64 / secs;
    format!(
        "[weir] {job} {:>7.1} s | read {} ({}/s) | written {} ({}/s)",
        elapsed.as_secs_f64(),
        human(now.source_records as f64),
        human(in_rate),
        human(now.sink_records as f64),
        human(out_rate)
    )
}

/// 1234567 → "1.23 M".
fn human(n: f64) -> String {
    match n {
        n if n >= 1e9 => format!("{:.2} G", n / 1e9),
        n if n >= 1e6 => format!("{:.2} M", n / 1e6),
        n if n >= 1e3 => format!("{:.1} K", n / 1e3),
        n => format!("{n:.0}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_shows_totals_and_rates() {
        let line = format_progress(
            "wordcount",
            Duration::from_secs(3),
            Duration::from_secs(1),
            ProgressSample { source_records: 1_000_000, sink_records: 0 },
            ProgressSample { source_records: 3_500_000, sink_records: 2_000 },
        );
        assert_eq!(line, "[weir] wordcount     3.0 s | read 3.50 M (2.50 M/s) | written 2.0 K (2.0 K/s)");
    }
}
