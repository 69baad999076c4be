//! Backpressure and the buffer timeout: a stalled consumer stalls its producer without losing
//! anything, and records in a partly filled batch reach the consumer without waiting for more.

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use weir_connectors::DataGenSource;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};
use weir_core::source::{Boundedness, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit, SplitId};
use weir_runtime::prelude::*;

/// A sink that forwards every batch to the test and waits on `gate` before taking the first one.
struct GatedSink {
    gate: Receiver<()>,
    delivered: Sender<u64>,
}

impl Sink<u64> for GatedSink {
    fn name(&self) -> &str {
        "Gated"
    }
    fn create_writer(&self, _ctx: &OperatorContext) -> weir_core::Result<Box<dyn SinkWriter<u64>>> {
        Ok(Box::new(GatedWriter { gate: Some(self.gate.clone()), delivered: self.delivered.clone() }))
    }
}

struct GatedWriter {
    gate: Option<Receiver<()>>,
    delivered: Sender<u64>,
}

impl SinkWriter<u64> for GatedWriter {
    fn write_batch(&mut self, batch: Batch<u64>) -> weir_core::Result<()> {
        if let Some(gate) = self.gate.take() {
            gate.recv().map_err(|_| Error::Internal("gate dropped".into()))?;
        }
        for record in batch {
            let _ = self.delivered.send(record.value);
        }
        Ok(())
    }
}

#[test]
fn a_stalled_sink_stalls_the_source_and_nothing_is_lost() {
    const BATCH: u64 = 64;
    const CAPACITY: u64 = 2;
    const TOTAL: u64 = 100_000;
    // What can be in flight while the sink holds its first batch: that batch, the channel's
    // batches, the writer's partial buffer and the batch the source is emitting.
    const BOUND: u64 = BATCH * (1 + CAPACITY + 2);

    let generated = Arc::new(AtomicU64::new(0));
    let (overflow_tx, overflow_rx) = bounded::<u64>(1);
    let counter = Arc::clone(&generated);
    let source = DataGenSource::new(move |i| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        if n == BOUND + 1 {
            let _ = overflow_tx.try_send(n);
        }
        i
    })
    .with_count(TOTAL);

    let (gate_tx, gate_rx) = bounded(1);
    let (delivered_tx, delivered_rx) = unbounded();
    let job = std::thread::spawn(move || {
        let env = StreamExecutionEnvironment::new();
        env.set_parallelism(1)
            .set_config("execution.batch-size", BATCH.to_string())
            .set_config("taskmanager.network.memory.buffers-per-channel", CAPACITY.to_string())
            .set_config("weir.progress", "false");
        env.from_source(source, "Fast").rebalance().sink_to(GatedSink { gate: gate_rx, delivered: delivered_tx });
        env.execute("backpressure")
    });

    // While the sink is stalled the source may not run more than BOUND records ahead. The
    // generator reports crossing the bound; with backpressure that report never comes.
    match overflow_rx.recv_timeout(Duration::from_millis(500)) {
        Err(_) => {}
        Ok(n) => panic!("the source generated {n} records while the sink was stalled (bound {BOUND})"),
    }
    gate_tx.send(()).expect("open the gate");
    let result = job.join().expect("job thread").expect("job runs");
    let mut delivered: Vec<u64> = delivered_rx.try_iter().collect();
    delivered.sort_unstable();
    assert_eq!(delivered, (0..TOTAL).collect::<Vec<_>>(), "every record exactly once");
    assert_eq!(result.operator("Sink: Gated").expect("sink").records_in, TOTAL);
}

/// The source's only split.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Whole;

impl SourceSplit for Whole {
    fn split_id(&self) -> SplitId {
        SplitId::new("whole")
    }
}

/// A source that emits `count` records, then nothing until `finish` says so.
struct TrickleSource {
    count: u64,
    finish: Receiver<()>,
}

impl Source<u64> for TrickleSource {
    type Split = Whole;
    fn name(&self) -> &str {
        "Trickle"
    }
    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }
    fn create_splits(&self, _parallelism: usize) -> weir_core::Result<Vec<Whole>> {
        Ok(vec![Whole])
    }
    fn create_reader(&self, _ctx: &OperatorContext) -> weir_core::Result<Box<dyn SourceReader<u64, Whole>>> {
        Ok(Box::new(TrickleReader { left: self.count, finish: self.finish.clone(), has_split: false }))
    }
}

struct TrickleReader {
    left: u64,
    finish: Receiver<()>,
    has_split: bool,
}

impl SourceReader<u64, Whole> for TrickleReader {
    fn add_splits(&mut self, splits: Vec<Whole>) -> weir_core::Result<()> {
        self.has_split |= !splits.is_empty();
        Ok(())
    }
    fn poll_next(&mut self, out: &mut ReaderOutput<u64>, _max: usize) -> weir_core::Result<SourcePoll> {
        if !self.has_split {
            return Ok(SourcePoll::Finished);
        }
        if self.left > 0 {
            out.split(&Whole.split_id()).collect(self.left);
            self.left -= 1;
            return Ok(SourcePoll::MoreAvailable);
        }
        match self.finish.try_recv() {
            Ok(()) => Ok(SourcePoll::Finished),
            Err(_) => Ok(SourcePoll::NothingAvailable { retry_after: Duration::from_millis(5) }),
        }
    }
    fn snapshot_splits(&self) -> Vec<Whole> {
        vec![Whole]
    }
}

#[test]
fn the_buffer_timeout_flushes_partial_batches_between_tasks() {
    let (finish_tx, finish_rx) = bounded(1);
    let (delivered_tx, delivered_rx) = unbounded();
    let (_gate_tx, gate_rx) = bounded::<()>(1);
    drop(_gate_tx);
    let job = std::thread::spawn(move || {
        let env = StreamExecutionEnvironment::new();
        env.set_parallelism(1).set_config("weir.progress", "false").set_buffer_timeout(Duration::from_millis(10));
        // Source -> (hash) -> Map -> (rebalance) -> sink: the Map's writer holds a partial batch
        // of 3 records out of 1024, which only the buffer timeout can send on.
        env.from_source(TrickleSource { count: 3, finish: finish_rx }, "Trickle")
            .key_by(|x: &u64| *x)
            .reduce(|a, b| a + b)
            .rebalance()
            .sink_to(ForwardSink { delivered: delivered_tx, _gate: gate_rx });
        env.execute("trickle")
    });
    let mut got: Vec<u64> = (0..3)
        .map(|_| delivered_rx.recv_timeout(Duration::from_secs(30)).expect("records arrive before the end"))
        .collect();
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3]);
    finish_tx.send(()).expect("finish");
    job.join().expect("job thread").expect("job runs");
}

struct ForwardSink {
    delivered: Sender<u64>,
    _gate: Receiver<()>,
}

impl Sink<u64> for ForwardSink {
    fn name(&self) -> &str {
        "Forward"
    }
    fn create_writer(&self, _ctx: &OperatorContext) -> weir_core::Result<Box<dyn SinkWriter<u64>>> {
        let delivered = self.delivered.clone();
        Ok(Box::new(FnWriter(move |batch: Batch<u64>| {
            for r in batch {
                let _ = delivered.send(r.value);
            }
        })))
    }
}

struct FnWriter<F>(F);

impl<F: FnMut(Batch<u64>) + Send> SinkWriter<u64> for FnWriter<F> {
    fn write_batch(&mut self, batch: Batch<u64>) -> weir_core::Result<()> {
        (self.0)(batch);
        Ok(())
    }
}
