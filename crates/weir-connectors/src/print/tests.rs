//! Unit tests of the print sink's formatting and error handling.

use super::sink::write_out;
use super::*;
use crate::testing::context;
use std::io::{self, Write};
use weir_core::record::Record;
use weir_core::sink::Sink;

#[test]
fn prefixes_follow_flink() {
    assert_eq!(prefix(None, 0, 1), "");
    assert_eq!(prefix(None, 2, 4), "3> ");
    assert_eq!(prefix(Some("out"), 0, 1), "out> ");
    assert_eq!(prefix(Some("out"), 1, 2), "out:2> ");
    assert_eq!(prefix(Some(""), 1, 2), "2> ", "an empty identifier is no identifier");
}

#[test]
fn a_batch_becomes_one_debug_line_per_record() {
    let mut buffer = b"stale".to_vec();
    buffer.clear();
    let batch = vec![Record::new(("a", 1)), Record::with_timestamp(("b", 2), 7)];
    format_batch("2> ", &batch, &mut buffer);
    assert_eq!(String::from_utf8(buffer).expect("utf-8"), "2> (\"a\", 1)\n2> (\"b\", 2)\n");
}

#[test]
fn the_sink_is_named_like_flinks() {
    assert_eq!(<PrintSink as Sink<u32>>::name(&PrintSink::new()), "Print to Std. Out");
    assert_eq!(<PrintSink as Sink<u32>>::name(&PrintSink::stderr().with_identifier("x")), "Print to Std. Err");
    assert_eq!(PrintSink::stderr().target(), PrintTarget::Stderr);
}

#[test]
fn an_empty_batch_prints_nothing() {
    let sink = PrintSink::stderr().with_identifier("test");
    let mut writer: Box<dyn weir_core::sink::SinkWriter<u32>> = sink.create_writer(&context(0, 1)).expect("writer");
    writer.write_batch(Vec::new()).expect("nothing to write");
    writer.finish().expect("finish");
}

/// A stream whose reader went away, like stdout piped into `head`.
struct ClosedPipe;

impl Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_broken_pipe_is_an_error_not_a_panic() {
    let err = write_out(&mut ClosedPipe, b"1\n", "stdout").expect_err("broken pipe");
    assert!(matches!(&err, weir_core::Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe), "{err}");
    assert!(err.to_string().contains("stdout"), "{err}");
}
