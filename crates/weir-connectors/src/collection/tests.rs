//! Unit tests of the collection source.

use super::*;
use crate::testing::{assert_reports_its_splits, assert_resumes_exactly, context, drain, read_all_sorted, readers};
use weir_core::source::{ReaderOutput, Source, SourcePoll};

#[test]
fn splits_are_contiguous_non_empty_and_cover_everything() {
    let source = CollectionSource::new((0..10).collect());
    let splits = source.create_splits(3).expect("splits");
    let bounds: Vec<_> = splits.iter().map(|s| (s.start, s.end, s.next)).collect();
    assert_eq!(bounds, [(0, 3, 0), (3, 6, 3), (6, 10, 6)]);
    assert_eq!(source.create_splits(50).expect("splits").len(), 10, "no empty splits when p > len");
    assert_eq!(source.create_splits(0).expect("splits").len(), 1);
    assert!(CollectionSource::<u32>::new(vec![]).create_splits(4).expect("splits").is_empty());
}

#[test]
fn every_element_is_emitted_once_at_every_parallelism() {
    for len in [0u32, 1, 5, 64] {
        let source: CollectionSource<u32> = (0..len).collect();
        for parallelism in 1..=7 {
            assert_eq!(
                read_all_sorted(&source, parallelism),
                (0..len).collect::<Vec<_>>(),
                "len={len} p={parallelism}"
            );
        }
    }
}

#[test]
fn a_split_keeps_the_order_of_the_collection() {
    let source = CollectionSource::new(vec!["c", "a", "b"].into_iter().map(String::from).collect());
    let mut reader = readers(&source, source.create_splits(1).expect("splits"), 1).remove(0);
    let mut out = ReaderOutput::new();
    assert_eq!(reader.poll_next(&mut out, 2).expect("poll"), SourcePoll::MoreAvailable);
    assert_eq!(reader.poll_next(&mut out, 2).expect("poll"), SourcePoll::MoreAvailable);
    assert_eq!(drain(&mut out), ["c", "a", "b"]);
    assert_eq!(reader.poll_next(&mut out, 2).expect("poll"), SourcePoll::Finished);
}

#[test]
fn resumes_exactly_after_a_snapshot_even_with_duplicates_in_the_data() {
    let source = CollectionSource::new((0..200u32).map(|i| i % 17).collect());
    for (before, after, max_records, polls) in [(1, 1, 5, 3), (3, 2, 7, 4), (2, 5, 1, 1), (4, 1, 50, 0), (1, 3, 200, 1)]
    {
        assert_resumes_exactly(&source, before, after, max_records, polls);
    }
}

#[test]
fn a_split_that_does_not_fit_is_an_error() {
    let source = CollectionSource::new(vec![1u8, 2, 3]);
    let mut reader = source.create_reader(&context(0, 1)).expect("reader");
    let err = reader.add_splits(vec![CollectionSplit { start: 0, end: 9, next: 0 }]).expect_err("out of range");
    assert!(err.to_string().contains("collection") && err.to_string().contains("3 elements"), "{err}");
    let err = reader.add_splits(vec![CollectionSplit { start: 2, end: 3, next: 1 }]);
    assert!(err.is_err(), "next before start");
}

#[test]
fn every_record_is_tagged_with_its_split_and_every_split_is_finished_once() {
    let source: CollectionSource<u32> = (0..100).collect();
    for (parallelism, max_records) in [(1, 7), (3, 10), (4, 100)] {
        assert_reports_its_splits(&source, parallelism, max_records);
    }
}
