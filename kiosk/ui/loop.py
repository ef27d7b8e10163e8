"""The pygame main loop: sleeps until something happens, feeds the flow, redraws only on change."""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

import pygame

from kiosk.config import Config
from kiosk.flow import (
    COUNTDOWN_S, IDLE_SCREENS, Screen, Settings, State, admin_wait_left, countdown, deadline,
    initial_state, step,
)
from kiosk.flow_cash_events import CASH_COMMANDS
from kiosk.flow_events import Action, Command, Event, PlaySound, Press, StillHere, Tick
from kiosk.ui.backend import Backend
from kiosk.ui.display import Rotation
from kiosk.ui.render import ANIMATED, Look, default_focus, render
from kiosk.ui.sdl_wait import sleeping_wait
from kiosk.ui.screens.overlay import overlay_kind
from kiosk.ui.sounds import Sounds
from kiosk.ui.widgets import Button, Frame
from kiosk.ui.window import first_frame_flipped, open_window
from kiosk.ui.worker import Worker

if TYPE_CHECKING:
    from kiosk.speech.controller import SpeechController

log = logging.getLogger(__name__)

FLOW_EVENT = pygame.event.custom_type()     # carries a flow event posted from any thread
STOP_EVENT = pygame.event.custom_type()
ANIMATION_FPS = 10                           # calm progress: 10 frames a second is plenty
# Resistive panels send down/up bursts within a few ms; a person tapping a digit twice needs
# more than 80 ms, and every such tap must count.
TAP_DEBOUNCE_S = 0.05
SETTLE_S = 0.5          # after a screen change, touches are ignored: it is not yet seen
REPEAT_GUARD_S = 1.0    # a tap again where the last screen-changing tap was is its echo
# Where SDL cannot sleep until the next input (kmsdrm, dummy; see kiosk.ui.sdl_wait), the
# loop pumps input at POLL_S and sleeps in between: at most ~30 wake-ups a second.
POLL_S = 1 / 30                              # touch latency of at most a frame or two
DIGIT_KEYS = {getattr(pygame, f"K_{d}"): d for d in range(10)}
DIGIT_KEYS.update({getattr(pygame, f"K_KP{d}"): d for d in range(10)})
ACTIVATE_KEYS = {pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE}
DIRECTIONS = {pygame.K_LEFT: (-1, 0), pygame.K_RIGHT: (1, 0), pygame.K_UP: (0, -1),
              pygame.K_DOWN: (0, 1)}


class TapFilter:
    """A tap is a press and release on the same button of the same screen.

    Ignored: bursts right after a tap (panel bounce); touches in the first SETTLE_S of a new
    screen (meant for the one before); and, for REPEAT_GUARD_S after a tap that changed the
    screen, touches on the spot of that tap (the second half of a double tap). On one screen,
    repeated taps (the same digit twice) all count.
    """

    def __init__(self, debounce_s: float = TAP_DEBOUNCE_S, settle_s: float = SETTLE_S,
                 repeat_s: float = REPEAT_GUARD_S) -> None:
        self.debounce_s = debounce_s
        self.settle_s = settle_s
        self.repeat_s = repeat_s
        self.pressed: str | None = None
        self.pressed_on = 0
        self.screen = 0                       # counts screen changes
        self.shown_at = -math.inf
        self.last_tap = -math.inf
        self.last_spot: pygame.Rect | None = None
        self.last_tap_on = 0

    def new_screen(self, now: float) -> None:
        self.screen += 1
        self.shown_at = now

    def wait_needed(self, point: tuple[int, int], now: float) -> float:
        """Seconds until a touch at `point` (logical) would be taken; 0 when it would now."""
        wait = max(0.0, self.debounce_s - (now - self.last_tap),
                   self.settle_s - (now - self.shown_at))
        if (self.last_spot is not None and self.last_tap_on != self.screen
                and self.last_spot.collidepoint(point)):
            wait = max(wait, self.repeat_s - (now - self.last_tap))
        return wait

    def down(self, button: Button | None, point: tuple[int, int], now: float) -> None:
        taken = button is not None and self.wait_needed(point, now) <= 0
        self.pressed = button.name if taken and button is not None else None
        self.pressed_on = self.screen

    def up(self, button: Button | None, now: float) -> bool:
        hit = (button is not None and self.pressed == button.name
               and self.pressed_on == self.screen)
        self.pressed = None
        if hit and button is not None:
            self.last_tap = now
            self.last_spot = button.rect.copy()
            self.last_tap_on = self.screen
        return hit


def hit_test(frame: Frame, point: tuple[int, int]) -> Button | None:
    for button in reversed(frame.buttons):
        if button.rect.collidepoint(point):
            return button
    return None


def next_focus(frame: Frame, current: str | None, key: int, shift: bool) -> str | None:
    """Tab walks the buttons in reading order; arrows move to the nearest button that way."""
    buttons = sorted(frame.buttons, key=lambda b: (b.rect.top, b.rect.left))
    if not buttons:
        return None
    names = [b.name for b in buttons]
    if current not in names:
        focus = default_focus(frame)
        return focus.name if focus else None
    index = names.index(current)
    if key == pygame.K_TAB:
        return names[(index + (-1 if shift else 1)) % len(names)]
    dx, dy = DIRECTIONS[key]
    here = buttons[index].rect.center
    best, best_score = None, math.inf
    for b in buttons:
        vx, vy = b.rect.centerx - here[0], b.rect.centery - here[1]
        along = vx * dx + vy * dy
        if b.name == current or along <= 0:
            continue
        across = abs(vx * dy) + abs(vy * dx)
        score = along + 2 * across
        if score < best_score:
            best, best_score = b, score
    if best is None:   # nothing that way: wrap around in reading order
        step_ = 1 if (dx + dy) > 0 else -1
        return names[(index + step_) % len(names)]
    return best.name


class KioskUi:
    """The kiosk's screen. Owns pygame in the thread that calls `run`; `post` is thread-safe."""

    def __init__(self, settings: Settings, look: Look, backend: Backend, *,
                 size: tuple[int, int] = (800, 480), rotation: int = 0,
                 fullscreen: bool = False, sound: bool = True,
                 on_tick: Callable[[float], None] | None = None, max_sleep: float = 1.0,
                 on_key: Callable[[pygame.event.Event], bool] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 make_worker: Callable[[Backend, Callable[[Event], None]], Worker] = Worker,
                 speech: SpeechController | None = None,
                 ) -> None:
        self.settings = settings
        self.look = look
        self.clock = clock
        self.on_tick = on_tick
        self.max_sleep = max_sleep
        # Extra keys of a shell (e.g. F1-F4 = demo scans in `kiosk simulate`): called first
        # for every key press; True means it was handled there.
        self.on_key = on_key
        self.window = open_window(size, fullscreen)
        # Nothing from before this UI existed (an earlier window), except a request to stop:
        # SDL turns a SIGTERM into QUIT until `kiosk run` installs its own handler.
        stop_asked = bool(pygame.event.get(pygame.QUIT))
        pygame.event.clear()
        if stop_asked:
            pygame.event.post(pygame.event.Event(pygame.QUIT))
        self._sleep = sleeping_wait(pygame.display.get_driver())   # None: poll at POLL_S
        self._wake = threading.Event()
        self.wakeups = 0      # returns from a sleep, counted by the loop (kiosk bench, tests)
        self.rotation = Rotation(self.window.get_size(), rotation)
        self.logical = pygame.Surface(self.rotation.logical)
        self.sounds = Sounds(sound)
        self.state: State = initial_state(settings, clock())
        self.frame: Frame | None = None
        self.focus: str | None = None
        self.keyboard_used = False
        self.taps = TapFilter()
        self.worker = make_worker(backend, self.post)   # runtime's: supervised in its registry
        self.worker.start()
        # The cash thread (kiosk.cash_worker), set by the runtime when [cash] mode is on.
        self.cash: Any = None
        self.running = False
        self.frames_drawn = 0
        self.played: list[str] = []
        self._drawn_key: object = None
        self.shown_screen: Screen | None = None
        self._shown_view: tuple[Screen, str] | None = None
        self._started = clock()
        # Speech mode (kiosk.speech): it speaks each screen and owns the speech keys.
        self.speech = speech
        if speech is not None:
            speech.feed = self.post      # through the queue: the next pass handles it
            speech.sound = self.sounds.play

    @classmethod
    def from_config(cls, config: Config, backend: Backend, *, admin_pin: str | None,
                    window: bool = False, **kwargs: object) -> "KioskUi":
        """The UI as the configuration describes it (`window`: a desktop window, not fullscreen)."""
        from kiosk.ui.settings import flow_settings, look
        ui = config.ui
        return cls(flow_settings(config, admin_pin), look(ui), backend,
                   size=(ui.width, ui.height), rotation=ui.rotation,
                   fullscreen=ui.fullscreen and not window, sound=ui.sound,
                   **kwargs)  # type: ignore[arg-type]

    # --- thread-safe entry points ------------------------------------------------------------

    def post(self, event: Event) -> None:
        """Hand a flow event (card scanned, status change, backend answer) to the UI thread."""
        pygame.event.post(pygame.event.Event(FLOW_EVENT, flow_event=event))
        self._wake.set()

    def stop(self) -> None:
        pygame.event.post(pygame.event.Event(STOP_EVENT))
        self._wake.set()

    def stop_from_signal(self) -> None:
        """stop() for a signal handler: only posts (the loop sees it within one poll).

        The handler runs on the main thread between two bytecodes, possibly inside
        `_wake.wait()`/`clear()` with the event's lock held; `_wake.set()` there would wait for
        that lock for ever."""
        pygame.event.post(pygame.event.Event(STOP_EVENT))

    # --- the loop -------------------------------------------------------------------------------

    def run(self) -> None:
        """Run until stop() or the window is closed; the worker finishes its job first."""
        self.running = True
        self._redraw_if_changed(self.clock())
        try:
            while self.running:
                self.iterate()
        finally:
            self.worker.stop()

    def run_until(self, predicate: Callable[["KioskUi"], bool], timeout: float = 5.0) -> bool:
        """Iterate the real loop until `predicate` holds (tests and scripted demos)."""
        self.running = True
        self._redraw_if_changed(self.clock())
        end = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > end or not self.running:
                return False
            self.iterate(max_wait=min(0.05, self.max_sleep))
        return True

    def close(self) -> None:
        self.worker.stop(timeout=5)

    def iterate(self, max_wait: float | None = None) -> None:
        """One wake-up: wait for events (or the next timer), handle them, tick, redraw."""
        now = self.clock()
        wait = self._sleep_budget(now)
        if max_wait is not None:
            wait = min(wait, max_wait)
        for ev in self._wait_events(wait):
            self._handle(ev)
        now = self.clock()
        self._feed(Tick(), now)
        if self.on_tick is not None:
            self.on_tick(now)
        self._redraw_if_changed(now)
        if self.speech is not None:
            self.speech.after_frame(self.state, self.focus, self.frame, now)

    def _wait_events(self, wait: float) -> list[pygame.event.Event]:
        """The events that arrive within `wait` seconds (all pending ones, at least one if any)."""
        if self._sleep is not None:
            # Sleeps in SDL until input, an event posted by another thread, or the time is up.
            self._sleep(wait)
            self.wakeups += 1
            return pygame.event.get()
        end = time.monotonic() + wait
        while True:
            events = pygame.event.get()
            left = end - time.monotonic()
            if events or left <= 0:
                return events
            # Posts from other threads set _wake, so backend answers need not wait for a poll.
            self._wake.wait(min(left, POLL_S))
            self._wake.clear()
            self.wakeups += 1

    @property
    def sleeps_in_sdl(self) -> bool:
        """True where the video driver lets the loop sleep until input instead of polling."""
        return self._sleep is not None

    def _sleep_budget(self, now: float) -> float:
        budget = self.max_sleep
        if self.state.screen in ANIMATED:
            budget = min(budget, 1 / ANIMATION_FPS)
        end = deadline(self.state, self.settings)
        if end is not None:
            left = end - now
            # Wake at the start of the countdown, then at every whole second of it.
            wake = left - COUNTDOWN_S if left > COUNTDOWN_S else left - math.floor(left)
            budget = min(budget, max(0.01, wake))
        if self.state.admin.message == "admin.wait":
            budget = min(budget, 0.5)
        speech_wake = self.speech.wake_in(now, self.state) if self.speech is not None else None
        if speech_wake is not None:
            budget = min(budget, speech_wake)
        return max(0.001, budget)

    # --- input ----------------------------------------------------------------------------------

    def _handle(self, ev: pygame.event.Event) -> None:
        now = self.clock()
        if ev.type == pygame.NOEVENT:
            return
        if ev.type in (pygame.QUIT, STOP_EVENT):
            self.running = False
        elif ev.type == FLOW_EVENT:
            self._feed(ev.flow_event, now)
        elif ev.type == pygame.KEYDOWN:
            self._key(ev, now)
        elif ev.type == pygame.KEYUP and self.speech is not None:
            self.speech.key_up(ev)
        elif ev.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            if getattr(ev, "touch", False) or ev.button != 1:
                return   # SDL's mouse copy of a touch: the FINGER event is handled instead
            self._pointer(ev.type == pygame.MOUSEBUTTONDOWN,
                          self.rotation.to_logical(*ev.pos), now)
        elif ev.type in (pygame.FINGERDOWN, pygame.FINGERUP):
            self._pointer(ev.type == pygame.FINGERDOWN,
                          self.rotation.normalized_to_logical(ev.x, ev.y), now)
        elif ev.type in (pygame.WINDOWEXPOSED, pygame.VIDEOEXPOSE):
            self._drawn_key = None

    def _pointer(self, down: bool, point: tuple[int, int], now: float) -> None:
        # The flow may have moved on within this batch of events: test against what comes
        # next, so that the new screen's settle time applies.
        self._redraw_if_changed(now)
        if self.frame is None:
            return
        self.keyboard_used = False
        button = hit_test(self.frame, point)
        if down:
            self.taps.down(button, point, now)
            if button is None:
                # A customer who sees the countdown touches the screen to stay.
                self._feed(StillHere(), now)
        elif self.taps.up(button, now) and button is not None:
            self.activate(button, now)

    def _key(self, ev: pygame.event.Event, now: float) -> None:
        if self.on_key is not None and self.on_key(ev):
            return
        self.keyboard_used = True
        frame = self.frame
        if self.speech is not None and self.speech.key_down(ev, DIGIT_KEYS.get(ev.key),
                                                            self.state, frame, now):
            return
        if frame is None:
            return
        key = ev.key
        if key == pygame.K_TAB or key in DIRECTIONS:
            self.focus = next_focus(frame, self.focus, key, bool(ev.mod & pygame.KMOD_SHIFT))
            self._drawn_key = None
            self._feed(StillHere(), now)
        elif key in ACTIVATE_KEYS:
            focused = next((b for b in frame.buttons if b.name == self.focus), None)
            if focused is not None:
                self.activate(focused, now)
        elif key == pygame.K_ESCAPE:
            self._feed(Press(Action.BACK), now)
        elif key == pygame.K_BACKSPACE and any(b.action == Action.ERASE for b in frame.buttons):
            self._feed(Press(Action.ERASE), now)
        elif key in DIGIT_KEYS and any(b.action == Action.DIGIT for b in frame.buttons):
            self._feed(Press(Action.DIGIT, DIGIT_KEYS[key]), now)
            # After typing, Enter should submit: put the focus on OK.
            ok = next((b for b in frame.buttons if b.action == Action.KEYPAD_OK), None)
            if ok is not None:
                self.focus = ok.name

    def activate(self, button: Button, now: float) -> None:
        self._feed(Press(button.action, button.value), now)

    # --- flow -----------------------------------------------------------------------------------

    def _feed(self, event: Event, now: float) -> None:
        self.state, commands = step(self.state, event, now, self.settings)
        for command in commands:
            self._execute(command)

    def _execute(self, command: Command) -> None:
        if isinstance(command, PlaySound):
            self.played.append(command.name)
            del self.played[:-20]
            self.sounds.play(command.name)
        elif isinstance(command, CASH_COMMANDS):
            if self.cash is None:
                log.error("cash command %s but no cash thread ([cash] mode)",
                          type(command).__name__)
            else:
                self.cash.submit(command)
        else:
            self.worker.submit(command)

    # --- drawing --------------------------------------------------------------------------------

    def _redraw_if_changed(self, now: float) -> None:
        state = self.state
        view = (state.screen, overlay_kind(state, self.settings, now))
        if view != self._shown_view:
            # A sheet appearing or going counts as a new screen for taps, too.
            self._shown_view = view
            self.taps.new_screen(now)
        if state.screen != self.shown_screen:
            self.shown_screen = state.screen
            self.focus = None
            if state.screen in IDLE_SCREENS:
                self.keyboard_used = False    # the next customer starts without a focus ring
        look = self.look
        if self.speech is not None and state.speech:
            self.keyboard_used = True         # speech mode: the keypad focus is always shown
            look = self.speech.look(look, state)
        phase_frame = int((now - self._started) * ANIMATION_FPS) if state.screen in ANIMATED \
            else 0
        wait = math.ceil(admin_wait_left(state, now)) if state.screen == Screen.ADMIN_PIN else 0
        key = (state, self.focus, self.keyboard_used, countdown(state, self.settings, now),
               phase_frame, wait)
        if key == self._drawn_key:
            return
        frame = render(self.logical, state, self.settings, look, now,
                       phase=phase_frame / ANIMATION_FPS, focus=None)
        if self.focus is None or self.focus not in {b.name for b in frame.buttons}:
            focus = default_focus(frame)
            self.focus = focus.name if focus else None
        if self.keyboard_used and self.focus is not None:
            frame = render(self.logical, state, self.settings, look, now,
                           phase=phase_frame / ANIMATION_FPS, focus=self.focus)
        self.frame = frame
        self.rotation.present(self.logical, self.window)
        pygame.display.flip()
        self.frames_drawn += 1
        first_frame_flipped()
        self._drawn_key = (state, self.focus, self.keyboard_used,
                           countdown(state, self.settings, now), phase_frame, wait)

    def screenshot(self, path: str) -> None:
        """Save what the panel shows (physical orientation)."""
        pygame.image.save(self.window, path)
