//! The built-in jobs that `weir run <JOB>` runs, one file each, and their registry.
//!
//! The registry is the [`Job`] enum: one variant per job, holding the job's own arguments, so
//! that clap parses, validates and documents them (`weir run wordcount --help`) and `weir jobs`
//! lists exactly what `weir run` accepts. A job builds its dataflow on the environment it is
//! given (`build`, also used alone by dry runs), submits it (`submit`, giving the job's
//! [`JobClient`] for the REST API) and, once it ended, makes a human-readable summary of its
//! answer ([`SubmittedJob::wait`]).
//!
//! Adding a job: a file here with an `Args` struct, `build` and `submit` functions, and a
//! variant below.

pub mod clicks;
pub mod top_n;
pub mod wordcount;

use clap::{CommandFactory, Subcommand};
use weir_runtime::{JobClient, JobExecutionResult, StreamExecutionEnvironment};

/// The built-in jobs.
#[derive(Debug, Subcommand)]
pub enum Job {
    /// Count words in generated text (or in --input files) and show the 10 most frequent.
    Wordcount(wordcount::WordcountArgs),
    /// Page views and unique visitors per page from generated click events (keyed MapState).
    Clicks(clicks::ClicksArgs),
}

/// What a finished built-in job reports: the runtime's result and the job's answer.
#[derive(Debug)]
pub struct JobOutcome {
    pub result: JobExecutionResult,
    /// The answer, ready to print (e.g. the top 10 words as a table).
    pub summary: String,
}

/// A job submitted to the mini-cluster: its client, and how its answer is made once it ended.
pub struct SubmittedJob {
    pub client: JobClient,
    answer: Box<dyn FnOnce(&JobExecutionResult) -> String + Send>,
}

impl SubmittedJob {
    /// `answer` turns the job's result (and whatever its sinks collected) into the summary.
    pub fn new(client: JobClient, answer: impl FnOnce(&JobExecutionResult) -> String + Send + 'static) -> Self {
        SubmittedJob { client, answer: Box::new(answer) }
    }

    /// Waits for the job to end and makes its outcome.
    pub fn wait(self) -> anyhow::Result<JobOutcome> {
        let result = self.client.wait()?;
        let summary = (self.answer)(&result);
        Ok(JobOutcome { result, summary })
    }
}

impl std::fmt::Debug for SubmittedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmittedJob").field("client", &self.client).finish_non_exhaustive()
    }
}

impl Job {
    /// The job's name as typed after `weir run`.
    pub fn name(&self) -> &'static str {
        match self {
            Job::Wordcount(_) => "wordcount",
            Job::Clicks(_) => "clicks",
        }
    }

    /// Builds the job's dataflow on `env` without running it, as [`Job::run`] builds it (for a
    /// dry run such as `weir checkpoints check-restore`). Its answer, were it run, is dropped.
    pub fn build(&self, env: &StreamExecutionEnvironment) {
        match self {
            Job::Wordcount(args) => drop(wordcount::build(env, args)),
            Job::Clicks(args) => drop(clicks::build(env, args)),
        }
    }

    /// Builds the job on `env` and submits it; returns at once.
    pub fn submit(&self, env: &StreamExecutionEnvironment) -> anyhow::Result<SubmittedJob> {
        match self {
            Job::Wordcount(args) => wordcount::submit(env, args),
            Job::Clicks(args) => clicks::submit(env, args),
        }
    }

    /// Builds the job on `env`, runs it to the end, and returns its outcome.
    pub fn run(&self, env: &StreamExecutionEnvironment) -> anyhow::Result<JobOutcome> {
        self.submit(env)?.wait()
    }
}

/// Every built-in job: its name and one-line description.
pub fn descriptions() -> Vec<(String, String)> {
    let cli = crate::cli::Cli::command();
    cli.find_subcommand("run")
        .map(|run| {
            run.get_subcommands()
                .map(|job| (job.get_name().to_string(), job.get_about().map(ToString::to_string).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// The built-in jobs as an aligned list, one per line.
pub fn listing() -> String {
    let jobs = descriptions();
    let width = jobs.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let mut text = String::from("Built-in jobs:\n");
    for (name, about) in jobs {
        text.push_str(&format!("  {name:<width$}  {about}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_is_listed_under_its_name() {
        let names: Vec<String> = descriptions().into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["wordcount", "clicks"]);
        let listing = listing();
        assert!(listing.contains("wordcount") && listing.contains("clicks"), "{listing}");
    }
}
