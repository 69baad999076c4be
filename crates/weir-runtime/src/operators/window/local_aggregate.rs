//! Local window pre-aggregation: the first half of a local-global sliced window aggregate
//! (issue 7), as Flink SQL's two-phase window aggregation has it.
//!
//! [`LocalWindowAggregateOperator`] runs **before** the keyed exchange, chained to the operator
//! feeding it and at its parallelism. It folds the records of each (key, slice) into one
//! accumulator (`create_accumulator`/`add`) and sends [`LocalPartial`]s across the exchange
//! instead of records, stamped with the slice's start. Behind the exchange, the slice-sharing
//! operator (module `slicing`, unchanged) runs with [`MergePartials`] as its aggregate: it
//! merges a partial into its slice where it would have added a record. The exchange hashes the
//! partial's key, so key groups are those of the records. At 10,000 keys and ~100 records per
//! key and second, the exchange carries ~1 % of the records.
//!
//! The partials go out, all of them, **before** every watermark, watermark status and checkpoint
//! barrier the operator passes on, and at the end of the input; also whenever more than
//! `weir.windows.local-aggregation.max-entries` are held. So the operator holds nothing in a
//! snapshot (a barrier comes after every record it covers, as partials) and memory is bounded.
//!
//! **Why results are those of the records.** The window operator treats a record according to
//! its key, its slice and its watermark only (every record of a slice holds the same windows).
//! The operator here has the watermark its consumer last received from it, `w`, and the
//! consumer's watermark is at most `w` (the minimum over its inputs, this one among them), as
//! long as this input never went idle (below).
//! - A record none of whose windows fired at `w` (`first window end − 1 > w`) is not late for
//!   the consumer either, while it is held: the partial goes out before anything moves `w`. For
//!   such records, adding each or merging their partial gives the same slice accumulator (the
//!   `AggregateFunction` contract: `merge` is associative with `create_accumulator` as its
//!   identity), the same timers (one per new slice, deduplicated) and no firing; the windows
//!   fire later, at the same watermarks, with the same contents.
//! - A record with a window fired at `w` may be late for the consumer: dropped and counted, or
//!   within the allowed lateness, re-firing its windows once per record. Such a record goes on
//!   **alone**, as the partial of one record, at once, so the consumer counts and re-fires it as
//!   the record. (No held partial shares its slice: whether a slice's windows fired depends on
//!   the slice and `w` only. Nor does any window it re-fires hold a held partial's slice: that
//!   window fired at `w`, so each of its slices has a fired window.)
//! - Records in a gap between windows (`slide > size`) belong to no window and are dropped,
//!   as the window operator drops them; a record without a timestamp or with one out of range
//!   fails the job, as there.
//!
//! An input that went idle is left out of its consumer's watermark, which may then pass `w`
//! by any amount, and stays ahead until this input catches up: the bound above is lost. So on an
//! idle status the operator sends everything on and, from then on, sends every record alone:
//! exact, without the saving. After a restore both halves start without a watermark, and the
//! window operator treats a partial as it would each of its records (timers for every window of
//! the slice; re-firing at the first watermark).
//!
//! It is **not** used with a late-data side output (late records must reach it as records),
//! custom triggers, evictors or the general window operator (`WindowedStream` decides), and it
//! keeps no state: nothing to snapshot, restore or rescale.

use crate::config::WINDOW_LOCAL_AGGREGATION_MAX_ENTRIES;
use crate::operators::keyed::KeySelector;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::operator::{OneInputOperator, OperatorContext};
use weir_core::record::Batch;
use weir_core::snapshot::{CheckpointInfo, StateSnapshot};
use weir_core::time::WatermarkStatus;
use weir_core::window::assigner::missing_timestamp;
use weir_core::window::{AggregateFunction, Slicing};
use weir_core::{Data, Key, Output, Result, Timestamp, Watermark};

/// The accumulator of one key's records in one slice, sent across the keyed exchange (with the
/// slice's start, or the record's own timestamp for a record sent alone, as its timestamp).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct LocalPartial<K, ACC> {
    pub(crate) key: K,
    pub(crate) acc: ACC,
}

impl<K: Clone, ACC> LocalPartial<K, ACC> {
    /// The key the exchange and the window operator key a partial by.
    pub(crate) fn key(&self) -> K {
        self.key.clone()
    }
}

/// The user's aggregate on the global side: a partial is "added" by merging it.
pub(crate) struct MergePartials<A, T>(pub(crate) Arc<A>, PhantomData<fn(&T)>);

impl<A, T> MergePartials<A, T> {
    pub(crate) fn new(aggregate: Arc<A>) -> Self {
        MergePartials(aggregate, PhantomData)
    }
}

impl<K, T, ACC, R, A> AggregateFunction<LocalPartial<K, ACC>, ACC, R> for MergePartials<A, T>
where
    A: AggregateFunction<T, ACC, R>,
{
    fn create_accumulator(&self) -> ACC {
        self.0.create_accumulator()
    }
    fn add(&self, accumulator: &mut ACC, partial: &LocalPartial<K, ACC>) {
        self.0.merge(accumulator, &partial.acc);
    }
    fn merge(&self, accumulator: &mut ACC, other: &ACC) {
        self.0.merge(accumulator, other);
    }
    fn get_result(&self, accumulator: &ACC) -> R {
        self.0.get_result(accumulator)
    }
}

/// Whether records are folded together or each goes on alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Records of a slice none of whose windows fired are folded until the next flush.
    Aggregating,
    /// The input went idle once: the consumer's watermark may be ahead of ours by any amount,
    /// so every record goes on alone (see the module docs).
    OneByOne,
}

/// Pre-aggregates records per (key, slice) before the keyed exchange of a sliced window
/// aggregate; see the module docs.
pub(crate) struct LocalWindowAggregateOperator<K, T, ACC, R, A> {
    key_selector: KeySelector<T, K>,
    slicing: Slicing,
    aggregate: Arc<A>,
    /// (key, slice start) → the accumulator of its records since the last flush.
    partials: FxHashMap<(K, Timestamp), ACC>,
    /// Flush when more than this many are held (from the configuration, at `on_start`).
    max_entries: usize,
    /// The last watermark passed on: the consumer's is at most this.
    watermark: Timestamp,
    mode: Mode,
    _types: PhantomData<fn() -> R>,
}

impl<K, T, ACC, R, A> LocalWindowAggregateOperator<K, T, ACC, R, A>
where
    K: Key,
    ACC: Data,
    A: AggregateFunction<T, ACC, R>,
{
    pub(crate) fn new(key_selector: KeySelector<T, K>, slicing: Slicing, aggregate: Arc<A>) -> Self {
        LocalWindowAggregateOperator {
            key_selector,
            slicing,
            aggregate,
            partials: FxHashMap::default(),
            max_entries: WINDOW_LOCAL_AGGREGATION_MAX_ENTRIES.default,
            watermark: Watermark::MIN.0,
            mode: Mode::Aggregating,
            _types: PhantomData,
        }
    }

    /// Sends every held partial on, stamped with its slice's start.
    fn flush(&mut self, out: &mut Output<LocalPartial<K, ACC>>) {
        for ((key, slice_start), acc) in self.partials.drain() {
            out.collect_with_timestamp(LocalPartial { key, acc }, slice_start);
        }
    }
}

impl<K, T, ACC, R, A> OneInputOperator<T, LocalPartial<K, ACC>> for LocalWindowAggregateOperator<K, T, ACC, R, A>
where
    K: Key,
    T: Send + 'static,
    ACC: Data,
    R: 'static,
    A: AggregateFunction<T, ACC, R> + 'static,
{
    fn on_start(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.max_entries = ctx.config.get(&WINDOW_LOCAL_AGGREGATION_MAX_ENTRIES)?;
        Ok(())
    }

    fn process_batch(&mut self, batch: Batch<T>, out: &mut Output<LocalPartial<K, ACC>>) -> Result<()> {
        for record in batch {
            let timestamp = record.timestamp.ok_or_else(missing_timestamp)?;
            let position = self.slicing.position(timestamp)?;
            let Some(first_end) = position.first_window_end else {
                continue; // in a gap between windows: no window holds it
            };
            let key = (self.key_selector)(&record.value);
            if first_end - 1 <= self.watermark || self.mode == Mode::OneByOne {
                // Possibly late for the consumer: it must see this record as one.
                let mut acc = self.aggregate.create_accumulator();
                self.aggregate.add(&mut acc, &record.value);
                out.collect_with_timestamp(LocalPartial { key, acc }, timestamp);
                continue;
            }
            let acc =
                self.partials.entry((key, position.slice_start)).or_insert_with(|| self.aggregate.create_accumulator());
            self.aggregate.add(acc, &record.value);
        }
        if self.partials.len() > self.max_entries {
            self.flush(out);
        }
        Ok(())
    }

    /// Everything held goes out before the watermark: after it, held records could be late.
    fn handle_watermark(&mut self, watermark: Watermark, out: &mut Output<LocalPartial<K, ACC>>) -> Result<()> {
        self.flush(out);
        self.watermark = self.watermark.max(watermark.0);
        out.emit_watermark(watermark);
        Ok(())
    }

    /// An idle input leaves the consumer's watermark free to pass ours: everything goes out
    /// before the status, and records go on one by one from then on.
    fn handle_watermark_status(
        &mut self,
        status: WatermarkStatus,
        out: &mut Output<LocalPartial<K, ACC>>,
    ) -> Result<()> {
        self.flush(out);
        if status == WatermarkStatus::Idle {
            self.mode = Mode::OneByOne;
        }
        out.emit_watermark_status(status);
        Ok(())
    }

    fn on_end_of_input(&mut self, out: &mut Output<LocalPartial<K, ACC>>) -> Result<()> {
        self.flush(out);
        Ok(())
    }

    /// Everything held goes out ahead of the barrier: no state to snapshot.
    fn snapshot_state(
        &mut self,
        _checkpoint: &CheckpointInfo,
        out: &mut Output<LocalPartial<K, ACC>>,
    ) -> Result<Option<StateSnapshot>> {
        self.flush(out);
        Ok(None)
    }
}

#[cfg(test)]
mod tests;
