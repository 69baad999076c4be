//! The verbs of `weir`, one module each: [`run`] (and [`detached`] for `run --detached`),
//! [`jobs`], [`config`], [`checkpoints`], and the verbs that control a running job through its
//! REST API — [`list`], [`cancel`], [`stop`], [`savepoint`] — with what they share in
//! [`control`]. Each returns `anyhow::Result` (`checkpoints` with its exit status, see there);
//! `main` turns an error into `error: ...` and a non-zero exit status.

pub mod cancel;
pub mod checkpoints;
pub mod config;
pub mod control;
pub mod detached;
pub mod jobs;
pub mod list;
pub mod run;
pub mod savepoint;
pub mod stop;

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout. A closed stdout (`weir jobs | head -1`) is not an error: the reader
/// has what it wanted.
pub(crate) fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(anyhow::Error::new(e).context("cannot write to stdout")),
        _ => Ok(()),
    }
}
