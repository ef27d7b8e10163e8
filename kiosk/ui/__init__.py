"""The touchscreen UI in pygame: main loop, screens, widgets, theme, strings, display rotation.

Wiring it up (what `kiosk run` / `kiosk simulate` do):

    from kiosk.ui.loop import KioskUi
    from kiosk.ui.settings import read_admin_pin
    ui = KioskUi.from_config(config, backend, admin_pin=read_admin_pin(config.ui, config.source),
                             window=args.window, on_tick=pinger.tick, max_sleep=watchdog_s / 2)
    # readers and monitors, from their own threads (post is thread-safe):
    ui.post(CardScanned(number)); ui.post(ReaderStatus(False, "...")); ui.post(ApiStatus(True))
    ui.post(Recovering(True)) ... ui.post(Recovering(False))
    ui.post(RegistrationPending(user_code, url)) ... ui.post(RegistrationDone())
    ui.run()          # in the main thread, until ui.stop() (e.g. from a SIGTERM handler)

`backend` implements kiosk.ui.backend.Backend; its methods run in the UI's one worker thread.
`on_key=` lets a shell add keys (F1-F4 demo scans); kiosk.ui.driver.UiDriver scripts a customer
(keys, taps, waiting for screens, screenshots); kiosk.ui.gallery renders every screen to PNG.
"""

import sys


def _import_pygame_without_pkg_resources() -> None:
    """Import pygame before any screen module does, skipping setuptools' pkg_resources.

    pygame.pkgdata imports pkg_resources only to find pygame's own data files, which the kiosk
    never asks for (it brings its fonts), and has a fallback when the import fails. Importing
    pkg_resources scans every installed distribution: a third of `kiosk run`'s start-up CPU
    on a PC, more on a Pi. It stays importable for anyone else afterwards.
    """
    if "pygame" in sys.modules or "pkg_resources" in sys.modules:
        return
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # an ImportError for pkgdata
    try:
        import pygame  # noqa: F401
    finally:
        if sys.modules.get("pkg_resources", False) is None:
            del sys.modules["pkg_resources"]


_import_pygame_without_pkg_resources()
