"""SSP note validator (ITL NV9 USB+, NV10, NV200): pure codec and a serial driver.

Usage for the kiosk's cash session (see driver.SspValidator for every command):

    with SspValidator("/dev/kiosk-validator") as unit:
        info = unit.initialise()                 # SYNC, protocol 7/6, setup, serial, counters;
                                                 # leaves the unit disabled, all inhibited
        channels = info.setup.channels_for({5, 10, 20, 50}, "EUR")
        unit.set_inhibits(c.number for c in channels)
        unit.enable()
        tracker = NoteTracker()                  # notes.py: events -> note outcomes
        while taking_notes:
            for outcome in tracker.feed(unit.poll()):
                ...  # IN_ESCROW: decide now (the NEXT poll stacks it; hold()/reject());
                     # CREDITED: journal it BEFORE the next command goes out;
                     # UNCERTAIN / CLEARED_INTO_CASHBOX: book for the slip / the session
        unit.disable()                           # then poll until not tracker.busy

A SlaveReset event means the unit restarted: initialise() and set the inhibits again.
Errors are ValidatorError subclasses naming the port: PortUnavailable (cannot open, or
unplugged), NoReply (identical packet resent `tries` times: state unknown, sync() next),
CommandRefused (`response` byte), ReplyError (`events` decoded before the problem),
NotSynchronised. Plain SSP only; eSSP encryption is not implemented.
"""
