//! Processing-time timers in a running job: they fire on the wall clock while the job waits
//! for input, without any record arriving to wake the operator.

use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::time::Duration;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};
use weir_core::source::{Boundedness, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit, SplitId};
use weir_runtime::prelude::*;

/// The source's only split.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Whole;

impl SourceSplit for Whole {
    fn split_id(&self) -> SplitId {
        SplitId::new("whole")
    }
}

/// Emits one record, then nothing until the test says to finish.
struct OneThenWait {
    finish: Receiver<()>,
}

impl Source<u32> for OneThenWait {
    type Split = Whole;
    fn name(&self) -> &str {
        "OneThenWait"
    }
    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }
    fn create_splits(&self, _parallelism: usize) -> weir_core::Result<Vec<Whole>> {
        Ok(vec![Whole])
    }
    fn create_reader(&self, _ctx: &OperatorContext) -> weir_core::Result<Box<dyn SourceReader<u32, Whole>>> {
        Ok(Box::new(Reader { sent: false, finish: self.finish.clone() }))
    }
}

struct Reader {
    sent: bool,
    finish: Receiver<()>,
}

impl SourceReader<u32, Whole> for Reader {
    fn add_splits(&mut self, _splits: Vec<Whole>) -> weir_core::Result<()> {
        Ok(())
    }
    fn poll_next(&mut self, out: &mut ReaderOutput<u32>, _max: usize) -> weir_core::Result<SourcePoll> {
        if !self.sent {
            self.sent = true;
            out.split(&Whole.split_id()).collect(7);
            return Ok(SourcePoll::MoreAvailable);
        }
        match self.finish.try_recv() {
            Ok(()) => Ok(SourcePoll::Finished),
            Err(_) => Ok(SourcePoll::NothingAvailable { retry_after: Duration::from_millis(5) }),
        }
    }
    fn snapshot_splits(&self) -> Vec<Whole> {
        Vec::new()
    }
}

#[derive(Clone)]
struct RemindLater;

impl KeyedProcessFunction<u32, u32, String> for RemindLater {
    fn process_element(&mut self, value: u32, ctx: &mut KeyedContext<'_, u32, String>) -> Result<()> {
        let mut timers = ctx.timer_service();
        let at = timers.current_processing_time() + 20;
        timers.register_processing_time_timer(at);
        ctx.collect(format!("got {value}"));
        Ok(())
    }

    fn on_timer(
        &mut self,
        _timestamp: Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, u32, String>,
    ) -> Result<()> {
        let key = *ctx.current_key();
        ctx.collect(format!("reminder for {key} ({domain:?})"));
        Ok(())
    }
}

struct ChannelSink(Sender<String>);

impl Sink<String> for ChannelSink {
    fn name(&self) -> &str {
        "Channel"
    }
    fn create_writer(&self, _ctx: &OperatorContext) -> weir_core::Result<Box<dyn SinkWriter<String>>> {
        Ok(Box::new(ChannelWriter(self.0.clone())))
    }
}

struct ChannelWriter(Sender<String>);

impl SinkWriter<String> for ChannelWriter {
    fn write_batch(&mut self, batch: Batch<String>) -> weir_core::Result<()> {
        for record in batch {
            let _ = self.0.send(record.value);
        }
        Ok(())
    }
}

#[test]
fn a_processing_time_timer_fires_while_the_source_is_quiet() {
    let (finish_tx, finish_rx) = bounded(1);
    let (out_tx, out_rx) = unbounded();
    // The keyed operator runs in its own task (key_by is a network edge) and gets no input after
    // the record: only its timer deadline can wake it.
    let job = std::thread::spawn(move || {
        let env = StreamExecutionEnvironment::new();
        env.set_parallelism(1).set_config("weir.progress", "false").set_buffer_timeout(Duration::from_millis(1));
        env.from_source(OneThenWait { finish: finish_rx }, "Quiet")
            .key_by(|v: &u32| *v)
            .process(RemindLater)
            .sink_to(ChannelSink(out_tx));
        env.execute("reminders")
    });
    let wait = Duration::from_secs(30);
    assert_eq!(out_rx.recv_timeout(wait).expect("the record"), "got 7");
    assert_eq!(out_rx.recv_timeout(wait).expect("the timer fires"), "reminder for 7 (ProcessingTime)");
    finish_tx.send(()).expect("finish");
    job.join().expect("job thread").expect("job runs");
}
