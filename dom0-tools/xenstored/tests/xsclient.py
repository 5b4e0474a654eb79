# SPDX-License-Identifier: MIT
"""A small xenstore client for the tests: the wire protocol over the Unix
socket (as a dom0 process) or over a simulated ring page (as a domain;
see src/ring.h for the page file and FIFOs the daemon's "sim" back end
uses).  Written from docs/misc/xenstore.txt, independent of the daemon."""
import collections
import mmap
import os
import select
import socket
import struct
import time

T = dict(CONTROL=0, DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5,
         TRANSACTION_START=6, TRANSACTION_END=7, INTRODUCE=8, RELEASE=9,
         GET_DOMAIN_PATH=10, WRITE=11, MKDIR=12, RM=13, SET_PERMS=14,
         WATCH_EVENT=15, ERROR=16, IS_DOMAIN_INTRODUCED=17, RESUME=18,
         SET_TARGET=19, RESET_WATCHES=21, DIRECTORY_PART=22)
HDR = struct.Struct("<IIII")


class XsError(Exception):
    def __init__(self, name):
        super().__init__(name)
        self.name = name


class Closed(Exception):
    pass


def z(s):
    return (s.encode() if isinstance(s, str) else s) + b"\0"


class Client:
    def __init__(self):
        self.req_id = 0
        self.events = collections.deque()
        self.buf = b""

    # transport: send(bytes), fill(timeout) -> appends to self.buf or raises
    def _msg(self, timeout):
        end = time.monotonic() + timeout
        while len(self.buf) < 16 or len(self.buf) < 16 + HDR.unpack_from(self.buf)[3]:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.fill(left)
        typ, rid, tx, ln = HDR.unpack_from(self.buf)
        body = self.buf[16:16 + ln]
        self.buf = self.buf[16 + ln:]
        return typ, rid, tx, body

    def send_raw(self, typ, payload, tx=0, req_id=None):
        if req_id is None:
            self.req_id += 1
            req_id = self.req_id
        self.send(HDR.pack(typ, req_id, tx, len(payload)) + payload)
        return req_id

    def reply(self, req_id, timeout=5.0):
        while True:
            m = self._msg(timeout)
            if m is None:
                raise TimeoutError("no reply")
            typ, rid, tx, body = m
            if typ == T["WATCH_EVENT"]:
                self.events.append(tuple(x.decode("latin-1") for x in body.split(b"\0")[:2]))
                continue
            assert rid == req_id, (rid, req_id)
            return typ, tx, body

    def req(self, typ, payload=b"", tx=0):
        rid = self.send_raw(T[typ], payload, tx)
        rtyp, rtx, body = self.reply(rid)
        assert rtx == tx
        if rtyp == T["ERROR"]:
            assert body.endswith(b"\0")
            raise XsError(body[:-1].decode())
        assert rtyp == T[typ], (rtyp, typ)
        return body

    def read(self, p, tx=0):
        return self.req("READ", z(p), tx)

    def write(self, p, v, tx=0):
        v = v.encode() if isinstance(v, str) else v
        assert self.req("WRITE", z(p) + v, tx) == b"OK\0"

    def mkdir(self, p, tx=0):
        assert self.req("MKDIR", z(p), tx) == b"OK\0"

    def rm(self, p, tx=0):
        assert self.req("RM", z(p), tx) == b"OK\0"

    def ls(self, p, tx=0):
        body = self.req("DIRECTORY", z(p), tx)
        return [x.decode("latin-1") for x in body.split(b"\0")[:-1]] if body else []

    def get_perms(self, p, tx=0):
        return [x.decode() for x in self.req("GET_PERMS", z(p), tx).split(b"\0")[:-1]]

    def set_perms(self, p, perms, tx=0):
        assert self.req("SET_PERMS", z(p) + b"".join(z(x) for x in perms), tx) == b"OK\0"

    def watch(self, p, token):
        assert self.req("WATCH", z(p) + z(token)) == b"OK\0"

    def unwatch(self, p, token):
        assert self.req("UNWATCH", z(p) + z(token)) == b"OK\0"

    def start(self):
        return int(self.req("TRANSACTION_START", b"\0")[:-1])

    def end(self, tx, commit=True):
        assert self.req("TRANSACTION_END", b"T\0" if commit else b"F\0", tx) == b"OK\0"

    def control(self, *args):
        return self.req("CONTROL", b"".join(z(a) for a in args))

    def introduce(self, domid, mfn=0, port=1):
        assert self.req("INTRODUCE", z(str(domid)) + z(str(mfn)) + z(str(port))) == b"OK\0"

    def release(self, domid):
        assert self.req("RELEASE", z(str(domid))) == b"OK\0"

    def event(self, timeout=3.0):
        end = time.monotonic() + timeout
        while not self.events:
            m = self._msg(max(0.0, end - time.monotonic()))
            if m is None:
                raise TimeoutError("no watch event")
            typ, rid, tx, body = m
            assert typ == T["WATCH_EVENT"] and rid == 0 and tx == 0, m
            parts = body.split(b"\0")
            assert len(parts) == 3 and parts[2] == b"", body
            self.events.append((parts[0].decode("latin-1"), parts[1].decode("latin-1")))
        return self.events.popleft()

    def no_event(self, timeout=0.2):
        try:
            e = self.event(timeout)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected event {e}")


class SocketClient(Client):
    def __init__(self, path):
        super().__init__()
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)

    def send(self, data):
        self.s.sendall(data)

    def fill(self, timeout):
        r, _, _ = select.select([self.s], [], [], timeout)
        if r:
            d = self.s.recv(65536)
            if not d:
                raise Closed()
            self.buf += d

    def close(self):
        self.s.close()


# struct xenstore_domain_interface offsets
REQ, RSP, REQ_CONS, REQ_PROD, RSP_CONS, RSP_PROD = 0, 1024, 2048, 2052, 2056, 2060
FEATURES, CONNECTION, ERROR = 2064, 2068, 2072
RING = 1024


class RingClient(Client):
    """A domain: creates its page and event-channel FIFOs in ring_dir; the
    caller then INTRODUCEs it (as the toolstack would)."""

    def __init__(self, ring_dir, domid):
        super().__init__()
        base = os.path.join(ring_dir, str(domid))
        with open(base + ".page", "wb") as f:
            f.write(b"\0" * 4096)
        for s in ("up", "down"):
            if not os.path.exists(f"{base}.evtchn-{s}"):
                os.mkfifo(f"{base}.evtchn-{s}")
        self.fd = os.open(base + ".page", os.O_RDWR)
        self.page = mmap.mmap(self.fd, 4096)
        self.up = os.open(base + ".evtchn-up", os.O_RDWR | os.O_NONBLOCK)
        self.down = os.open(base + ".evtchn-down", os.O_RDWR | os.O_NONBLOCK)

    def u32(self, off):
        return struct.unpack_from("<I", self.page, off)[0]

    def set_u32(self, off, v):
        struct.pack_into("<I", self.page, off, v & 0xffffffff)

    def notify(self):
        os.write(self.up, b"!")

    def wait(self, timeout):
        r, _, _ = select.select([self.down], [], [], timeout)
        if r:
            try:
                os.read(self.down, 4096)
            except BlockingIOError:
                pass

    def send(self, data):
        while data:
            prod, cons = self.u32(REQ_PROD), self.u32(REQ_CONS)
            space = RING - ((prod - cons) & 0xffffffff)
            if space == 0:
                self.wait(0.5)
                continue
            n = min(space, len(data), RING - prod % RING)
            self.page[REQ + prod % RING:REQ + prod % RING + n] = data[:n]
            self.set_u32(REQ_PROD, prod + n)   # x86: stores stay in order
            data = data[n:]
            self.notify()

    def fill(self, timeout):
        prod, cons = self.u32(RSP_PROD), self.u32(RSP_CONS)
        avail = (prod - cons) & 0xffffffff
        if avail == 0:
            self.wait(min(timeout, 0.05))
            return
        n = min(avail, RING - cons % RING)
        self.buf += self.page[RSP + cons % RING:RSP + cons % RING + n]
        self.set_u32(RSP_CONS, cons + n)
        self.notify()

    def close(self):
        self.page.close()
        for fd in (self.fd, self.up, self.down):
            os.close(fd)
