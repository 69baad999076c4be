"""Turns the lines of a side-by-side run into the comparison table, COMPARE lines and a chart.

Usage:

    python3 compare.py RESULTS_FILE [--chart PATH] [--title TEXT]

RESULTS_FILE holds weir-bench's `RESULT ...` lines and flink_job.py's `FLINK_RESULT ...` lines
(any other line is ignored), several runs per workload. For each workload that both engines ran,
it takes the median of each figure over that engine's runs and prints a table, then one line per
workload:

    COMPARE workload=<w> flink_eps=<x> weir_eps=<y> ratio=<y/x> flink_rss_mb=<m> weir_rss_mb=<m>
        flink_eps_per_cpu_s=<x> weir_eps_per_cpu_s=<y> cpu_ratio=<y/x> events=<n> runs=<f>/<w>

`eps` is events per wall-clock second, `eps_per_cpu_s` events per CPU second (the engine's
processes' user+system time), `runs` how many runs of each engine the medians are over. With
`--chart`, it also draws both throughputs as grouped bars (matplotlib, imported only then).

Pure parsing and arithmetic but for reading RESULTS_FILE, printing and the chart file; the
parsing is checked by test_compare.py (standard library only).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from dataclasses import dataclass

ENGINES = ("flink", "weir")


@dataclass(frozen=True)
class Run:
    """One run of one workload by one engine."""

    engine: str
    workload: str
    events: int
    seconds: float
    cpu_s: float
    rss_mb: float

    @property
    def eps(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def eps_per_cpu_s(self) -> float:
        return self.events / self.cpu_s if self.cpu_s > 0 else 0.0


@dataclass(frozen=True)
class Comparison:
    """The medians of one workload's runs on both engines."""

    workload: str
    events: int
    runs: dict[str, int]
    eps: dict[str, float]
    eps_per_cpu_s: dict[str, float]
    rss_mb: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.eps["weir"] / self.eps["flink"] if self.eps["flink"] > 0 else float("inf")

    @property
    def cpu_ratio(self) -> float:
        f = self.eps_per_cpu_s["flink"]
        return self.eps_per_cpu_s["weir"] / f if f > 0 else float("inf")


def parse_fields(line: str) -> dict[str, str]:
    """The `key=value` fields of a result line (the first word, the line's kind, is skipped)."""
    fields = {}
    for word in line.split()[1:]:
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"not a key=value field: {word!r} in {line!r}")
        fields[key] = value
    return fields


def parse_line(line: str) -> Run | None:
    """The run a `RESULT` (weir-bench) or `FLINK_RESULT` (flink_job.py) line reports, else None."""
    kind = line.split(maxsplit=1)[0] if line.strip() else ""
    if kind == "RESULT":
        engine = "weir"
    elif kind == "FLINK_RESULT":
        engine = "flink"
    else:
        return None
    f = parse_fields(line)
    try:
        return Run(
            engine=engine,
            workload=f["workload"],
            events=int(f["events"]),
            seconds=float(f["seconds"]),
            cpu_s=float(f["cpu_s"]),
            rss_mb=float(f["peak_rss_mb"]),
        )
    except KeyError as missing:
        raise ValueError(f"{kind} line without the field {missing}: {line!r}") from None


def parse_runs(lines) -> list[Run]:
    return [run for line in lines if (run := parse_line(line.strip())) is not None]


def compare(runs: list[Run]) -> list[Comparison]:
    """One comparison per workload that both engines ran, in the order workloads first appear."""
    workloads = list(dict.fromkeys(r.workload for r in runs))
    comparisons = []
    for workload in workloads:
        by_engine = {e: [r for r in runs if r.workload == workload and r.engine == e] for e in ENGINES}
        if not all(by_engine.values()):
            continue
        events = {r.events for rs in by_engine.values() for r in rs}
        if len(events) != 1:
            raise ValueError(f"{workload}: the runs differ in events ({sorted(events)}), so they do not compare")
        comparisons.append(
            Comparison(
                workload=workload,
                events=events.pop(),
                runs={e: len(rs) for e, rs in by_engine.items()},
                eps={e: statistics.median(r.eps for r in rs) for e, rs in by_engine.items()},
                eps_per_cpu_s={e: statistics.median(r.eps_per_cpu_s for r in rs) for e, rs in by_engine.items()},
                rss_mb={e: statistics.median(r.rss_mb for r in rs) for e, rs in by_engine.items()},
            )
        )
    return comparisons


def compare_line(c: Comparison) -> str:
    return (
        f"COMPARE workload={c.workload} flink_eps={c.eps['flink']:.0f} weir_eps={c.eps['weir']:.0f} "
        f"ratio={c.ratio:.2f} flink_rss_mb={c.rss_mb['flink']:.1f} weir_rss_mb={c.rss_mb['weir']:.1f} "
        f"flink_eps_per_cpu_s={c.eps_per_cpu_s['flink']:.0f} weir_eps_per_cpu_s={c.eps_per_cpu_s['weir']:.0f} "
        f"cpu_ratio={c.cpu_ratio:.2f} events={c.events} runs={c.runs['flink']}/{c.runs['weir']}"
    )


def human(x: float) -> str:
    """1234567 -> '1.23 M'."""
    for scale, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= scale:
            return f"{x / scale:.2f}{suffix}"
    return f"{x:.0f}"


def table(comparisons: list[Comparison]) -> str:
    header = (
        "workload",
        "events",
        "Flink events/s",
        "weir events/s",
        "ratio",
        "Flink events/CPU-s",
        "weir events/CPU-s",
        "ratio/CPU",
        "Flink RSS MB",
        "weir RSS MB",
        "runs F/w",
    )
    rows = [
        (
            c.workload,
            human(c.events),
            human(c.eps["flink"]),
            human(c.eps["weir"]),
            f"{c.ratio:.1f}x",
            human(c.eps_per_cpu_s["flink"]),
            human(c.eps_per_cpu_s["weir"]),
            f"{c.cpu_ratio:.1f}x",
            f"{c.rss_mb['flink']:.0f}",
            f"{c.rss_mb['weir']:.0f}",
            f"{c.runs['flink']}/{c.runs['weir']}",
        )
        for c in comparisons
    ]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))) for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def chart(comparisons: list[Comparison], path: str, title: str) -> None:
    """Grouped bars, Flink beside weir, of events/s and events per CPU second (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"flink": "#e6550d", "weir": "#3182bd"}
    labels = {"flink": "Apache Flink", "weir": "weir"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    panels = (
        ("events per second (wall clock)", lambda c: c.eps, lambda c: c.ratio),
        ("events per CPU second (per core)", lambda c: c.eps_per_cpu_s, lambda c: c.cpu_ratio),
    )
    width = 0.38
    for ax, (name, values, ratio) in zip(axes, panels):
        xs = range(len(comparisons))
        for offset, engine in ((-width / 2, "flink"), (width / 2, "weir")):
            heights = [values(c)[engine] for c in comparisons]
            bars = ax.bar([x + offset for x in xs], heights, width, label=labels[engine], color=colors[engine])
            for bar, h in zip(bars, heights):
                ax.annotate(human(h), (bar.get_x() + bar.get_width() / 2, h), ha="center", va="bottom", fontsize=8)
        ax.set_yscale("log")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([f"{c.workload}\nweir/Flink {ratio(c):.1f}x" for c in comparisons])
        ax.set_title(name)
        ax.grid(axis="y", which="major", alpha=0.3)
        top = max(max(values(c).values()) for c in comparisons)
        ax.set_ylim(top=top * 4)
        ax.legend(loc="upper right", fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="file with RESULT and FLINK_RESULT lines")
    parser.add_argument("--chart", help="write a PNG chart to this path")
    parser.add_argument("--title", default="weir vs Apache Flink", help="the chart's title")
    args = parser.parse_args(argv)
    with open(args.results, encoding="utf-8") as f:
        comparisons = compare(parse_runs(f))
    if not comparisons:
        print(f"error: compare.py: no workload in {args.results} has runs of both engines", file=sys.stderr)
        return 1
    print(table(comparisons))
    print()
    for c in comparisons:
        print(compare_line(c))
    if args.chart:
        chart(comparisons, args.chart, args.title)
        print(f"# chart: {args.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
