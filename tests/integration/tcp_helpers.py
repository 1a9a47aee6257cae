"""The TCP tests' side of tcp_tools.py (test_tcp.py, test_gateway.py): `run_kernel` and
`start_kernel` run its kernel-side tools inside a namespace (conftest's KernelScript); a
`TcpCapture` with tshark; `counter`. Programs run on lab.py's `Lab` with its `start_program`."""

from capture import Capture, read_fields
from conftest import HERE, KernelScript
from tcp_tools import make_payload  # noqa: F401 (re-exported)

TOOLS = KernelScript(HERE / "tcp_tools.py", timeout=150)
run_kernel = TOOLS.run        # run_kernel(ns, cmd, *args, timeout=150): the tool's JSON result
start_kernel = TOOLS.start    # start_kernel(ns, workdir, cmd, *args): a KernelTool (e.g. stream-server)


class TcpCapture(Capture):
    """tshark on the kernel's end, inside the namespace, with a capture filter, bounded in time;
    `stop` gives each TCP segment's source, payload length, flags and tshark's analysis flags."""

    def frames(self):
        return [{"src": src, "len": int(n or 0), "flags": int(flags or "0", 0), "analysis": analysis}
                for src, n, flags, analysis in read_fields(self.path, ["ip.src", "tcp.len", "tcp.flags",
                                                                       "tcp.analysis.flags"], timeout=120)]

    def stop(self):
        self.end(settle=0.5)   # the last frames reach the file
        return self.frames()


def counter(stats, name):
    sec, key = name.split(".")
    return stats[sec][key]


__all__ = ["TcpCapture", "counter", "make_payload", "run_kernel", "start_kernel"]
