"""Checks the side-by-side scripts' own parsing: compare.py's result lines, medians and COMPARE
lines, and flink_job.py's /proc and REST parsing. Standard library only (no Flink, no
matplotlib), so it runs anywhere: `python3 -m unittest discover -s bench/flink`.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import compare  # noqa: E402
import flink_job  # noqa: E402

WEIR = (
    "RESULT workload=tumbling parallelism=1 events=30000000 seconds={s} events_per_s=1 "
    "cpu_s={c} peak_rss_mb={m}"
)
FLINK = (
    "FLINK_RESULT workload=tumbling parallelism=1 events=30000000 seconds={s} events_per_s=1 "
    "cpu_s={c} tm_cpu_s=1.0 jm_cpu_s=0.1 peak_rss_mb={m} jm_rss_mb=300.0 startup_s=0.4 job_id=abc "
    "exchanged_records=12"
)


class CompareTest(unittest.TestCase):
    def test_lines_of_both_engines_parse_and_others_are_ignored(self):
        runs = compare.parse_runs(
            [
                "# round 1 flink tumbling; load: 1.0 2.0 3.0",
                FLINK.format(s="30.0", c="40.0", m="700.5"),
                "",
                WEIR.format(s="3.0", c="6.0", m="12.5") + " events_per_cpu_s=5000000 outputs=3",
                "COMPARE workload=tumbling flink_eps=1",
            ]
        )
        self.assertEqual([r.engine for r in runs], ["flink", "weir"])
        flink, weir = runs
        self.assertEqual((flink.events, flink.seconds, flink.cpu_s, flink.rss_mb), (30_000_000, 30.0, 40.0, 700.5))
        self.assertEqual(flink.eps, 1_000_000)
        self.assertEqual(weir.eps_per_cpu_s, 5_000_000)

    def test_a_result_line_without_a_needed_field_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "cpu_s"):
            compare.parse_line("RESULT workload=x events=1 seconds=1 peak_rss_mb=1")
        with self.assertRaisesRegex(ValueError, "key=value"):
            compare.parse_line("RESULT workload=x events")

    def test_medians_per_engine_and_the_compare_line(self):
        lines = [
            FLINK.format(s="30.0", c="60.0", m="700"),
            WEIR.format(s="3.0", c="3.0", m="10"),
            FLINK.format(s="10.0", c="20.0", m="650"),  # the fastest Flink run
            WEIR.format(s="2.0", c="2.0", m="12"),
            FLINK.format(s="15.0", c="30.0", m="720"),
            WEIR.format(s="6.0", c="6.0", m="11"),
        ]
        [c] = compare.compare(compare.parse_runs(lines))
        self.assertEqual(c.runs, {"flink": 3, "weir": 3})
        self.assertEqual(c.eps, {"flink": 2_000_000, "weir": 10_000_000})
        self.assertEqual(c.eps_per_cpu_s, {"flink": 1_000_000, "weir": 10_000_000})
        self.assertEqual(c.rss_mb, {"flink": 700, "weir": 11})
        self.assertEqual(
            compare.compare_line(c),
            "COMPARE workload=tumbling flink_eps=2000000 weir_eps=10000000 ratio=5.00 flink_rss_mb=700.0 "
            "weir_rss_mb=11.0 flink_eps_per_cpu_s=1000000 weir_eps_per_cpu_s=10000000 cpu_ratio=10.00 "
            "events=30000000 runs=3/3",
        )
        self.assertIn("tumbling", compare.table([c]))

    def test_a_workload_one_engine_lacks_is_left_out_and_events_must_match(self):
        only_weir = WEIR.replace("tumbling", "stateless").format(s="1", c="1", m="1")
        self.assertEqual(compare.compare(compare.parse_runs([only_weir])), [])
        mismatched = [FLINK.format(s="1", c="1", m="1"), WEIR.replace("30000000", "5").format(s="1", c="1", m="1")]
        with self.assertRaisesRegex(ValueError, "differ in events"):
            compare.compare(compare.parse_runs(mismatched))

    def test_human_numbers(self):
        self.assertEqual(
            [compare.human(x) for x in (999, 1_500, 2_345_678, 3.2e9)], ["999", "1.50 k", "2.35 M", "3.20 G"]
        )


class FlinkJobParsingTest(unittest.TestCase):
    def test_cpu_ticks_of_a_stat_line_with_spaces_in_the_name(self):
        stat = "4593 (java thread) S 1 4580 4580 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 90 0 5000"
        self.assertEqual(flink_job.parse_stat_cpu_ticks(stat), 1234 + 56)

    def test_status_values(self):
        status = "Name:\tjava\nVmHWM:\t  712000 kB\nVmRSS:\t  650240 kB\n"
        self.assertEqual(flink_job.parse_status_kib(status, "VmRSS"), 650_240)
        self.assertEqual(flink_job.parse_status_kib(status, "VmHWM"), 712_000)
        with self.assertRaises(ValueError):
            flink_job.parse_status_kib(status, "VmSwap")

    def test_job_window_from_vertex_and_subtask_times(self):
        job = {
            "jid": "j",
            "vertices": [
                {"id": "a", "start-time": 1_000, "end-time": 21_000},
                {"id": "b", "start-time": 1_010, "end-time": 21_500},
            ],
        }
        times = [
            {"subtasks": [{"timestamps": {"DEPLOYING": 1_000, "RUNNING": 1_400}}]},
            {"subtasks": [{"timestamps": {"DEPLOYING": 1_010, "RUNNING": 1_450}}]},
        ]
        self.assertEqual(flink_job.job_window(job, times), (20.5, 0.4))
        unfinished = {"jid": "j", "vertices": [{"id": "a", "start-time": 1_000, "end-time": -1}]}
        with self.assertRaisesRegex(ValueError, "no complete vertex times"):
            flink_job.job_window(unfinished, [])

    def test_the_flink_result_line_is_what_compare_reads(self):
        line = flink_job.result_line(
            {
                "workload": "stateless",
                "parallelism": 1,
                "events": 1000,
                "seconds": 0.5,
                "events_per_s": 2000.0,
                "cpu_s": 0.25,
                "tm_cpu_s": 0.2,
                "jm_cpu_s": 0.05,
                "peak_rss_mb": 640.04,
                "jm_rss_mb": 300.0,
                "startup_s": 0.1,
                "job_id": "abc",
            }
        )
        self.assertEqual(
            line,
            "FLINK_RESULT workload=stateless parallelism=1 events=1000 seconds=0.500 events_per_s=2000 "
            "cpu_s=0.250 tm_cpu_s=0.200 jm_cpu_s=0.050 peak_rss_mb=640.0 jm_rss_mb=300.0 startup_s=0.100 job_id=abc",
        )
        run = compare.parse_line(line)
        self.assertEqual((run.engine, run.eps, run.eps_per_cpu_s), ("flink", 2000, 4000))

    def test_the_sql_of_each_workload(self):
        *ddl, job = flink_job.sql_statements("tumbling", 30_000_000, 10_000)
        self.assertIn("'number-of-rows' = '30000000'", ddl[0])
        self.assertIn("'fields.k.max' = '9999'", ddl[0])
        self.assertIn("INTERVAL '1' SECOND", job)
        *ddl, job = flink_job.sql_statements("stateless", 5, 1)
        self.assertIn("MOD(v, 16) <> 0", job)
        with self.assertRaises(ValueError):
            flink_job.sql_statements("sliding", 1, 1)


if __name__ == "__main__":
    unittest.main()
