//! WordCount, the "hello world" of stream processing: counts the words of a text and prints
//! every word with its count.
//!
//! ```text
//! cargo run --release -p weir --example wordcount                      # a built-in text
//! cargo run --release -p weir --example wordcount -- --input PATH      # a file or a directory
//! cargo run --release -p weir --example wordcount -- -p 2 -D weir.progress=true
//! ```
//!
//! The job: lines → words → `key_by(word)` → rolling `reduce` (a count per word, kept in keyed
//! state) → the final count of each word, printed once the bounded input has ended. The last
//! step exists because keyed functions cannot yet act at the end of input (event-time timers
//! and windows are coming); it keeps the latest count per word and runs with parallelism 1 so
//! the output is one sorted list.

use std::collections::BTreeMap;
use std::process::ExitCode;
use weir_connectors::FileSource;
use weir_runtime::prelude::*;

const TEXT: &str = "\
A weir is a low dam across a river.
It raises the water upstream and lets it flow over the top.
The water keeps flowing; the weir only shapes the stream.
A stream processor is a weir for events: records keep flowing, and state is the pool behind it.";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    // `-p`, `-D key=value` and `--config FILE` configure the environment; the rest is ours.
    let (env, args) = StreamExecutionEnvironment::from_args(std::env::args().skip(1))?;
    let lines = match input_path(&args)? {
        Some(path) => env.from_source(FileSource::new(path), "Input"),
        None => env.from_collection(TEXT.lines().map(str::to_string).collect()),
    };

    lines
        .flat_map(|line: String| {
            line.split(|c: char| !c.is_alphanumeric())
                .filter(|word| !word.is_empty())
                .map(|word| (word.to_lowercase(), 1u64))
                .collect::<Vec<_>>()
        })
        .name("Tokenize")
        .key_by(|(word, _): &(String, u64)| word.clone())
        .reduce(|(word, a), (_, b)| (word, a + b))
        .name("Count")
        .uid("word-counts")
        .process(FinalCounts::default())
        .name("Final counts")
        .uid("final-counts")
        .set_parallelism(1)
        .print()
        .set_parallelism(1);

    let result = env.execute("WordCount example")?;
    eprintln!("{result}");
    Ok(())
}

/// `--input PATH` from the job's own arguments, if given.
fn input_path(args: &[String]) -> anyhow::Result<Option<String>> {
    match args {
        [] => Ok(None),
        [flag, path] if flag == "--input" => Ok(Some(path.clone())),
        _ => anyhow::bail!("usage: wordcount [-p N] [-D key=value]... [--config FILE] [--input PATH]; got {args:?}"),
    }
}

/// Keeps the latest count of every word and emits them all, sorted by word, at the end of input.
#[derive(Clone, Default)]
struct FinalCounts {
    counts: BTreeMap<String, u64>,
}

impl ProcessFunction<(String, u64), (String, u64)> for FinalCounts {
    fn process_element(
        &mut self,
        (word, count): (String, u64),
        _: &mut ProcessContext<'_, (String, u64)>,
    ) -> Result<()> {
        // Counts only grow, so the largest seen is the final one whatever the arrival order.
        let slot = self.counts.entry(word).or_insert(0);
        *slot = (*slot).max(count);
        Ok(())
    }

    fn on_end_of_input(&mut self, ctx: &mut ProcessContext<'_, (String, u64)>) -> Result<()> {
        for pair in std::mem::take(&mut self.counts) {
            ctx.collect(pair);
        }
        Ok(())
    }
}
