"""`kiosk run`: the production entry point (fullscreen on KMS/DRM under systemd, or a window)."""

from __future__ import annotations

import argparse
import logging
import sys

from kiosk.commands.common import EXIT_JOURNAL, add_config_argument, load_config_for

log = logging.getLogger(__name__)

EXIT_NO_DISPLAY = 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run", help="run the kiosk (fullscreen; --window on a desktop)",
        description="Open the configured reader, printer and payment service, settle unfinished "
                    "top-ups, then serve customers until SIGTERM or Ctrl-C. Without a display "
                    "server SDL draws on KMS/DRM (SDL_VIDEODRIVER=kmsdrm, as kiosk.service sets).",
    )
    add_config_argument(parser)
    parser.add_argument("--window", action="store_true",
                        help="a desktop window instead of fullscreen")
    parser.set_defaults(func=run_kiosk, owns_state=True)


def run_kiosk(args: argparse.Namespace) -> int:
    from kiosk.ui.window import draw_first_frame   # first: kiosk.ui imports pygame quickly

    import pygame

    config = load_config_for(args)
    try:
        # The screen first: what it needs is imported by now, the rest (HTTP stack, metrics,
        # journal, devices) is imported and opened behind a picture on the panel.
        draw_first_frame(config, window=args.window)
        from kiosk.journal import JournalError
        from kiosk.runtime import KioskRuntime

        runtime = KioskRuntime(config, window=args.window)
        try:
            runtime.open()
        except JournalError as exc:
            print(f"kiosk run: {exc}", file=sys.stderr)
            return EXIT_JOURNAL
    except pygame.error as exc:
        print(f"kiosk run: cannot open the display ({exc}). On the kiosk, kiosk.service sets "
              f"SDL_VIDEODRIVER=kmsdrm; on a desktop use --window; without any display try "
              f"`kiosk simulate --headless`.", file=sys.stderr)
        return EXIT_NO_DISPLAY
    return runtime.run()
