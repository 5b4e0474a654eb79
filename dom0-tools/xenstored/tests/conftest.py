# SPDX-License-Identifier: MIT
"""Fixtures: every test gets its own xenstored on a temporary socket (never
the system path) with a temporary ring directory; the daemon must exit
cleanly (status 0, so no sanitizer report) when the test ends."""
import os
import signal
import subprocess
import time

import pytest

from xsclient import SocketClient

HERE = os.path.dirname(os.path.abspath(__file__))
DAEMON = os.environ.get("XENSTORED", os.path.join(
    HERE, "../../../build/dom0-tools/xenstored/xenstored-asan"))


class Daemon:
    def __init__(self, tmp, args=()):
        self.sock = str(tmp / "socket")
        self.ring_dir = str(tmp / "rings")
        self.log = str(tmp / "xenstored.log")
        os.mkdir(self.ring_dir)
        self.err = open(tmp / "stderr", "w+")
        self.p = subprocess.Popen([DAEMON, "-s", self.sock, "-r", self.ring_dir,
                                   "-l", self.log, *args],
                                  stdout=self.err, stderr=self.err)
        for _ in range(3000):       # 30 s: a busy machine starts it late
            try:
                SocketClient(self.sock).close()
                return
            except OSError:
                assert self.p.poll() is None, self.output()
                time.sleep(0.01)
        raise RuntimeError("xenstored did not start")

    def client(self):
        return SocketClient(self.sock)

    def log_text(self):
        with open(self.log) as f:
            return f.read()

    def output(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=10)
        assert rc == 0, f"xenstored exit {rc}:\n{self.output()}"
        assert not os.path.exists(self.sock)


@pytest.fixture
def xsd(tmp_path):
    d = Daemon(tmp_path)
    yield d
    d.stop()


@pytest.fixture
def c(xsd):
    cl = xsd.client()
    yield cl
    cl.close()
