//! What a window holds and how it turns into results when it fires.
//!
//! - [`Incremental`]: an accumulator per window, updated as records arrive (`reduce`,
//!   `aggregate`, optionally followed by a process function that sees the one result);
//! - [`Full`]: every record of the window, for a process function that needs them all, or when
//!   an evictor must choose among them before the function runs.

use crate::api::window_function::{ProcessWindowFunction, WindowContext};
use std::marker::PhantomData;
use std::sync::Arc;
use weir_core::window::{AggregateFunction, Evictor, EvictorContext, Window};
use weir_core::{Data, Key, Record, Result};

/// A window's contents and its function.
pub(crate) trait WindowCore<K, T, W, O>: Send + 'static {
    /// What is stored per (key, window).
    type Contents: Data;
    fn add(&self, contents: Option<Self::Contents>, record: &Record<T>) -> Self::Contents;
    /// Adds a record to existing contents, in place.
    fn add_to(&self, contents: &mut Self::Contents, record: &Record<T>);
    /// Folds `from` (a merged session's contents) into `into`.
    fn merge(&self, into: Self::Contents, from: Self::Contents) -> Self::Contents;
    /// The window of `ctx` fires with `contents`.
    fn fire(&mut self, key: &K, contents: &mut Self::Contents, ctx: &mut WindowContext<'_, K, W, O>) -> Result<()>;
    /// The window of `ctx` is cleaned up: the function's `clear`.
    fn clear(&mut self, key: &K, ctx: &mut WindowContext<'_, K, W, O>) -> Result<()>;
}

/// An accumulator per window, then a process function over the single result.
pub(crate) struct Incremental<A, ACC, R, P> {
    pub(crate) aggregate: Arc<A>,
    pub(crate) process: P,
    pub(crate) _types: PhantomData<fn() -> (ACC, R)>,
}

impl<K, T, W, O, A, ACC, R, P> WindowCore<K, T, W, O> for Incremental<A, ACC, R, P>
where
    K: Key,
    T: 'static,
    W: Window,
    O: 'static,
    ACC: Data,
    R: 'static,
    A: AggregateFunction<T, ACC, R> + 'static,
    P: ProcessWindowFunction<K, R, O, W>,
{
    type Contents = ACC;

    fn add(&self, contents: Option<ACC>, record: &Record<T>) -> ACC {
        let mut acc = contents.unwrap_or_else(|| self.aggregate.create_accumulator());
        self.aggregate.add(&mut acc, &record.value);
        acc
    }

    fn add_to(&self, contents: &mut ACC, record: &Record<T>) {
        self.aggregate.add(contents, &record.value);
    }

    fn merge(&self, mut into: ACC, from: ACC) -> ACC {
        self.aggregate.merge(&mut into, &from);
        into
    }

    fn fire(&mut self, key: &K, contents: &mut ACC, ctx: &mut WindowContext<'_, K, W, O>) -> Result<()> {
        let result = self.aggregate.get_result(contents);
        self.process.process(key, ctx, vec![result])
    }

    fn clear(&mut self, key: &K, ctx: &mut WindowContext<'_, K, W, O>) -> Result<()> {
        self.process.clear(key, ctx)
    }
}

/// Every record of the window, an optional evictor, then a process function over them all.
pub(crate) struct Full<T, W, P> {
    pub(crate) evictor: Option<Arc<dyn Evictor<T, W>>>,
    pub(crate) process: P,
}

impl<K, T, W, O, P> WindowCore<K, T, W, O> for Full<T, W, P>
where
    K: Key,
    T: Data,
    W: Window,
    O: 'static,
    P: ProcessWindowFunction<K, T, O, W>,
{
    type Contents = Vec<Record<T>>;

    fn add(&self, contents: Option<Vec<Record<T>>>, record: &Record<T>) -> Vec<Record<T>> {
        let mut all = contents.unwrap_or_default();
        all.push(record.clone());
        all
    }

    fn add_to(&self, contents: &mut Vec<Record<T>>, record: &Record<T>) {
        contents.push(record.clone());
    }

    fn merge(&self, mut into: Vec<Record<T>>, mut from: Vec<Record<T>>) -> Vec<Record<T>> {
        into.append(&mut from);
        into
    }

    fn fire(&mut self, key: &K, contents: &mut Vec<Record<T>>, ctx: &mut WindowContext<'_, K, W, O>) -> Result<()> {
        let evict = EvictorContext { current_processing_time: ctx.processing_time, current_watermark: ctx.watermark.0 };
        if let Some(evictor) = &self.evictor {
            evictor.evict_before(contents, ctx.window, &evict);
        }
        let elements = contents.iter().map(|r| r.value.clone()).collect();
        self.process.process(key, ctx, elements)?;
        if let Some(evictor) = &self.evictor {
            evictor.evict_after(contents, ctx.window, &evict);
        }
        Ok(())
    }

    fn clear(&mut self, key: &K, ctx: &mut WindowContext<'_, K, W, O>) -> Result<()> {
        self.process.clear(key, ctx)
    }
}

/// Emits each element as it is: the process step of a plain `reduce`/`aggregate`.
pub(crate) struct EmitEach;

impl Clone for EmitEach {
    fn clone(&self) -> Self {
        EmitEach
    }
}

impl<K: Key, O: 'static, W: Window> ProcessWindowFunction<K, O, O, W> for EmitEach {
    fn process(&mut self, _key: &K, ctx: &mut WindowContext<'_, K, W, O>, elements: Vec<O>) -> Result<()> {
        elements.into_iter().for_each(|e| ctx.collect(e));
        Ok(())
    }
}

/// Emits the value of each `Some`: the process step of a plain windowed `reduce`, whose
/// accumulator is empty only for a window that never held a record.
pub(crate) struct EmitSome;

impl Clone for EmitSome {
    fn clone(&self) -> Self {
        EmitSome
    }
}

impl<K: Key, O: 'static, W: Window> ProcessWindowFunction<K, Option<O>, O, W> for EmitSome {
    fn process(&mut self, _key: &K, ctx: &mut WindowContext<'_, K, W, O>, elements: Vec<Option<O>>) -> Result<()> {
        elements.into_iter().flatten().for_each(|e| ctx.collect(e));
        Ok(())
    }
}

/// Applies an aggregate to all elements at once: `reduce`/`aggregate` on windows with an evictor,
/// which need every record.
pub(crate) struct AggregateAll<A, ACC, R, P> {
    pub(crate) aggregate: Arc<A>,
    pub(crate) then: P,
    pub(crate) _types: PhantomData<fn() -> (ACC, R)>,
}

impl<A, ACC, R, P: Clone> Clone for AggregateAll<A, ACC, R, P> {
    fn clone(&self) -> Self {
        AggregateAll { aggregate: Arc::clone(&self.aggregate), then: self.then.clone(), _types: PhantomData }
    }
}

impl<K, T, O, W, A, ACC, R, P> ProcessWindowFunction<K, T, O, W> for AggregateAll<A, ACC, R, P>
where
    K: Key,
    T: 'static,
    O: 'static,
    W: Window,
    ACC: 'static,
    R: 'static,
    A: AggregateFunction<T, ACC, R> + 'static,
    P: ProcessWindowFunction<K, R, O, W>,
{
    fn process(&mut self, key: &K, ctx: &mut WindowContext<'_, K, W, O>, elements: Vec<T>) -> Result<()> {
        let mut acc = self.aggregate.create_accumulator();
        elements.iter().for_each(|e| self.aggregate.add(&mut acc, e));
        self.then.process(key, ctx, vec![self.aggregate.get_result(&acc)])
    }

    fn clear(&mut self, key: &K, ctx: &mut WindowContext<'_, K, W, O>) -> Result<()> {
        self.then.clear(key, ctx)
    }
}
