//! The collection connector: the elements of an in-memory `Vec`, like Flink's `fromCollection`.
//!
//! [`CollectionSource::new(values)`](CollectionSource::new) is bounded. `create_splits(p)` cuts the
//! vector into at most `p` contiguous, non-empty chunks; a [`CollectionSplit`] is the chunk's
//! bounds plus the index of the next element, so a snapshot resumes exactly; its id is its bounds,
//! `start..end`.
//!
//! It is **not** a way to feed large data sets (every element is cloned out of one shared `Vec`
//! held in memory) nor a stream that grows after the job starts. It does no I/O.

mod source;

#[cfg(test)]
mod tests;

pub use source::{CollectionSource, CollectionSplit};
