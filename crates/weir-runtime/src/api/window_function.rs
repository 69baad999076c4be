//! `ProcessWindowFunction`: the function that sees a whole window when it fires.

use super::output_tag::OutputTag;
use weir_core::window::Window;
use weir_core::{Output, Record, Result, Timestamp, Watermark};

/// What a window function knows and where it emits. Records it emits carry the window's last
/// timestamp (`window.max_timestamp()`), as in Flink.
pub struct WindowContext<'a, W, O> {
    pub(crate) window: &'a W,
    pub(crate) watermark: Watermark,
    pub(crate) processing_time: Timestamp,
    pub(crate) out: &'a mut Output<O>,
}

impl<W: Window, O> WindowContext<'_, W, O> {
    /// The window that fired.
    pub fn window(&self) -> &W {
        self.window
    }

    /// The operator's current watermark.
    pub fn current_watermark(&self) -> Watermark {
        self.watermark
    }

    /// The operator's current processing time.
    pub fn current_processing_time(&self) -> Timestamp {
        self.processing_time
    }

    /// Emits a result of the window.
    pub fn collect(&mut self, value: O) {
        self.out.collect_with_timestamp(value, self.window.max_timestamp());
    }

    /// Emits to a side output.
    pub fn output<S: Send + 'static>(&mut self, tag: &OutputTag<S>, value: S) {
        self.out.emit_side(tag.key(), Record::with_timestamp(value, self.window.max_timestamp()));
    }
}

/// A function over all elements of a window (or over the one pre-aggregated result, when
/// combined with `reduce`/`aggregate`), called each time the window fires.
pub trait ProcessWindowFunction<K, IN, OUT, W>: Send + Sync + Clone + 'static {
    fn process(&mut self, key: &K, ctx: &mut WindowContext<'_, W, OUT>, elements: Vec<IN>) -> Result<()>;
}
