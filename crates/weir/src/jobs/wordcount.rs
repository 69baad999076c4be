//! The `wordcount` job: the words of a text, counted per word, and the most frequent shown.
//!
//! The text is either generated — `--words N` words drawn from a fixed vocabulary with a Zipf
//! distribution, ten to a line, by a pure function of the word's index (so every run, at any
//! parallelism, counts the same words) — or read from `--input PATH` (a file, or every file
//! under a directory). The dataflow is Flink's WordCount:
//!
//! ```text
//! source (lines) → flat_map (tokenize) → key_by(word) → reduce (count) → top N → result
//! ```
//!
//! Tokenizing splits on every character that is not alphanumeric and lowercases, like Flink's
//! `\W+` tokenizer. See [`super::top_n`] for why the answer is correct at any parallelism.

use super::SubmittedJob;
use super::top_n::{FinalTopN, top_n};
use crate::result_sink::ResultSink;
use clap::Args;
use std::cmp::Ordering;
use std::path::PathBuf;
use std::sync::LazyLock;
use weir_connectors::{DataGenSource, FileSource, random_f64};
use weir_runtime::{DataStream, StreamExecutionEnvironment};

/// Words counted by default: enough for ~10 s of live progress on a laptop core.
pub const DEFAULT_WORDS: u64 = 20_000_000;
/// Words per generated line.
pub const WORDS_PER_LINE: u64 = 10;
/// The seed of the generated text; changing it changes every answer.
const SEED: u64 = 0x5745_4952; // "WEIR"

/// `weir run wordcount [--words N | --input PATH] [--top K]`
#[derive(Debug, Clone, Args)]
pub struct WordcountArgs {
    /// How many words of generated text to count.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_WORDS, conflicts_with = "input")]
    pub words: u64,
    /// Count the words of this file, or of every file under this directory, instead.
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// How many of the most frequent words to show.
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub top: usize,
}

/// The vocabulary of the generated text, most frequent first: word `r` (0-based) is drawn with
/// probability proportional to `1 / (r + 1)`.
pub static VOCABULARY: LazyLock<Vec<&'static str>> = LazyLock::new(|| VOCABULARY_TEXT.split_whitespace().collect());

const VOCABULARY_TEXT: &str = "\
    the of and to a in is stream that it for as with was on be by state at this from or an time are but \
    not all which one record window when so we if would has more key their what out up can event there \
    into will no other river only its new some could then checkpoint them these two may first any like \
    now my such water over also after flow where most barrier through well down should because each just \
    those weir how too little watermark good very make world still operator source sink long while";

/// The cumulative distribution of [`VOCABULARY`]'s Zipf weights, normalised to end at 1.
static CUMULATIVE: LazyLock<Vec<f64>> = LazyLock::new(|| {
    let mut total = 0.0;
    let mut cumulative: Vec<f64> = (0..VOCABULARY.len())
        .map(|rank| {
            total += 1.0 / (rank + 1) as f64;
            total
        })
        .collect();
    cumulative.iter_mut().for_each(|c| *c /= total);
    cumulative
});

/// The word at `index` of the generated text.
pub fn generated_word(index: u64) -> &'static str {
    let u = random_f64(SEED, index);
    let rank = CUMULATIVE.partition_point(|&c| c <= u).min(VOCABULARY.len() - 1);
    VOCABULARY[rank]
}

/// Line `line` of a generated text of `total_words` words: the words at indices
/// `[line * WORDS_PER_LINE, (line + 1) * WORDS_PER_LINE)`, cut at `total_words`.
pub fn generated_line(line: u64, total_words: u64) -> String {
    let start = line.saturating_mul(WORDS_PER_LINE);
    let end = start.saturating_add(WORDS_PER_LINE).min(total_words);
    let words: Vec<&str> = (start..end).map(generated_word).collect();
    words.join(" ")
}

/// The number of lines of a generated text of `total_words` words.
pub fn generated_lines(total_words: u64) -> u64 {
    total_words.div_ceil(WORDS_PER_LINE)
}

/// The words of a line: split on non-alphanumeric characters, lowercased.
pub fn tokenize(line: &str) -> impl Iterator<Item = String> + '_ {
    line.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()).map(str::to_lowercase)
}

/// Higher counts first; equal counts in alphabetical order.
pub fn by_count_then_word(a: &(String, u64), b: &(String, u64)) -> Ordering {
    b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0))
}

fn word_of(pair: &(String, u64)) -> &String {
    &pair.0
}

/// Builds the job's dataflow on `env` without running it; returns the sink its answer arrives in.
pub fn build(env: &StreamExecutionEnvironment, args: &WordcountArgs) -> ResultSink<(String, u64)> {
    let lines: DataStream<String> = match &args.input {
        Some(path) => env.from_source(FileSource::new(path), "Input files"),
        None => {
            let total = args.words;
            let source = DataGenSource::new(move |line| generated_line(line, total)).with_count(generated_lines(total));
            env.from_source(source, "Generated text")
        }
    };
    let top = ResultSink::new();
    lines
        .flat_map(|line: String| tokenize(&line).map(|word| (word, 1u64)).collect::<Vec<_>>())
        .name("Tokenize")
        .key_by(|(word, _): &(String, u64)| word.clone())
        .reduce(|(word, a), (_, b)| (word, a + b))
        .name("Count")
        .uid("word-counts")
        .process(FinalTopN::new(args.top, word_of, by_count_then_word))
        .name("Top words")
        .uid("top-words")
        .sink_to(top.clone())
        .name("Result");
    top
}

/// Builds and submits the job; its summary is the table of the most frequent words.
pub fn submit(env: &StreamExecutionEnvironment, args: &WordcountArgs) -> anyhow::Result<SubmittedJob> {
    let top = build(env, args);
    let client = env.execute_async("wordcount")?;
    let n = args.top;
    Ok(SubmittedJob::new(client, move |result| {
        let counted = result.operator("Count").map_or(0, |count| count.records_in);
        format_table(&top_n(top.take(), n, by_count_then_word), counted)
    }))
}

/// `Top 10 of N words:` and one line per word: rank, word, count.
pub fn format_table(best: &[(String, u64)], counted: u64) -> String {
    if best.is_empty() {
        return "No words found.\n".to_string();
    }
    let width = best.iter().map(|(word, _)| word.chars().count()).max().unwrap_or(0).max(4);
    let mut table = format!("Top {} of {counted} words:\n", best.len());
    for (rank, (word, count)) in best.iter().enumerate() {
        table.push_str(&format!("{:>4}. {word:<width$}  {count:>12}\n", rank + 1));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_text_is_stable_and_has_every_word_once() {
        assert_eq!(generated_line(0, 100), generated_line(0, 100));
        let words: usize = (0..generated_lines(25)).map(|l| tokenize(&generated_line(l, 25)).count()).sum();
        assert_eq!(words, 25);
        assert_eq!(generated_lines(25), 3);
        assert_eq!(tokenize(&generated_line(2, 25)).count(), 5);
    }

    #[test]
    fn the_distribution_favours_the_first_words() {
        let the = (0..10_000).filter(|&i| generated_word(i) == "the").count();
        let last = (0..10_000).filter(|&i| generated_word(i) == "while").count();
        assert!(the > 1_000 && last < 100, "the: {the}, while: {last}");
    }

    #[test]
    fn tokenizing_splits_on_punctuation_and_lowercases() {
        let words: Vec<String> = tokenize("The weir's  gate -- OPEN!").collect();
        assert_eq!(words, ["the", "weir", "s", "gate", "open"]);
    }
}
