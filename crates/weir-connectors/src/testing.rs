//! Test helpers shared by the connectors' unit tests, and the source contract every source keeps.
//!
//! The contract:
//! - [`assert_resumes_exactly`]: read part of a bounded source, snapshot every reader's splits,
//!   hand the snapshot to new readers (at another parallelism), read on; the union of what was
//!   read before and after the snapshot equals an uninterrupted run, with no record lost or
//!   duplicated;
//! - [`assert_reports_its_splits`]: read per split, every record is tagged with one of the
//!   reader's splits, and every split handed to the reader is reported finished exactly once,
//!   after its last record (what per-split watermarks rely on).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use weir_core::operator::OperatorContext;
use weir_core::source::{ReaderEmitted, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit, SplitId};
use weir_core::{Data, OperatorUid};

/// A context for subtask `subtask` of `parallelism`.
pub(crate) fn context(subtask: usize, parallelism: usize) -> OperatorContext {
    OperatorContext::new("test", OperatorUid("test".into()), subtask, parallelism, 128)
}

/// Every value emitted into `out`, in order.
pub(crate) fn drain<T>(out: &mut ReaderOutput<T>) -> Vec<T> {
    let mut values = Vec::new();
    while let Some(element) = out.pop() {
        if let ReaderEmitted::Batch { batch, .. } = element {
            values.extend(batch.into_iter().map(|r| r.value));
        }
    }
    values
}

/// Polls `reader` `polls` times (or until it finishes) with `max_records` per poll.
pub(crate) fn read_polls<T, S>(reader: &mut dyn SourceReader<T, S>, max_records: usize, polls: usize) -> Vec<T> {
    let mut out = ReaderOutput::new();
    let mut values = Vec::new();
    for _ in 0..polls {
        let poll = reader.poll_next(&mut out, max_records).expect("poll");
        values.extend(drain(&mut out));
        match poll {
            SourcePoll::MoreAvailable => {}
            SourcePoll::Finished => break,
            SourcePoll::NothingAvailable { .. } => panic!("unexpected NothingAvailable in a test without rate limit"),
        }
    }
    values
}

/// Polls `reader` until it finishes.
pub(crate) fn read_to_end<T, S>(reader: &mut dyn SourceReader<T, S>, max_records: usize) -> Vec<T> {
    let mut out = ReaderOutput::new();
    let mut values = Vec::new();
    loop {
        let poll = reader.poll_next(&mut out, max_records).expect("poll");
        values.extend(drain(&mut out));
        match poll {
            SourcePoll::MoreAvailable => {}
            SourcePoll::Finished => return values,
            SourcePoll::NothingAvailable { .. } => panic!("unexpected NothingAvailable in a test without rate limit"),
        }
    }
}

/// Readers for `parallelism` subtasks, with `splits` assigned round-robin as the runtime does.
pub(crate) fn readers<T: Data, Src: Source<T>>(
    source: &Src,
    splits: Vec<Src::Split>,
    parallelism: usize,
) -> Vec<Box<dyn SourceReader<T, Src::Split>>> {
    let mut assigned: Vec<Vec<Src::Split>> = (0..parallelism).map(|_| Vec::new()).collect();
    for (i, split) in splits.into_iter().enumerate() {
        assigned[i % parallelism].push(split);
    }
    assigned
        .into_iter()
        .enumerate()
        .map(|(subtask, splits)| {
            let mut reader = source.create_reader(&context(subtask, parallelism)).expect("reader");
            reader.add_splits(splits).expect("add splits");
            reader
        })
        .collect()
}

/// Everything a bounded source emits at `parallelism`, sorted.
pub(crate) fn read_all_sorted<T: Data + Ord, Src: Source<T>>(source: &Src, parallelism: usize) -> Vec<T> {
    let splits = source.create_splits(parallelism).expect("splits");
    let mut all: Vec<T> =
        readers(source, splits, parallelism).iter_mut().flat_map(|r| read_to_end(r.as_mut(), 7)).collect();
    all.sort();
    all
}

/// The source contract: snapshot after `polls` polls of `max_records` at `before` parallelism,
/// resume at `after` parallelism; the union equals an uninterrupted run.
pub(crate) fn assert_resumes_exactly<T, Src>(
    source: &Src,
    before: usize,
    after: usize,
    max_records: usize,
    polls: usize,
) where
    T: Data + Ord + Debug,
    Src: Source<T>,
{
    let expected = read_all_sorted(source, before);

    let splits = source.create_splits(before).expect("splits");
    let mut first = readers(source, splits, before);
    let mut seen: Vec<T> = first.iter_mut().flat_map(|r| read_polls(r.as_mut(), max_records, polls)).collect();
    let snapshot: Vec<Src::Split> = first.iter().flat_map(|r| r.snapshot_splits()).collect();
    let snapshot: Vec<Src::Split> = snapshot.iter().map(round_trip).collect();
    drop(first);

    let mut second = readers(source, snapshot, after);
    seen.extend(second.iter_mut().flat_map(|r| read_to_end(r.as_mut(), max_records)));
    seen.sort();
    assert_eq!(seen, expected, "before={before} after={after} max_records={max_records} polls={polls}");
}

/// A split after a trip through postcard, as it makes in a checkpoint.
fn round_trip<S: Data>(split: &S) -> S {
    let bytes = postcard::to_stdvec(split).expect("serialize split");
    postcard::from_bytes(&bytes).expect("deserialize split")
}

/// The per-split contract at `parallelism`, polling `max_records` at a time: every record comes
/// tagged with a split of its reader, no record of a split follows its finish, and every split is
/// finished exactly once. Also checks that the records are those of an untagged run.
pub(crate) fn assert_reports_its_splits<T, Src>(source: &Src, parallelism: usize, max_records: usize)
where
    T: Data + Ord + Debug,
    Src: Source<T>,
{
    let splits = source.create_splits(parallelism).expect("splits");
    let mut assigned: Vec<BTreeSet<SplitId>> = (0..parallelism).map(|_| BTreeSet::new()).collect();
    for (i, split) in splits.iter().enumerate() {
        assigned[i % parallelism].insert(split.split_id());
    }
    assert_eq!(assigned.iter().map(BTreeSet::len).sum::<usize>(), splits.len(), "split ids are unique: {splits:?}");
    let mut all = Vec::new();
    for (reader, ids) in readers(source, splits, parallelism).iter_mut().zip(assigned) {
        let mut out = ReaderOutput::per_split();
        let mut finished: BTreeMap<SplitId, usize> = BTreeMap::new();
        loop {
            let poll = reader.poll_next(&mut out, max_records).expect("poll");
            while let Some(element) = out.pop() {
                match element {
                    ReaderEmitted::Batch { split, batch } => {
                        let split = split.expect("a per-split output tags every batch");
                        assert!(ids.contains(&split), "records of {split}, not a split of this reader ({ids:?})");
                        assert!(!finished.contains_key(&split), "records of {split} after it finished");
                        all.extend(batch.into_iter().map(|r| r.value));
                    }
                    ReaderEmitted::SplitFinished(split) => *finished.entry(split).or_default() += 1,
                }
            }
            match poll {
                SourcePoll::MoreAvailable => {}
                SourcePoll::Finished => break,
                SourcePoll::NothingAvailable { .. } => {
                    panic!("unexpected NothingAvailable in a test without rate limit")
                }
            }
        }
        let reported: BTreeSet<SplitId> = finished.keys().cloned().collect();
        assert_eq!(reported, ids, "every split of the reader is reported finished");
        assert!(finished.values().all(|&n| n == 1), "each exactly once: {finished:?}");
    }
    all.sort();
    assert_eq!(all, read_all_sorted(source, parallelism), "the same records as untagged");
}
