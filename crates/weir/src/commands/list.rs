//! `weir list`: the jobs of the `weir run` at `-m` — running and ended — with id, name, status
//! and how long they ran (Flink's `flink list -a`).

use super::control::connect;
use super::print_stdout;
use crate::cli::ListArgs;
use weir_rest::json::JobDetails;

/// Prints the jobs as a table.
pub fn execute(args: ListArgs) -> anyhow::Result<()> {
    let rest = connect(&args.jobmanager.jobmanager)?;
    let jobs = rest.jobs()?.jobs;
    print_stdout(&table(&jobs))
}

/// One line per job, newest first; or `No jobs.`.
pub fn table(jobs: &[JobDetails]) -> String {
    if jobs.is_empty() {
        return "No jobs.\n".to_string();
    }
    let width = jobs.iter().map(|job| job.name.len()).max().unwrap_or(0).max(4);
    let mut text = format!("{:<32}  {:<width$}  {:<10}  {:>10}\n", "JOB ID", "NAME", "STATUS", "DURATION");
    let mut newest_first: Vec<&JobDetails> = jobs.iter().collect();
    newest_first.sort_by_key(|job| std::cmp::Reverse(job.start_time));
    for job in newest_first {
        let duration = format!("{:.1} s", job.duration as f64 / 1000.0);
        text.push_str(&format!("{:<32}  {:<width$}  {:<10}  {duration:>10}\n", job.jid, job.name, job.state));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(jid: &str, name: &str, state: &str, start_time: i64) -> JobDetails {
        let end_time = if state == "RUNNING" { -1 } else { start_time + 2500 };
        JobDetails {
            jid: jid.into(),
            name: name.into(),
            state: state.into(),
            start_time,
            end_time,
            duration: 2500,
            now: 0,
        }
    }

    #[test]
    fn jobs_are_listed_newest_first_with_their_status() {
        let text = table(&[
            job("a".repeat(32).as_str(), "wordcount", "FINISHED", 1),
            job(&"b".repeat(32), "clicks", "RUNNING", 2),
        ]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].starts_with("JOB ID") && lines[0].contains("STATUS"), "{text}");
        assert!(lines[1].starts_with(&"b".repeat(32)) && lines[1].contains("clicks") && lines[1].contains("RUNNING"));
        assert!(lines[2].contains("wordcount") && lines[2].contains("FINISHED") && lines[2].ends_with("2.5 s"));
        assert_eq!(table(&[]), "No jobs.\n");
    }
}
