# SPDX-License-Identifier: MIT
"""Fixtures: each test gets its own xenstored (the ASan build, on a
temporary socket) and its own netback (the ASan build) on the sim
platform in a temporary directory, where the tests make guests' memory
files and event-channel FIFOs and act as the toolstack, as netfront and
as dom0's network stack (each vif's TAP is a datagram socket there).
The daemon plumbing is blkback's (../../blkback/tests/conftest.py).
Both daemons must exit 0 on SIGTERM with no sanitizer report."""
import importlib.util
import os
import signal
import socket
import struct

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "blkback_conftest", os.path.join(HERE, "../../blkback/tests/conftest.py"))
blk = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(blk)
Guest, Proc, XsError, wait_for = blk.Guest, blk.Proc, blk.XsError, blk.wait_for

BUILD = os.path.join(HERE, "../../../build/dom0-tools")
NETBACK = os.environ.get("NETBACK", f"{BUILD}/netback/netback-asan")

PAGE = 4096
SLOTS = 256
TXREQ = struct.Struct("<IHHHH")             # gref, offset, flags, id, size
TXRSP = struct.Struct("<Hh")                # id, status
RXREQ = struct.Struct("<HxxI")              # id, gref
RXRSP = struct.Struct("<HHHh")              # id, offset, flags, status
VNET = struct.Struct("<BBHHHH")             # flags, gso_type, hdr_len, gso_size, csum_start/off
TXF_CSUM_BLANK, TXF_DATA_VALIDATED, TXF_MORE, TXF_EXTRA = 1, 2, 4, 8
RXF_DATA_VALIDATED, RXF_CSUM_BLANK, RXF_MORE, RXF_EXTRA = 1, 2, 4, 8
RSP_OKAY, RSP_ERROR, RSP_DROPPED, RSP_NULL = 0, -1, -2, 1


def frame(n, seed=0):
    """An Ethernet frame (IPv4, UDP, no offload asked) of n bytes."""
    head = bytes.fromhex("00163e000042" "feffffffffff" "0800") + bytes([0x45, 0]) + \
        struct.pack(">H", n - 14) + bytes(5) + bytes([17]) + bytes(10)
    return (head + bytes((seed + i * 13) & 0xFF for i in range(n - len(head))))[:n]


class Vif:
    """One vif of a simulated guest: the toolstack's trees, then
    netfront's side of the handshake, its two rings and dom0's end of the
    TAP."""

    def __init__(self, env, guest, devid=0, script=None):
        self.env, self.g, self.devid = env, guest, devid
        self.fe = f"/local/domain/{guest.domid}/device/vif/{devid}"
        self.be = f"/local/domain/0/backend/vif/{guest.domid}/{devid}"
        self.name = f"vif{guest.domid}.{devid}"
        self.host_path = f"{env.ring_dir}/{self.name}.host"
        if os.path.exists(self.host_path):
            os.unlink(self.host_path)
        self.host = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.host.bind(self.host_path)
        self.host.settimeout(10)
        xs = env.xs
        for k, v in [("backend", self.be), ("backend-id", "0"), ("state", "1"),
                     ("handle", str(devid)), ("mac", "00:16:3e:00:00:42")]:
            xs.write(f"{self.fe}/{k}", v)
        # frontend last: netback takes the device up as soon as it is
        # there (xl writes them all in one transaction)
        keys = [("hotplug-status", ""), ("frontend-id", str(guest.domid)), ("online", "1"),
                ("handle", str(devid)), ("mac", "00:16:3e:00:00:42"), ("bridge", "xenbr0"),
                ("type", "vif"), ("state", "1"), ("frontend", self.fe)]
        if script:
            keys.insert(0, ("script", script))
        for k, v in keys:
            xs.write(f"{self.be}/{k}", v)

    def key(self, k, front=False):
        try:
            return self.env.xs.read(f"{self.fe if front else self.be}/{k}").decode()
        except XsError:
            return None

    def wait_state(self, want, timeout=10.0):
        wait_for(lambda: self.key("state") == str(want), timeout,
                 f"back-end state {want} (is {self.key('state')})\n{self.env.log()}")

    def connect(self, tx_gref, rx_gref, port, extra=()):
        """Both rings initialised and published, as netfront does (it goes
        straight to Connected)."""
        self.tx, self.rx, self.port = tx_gref * PAGE, rx_gref * PAGE, port
        m = self.g.mem
        for off in (self.tx, self.rx):
            if off + PAGE <= len(m):
                m[off:off + PAGE] = bytes(PAGE)
                struct.pack_into("<IIII", m, off, 0, 1, 0, 1)
        self.tx_prod = self.tx_cons = self.rx_prod = self.rx_cons = 0
        for d in ("up", "down"):
            p = f"{self.env.ring_dir}/{self.g.domid}.{port}.{d}"
            if not os.path.exists(p):
                os.mkfifo(p)
        self.up = os.open(f"{self.env.ring_dir}/{self.g.domid}.{port}.up",
                          os.O_RDWR | os.O_NONBLOCK)
        for k, v in [("tx-ring-ref", str(tx_gref)), ("rx-ring-ref", str(rx_gref)),
                     ("event-channel", str(port)), ("request-rx-copy", "1"),
                     ("feature-rx-notify", "1"), ("feature-sg", "1"),
                     ("feature-gso-tcpv4", "1"), *extra]:
            self.env.xs.write(f"{self.fe}/{k}", v)
        self.env.xs.write(f"{self.fe}/state", "4")

    def kick(self):
        os.write(self.up, b"!")

    # transmit: netfront's requests, netback's responses
    def tx_put(self, gref, off, flags, rid, size, raw=None, notify=True):
        slot = self.tx + 64 + (self.tx_prod % SLOTS) * 12
        self.g.mem[slot:slot + 12] = raw if raw is not None else \
            TXREQ.pack(gref, off, flags, rid, size)
        self.tx_prod += 1
        struct.pack_into("<I", self.g.mem, self.tx, self.tx_prod)
        if notify:
            self.kick()

    def tx_responses(self, n, timeout=10.0):
        prod = lambda: struct.unpack_from("<I", self.g.mem, self.tx + 8)[0]  # noqa: E731
        wait_for(lambda: prod() - self.tx_cons >= n, timeout,
                 f"{n} tx responses (rsp_prod {prod()})\n{self.env.log()}")
        out = []
        for _ in range(n):
            out.append(TXRSP.unpack_from(self.g.mem, self.tx + 64 + (self.tx_cons % SLOTS) * 12))
            self.tx_cons += 1
        return out

    def send(self, data, gref, rid, flags=0):
        """One packet from the guest in one slot at the start of page gref."""
        self.g.mem[gref * PAGE:gref * PAGE + len(data)] = data
        self.tx_put(gref, 0, flags, rid, len(data))
        return self.tx_responses(1)[0]

    # receive: netfront's posted buffers, netback's responses in their slots
    def rx_post(self, grefs, notify=True):
        for g in grefs:
            slot = self.rx + 64 + (self.rx_prod % SLOTS) * 8
            self.g.mem[slot:slot + 8] = RXREQ.pack(self.rx_prod % SLOTS, g)
            self.rx_prod += 1
        struct.pack_into("<I", self.g.mem, self.rx, self.rx_prod)
        if notify:
            self.kick()

    def rx_responses(self, n, timeout=10.0):
        prod = lambda: struct.unpack_from("<I", self.g.mem, self.rx + 8)[0]  # noqa: E731
        wait_for(lambda: prod() - self.rx_cons >= n, timeout,
                 f"{n} rx responses (rsp_prod {prod()})\n{self.env.log()}")
        out = []
        for _ in range(n):
            out.append(RXRSP.unpack_from(self.g.mem, self.rx + 64 + (self.rx_cons % SLOTS) * 8))
            self.rx_cons += 1
        return out

    # dom0's side of the TAP
    def host_recv(self):
        data = self.host.recv(70000)
        return VNET.unpack_from(data), data[10:]

    def host_send(self, data, vnet=(0, 0, 0, 0, 0, 0)):
        self.host.sendto(VNET.pack(*vnet) + data, f"{self.env.ring_dir}/{self.name}.tap")


class Env(blk.Env):
    """blkback's environment, serving vifs with netback."""

    def __init__(self, tmp):
        super().__init__(tmp)
        self.daemon_log = str(tmp / "netback.log")
        self.pidfile = str(tmp / "netback.pid")

    def start_netback(self):
        n = self.log().count("serving vif devices")
        self.bb = Proc(self.tmp, "netback", [NETBACK, "-r", self.ring_dir, "-l", self.daemon_log,
                                             "-p", self.pidfile], env=self.env)
        wait_for(lambda: self.log().count("serving vif devices") > n, 30, "netback start")

    def kill_netback(self):
        self.bb.p.send_signal(signal.SIGKILL)
        self.bb.p.wait(timeout=20)
        self.bb = None


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    e.start_netback()
    yield e
    e.stop()
