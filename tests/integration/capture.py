"""tshark capturing inside a test's namespace (`Capture`), bounded in time, and reading what it
wrote (`read_fields`). The tests' own readings (TCP segments, IGMP reports, ARP frames, MoldUDP64
lines) are subclasses or callers of these."""

import signal
import subprocess
import time


def read_fields(path, fields, *options, timeout=60):
    """tshark's `-T fields` reading of the capture file `path`: one list of values per frame, in
    the order of `fields` (missing values as ""); `options` go before the fields (e.g. "-Y",
    display filter, "-E", "occurrence=a")."""
    r = subprocess.run(["tshark", "-n", "-r", path, *options, "-T", "fields",
                        *[x for f in fields for x in ("-e", f)]],
                       capture_output=True, text=True, timeout=timeout)
    return [(line.split("\t") + [""] * len(fields))[:len(fields)] for line in r.stdout.splitlines()]


class Capture:
    """tshark writing what `dev` (in `ns`) carries to the pcap `path`, with a capture filter,
    for `seconds` at most. The constructor returns once tshark says "Capture started" ("Capturing
    on 'dev'" comes before the capture is open). libpcap hands packets to tshark in blocks, with
    a delay; `wait_for` polls the file until the expected frames are in it, so that stopping the
    capture loses nothing. Subclasses say how to read the file (`frames`)."""

    def __init__(self, ns, dev, path, capture_filter, seconds=60, extra=()):
        self.path = path
        self._err = open(str(path) + ".err", "w+")
        self.proc = ns.popen(["tshark", "-n", *extra, "-i", dev, "-f", capture_filter, "-w", path,
                              "-a", f"duration:{seconds}"],
                             stdout=subprocess.DEVNULL, stderr=self._err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            self._err.seek(0)
            err = self._err.read()
            if "Capture started" in err:
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"tshark did not start capturing on {dev}:\n{err}")
            time.sleep(0.05)

    def frames(self):
        """What the file holds so far, as the subclass reads it."""
        raise NotImplementedError

    def wait_for(self, predicate, timeout=15):
        """Polls `frames` until `predicate` holds of them or `timeout` passes; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            frames = self.frames()
            if predicate(frames) or time.monotonic() > deadline:
                return frames
            time.sleep(0.3)

    def end(self, sig=signal.SIGTERM, settle=0.0):
        """Stops tshark (after `settle` seconds, for the last frames to reach the file)."""
        time.sleep(settle)
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=20)
        if not self._err.closed:
            self._err.close()

    def stop(self):
        """Stops tshark; returns every frame captured."""
        self.end()
        return self.frames()
