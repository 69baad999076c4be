use super::*;
use crossbeam_channel::{Receiver, bounded, unbounded};
use weir_core::Record;
use weir_core::key_group::{assign_key_group, subtask_for_key_group};

fn setup(batch_size: usize) -> WriterSetup {
    WriterSetup { batch_size, max_parallelism: 128, producer_index: 0, task_name: "test (1/1)".into() }
}

fn channels(n: usize) -> (Vec<Sender<ChannelElement>>, Vec<Receiver<ChannelElement>>) {
    (0..n).map(|_| unbounded()).unzip()
}

/// What a receiver got: batches as their values, control elements by name.
fn received(rx: &Receiver<ChannelElement>) -> Vec<String> {
    rx.try_iter()
        .map(|e| match e {
            ChannelElement::Batch(b) => {
                format!("{:?}", downcast_batch::<u64>(b, "t").expect("u64").iter().map(|r| r.value).collect::<Vec<_>>())
            }
            ChannelElement::Watermark(w) => format!("wm{w}"),
            ChannelElement::WatermarkStatus(s) => format!("{s:?}"),
            ChannelElement::Barrier(info) => format!("barrier{}", info.id),
            ChannelElement::EndOfInput(_) => "end".into(),
        })
        .collect()
}

fn batch(values: impl IntoIterator<Item = u64>) -> AnyBatch {
    Box::new(values.into_iter().map(Record::new).collect::<Batch<u64>>())
}

#[test]
fn hash_sends_every_record_to_the_owner_of_its_key_group() {
    let (tx, rx) = channels(3);
    let key_group: KeyGroupFn<u64> = Arc::new(|v: &u64| assign_key_group(v, 128));
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Hash, tx, Some(key_group), &setup(4)).expect("writer");
    w.write(batch(0..100)).expect("write");
    w.control(Control::EndOfInput(InputEnd::Finished)).expect("end");
    let mut seen = 0;
    for (subtask, rx) in rx.iter().enumerate() {
        for e in rx.try_iter() {
            if let ChannelElement::Batch(b) = e {
                for r in downcast_batch::<u64>(b, "t").expect("u64") {
                    let g = assign_key_group(&r.value, 128).expect("hash");
                    assert_eq!(subtask_for_key_group(g, 128, 3), subtask);
                    seen += 1;
                }
            }
        }
    }
    assert_eq!(seen, 100);
}

#[test]
fn batches_are_sent_when_full_and_control_flushes_the_rest_first() {
    let (tx, rx) = channels(1);
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Forward, tx, None, &setup(4)).expect("writer");
    for value in 1..=5 {
        w.write(batch([value])).expect("write");
    }
    assert!(w.pending_since().is_some());
    w.control(Control::Watermark(Watermark(7))).expect("wm");
    assert!(w.pending_since().is_none());
    assert_eq!(received(&rx[0]), ["[1, 2, 3, 4]", "[5]", "wm7"]);
}

#[test]
fn a_large_forward_batch_passes_whole() {
    let (tx, rx) = channels(1);
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Forward, tx, None, &setup(4)).expect("writer");
    w.write(batch(0..10)).expect("write");
    assert_eq!(received(&rx[0]), ["[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"]);
}

#[test]
fn broadcast_copies_to_every_channel_and_rebalance_spreads() {
    let (tx, rx) = channels(2);
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Broadcast, tx, None, &setup(8)).expect("writer");
    w.write(batch([1, 2])).expect("write");
    w.flush().expect("flush");
    assert_eq!(received(&rx[0]), ["[1, 2]"]);
    assert_eq!(received(&rx[1]), ["[1, 2]"]);

    let (tx, rx) = channels(2);
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Rebalance, tx, None, &setup(16)).expect("writer");
    w.write(batch([1, 2, 3, 4])).expect("write");
    w.flush().expect("flush");
    assert_eq!(received(&rx[0]), ["[1, 3]"]);
    assert_eq!(received(&rx[1]), ["[2, 4]"]);
}

#[test]
fn a_full_channel_blocks_the_writer_until_the_consumer_takes() {
    let (tx, rx) = bounded(1);
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Forward, vec![tx], None, &setup(1)).expect("writer");
    w.write(batch([1])).expect("first batch fits");
    let producer = std::thread::spawn(move || {
        w.write(batch([2])).expect("second batch waits, then fits");
        w
    });
    // The producer cannot finish before the consumer takes the first batch: take it, and the
    // second arrives.
    let first = rx.recv().expect("first");
    let second = rx.recv().expect("second");
    producer.join().expect("producer");
    for (e, want) in [(first, 1u64), (second, 2)] {
        let ChannelElement::Batch(b) = e else { panic!("expected a batch") };
        assert_eq!(downcast_batch::<u64>(b, "t").expect("u64")[0].value, want);
    }
}

#[test]
fn a_closed_channel_reports_cancellation() {
    let (tx, rx) = bounded(1);
    drop(rx);
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Forward, vec![tx], None, &setup(1)).expect("writer");
    assert!(matches!(w.write(batch([1])), Err(Error::Cancelled)));
}

#[test]
fn a_whole_batch_never_overtakes_records_buffered_for_its_channel() {
    let (tx, rx) = channels(2);
    let mut w = ChannelWriter::<u64>::new(PartitionKind::Rebalance, tx, None, &setup(8)).expect("writer");
    w.write(batch([1, 2])).expect("small batch: 1 to channel 0, 2 to channel 1");
    w.write(batch(10..18)).expect("a full batch goes whole to channel 0");
    w.flush().expect("flush");
    assert_eq!(received(&rx[0]), ["[1]", "[10, 11, 12, 13, 14, 15, 16, 17]"]);
    assert_eq!(received(&rx[1]), ["[2]"]);
}
