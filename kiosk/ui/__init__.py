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
