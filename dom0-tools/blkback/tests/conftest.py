# SPDX-License-Identifier: MIT
"""Fixtures: each test gets its own xenstored (the ASan build, on a
temporary socket) and its own blkback (the ASan build) on the sim
platform in a temporary directory, where the tests make guests' memory
files and event-channel FIFOs and act as the toolstack and as blkfront.
Both daemons must exit 0 on SIGTERM with no sanitizer report."""
import mmap
import os
import signal
import struct
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../xenstored/tests"))
from xsclient import SocketClient, XsError  # noqa: E402

BUILD = os.path.join(HERE, "../../../build/dom0-tools")
XENSTORED = os.environ.get("XENSTORED", f"{BUILD}/xenstored/xenstored-asan")
BLKBACK = os.environ.get("BLKBACK", f"{BUILD}/blkback/blkback-asan")

PAGE = 4096
REQ = struct.Struct("<BBHxxxxQQ")           # operation, nr_segments, handle, id, sector
SEG = struct.Struct("<IBBxx")               # gref, first_sect, last_sect
RSP = struct.Struct("<QBxhxxxx")            # id, operation, status
RING_SLOTS = 32                             # one page of 112-byte entries
OP_READ, OP_WRITE, OP_FLUSH, OP_DISCARD, OP_INDIRECT = 0, 1, 3, 5, 6
RSP_OKAY, RSP_ERROR, RSP_EOPNOTSUPP = 0, -1, -2


def wait_for(fn, timeout=10.0, what="condition"):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError(what)
        time.sleep(0.01)


class Proc:
    def __init__(self, tmp, name, argv, env=None):
        self.name = name
        self.err = open(tmp / f"{name}.stderr", "a+")
        self.p = subprocess.Popen(argv, stdout=self.err, stderr=self.err, env=env)

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


class Disk:
    """One vbd of a simulated guest: the toolstack's trees, then blkfront's
    side of the handshake and the ring."""

    def __init__(self, env, guest, devid, image, mode):
        self.env, self.g, self.devid, self.image = env, guest, devid, image
        self.fe = f"/local/domain/{guest.domid}/device/vbd/{devid}"
        self.be = f"/local/domain/0/backend/vbd/{guest.domid}/{devid}"
        self.ring = None
        xs = env.xs
        for k, v in [("backend", self.be), ("backend-id", "0"), ("state", "1"),
                     ("virtual-device", str(devid)), ("device-type", "disk"),
                     ("protocol", "x86_64-abi")]:
            xs.write(f"{self.fe}/{k}", v)
        for k, v in [("frontend", self.fe), ("frontend-id", str(guest.domid)), ("online", "1"),
                     ("removable", "0"), ("bootable", "1"), ("dev", "xvda"), ("type", "phy"),
                     ("mode", mode), ("device-type", "disk"), ("params", image), ("state", "1")]:
            xs.write(f"{self.be}/{k}", v)

    def key(self, k, front=False):
        try:
            return self.env.xs.read(f"{self.fe if front else self.be}/{k}").decode()
        except XsError:
            return None

    def wait_state(self, want, timeout=10.0):
        wait_for(lambda: self.key("state") == str(want), timeout,
                 f"back-end state {want} (is {self.key('state')})\n{self.env.log()}")

    def connect(self, ring_gref, port, extra=(), order=0):
        """Initialise the ring (2^order pages from ring_gref on, which the
        sim maps as one area), publish it, go Initialised."""
        self.ring_gref, self.port = ring_gref, port
        self.slots = RING_SLOTS << order
        self.off = ring_gref * PAGE
        m = self.g.mem
        if self.off + (PAGE << order) <= len(m):   # (a hostile test names no page)
            m[self.off:self.off + (PAGE << order)] = bytes(PAGE << order)
            struct.pack_into("<IIII", m, self.off, 0, 1, 0, 1)
        if order:
            extra = (("ring-page-order", str(order)),
                     *((f"ring-ref{i}", str(ring_gref + i)) for i in range(1 << order)),
                     *extra)
        self.req_prod = self.rsp_cons = 0
        for d in ("up", "down"):
            p = f"{self.env.ring_dir}/{self.g.domid}.{port}.{d}"
            if not os.path.exists(p):
                os.mkfifo(p)
        self.up = os.open(f"{self.env.ring_dir}/{self.g.domid}.{port}.up",
                          os.O_RDWR | os.O_NONBLOCK)
        xs = self.env.xs
        refs = [] if order else [("ring-ref", str(ring_gref))]
        for k, v in [*refs, ("event-channel", str(port)), *extra]:
            xs.write(f"{self.fe}/{k}", v)
        xs.write(f"{self.fe}/state", "3")

    def put(self, op, rid, sector, segs=(), raw=None, notify=True):
        body = raw if raw is not None else (
            REQ.pack(op, len(segs), self.devid & 0xFFFF, rid, sector) +
            b"".join(SEG.pack(*s) for s in segs))
        body = body.ljust(112, b"\0")
        slot = self.off + 64 + (self.req_prod % self.slots) * 112
        self.g.mem[slot:slot + 112] = body
        self.req_prod += 1
        struct.pack_into("<I", self.g.mem, self.off, self.req_prod)
        if notify:
            os.write(self.up, b"!")

    def rsp_prod(self):
        return struct.unpack_from("<I", self.g.mem, self.off + 8)[0]

    def responses(self, n, timeout=10.0):
        wait_for(lambda: self.rsp_prod() - self.rsp_cons >= n, timeout,
                 f"{n} responses (rsp_prod {self.rsp_prod()})\n{self.env.log()}")
        out = []
        for _ in range(n):
            slot = self.off + 64 + (self.rsp_cons % self.slots) * 112
            out.append(RSP.unpack_from(self.g.mem, slot))
            self.rsp_cons += 1
        return out

    def io(self, op, rid, sector, segs=()):
        self.put(op, rid, sector, segs)
        (r,) = self.responses(1)
        assert r[0] == rid and r[1] == op, r
        return r[2]


class Guest:
    def __init__(self, env, domid, pages=64):
        self.env, self.domid = env, domid
        path = f"{env.ring_dir}/{domid}.mem"
        with open(path, "wb") as f:
            f.truncate(pages * PAGE)
        self.fd = os.open(path, os.O_RDWR)
        self.mem = mmap.mmap(self.fd, pages * PAGE)

    def page(self, g):
        return self.mem[g * PAGE:(g + 1) * PAGE]

    def fill(self, g, seed):
        self.mem[g * PAGE:(g + 1) * PAGE] = bytes((seed + i * 7) & 0xFF for i in range(PAGE))


class Env:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = str(tmp / "socket")
        self.ring_dir = str(tmp / "rings")
        self.daemon_log = str(tmp / "blkback.log")
        self.pidfile = str(tmp / "blkback.pid")
        os.mkdir(self.ring_dir)
        self.env = dict(os.environ, XENSTORED_PATH=self.sock)
        self.xsd = Proc(tmp, "xenstored", [XENSTORED, "-s", self.sock,
                                           "-l", str(tmp / "xenstored.log")])
        wait_for(self._up, 30, "xenstored start")
        self.xs = SocketClient(self.sock)
        self.bb = None

    def _up(self):
        try:
            SocketClient(self.sock).close()
            return True
        except OSError:
            assert self.xsd.p.poll() is None, self.xsd.output()
            return False

    def start_blkback(self):
        n = self.log().count("serving vbd devices")
        self.bb = Proc(self.tmp, "blkback", [BLKBACK, "-r", self.ring_dir, "-l", self.daemon_log,
                                             "-p", self.pidfile], env=self.env)
        wait_for(lambda: self.log().count("serving vbd devices") > n, 30, "blkback start")

    def kill_blkback(self):
        self.bb.p.send_signal(signal.SIGKILL)
        self.bb.p.wait(timeout=20)
        self.bb = None

    def open_files(self):
        d = f"/proc/{self.bb.p.pid}/fd"
        return [os.readlink(f"{d}/{f}") for f in os.listdir(d)]

    def image(self, name, mib=1, data=None):
        path = str(self.tmp / name)
        with open(path, "wb") as f:
            f.truncate(mib << 20)
            if data:
                f.write(data)
        return path

    def log(self):
        try:
            with open(self.daemon_log) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def stop(self):
        try:
            if self.bb:
                self.bb.stop()
        finally:
            self.xs.close()
            self.xsd.stop()


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    e.start_blkback()
    yield e
    e.stop()
