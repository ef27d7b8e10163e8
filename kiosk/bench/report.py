"""The benchmark report: named measurements per section, summary statistics, table and JSON."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Metric:
    """One number: `key` is stable for JSON readers, `label` is for people."""

    key: str
    label: str
    value: float
    unit: str
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    metrics: list[Metric] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # JSON only, not in the table

    def add(self, key: str, label: str, value: float, unit: str, note: str = "") -> None:
        self.metrics.append(Metric(key, label, float(value), unit, note))

    def value(self, key: str) -> float:
        for metric in self.metrics:
            if metric.key == key:
                return metric.value
        raise KeyError(f"{self.key}: no metric {key!r}")


@dataclass
class Report:
    meta: dict[str, Any]
    sections: list[Section] = field(default_factory=list)

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(f"no section {key!r}")

    def to_json(self) -> dict[str, Any]:
        return {"meta": self.meta, "sections": [asdict(s) for s in self.sections]}

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        return target


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0..100), linear between the closest ranks; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def format_value(value: float) -> str:
    """Three significant digits or so, without scientific notation for everyday sizes."""
    if math.isnan(value):
        return "-"
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def format_table(report: Report) -> str:
    """The report as aligned plain text, one block per section."""
    rows: list[tuple[str, str, str]] = []
    out: list[str] = []
    meta = report.meta
    out.append(f"kiosk bench  {meta.get('date', '')}  {meta.get('machine', '')}")
    for section in report.sections:
        rows = [(m.label, f"{format_value(m.value)} {m.unit}".rstrip(), m.note)
                for m in section.metrics]
        label_w = max([len(r[0]) for r in rows] + [10])
        value_w = max([len(r[1]) for r in rows] + [5])
        out.append("")
        out.append(f"== {section.title}")
        for label, value, note in rows:
            line = f"  {label:<{label_w}}  {value:>{value_w}}"
            out.append(f"{line}  {note}".rstrip())
        for note in section.notes:
            out.append(f"  * {note}")
    return "\n".join(out)


def summarise(section: Section, key: str, label: str, samples_s: Iterable[float],
              unit: str = "ms", note: str = "") -> None:
    """p50 / p95 / max of a list of durations in seconds, converted to `unit` (ms or us)."""
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    values = [v * scale for v in samples_s]
    section.add(f"{key}_p50", f"{label} p50", median(values), unit, note)
    section.add(f"{key}_p95", f"{label} p95", percentile(values, 95), unit)
    section.add(f"{key}_max", f"{label} max", max(values) if values else math.nan, unit)
