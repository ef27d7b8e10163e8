"""The parser properties at scale: `python -m tests.fuzz [--examples N] [--jobs J] [-k EXPR]`.

Runs tests/test_parsers_total_properties.py under the "kiosk-fuzz" hypothesis profile (random,
N inputs per parser, default 100,000) and prints, per parser, the inputs it was given, the
time and whether its property held. Exit status 0 only when every property held.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest

PROPERTIES = Path(__file__).with_name("test_parsers_total_properties.py")
MODULE = "tests.test_parsers_total_properties"


class _Report:
    """A pytest plugin: runs shard `index` of `count`, and notes per property its parser's
    inputs (the growth of the module's INPUTS counter), its time and its outcome."""

    def __init__(self, index: int, count: int) -> None:
        self.index, self.count = index, count
        self.rows: list[tuple[str, str, int, float]] = []
        self._inputs: dict[str, tuple[str, int]] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items[:] = items[self.index::self.count]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        inputs: Counter[str] = getattr(sys.modules.get(MODULE), "INPUTS", Counter())
        before = Counter(inputs)
        yield
        grown = inputs - before
        self._inputs[item.nodeid] = next(iter(grown.items()), ("?", 0))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or report.outcome != "passed":
            parser, inputs = self._inputs.get(report.nodeid, ("?", 0))
            self.rows.append((parser, report.outcome, inputs, report.duration))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--examples", type=int, default=100_000, help="inputs per parser")
    parser.add_argument("--jobs", type=int, default=1,
                        help="processes, each running a share of the properties")
    parser.add_argument("-k", dest="select", default="",
                        help="only the properties matching (as pytest -k)")
    parser.add_argument("--shard", default="0/1", help=argparse.SUPPRESS)  # set for --jobs children
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.jobs > 1:
        code = _run_jobs(args)
    else:
        index, count = (int(part) for part in args.shard.split("/"))
        code = _run_shard(args, index, count)
    if args.shard == "0/1":
        print(f"total {time.monotonic() - started:.0f} s wall clock, exit {code}")
    return code


def _run_jobs(args: Any) -> int:
    base = [sys.executable, "-m", "tests.fuzz", "--examples", str(args.examples)]
    if args.select:
        base += ["-k", args.select]
    children = [subprocess.Popen([*base, "--shard", f"{i}/{args.jobs}"])
                for i in range(args.jobs)]
    codes = [child.wait() for child in children]
    return max(codes)


def _run_shard(args: Any, index: int, count: int) -> int:
    # Read when the properties module is imported: the profile and its size.
    os.environ["KIOSK_HYPOTHESIS_PROFILE"] = "kiosk-fuzz"
    os.environ["KIOSK_FUZZ_EXAMPLES"] = str(args.examples)
    report = _Report(index, count)
    pytest_args = [str(PROPERTIES), "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    if args.select:
        pytest_args += ["-k", args.select]
    code = int(pytest.main(pytest_args, plugins=[report]))
    for parser, outcome, inputs, seconds in report.rows:
        print(f"fuzz: {parser:<30} {inputs:>9} inputs {seconds:>8.1f} s  {outcome}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
