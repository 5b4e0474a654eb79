# SPDX-License-Identifier: MIT
"""Fixtures: each test gets its own xenstored (the ASan build, on a
temporary socket, no rings of its own) and its own consoled (the ASan
build) with the sim back end in a temporary directory, where the tests
create domains' console pages and event-channel FIFOs and act as the
guests.  Both daemons must exit 0 on SIGTERM with no sanitizer report."""
import os
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../xenstored/tests"))
from xsclient import SocketClient  # noqa: E402

BUILD = os.path.join(HERE, "../../../build/dom0-tools")
XENSTORED = os.environ.get("XENSTORED", f"{BUILD}/xenstored/xenstored-asan")
CONSOLED = os.environ.get("CONSOLED", f"{BUILD}/consoled/consoled-asan")
XL_CONSOLE = os.environ.get("XL_CONSOLE", f"{BUILD}/consoled/xl-console-asan")


def wait_for(fn, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError(what)
        time.sleep(0.02)


class Proc:
    def __init__(self, tmp, name, argv, env=None):
        self.name = name
        self.err = open(tmp / f"{name}.stderr", "w+")
        self.p = subprocess.Popen(argv, stdout=self.err, stderr=self.err,
                                  env=env)

    def output(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(timeout=20)
        out = self.output()
        assert rc == 0, f"{self.name} exit {rc}:\n{out}"
        assert "Sanitizer" not in out and "runtime error" not in out, out


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = str(tmp / "socket")
        self.ring_dir = str(tmp / "rings")
        self.log_dir = str(tmp / "logs" / "console")   # created by consoled
        self.daemon_log = str(tmp / "consoled.log")
        os.mkdir(self.ring_dir)
        self.env = dict(os.environ, XENSTORED_PATH=self.sock)
        self.xsd = Proc(tmp, "xenstored", [XENSTORED, "-s", self.sock,
                                           "-l", str(tmp / "xenstored.log")])
        wait_for(self._up, 30, "xenstored start")
        self.xs = SocketClient(self.sock)
        self.cd = None

    def _up(self):
        try:
            SocketClient(self.sock).close()
            return True
        except OSError:
            assert self.xsd.p.poll() is None, self.xsd.output()
            return False

    def start_consoled(self, *args):
        self.cd = Proc(self.tmp, "consoled",
                       [CONSOLED, "-r", self.ring_dir, "-o", self.log_dir,
                        "-l", self.daemon_log, *args], env=self.env)
        wait_for(lambda: "serving consoles" in self.log(), 30,
                 "consoled start")

    def log(self):
        try:
            with open(self.daemon_log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        try:
            if self.cd:
                self.cd.stop()
        finally:
            self.xs.close()
            self.xsd.stop()


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    e.start_consoled()
    yield e
    e.stop()
