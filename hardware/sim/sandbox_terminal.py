"""The sandbox's card terminals: Smart Routing of kiosk devices, online state, end of day, diagnosis."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from hardware.sim.sandbox_payloads import Answer, api_error, new_id


@dataclass
class TerminalLog:
    """What the terminals were asked to do, for tests: (device id the kiosk named, call)."""

    calls: list[tuple[str, str]] = field(default_factory=list)


class SandboxTerminals:
    """One zvt terminal; every kiosk device is routed to it unless `unroute()` was called.

    The real API's answers here are unconfirmed (see the API facts sheet): the routing answer is a
    device with `online` (bool) and `status`; endOfDay and diagnosis answer `{"result": true, ...}`
    and accept the kiosk's or the terminal's device id, since which one the API wants is unknown.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.terminal_id = new_id("SDV")
        self.routed = True
        self.online = True
        self.end_of_day_ok = True
        self.diagnosis_ok = True
        self.log = TerminalLog()

    def route(self, routed: bool = True) -> None:
        with self.lock:
            self.routed = routed

    def set_online(self, online: bool) -> None:
        with self.lock:
            self.online = online

    def fail(self, *, end_of_day: bool | None = None, diagnosis: bool | None = None) -> None:
        """The terminal refuses the next end of day / diagnosis until set back."""
        with self.lock:
            if end_of_day is not None:
                self.end_of_day_ok = not end_of_day
            if diagnosis is not None:
                self.diagnosis_ok = not diagnosis

    def calls(self, call: str) -> list[str]:
        """Device ids named in every `call` ("endOfDay" or "diagnosis") so far."""
        with self.lock:
            return [device for device, name in self.log.calls if name == call]

    # --- answers (called by the HTTP handler) -----------------------------------------------

    def routing(self, kiosk_device: str, kind: str) -> Answer:
        with self.lock:
            if kind != "zvt" or not self.routed:
                return api_error(404, "ProductNotFoundException",
                                 f"No {kind} device routed to {kiosk_device}", 1001)
            return 200, {"object": "smart.devices", "id": self.terminal_id, "type": "zvt",
                         "online": self.online,
                         "status": "online" if self.online else "offline"}

    def run(self, device: str, call: str) -> Answer:
        """endOfDay or diagnosis on `device` (the kiosk's or the terminal's id)."""
        with self.lock:
            self.log.calls.append((device, call))
            if not self.routed and device != self.terminal_id:
                return api_error(400, "ProductBackendproviderException",
                                 "No terminal routed to this device", 1001)
            if not self.online:
                return api_error(400, "ProductBackendproviderException",
                                 "Terminal not reachable", 1001)
            ok = self.end_of_day_ok if call == "endOfDay" else self.diagnosis_ok
            if not ok:
                return api_error(400, "ProductBackendproviderException",
                                 f"Terminal {call} failed", 1001)
            lines = ([f"Kassenschnitt {self.terminal_id[-6:]}", "Summe 0,00 EUR"]
                     if call == "endOfDay" else [f"Diagnose {self.terminal_id[-6:]} OK"])
            return 200, {"result": True, "device": self.terminal_id, "receipt": lines}
