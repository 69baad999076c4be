//! # weir: the binary's library half
//!
//! The `weir` command line — `weir run <JOB>` (serving the REST API of `weir-rest` while the job
//! runs), `weir list|cancel|stop|savepoint` (clients of that API), `weir jobs`, `weir config`,
//! `weir checkpoints list|inspect|verify|check-restore|gc` — and the built-in demo jobs it runs on
//! the embedded mini-cluster. `main.rs` only parses the arguments, sets up logging
//! and reports errors; everything else lives here so that tests can reach it (the integration
//! tests compute the demo jobs' expected answers with the same generators the jobs use).
//!
//! - [`cli`]: the command-line grammar (clap derive);
//! - [`commands`]: one module per verb (`checkpoints` with one per tool);
//! - [`jobs`]: the built-in jobs, one file each;
//! - [`job_binary`]: a Rust job binary run with `weir run`'s flags and REST API;
//! - [`result_sink`]: the in-memory sink through which a built-in job hands its answer back;
//! - [`error_report`]: how an error and its causes are printed.
//!
//! It is **not** the REST API itself (`weir-rest`) nor the dashboard or metrics of DESIGN §10.
//! Its I/O is the terminal (stdout for results, stderr for progress and errors), whatever files a
//! job reads, the checkpoint and savepoint directories `weir checkpoints` is given (only ever
//! read, except the orphans `gc` deletes from a job directory), the REST API's socket (served by
//! `run`, called by the control verbs), and for `run --detached` a background process with its
//! log file.

pub mod cli;
pub mod commands;
pub mod error_report;
pub mod job_binary;
pub mod jobs;
pub mod result_sink;

/// The README's Rust examples, compiled and run as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
