//! [`split`]: the events to two streams of two kinds in one pass, for the queries that read two
//! kinds (q3, q4, q8).
//!
//! A stream read by two operators hands each of them a copy of every batch (weir copies a batch
//! for every reader but the last), so two `flat_map`s over the events would copy every event,
//! payload string included, to throw most of them away. [`Splitter`] instead moves each event
//! into what its route makes of it, sending the first kind to its main output and the second to
//! a side output. It is **not** a general demultiplexer: two kinds, one side output.

use crate::nexmark::model::Event;
use weir_core::Data;
use weir_runtime::prelude::*;

/// Where [`split`] sends an event, made into the record that goes there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<A, B> {
    /// To the first stream.
    First(A),
    /// To the second stream.
    Second(B),
    /// Nowhere.
    Drop,
}

/// The events routed by `route`: the stream of the `First`s and the stream of the `Second`s.
/// `name` names the operator (and its side output).
pub fn split<A: Data, B: Data>(
    events: &DataStream<Event>,
    name: &str,
    route: fn(Event) -> Route<A, B>,
) -> (DataStream<A>, DataStream<B>) {
    let second = OutputTag::new(format!("{name}: second"));
    let first = events.process(Splitter { route, second: second.clone() }).name(name);
    let seconds = first.get_side_output(&second);
    (first, seconds)
}

/// The process function of [`split`].
pub struct Splitter<A, B> {
    route: fn(Event) -> Route<A, B>,
    second: OutputTag<B>,
}

impl<A, B> Clone for Splitter<A, B> {
    fn clone(&self) -> Self {
        Splitter { route: self.route, second: self.second.clone() }
    }
}

impl<A: Send + 'static, B: Send + 'static> ProcessFunction<Event, A> for Splitter<A, B> {
    #[inline]
    fn process_element(&mut self, event: Event, ctx: &mut ProcessContext<'_, A>) -> Result<()> {
        match (self.route)(event) {
            Route::First(a) => ctx.collect(a),
            Route::Second(b) => ctx.output(&self.second, b),
            Route::Drop => {}
        }
        Ok(())
    }
}
