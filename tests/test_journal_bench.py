"""The journal part of `kiosk bench`: queries at scale, retention and memory over top-ups."""

from __future__ import annotations

import math

from kiosk.bench import BenchOptions, format_table, run_bench

SMALL = BenchOptions(topups=1, checks=1, scans=1, latency_scans=1, encodes=1, prints=1,
                     fast_prints=1, idle_s=0.1, paying_s=0.1, render_reps=1,
                     journal_rows=3000, growth_topups=30, parts=("journal",), label="small")


def test_journal_bench_reports_queries_size_retention_and_memory(tmp_path):
    report = run_bench(SMALL, workdir=tmp_path)
    scale, growth = report.section("journal"), report.section("growth")
    for key in ("bytes_per_row", "open_ms", "get_ms", "unfinished_ms", "receipts_owed_ms",
                "last_receipt_ms", "recent_ms", "counts_ms", "topup_rows_ms", "prune_s"):
        value = scale.value(key)
        assert math.isfinite(value) and value > 0, (key, value)
    assert scale.value("rows") == 3000
    # 500 days of rows: 100 days' worth past 400 days go, receipts past 90 days are dropped.
    assert scale.value("bytes_per_row_after") < scale.value("bytes_per_row")
    assert "rows removed" in next(m.note for m in scale.metrics if m.key == "prune_s")
    assert growth.value("topups") == 30
    assert growth.value("rss_start_mib") > 10
    assert math.isfinite(growth.value("rss_growth_mib"))
    assert growth.value("bytes_per_row_real") > 0
    table = format_table(report)
    assert "Journal at 3000 rows" in table and "Memory over 30 top-ups" in table
