//! The blackhole connector: a sink that discards every record, like Flink's `blackhole`
//! connector. It exists for benchmarks, where the cost of a real sink would hide the cost of
//! what is measured: a batch is dropped whole, so a record costs no more than its destructor.
//!
//! It is **not** a way to test a job's output (use `weir-testkit`'s `CollectSink`). It does no
//! I/O; it only counts the records it drops, reported at `debug` level when the input ends.

mod sink;

#[cfg(test)]
mod tests;

pub use sink::BlackholeSink;
