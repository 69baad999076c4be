//! The lines a run prints: `RESULT ...` for every workload, `RSS_SAMPLES ...` for those that
//! sample memory. One line each, `key=value` fields separated by spaces, so that scripts can
//! `grep` and split them; the field names and their order are a stable interface.
//!
//! Pure formatting: the caller prints.

use crate::measure::rss_growth_mb;
use std::fmt;

/// The outcome of one run of one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub workload: &'static str,
    pub parallelism: usize,
    pub events: u64,
    /// Wall time of `env.execute`.
    pub seconds: f64,
    /// User + system CPU time of the process during `env.execute`.
    pub cpu_seconds: f64,
    /// The process's peak RSS (`ru_maxrss`) in MiB.
    pub peak_rss_mb: f64,
}

impl RunReport {
    pub fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.events as f64 / self.seconds } else { 0.0 }
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RESULT workload={} parallelism={} events={} seconds={:.3} events_per_s={:.0} cpu_s={:.3} peak_rss_mb={:.1}",
            self.workload,
            self.parallelism,
            self.events,
            self.seconds,
            self.events_per_second(),
            self.cpu_seconds,
            self.peak_rss_mb
        )
    }
}

/// The RSS samples of one run, oldest first, in MiB.
#[derive(Debug, Clone, PartialEq)]
pub struct RssReport {
    pub workload: &'static str,
    pub samples_mb: Vec<f64>,
}

impl fmt::Display for RssReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RSS_SAMPLES workload={} mb=", self.workload)?;
        for (i, sample) in self.samples_mb.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{sample:.1}")?;
        }
        match rss_growth_mb(&self.samples_mb) {
            Some(growth) => write!(f, " rss_growth_mb={growth:.1}"),
            None => f.write_str(" rss_growth_mb=unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_line_has_the_documented_fields_in_order() {
        let report = RunReport {
            workload: "stateless",
            parallelism: 2,
            events: 1_000_000,
            seconds: 0.5,
            cpu_seconds: 0.98765,
            peak_rss_mb: 12.34,
        };
        assert_eq!(
            report.to_string(),
            "RESULT workload=stateless parallelism=2 events=1000000 seconds=0.500 events_per_s=2000000 cpu_s=0.988 peak_rss_mb=12.3"
        );
    }

    #[test]
    fn rss_line_lists_the_samples_and_the_growth() {
        let report = RssReport { workload: "slow-sink", samples_mb: vec![10.0, 10.04, 10.5, 10.25] };
        assert_eq!(report.to_string(), "RSS_SAMPLES workload=slow-sink mb=10.0,10.0,10.5,10.2 rss_growth_mb=0.2");
        let empty = RssReport { workload: "slow-sink", samples_mb: vec![] };
        assert_eq!(empty.to_string(), "RSS_SAMPLES workload=slow-sink mb= rss_growth_mb=unknown");
    }
}
