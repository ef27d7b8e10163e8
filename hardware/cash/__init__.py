"""SSP note validator (ITL NV9 USB+, NV10, NV200): pure codec and a serial driver.

Usage for the kiosk's cash session (see driver.SspValidator for every command):

    with SspValidator("/dev/kiosk-validator") as unit:
        info = unit.initialise()                 # SYNC, protocol 7/6, setup, serial, counters;
                                                 # leaves the unit disabled, all inhibited
        channels = info.setup.channels_for({5, 10, 20, 50}, "EUR")
        unit.set_inhibits(c.number for c in channels)
        unit.enable()
        while taking_notes:
            for event in unit.poll():            # Read(ch>0): decide now — the NEXT poll
                ...                              # stacks it; hold()/reject() otherwise.
                                                 # NoteCredit(ch): journal it BEFORE the next
                                                 # command goes out.
        unit.disable()

Errors are ValidatorError subclasses naming the port: PortUnavailable (cannot open, or
unplugged), NoReply (identical packet resent `tries` times: state unknown, sync() next),
CommandRefused (`response` byte), ReplyError (`events` decoded before the problem),
NotSynchronised. Plain SSP only; eSSP encryption is not implemented.
"""
