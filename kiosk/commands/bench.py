"""`kiosk bench`: measure the kiosk's performance numbers on this machine (table, optional JSON)."""

from __future__ import annotations

import argparse
import sys

from kiosk.bench import PARTS, BenchOptions, format_table, run_bench


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "bench", help="measure top-up, card check, reader, receipt, UI, journal and start-up "
                      "performance, and a scripted customer's taps and time",
        description="Run the benchmarks against the in-process simulators (sandbox API over "
                    "loopback HTTP, virtual scanner, pty printer emulator, UI on SDL's dummy "
                    "driver unless SDL_VIDEODRIVER says otherwise), time `kiosk run` to its "
                    "first frame beside a minimal pygame program, measure the idle loop under "
                    "each SDL video driver that runs here (x11 on Xvfb), time a scripted "
                    "customer's 20 € and 17,50 € top-ups from scan to done screen, and print a "
                    "table. "
                    "About 130 s; --quick about 50 s.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about 50 s)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON to PATH")
    parser.add_argument("--only", action="append", choices=PARTS, metavar="PART",
                        help=f"run only this part (repeatable): {', '.join(PARTS)}")
    parser.add_argument("--dir", metavar="DIR",
                        help="make the temporary files (journal, pty link) under DIR, e.g. on "
                             "the SD card of the kiosk (default: the system's temp dir)")
    parser.add_argument("--growth-topups", type=int, metavar="N",
                        help="top-ups for the memory-growth measurement of the journal part "
                             "(default 2000; the README's figure uses 10000)")
    parser.set_defaults(func=run_bench_command)


def run_bench_command(args: argparse.Namespace) -> int:
    options = BenchOptions.quick() if args.quick else BenchOptions.default()
    if args.only:
        options = BenchOptions(**{**options.__dict__, "parts": tuple(args.only)})
    if args.growth_topups:
        options = BenchOptions(**{**options.__dict__, "growth_topups": args.growth_topups})
    report = run_bench(options, workdir=args.dir,
                       progress=lambda text: print(text, file=sys.stderr, flush=True))
    print(format_table(report))
    print(f"\n{report.meta['duration_s']} s in all")
    if args.json:
        written = report.write_json(args.json)
        print(f"JSON written to {written}")
    return 0
