//! Unit tests of the collecting sink.

use super::*;
use weir_core::{OperatorUid, Record};

fn context(subtask: usize, parallelism: usize) -> OperatorContext {
    OperatorContext::new("collect", OperatorUid("collect".into()), subtask, parallelism, 128)
}

#[test]
fn collects_per_subtask_with_timestamps() {
    let sink = CollectSink::new();
    let handle = sink.clone();
    let mut second = sink.create_writer(&context(1, 2)).expect("writer");
    let mut first = sink.create_writer(&context(0, 2)).expect("writer");
    second.write_batch(vec![Record::new(5), Record::with_timestamp(3, 100)]).expect("write");
    first.write_batch(vec![Record::new(9)]).expect("write");
    second.write_batch(vec![Record::new(1)]).expect("write");
    first.finish().expect("finish");
    second.finish().expect("finish");

    assert_eq!(handle.values_by_subtask(), [vec![9], vec![5, 3, 1]]);
    assert_eq!(handle.records(), [Record::new(9), Record::new(5), Record::with_timestamp(3, 100), Record::new(1)]);
    assert_eq!(handle.sorted_values(), [1, 3, 5, 9]);
    assert_eq!(handle.values().len(), 4);
    assert_eq!(handle.len(), 4);
    assert_eq!(<CollectSink<i32> as Sink<i32>>::name(&handle), "CollectSink");
}

#[test]
fn a_subtask_without_records_still_has_its_slot() {
    let sink: CollectSink<u8> = CollectSink::new();
    let _idle = sink.create_writer(&context(2, 3)).expect("writer");
    assert_eq!(sink.values_by_subtask(), [vec![], vec![], vec![]]);
    assert!(sink.is_empty());
}

#[test]
fn clear_starts_over_even_while_writers_exist() {
    let sink = CollectSink::new();
    let mut writer = sink.create_writer(&context(1, 2)).expect("writer");
    writer.write_batch(vec![Record::new("a")]).expect("write");
    sink.clear();
    assert!(sink.is_empty());
    writer.write_batch(vec![Record::new("b")]).expect("write");
    assert_eq!(sink.values(), ["b"]);
}

#[test]
fn a_panicking_writer_does_not_poison_the_reader() {
    let sink = CollectSink::new();
    let mut writer = sink.create_writer(&context(0, 1)).expect("writer");
    writer.write_batch(vec![Record::new(7u32)]).expect("write");
    let poisoner = sink.clone();
    let result = std::thread::spawn(move || {
        let _guard = poisoner.collected.lock();
        panic!("a writer thread dies holding the lock");
    })
    .join();
    assert!(result.is_err());
    assert!(sink.collected.is_poisoned());
    assert_eq!(sink.values(), [7]);
    writer.write_batch(vec![Record::new(8)]).expect("write after poisoning");
    assert_eq!(sink.sorted_values(), [7, 8]);
}

#[test]
fn writers_on_many_threads_lose_nothing() {
    let sink = CollectSink::new();
    let threads: Vec<_> = (0..4)
        .map(|subtask| {
            let mut writer = sink.create_writer(&context(subtask, 4)).expect("writer");
            std::thread::spawn(move || {
                for batch in 0..50u32 {
                    let base = subtask as u32 * 1000 + batch * 10;
                    writer.write_batch((base..base + 10).map(Record::new).collect()).expect("write");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("writer thread");
    }
    let expected: Vec<u32> = (0..4).flat_map(|s| s * 1000..s * 1000 + 500).collect();
    assert_eq!(sink.sorted_values(), expected);
    assert!(sink.values_by_subtask().iter().all(|values| values.windows(2).all(|w| w[0] < w[1])), "per-subtask order");
}
