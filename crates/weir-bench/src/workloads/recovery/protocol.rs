//! [`Report`]: the lines a `recovery` job process prints on its stdout, which its driver reads.
//!
//! One line per report, `KIND key=value ...`; instants are microseconds on the machine's
//! monotonic clock ([`crate::measure::monotonic_micros`]), taken by the job process where the
//! thing happened, so the driver can subtract them from its own. Pure formatting and parsing:
//! the job process prints, the driver reads.

use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::fmt;

/// What a job process reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The job was submitted (`JOB`): its id names its checkpoint directory.
    Job { id: String, at_us: u64 },
    /// The newest record the job has processed, by source index (`PROGRESS`), printed every
    /// millisecond while it changes.
    Progress { newest_index: u64, at_us: u64 },
    /// The job's first record processed, after its state access (`FIRST_RECORD`).
    FirstRecord { index: u64, at_us: u64 },
    /// The job processed the record it was told to catch up to, or a later one
    /// (`CAUGHT_UP`).
    CaughtUp { index: u64, at_us: u64 },
    /// A checkpoint completed (`CHECKPOINT`); `at_us` is when the job process saw it in its
    /// statistics (within ~10 ms of the completion).
    Checkpoint { id: u64, at_us: u64, duration_ms: u64, state_bytes: u64 },
    /// The job ended, which it never should (`ENDED`); the message runs to the end of the line.
    Ended { message: String },
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Job { id, at_us } => write!(f, "JOB id={id} at_us={at_us}"),
            Report::Progress { newest_index, at_us } => write!(f, "PROGRESS newest_index={newest_index} at_us={at_us}"),
            Report::FirstRecord { index, at_us } => write!(f, "FIRST_RECORD index={index} at_us={at_us}"),
            Report::CaughtUp { index, at_us } => write!(f, "CAUGHT_UP index={index} at_us={at_us}"),
            Report::Checkpoint { id, at_us, duration_ms, state_bytes } => {
                write!(f, "CHECKPOINT id={id} at_us={at_us} duration_ms={duration_ms} state_bytes={state_bytes}")
            }
            Report::Ended { message } => write!(f, "ENDED message={}", message.replace('\n', " ")),
        }
    }
}

impl Report {
    /// Parses one line as [`fmt::Display`] writes it.
    pub fn parse(line: &str) -> anyhow::Result<Self> {
        let line = line.trim_end();
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        if kind == "ENDED" {
            let message = rest.strip_prefix("message=").context("ENDED without message=")?;
            return Ok(Report::Ended { message: message.to_string() });
        }
        let fields = Fields::parse(rest)?;
        let report = match kind {
            "JOB" => Report::Job { id: fields.text("id")?.to_string(), at_us: fields.number("at_us")? },
            "PROGRESS" => {
                Report::Progress { newest_index: fields.number("newest_index")?, at_us: fields.number("at_us")? }
            }
            "FIRST_RECORD" => Report::FirstRecord { index: fields.number("index")?, at_us: fields.number("at_us")? },
            "CAUGHT_UP" => Report::CaughtUp { index: fields.number("index")?, at_us: fields.number("at_us")? },
            "CHECKPOINT" => Report::Checkpoint {
                id: fields.number("id")?,
                at_us: fields.number("at_us")?,
                duration_ms: fields.number("duration_ms")?,
                state_bytes: fields.number("state_bytes")?,
            },
            _ => bail!("unknown report '{kind}'"),
        };
        Ok(report)
    }
}

struct Fields<'a>(BTreeMap<&'a str, &'a str>);

impl<'a> Fields<'a> {
    fn parse(text: &'a str) -> anyhow::Result<Self> {
        let mut fields = BTreeMap::new();
        for field in text.split_whitespace() {
            let (key, value) = field.split_once('=').with_context(|| format!("'{field}' is not key=value"))?;
            fields.insert(key, value);
        }
        Ok(Fields(fields))
    }

    fn text(&self, key: &str) -> anyhow::Result<&'a str> {
        self.0.get(key).copied().with_context(|| format!("no '{key}'"))
    }

    fn number(&self, key: &str) -> anyhow::Result<u64> {
        let text = self.text(key)?;
        text.parse().with_context(|| format!("'{key}={text}' is not a whole number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_reads_back_as_written() {
        let reports = [
            Report::Job { id: "00ff".into(), at_us: 1 },
            Report::Progress { newest_index: 123_456, at_us: 2 },
            Report::FirstRecord { index: 99, at_us: 3 },
            Report::CaughtUp { index: 100, at_us: 4 },
            Report::Checkpoint { id: 7, at_us: 5, duration_ms: 80, state_bytes: 5_900_000 },
            Report::Ended { message: "the job failed: key 5 had counted 0 records".into() },
        ];
        for report in reports {
            let line = report.to_string();
            assert_eq!(Report::parse(&line).expect(&line), report, "{line}");
        }
        assert_eq!(
            Report::Checkpoint { id: 7, at_us: 5, duration_ms: 80, state_bytes: 9 }.to_string(),
            "CHECKPOINT id=7 at_us=5 duration_ms=80 state_bytes=9"
        );
    }

    #[test]
    fn a_message_stays_on_one_line() {
        let line = Report::Ended { message: "two\nlines".into() }.to_string();
        assert_eq!(line, "ENDED message=two lines");
    }

    #[test]
    fn broken_lines_are_refused_with_the_reason() {
        for (line, reason) in [
            ("HELLO x=1", "unknown report 'HELLO'"),
            ("PROGRESS at_us=1", "no 'newest_index'"),
            ("PROGRESS newest_index=x at_us=1", "'newest_index=x' is not a whole number"),
            ("JOB id", "'id' is not key=value"),
            ("ENDED", "ENDED without message="),
        ] {
            let err = Report::parse(line).expect_err(line);
            assert!(format!("{err:#}").contains(reason), "{line}: {err:#}");
        }
    }
}
