//! Unit tests of the blackhole sink.

use super::sink::BlackholeWriter;
use super::*;
use crate::testing::context;
use weir_core::record::Record;
use weir_core::sink::{Sink, SinkWriter};

#[test]
fn it_accepts_and_discards_everything() {
    let sink = BlackholeSink::new();
    assert_eq!(<BlackholeSink as Sink<String>>::name(&sink), "Blackhole");
    let mut writer: Box<dyn SinkWriter<String>> = sink.create_writer(&context(1, 3)).expect("writer");
    writer.write_batch(vec![Record::new("a".into()), Record::new("b".into())]).expect("write");
    writer.write_batch(Vec::new()).expect("write");
    writer.finish().expect("finish");
}

#[test]
fn it_counts_what_it_drops() {
    let mut writer = BlackholeWriter { task: "test".into(), dropped: 0 };
    SinkWriter::<u8>::write_batch(&mut writer, vec![Record::new(1), Record::new(2)]).expect("write");
    SinkWriter::<u8>::write_batch(&mut writer, vec![Record::new(3)]).expect("write");
    assert_eq!(writer.dropped, 3);
}
