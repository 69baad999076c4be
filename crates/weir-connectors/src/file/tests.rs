//! Unit tests of the file source and sink, on temporary directories.

use super::*;
use crate::testing::{
    assert_reports_its_splits, assert_resumes_exactly, context, drain, read_all_sorted, read_polls, read_to_end,
    readers,
};
use std::fs;
use std::path::Path;
use weir_core::record::Record;
use weir_core::sink::Sink;
use weir_core::source::{ReaderOutput, Source, SourcePoll};

fn write(path: &Path, contents: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create parent");
    }
    fs::write(path, contents).expect("write fixture");
}

fn lines_of(source: &FileSource) -> Vec<String> {
    let splits = source.create_splits(1).expect("splits");
    let mut reader = readers(source, splits, 1).remove(0);
    read_to_end(reader.as_mut(), 3)
}

#[test]
fn lines_lose_their_terminators_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.txt");
    write(&path, b"one\r\ntwo\n\nthree\rstill three\nlast without newline");
    let lines = lines_of(&FileSource::new(&path));
    assert_eq!(lines, ["one", "two", "", "three\rstill three", "last without newline"]);
}

#[test]
fn an_empty_file_has_no_lines_and_a_final_newline_adds_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("empty"), b"");
    write(&dir.path().join("one"), b"x\n");
    assert_eq!(lines_of(&FileSource::new(dir.path().join("empty"))), Vec::<String>::new());
    assert_eq!(lines_of(&FileSource::new(dir.path().join("one"))), ["x"]);
}

#[test]
fn a_directory_is_read_recursively_in_path_order_without_hidden_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("b.txt"), b"b\n");
    write(&dir.path().join("a/z.txt"), b"az\n");
    write(&dir.path().join("a/c.txt"), b"ac\n");
    write(&dir.path().join(".hidden"), b"hidden\n");
    write(&dir.path().join(".git/objects"), b"hidden too\n");
    write(&dir.path().join("a/.crc"), b"hidden three\n");

    let source = FileSource::new(dir.path());
    let splits = source.create_splits(8).expect("splits");
    let names: Vec<_> =
        splits.iter().map(|s| s.path.strip_prefix(dir.path()).expect("under root").to_path_buf()).collect();
    assert_eq!(names, [Path::new("a/c.txt"), Path::new("a/z.txt"), Path::new("b.txt")]);
    assert!(splits.iter().all(|s| s.offset == 0));
    assert_eq!(lines_of(&source), ["ac", "az", "b"]);

    fs::create_dir(dir.path().join("empty")).expect("mkdir");
    assert!(FileSource::new(dir.path().join("empty")).create_splits(1).expect("splits").is_empty());
}

#[test]
fn a_missing_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    let err = FileSource::new(&missing).create_splits(1).expect_err("missing").to_string();
    assert!(err.contains(&missing.display().to_string()), "{err}");
}

#[test]
fn invalid_utf8_is_an_error_naming_the_path_and_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad");
    write(&path, b"fine\nbro\xffken\n");
    let source = FileSource::new(&path);
    let mut reader = readers(&source, source.create_splits(1).expect("splits"), 1).remove(0);
    let mut out = ReaderOutput::new();
    let err = reader.poll_next(&mut out, 10).expect_err("invalid utf-8");
    assert_eq!(err.kind(), weir_core::ErrorKind::User, "bad data is the user's, not an outage");
    let err = err.to_string();
    assert!(err.contains(&path.display().to_string()) && err.contains("byte offset 5"), "{err}");
    assert_eq!(drain(&mut out), ["fine"]);
}

#[test]
fn a_resume_position_past_the_end_of_the_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("short");
    write(&path, b"abc\n");
    let source = FileSource::new(&path);
    let mut reader = source.create_reader(&context(0, 1)).expect("reader");
    reader.add_splits(vec![FileSplit { path: path.clone(), offset: 100 }]).expect("add");
    let err = reader.poll_next(&mut ReaderOutput::new(), 10).expect_err("offset past the end").to_string();
    assert!(err.contains("4 bytes") && err.contains("100"), "{err}");
}

#[test]
fn snapshots_hold_the_byte_offset_of_the_next_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("f");
    write(&path, b"ab\r\ncd\nef\n");
    let source = FileSource::new(&path);
    let mut reader = readers(&source, source.create_splits(1).expect("splits"), 1).remove(0);
    assert_eq!(read_polls(reader.as_mut(), 2, 1), ["ab", "cd"]);
    assert_eq!(reader.snapshot_splits(), [FileSplit { path: path.clone(), offset: 7 }]);
    let mut resumed = readers(&source, reader.snapshot_splits(), 1).remove(0);
    assert_eq!(read_to_end(resumed.as_mut(), 10), ["ef"]);
}

#[test]
fn resumes_exactly_after_a_snapshot_even_at_another_parallelism() {
    let dir = tempfile::tempdir().expect("tempdir");
    for f in 0..4 {
        let text: String = (0..25).map(|i| format!("file {f} line {i:02}\n")).collect();
        write(&dir.path().join(format!("part-{f}.txt")), text.as_bytes());
    }
    let source = FileSource::new(dir.path());
    assert_eq!(read_all_sorted(&source, 3).len(), 100);
    for (before, after, max_records, polls) in
        [(1, 1, 7, 3), (2, 3, 10, 2), (4, 1, 30, 1), (3, 2, 1, 0), (1, 2, 100, 1)]
    {
        assert_resumes_exactly(&source, before, after, max_records, polls);
    }
}

#[test]
fn the_sink_writes_one_part_file_per_subtask() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("out/nested");
    let sink = FileSink::lines(&out_dir);
    for subtask in 0..2 {
        let mut writer = sink.create_writer(&context(subtask, 2)).expect("writer");
        let base = subtask as u32 * 10;
        writer.write_batch(vec![Record::new(base), Record::with_timestamp(base + 1, 5)]).expect("write");
        writer.write_batch(vec![Record::new(base + 2)]).expect("write");
        writer.finish().expect("finish");
    }
    assert_eq!(FileSink::<u32>::part_file_name(1), "part-1-0");
    assert_eq!(fs::read_to_string(out_dir.join("part-0-0")).expect("part 0"), "0\n1\n2\n");
    assert_eq!(fs::read_to_string(out_dir.join("part-1-0")).expect("part 1"), "10\n11\n12\n");
}

#[test]
fn the_sink_encodes_with_the_given_function_past_its_buffer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = FileSink::new(dir.path(), |v: &u64, buf: &mut Vec<u8>| buf.extend_from_slice(&v.to_le_bytes()));
    let mut writer = sink.create_writer(&context(0, 1)).expect("writer");
    let n = 20_000u64; // 160 KB: more than one buffer
    writer.write_batch((0..n).map(Record::new).collect()).expect("write");
    writer.finish().expect("finish");
    let bytes = fs::read(dir.path().join("part-0-0")).expect("read");
    let decoded: Vec<u64> = bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
    assert_eq!(decoded, (0..n).collect::<Vec<_>>());
}

#[test]
fn what_the_sink_writes_the_source_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sink = FileSink::lines(dir.path());
    let mut writer = sink.create_writer(&context(0, 1)).expect("writer");
    let words = ["alpha", "", "gamma delta"].map(String::from);
    writer.write_batch(words.iter().cloned().map(Record::new).collect()).expect("write");
    writer.finish().expect("finish");
    assert_eq!(lines_of(&FileSource::new(dir.path())), words);
}

#[test]
fn a_sink_directory_that_is_a_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("file");
    write(&blocker, b"x");
    let err =
        FileSink::<u32>::lines(&blocker).create_writer(&context(0, 1)).err().expect("not a directory").to_string();
    assert!(err.contains(&blocker.display().to_string()), "{err}");
}

#[cfg(target_os = "linux")]
#[test]
fn after_a_failed_write_the_sink_refuses_further_writes() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    // Every write to /dev/full fails with "no space left on device".
    std::os::unix::fs::symlink("/dev/full", dir.path().join("part-0-0")).expect("symlink");
    let sink = FileSink::lines(dir.path());
    let mut writer = sink.create_writer(&context(0, 1)).expect("writer");
    writer.write_batch(vec![Record::new(1u32)]).expect("buffered, not yet written");
    let err = writer.finish().expect_err("disk full").to_string();
    assert!(err.contains("part-0-0"), "{err}");
    let err = writer.write_batch(vec![Record::new(2)]).expect_err("poisoned").to_string();
    assert!(err.contains("refusing further writes"), "{err}");
    assert!(writer.finish().is_err());
}

#[test]
fn polls_after_the_end_keep_saying_finished() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("f"), b"a\n");
    let source = FileSource::new(dir.path());
    let mut reader = readers(&source, source.create_splits(1).expect("splits"), 1).remove(0);
    let mut out = ReaderOutput::new();
    assert_eq!(reader.poll_next(&mut out, 10).expect("poll"), SourcePoll::MoreAvailable);
    assert_eq!(reader.poll_next(&mut out, 10).expect("poll"), SourcePoll::Finished);
    assert_eq!(reader.poll_next(&mut out, 10).expect("poll"), SourcePoll::Finished);
    assert_eq!(drain(&mut out), ["a"]);
    assert!(reader.snapshot_splits().is_empty());
}

#[test]
fn a_file_that_fails_to_open_stays_in_the_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gone = dir.path().join("gone");
    let source = FileSource::new(dir.path());
    let mut reader = source.create_reader(&context(0, 1)).expect("reader");
    let split = FileSplit { path: gone.clone(), offset: 3 };
    reader.add_splits(vec![split.clone()]).expect("add");
    let err = reader.poll_next(&mut ReaderOutput::new(), 10).expect_err("missing file").to_string();
    assert!(err.contains(&gone.display().to_string()), "{err}");
    assert_eq!(reader.snapshot_splits(), [split]);
}

#[test]
fn every_line_is_tagged_with_its_file_and_every_file_is_finished_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(&dir.path().join("a"), b"1\n2\n3\n");
    write(&dir.path().join("b/empty"), b"");
    write(&dir.path().join("b/c"), b"4\n5\n");
    let source = FileSource::new(dir.path());
    for (parallelism, max_records) in [(1, 2), (2, 1), (3, 10)] {
        assert_reports_its_splits(&source, parallelism, max_records);
    }
}
