//! End-to-end tests of the `weir` binary: the built-in jobs' answers against sequential
//! computations of the same generated input, and the errors a user sees.
//!
//! Every run sets `taskmanager.numberOfTaskSlots` so that `-p 2` works on a one-core machine, and
//! `weir run` gets `-D rest.port=0` so that runs in parallel do not collide on port 8081.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Output};
use weir::jobs::clicks::{self, generated_click};
use weir::jobs::wordcount::{self, generated_line, generated_lines, tokenize};

const SLOTS: &str = "-Dtaskmanager.numberOfTaskSlots=4";

fn weir(args: &[&str]) -> std::io::Result<Output> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command.args(args);
    if args.first() == Some(&"run") {
        command.arg("-Drest.port=0");
    }
    command.output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The lines of the table after `header_start`, split into their whitespace-separated cells.
fn table(stdout: &str, header_start: &str) -> Vec<Vec<String>> {
    stdout
        .lines()
        .skip_while(|line| !line.starts_with(header_start))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .map(|line| line.split_whitespace().map(str::to_string).collect())
        .collect()
}

/// `(word, count)` pairs from the rows of the wordcount table (`rank. word count`).
fn word_rows(stdout: &str, header: &str) -> Vec<(String, u64)> {
    table(stdout, header)
        .into_iter()
        .map(|cells| match cells.as_slice() {
            [_, word, count] => (word.clone(), count.parse().unwrap_or(u64::MAX)),
            _ => panic!("unexpected row {cells:?} in:\n{stdout}"),
        })
        .collect()
}

fn expected_top(counts: HashMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    weir::jobs::top_n::top_n(counts.into_iter().collect(), n, wordcount::by_count_then_word)
}

fn count_words<'a>(lines: impl Iterator<Item = &'a str>) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for word in lines.flat_map(tokenize) {
        *counts.entry(word).or_insert(0) += 1;
    }
    counts
}

#[test]
fn wordcount_finds_the_top_words_of_generated_text_at_parallelism_2() -> std::io::Result<()> {
    let output = weir(&["run", "wordcount", "--words", "10000", "-p", "2", SLOTS])?;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");

    let lines: Vec<String> = (0..generated_lines(10_000)).map(|line| generated_line(line, 10_000)).collect();
    let expected = expected_top(count_words(lines.iter().map(String::as_str)), 10);
    assert_eq!(word_rows(&stdout, "Top 10 of 10000 words:"), expected, "stdout:\n{stdout}");
    assert!(stdout.contains("Job 'wordcount'") && stdout.contains("Count"), "the job result is printed:\n{stdout}");
    assert!(stderr.contains("[weir] wordcount"), "progress is on by default:\n{stderr}");
    assert!(stderr.contains("REST API at http://127.0.0.1:"), "the REST API is served meanwhile:\n{stderr}");
    Ok(())
}

#[test]
fn wordcount_reads_a_directory_of_files() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let files = [("a.txt", "The river, the weir\nand the mill.\n"), ("b/c.txt", "River RIVER river weir\n")];
    for (name, contents) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
        std::fs::write(path, contents)?;
    }
    let input = dir.path().to_string_lossy().into_owned();
    let output =
        weir(&["run", "wordcount", "--input", &input, "--top", "3", "-p", "2", SLOTS, "-D", "weir.progress=false"])?;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{}", text(&output.stderr));

    let expected = expected_top(count_words(files.iter().flat_map(|(_, contents)| contents.lines())), 3);
    assert_eq!(expected, [("river".to_string(), 4), ("the".to_string(), 3), ("weir".to_string(), 2)]);
    assert_eq!(word_rows(&stdout, "Top 3 of 11 words:"), expected, "stdout:\n{stdout}");
    Ok(())
}

#[test]
fn clicks_counts_views_and_unique_visitors_per_page() -> std::io::Result<()> {
    let output = weir(&[
        "run",
        "clicks",
        "--events",
        "5000",
        "--pages",
        "20",
        "--users",
        "300",
        "-p",
        "2",
        SLOTS,
        "-Dweir.progress=false",
    ])?;
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{}", text(&output.stderr));

    let mut views: HashMap<u32, u64> = HashMap::new();
    let mut visitors: HashMap<u32, HashSet<u32>> = HashMap::new();
    for click in (0..5000).map(|i| generated_click(i, 20, 300)) {
        *views.entry(click.page).or_insert(0) += 1;
        visitors.entry(click.page).or_default().insert(click.user);
    }
    let all: Vec<clicks::PageStats> = views
        .iter()
        .map(|(&page, &views)| clicks::PageStats { page, views, unique_visitors: visitors[&page].len() as u64 })
        .collect();
    let expected: Vec<Vec<String>> = weir::jobs::top_n::top_n(all, 10, clicks::by_views)
        .iter()
        .enumerate()
        .map(|(rank, s)| {
            vec![
                format!("{}.", rank + 1),
                format!("/page/{}", s.page),
                s.views.to_string(),
                s.unique_visitors.to_string(),
            ]
        })
        .collect();
    let rows = table(&stdout, "Top 10 pages by views");
    assert_eq!(rows.get(1..), Some(expected.as_slice()), "stdout:\n{stdout}");
    Ok(())
}

#[test]
fn an_unknown_job_lists_the_built_in_ones() -> std::io::Result<()> {
    let output = weir(&["run", "wordcuont"])?;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: unknown job 'wordcuont'"), "{stderr}");
    assert!(stderr.contains("wordcount") && stderr.contains("clicks"), "{stderr}");
    Ok(())
}

#[test]
fn a_malformed_define_is_rejected_before_anything_runs() -> std::io::Result<()> {
    let output = weir(&["run", "wordcount", "--words", "10", "-D", "parallelism.default"])?;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("-D <KEY=VALUE>") && stderr.contains("parallelism.default"), "{stderr}");
    assert!(output.stdout.is_empty());

    let output = weir(&["run", "wordcount", "--words", "10", "-D", "parallelism.default=zero"])?;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains("'parallelism.default' has the value 'zero'"), "{stderr}");
    Ok(())
}

#[test]
fn a_failing_job_names_the_operator_and_subtask() -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("bad.txt"), b"fine\n\xff\xfe not utf-8\n")?;
    let input = dir.path().to_string_lossy().into_owned();
    let output = weir(&["run", "wordcount", "--input", &input, "-D", "weir.progress=false"])?;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // The REST API's address comes first: the job was submitted, then failed.
    let error = stderr.lines().skip_while(|line| line.starts_with("REST API at ")).collect::<Vec<_>>().join("\n");
    assert!(error.starts_with("error: job 'wordcount'"), "{stderr}");
    assert!(stderr.contains("Source: Input files") && stderr.contains("subtask 1/1"), "{stderr}");
    assert!(stderr.contains("bad.txt") && stderr.contains("UTF-8"), "{stderr}");
    Ok(())
}

#[test]
fn jobs_and_config_list_what_run_accepts() -> std::io::Result<()> {
    let jobs = text(&weir(&["jobs"])?.stdout);
    assert!(jobs.contains("wordcount") && jobs.contains("clicks"), "{jobs}");
    let config = text(&weir(&["config"])?.stdout);
    assert!(config.contains("parallelism.default") && config.contains("weir.progress"), "{config}");
    Ok(())
}
