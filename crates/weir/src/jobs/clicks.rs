//! The `clicks` job: page views and unique visitors per page, from generated click events.
//!
//! Each event is a user visiting a page, a pure function of its index (users uniform, pages
//! skewed so that a few are popular). Keyed by page, a [`KeyedProcessFunction`] keeps the page's
//! view count in a `ValueState` and the set of its visitors in a `MapState`, and emits the page's
//! running statistics; the pages with the most views are shown at the end.
//!
//! ```text
//! datagen (clicks) → key_by(page) → page statistics (ValueState + MapState) → top N → result
//! ```

use super::SubmittedJob;
use super::top_n::{FinalTopN, top_n};
use crate::result_sink::ResultSink;
use clap::Args;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use weir_connectors::{DataGenSource, random_f64, random_range};
use weir_runtime::prelude::*;

/// The seed of the generated clicks.
const SEED: u64 = 0xC11C_C500;

/// `weir run clicks [--events N] [--pages P] [--users U] [--top K]`
#[derive(Debug, Clone, Args)]
pub struct ClicksArgs {
    /// How many click events to generate.
    #[arg(long, value_name = "N", default_value_t = 20_000_000)]
    pub events: u64,
    /// How many distinct pages there are.
    #[arg(long, value_name = "P", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub pages: u32,
    /// How many distinct users there are.
    #[arg(long, value_name = "U", default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub users: u32,
    /// How many of the most viewed pages to show.
    #[arg(long, value_name = "K", default_value_t = 10)]
    pub top: usize,
}

/// One user viewing one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Click {
    pub user: u32,
    pub page: u32,
}

/// The running statistics of one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageStats {
    pub page: u32,
    pub views: u64,
    pub unique_visitors: u64,
}

/// Click `index` among `pages` pages and `users` users: the user is uniform, the page skewed
/// towards low numbers (the square of a uniform number).
pub fn generated_click(index: u64, pages: u32, users: u32) -> Click {
    let user = random_range(SEED, 2 * index, u64::from(users)) as u32;
    let u = random_f64(SEED, 2 * index + 1);
    let page = ((u * u * f64::from(pages)) as u32).min(pages.saturating_sub(1));
    Click { user, page }
}

/// Counts a page's views (`ValueState`) and remembers its visitors (`MapState`).
#[derive(Clone)]
pub struct PageStatistics {
    views: ValueStateDescriptor<u64>,
    visitors: MapStateDescriptor<u32, ()>,
}

impl Default for PageStatistics {
    fn default() -> Self {
        PageStatistics { views: ValueStateDescriptor::new("views"), visitors: MapStateDescriptor::new("visitors") }
    }
}

impl KeyedProcessFunction<u32, Click, PageStats> for PageStatistics {
    fn process_element(&mut self, click: Click, ctx: &mut KeyedContext<'_, u32, PageStats>) -> Result<()> {
        let views = {
            let mut views = ctx.value(&self.views)?;
            let count = views.get().copied().unwrap_or(0) + 1;
            views.update(count);
            count
        };
        let unique_visitors = {
            let mut visitors = ctx.map(&self.visitors)?;
            visitors.put(click.user, ());
            visitors.len() as u64
        };
        ctx.collect(PageStats { page: click.page, views, unique_visitors });
        Ok(())
    }
}

/// More views first; equal views by page number.
pub fn by_views(a: &PageStats, b: &PageStats) -> Ordering {
    b.views.cmp(&a.views).then_with(|| a.page.cmp(&b.page))
}

fn page_of(stats: &PageStats) -> &u32 {
    &stats.page
}

/// Builds the job's dataflow on `env` without running it; returns the sink its answer arrives in.
pub fn build(env: &StreamExecutionEnvironment, args: &ClicksArgs) -> ResultSink<PageStats> {
    let (pages, users) = (args.pages, args.users);
    let source = DataGenSource::new(move |i| generated_click(i, pages, users)).with_count(args.events);
    let top = ResultSink::new();
    env.from_source(source, "Clicks")
        .key_by(|click: &Click| click.page)
        .process(PageStatistics::default())
        .name("Page statistics")
        .uid("page-statistics")
        .process(FinalTopN::new(args.top, page_of, by_views))
        .name("Top pages")
        .uid("top-pages")
        .sink_to(top.clone())
        .name("Result");
    top
}

/// Builds and submits the job; its summary is the table of the most viewed pages.
pub fn submit(env: &StreamExecutionEnvironment, args: &ClicksArgs) -> anyhow::Result<SubmittedJob> {
    let top = build(env, args);
    let client = env.execute_async("clicks")?;
    let (n, events) = (args.top, args.events);
    Ok(SubmittedJob::new(client, move |_| format_table(&top_n(top.take(), n, by_views), events)))
}

/// `Top 10 of N pages by views:` and one line per page.
pub fn format_table(best: &[PageStats], events: u64) -> String {
    if best.is_empty() {
        return "No clicks.\n".to_string();
    }
    let mut table = format!("Top {} pages by views ({events} clicks):\n", best.len());
    table.push_str(&format!("{:>4}  {:<10}  {:>12}  {:>16}\n", "", "page", "views", "unique visitors"));
    for (rank, stats) in best.iter().enumerate() {
        let page = format!("/page/{}", stats.page);
        table.push_str(&format!("{:>4}. {page:<10}  {:>12}  {:>16}\n", rank + 1, stats.views, stats.unique_visitors));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clicks_stay_in_range_and_favour_low_pages() {
        let clicks: Vec<Click> = (0..10_000).map(|i| generated_click(i, 100, 1_000)).collect();
        assert!(clicks.iter().all(|c| c.page < 100 && c.user < 1_000));
        let first_page = clicks.iter().filter(|c| c.page == 0).count();
        let last_page = clicks.iter().filter(|c| c.page == 99).count();
        assert!(first_page > last_page * 3, "page 0: {first_page}, page 99: {last_page}");
        assert_eq!(generated_click(7, 100, 1_000), generated_click(7, 100, 1_000));
    }
}
