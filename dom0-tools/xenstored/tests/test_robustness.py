# SPDX-License-Identifier: MIT
"""Hostile and careless socket clients: framing errors cost only the
offending connection, malformed payloads get an error reply, and a client
that does not read its replies never stalls the others."""
import random
import select
import socket
import struct
import time

import pytest

from xsclient import HDR, Closed, T, XsError, z


def err(fn, *a, **kw):
    with pytest.raises(XsError) as e:
        fn(*a, **kw)
    return e.value.name


def test_oversized_length_disconnects_only_that_client(xsd, c):
    bad = xsd.client()
    bad.send(HDR.pack(T["READ"], 1, 0, 4097))
    with pytest.raises(Closed):
        for _ in range(50):
            bad.fill(0.1)
    assert "payload length 4097" in xsd.log_text()
    c.write("/ok", "1")
    assert c.read("/ok") == b"1"


def test_max_payload_accepted(c):
    value = b"v" * (4096 - len(b"/max\0"))
    c.write("/max", value)
    assert c.read("/max") == value


def test_message_split_in_tiny_pieces(c):
    msg = HDR.pack(T["WRITE"], 77, 0, 9) + b"/slow\0abc"
    for b in msg:
        c.send(bytes([b]))
        time.sleep(0.001)
    typ, tx, body = c.reply(77)
    assert body == b"OK\0" and c.read("/slow") == b"abc"


def test_many_messages_in_one_write(c):
    blob = b"".join(HDR.pack(T["WRITE"], i, 0, 7 + len(str(i))) + b"/b/" + str(i).encode() + b"\0" + b"abc"
                    for i in range(1, 200))
    c.send(blob)
    for i in range(1, 200):
        assert c.reply(i)[2] == b"OK\0"
    assert len(c.ls("/b")) == 199


@pytest.mark.parametrize("typ,payload", [
    ("READ", b"/x"),                    # no terminator
    ("READ", b""),
    ("READ", b"/x\0/y\0"),              # too many strings
    ("WRITE", b"/no-terminator"),
    ("WRITE", b""),
    ("MKDIR", b"/a\0b"),
    ("RM", b""),
    ("WATCH", b"/x\0"),                 # no token
    ("WATCH", b"/x\0t\0extra\0"),
    ("UNWATCH", b"/x"),
    ("GET_PERMS", b"/x"),
    ("SET_PERMS", b"/x"),
    ("DIRECTORY_PART", b"/\0"),
    ("DIRECTORY_PART", b"/\0-1\0"),
    ("DIRECTORY_PART", b"/\099999999999\0"),
    ("TRANSACTION_END", b"T"),
    ("INTRODUCE", b"1\0" b"2\0"),
    ("RELEASE", b"1"),
    ("GET_DOMAIN_PATH", b""),
    ("IS_DOMAIN_INTRODUCED", b"-1\0"),
    ("SET_TARGET", b"1\0"),
    ("CONTROL", b""),
])
def test_malformed_payloads_get_einval(c, typ, payload):
    assert err(c.req, typ, payload) == "EINVAL"
    c.write("/alive", "1")


def test_random_garbage_never_kills_the_daemon(xsd, c):
    rnd = random.Random(1234)
    words = [b"/", b"/a", b"a/b", b"@releaseDomain", b"T", b"F", b"0", b"1",
             b"n0", b"r1", b"", b"//", b"\xff", b"65535", b"4294967296"]
    g = xsd.client()
    for i in range(3000):
        typ = rnd.choice(list(range(0, 25)) + [0xffff])
        payload = b"".join(rnd.choice(words) + (b"\0" if rnd.random() < .8 else b"")
                           for _ in range(rnd.randrange(0, 4)))
        if typ in (T["INTRODUCE"], T["RELEASE"]):
            continue                    # rings are tested in test_domains
        rid = g.send_raw(typ, payload, tx=rnd.choice([0, 0, 0, 1, 2, 99]))
        rtyp, _, body = g.reply(rid)
        assert rtyp in (typ, T["ERROR"])
    c.write("/still/alive", "yes")
    assert c.read("/still/alive") == b"yes"


def test_client_not_reading_does_not_stall_others(xsd, c):
    """A client pipelines requests and never reads: the daemon stops
    reading from it at its output cap and keeps serving the others; when it
    finally reads, every reply is there, in order."""
    c.write("/big", b"x" * 4000)
    hog = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hog.connect(xsd.sock)
    hog.setblocking(False)
    req = HDR.pack(T["READ"], 0, 0, 5) + b"/big\0"
    sent = 0                            # bytes; a send may be partial
    t0 = time.monotonic()
    while time.monotonic() - t0 < 1.0:
        try:
            sent += hog.send(req * 16)
        except BlockingIOError:
            break
    assert sent > 50 * len(req)
    for i in range(100):                # others are served meanwhile
        c.write(f"/free/{i}", "1")
    assert len(c.ls("/free")) == 100
    # Finish the last request while reading every reply.
    rest = (len(req) - sent % len(req)) % len(req)
    tail = (req * 2)[sent % len(req):sent % len(req) + rest]
    expected = (sent + rest) // len(req)
    got, buf = 0, b""
    while got < expected:
        r, w, _ = select.select([hog], [hog] if tail else [], [], 5)
        assert r or w, "daemon stalled"
        if w:
            tail = tail[hog.send(tail):]
        if r:
            buf += hog.recv(1 << 20)
        while len(buf) >= 16 and len(buf) >= 16 + HDR.unpack_from(buf)[3]:
            typ, rid, tx, ln = HDR.unpack_from(buf)
            assert typ == T["READ"] and ln == 4000
            buf = buf[16 + ln:]
            got += 1
    hog.close()


def test_hundred_clients_interleaved(xsd):
    cls = [xsd.client() for _ in range(100)]
    for i, cl in enumerate(cls):
        cl.watch(f"/many/{i}", "t")
        cl.event()
    for i, cl in enumerate(cls):
        cl.write(f"/many/{i}/v", str(i))
    for i, cl in enumerate(cls):
        assert cl.event() == (f"/many/{i}/v", "t")
        assert cl.read(f"/many/{(i + 1) % 100}/v") == str((i + 1) % 100).encode()
    for cl in cls:
        cl.close()


def test_abrupt_disconnects_with_pending_output(xsd, c):
    for _ in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(xsd.sock)
        s.send(HDR.pack(T["WATCH"], 1, 0, 5) + b"/\0" + b"t\0")
        s.send(HDR.pack(T["READ"], 2, 0, 2) + b"/\0")
        s.close()
    c.write("/after", "1")
    assert c.read("/after") == b"1"
