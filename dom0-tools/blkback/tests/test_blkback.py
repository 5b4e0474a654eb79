# SPDX-License-Identifier: MIT
"""blkback as a whole on the host: the ASan daemon on its sim platform,
a real xenstored, and the tests as toolstack and as blkfront (Xen's
handshake and ring layout, written from the protocol, not from our
code).  Each test reads what a front end or a toolstack would read."""
import os

from conftest import OP_FLUSH, OP_READ, OP_WRITE, PAGE, RSP_ERROR, RSP_OKAY, Disk, Guest, wait_for


def test_handshake_publishes_features_then_the_disk(env):
    g = Guest(env, 5)
    d = Disk(env, g, 51712, env.image("a.img", 2), "w")
    d.wait_state(2)
    assert d.key("feature-flush-cache") == "1"
    assert d.key("feature-max-indirect-segments") == "256"
    assert d.key("feature-discard") == "1"
    assert d.key("max-ring-page-order") == "4"
    assert d.key("sectors") is None            # only once connected
    d.connect(ring_gref=0, port=7)
    d.wait_state(4)
    assert d.key("sectors") == str(2 * 2048)
    assert d.key("info") == "0"
    assert d.key("sector-size") == "512"


def test_write_read_flush_reach_the_image(env):
    g = Guest(env, 5)
    img = env.image("a.img", 1)
    d = Disk(env, g, 51712, img, "w")
    d.wait_state(2)
    d.connect(0, 7)
    d.wait_state(4)
    g.fill(1, 3)
    assert d.io(OP_WRITE, 1, 8, [(1, 0, 7)]) == RSP_OKAY
    assert d.io(OP_FLUSH, 2, 2**64 - 1) == RSP_OKAY        # blkfront's own flush
    with open(img, "rb") as f:
        f.seek(8 * 512)
        assert f.read(PAGE) == g.page(1)
    assert d.io(OP_READ, 3, 8, [(2, 0, 7)]) == RSP_OKAY
    assert g.page(2) == g.page(1)


def test_read_only_disk(env):
    g = Guest(env, 6)
    img = env.image("ro.img", 1, b"MICA" * 1024)
    d = Disk(env, g, 51728, img, "r")
    d.wait_state(2)
    assert d.key("feature-discard") == "0"
    d.connect(0, 3)
    d.wait_state(4)
    assert d.key("info") == "4"                # VDISK_READONLY
    g.fill(1, 1)
    assert d.io(OP_WRITE, 1, 0, [(1, 0, 7)]) == RSP_ERROR
    assert d.io(OP_READ, 2, 0, [(2, 0, 7)]) == RSP_OKAY
    assert g.page(2) == b"MICA" * 1024


def test_bad_requests_are_answered_and_serving_goes_on(env):
    g = Guest(env, 5, pages=16)
    img = env.image("a.img", 1)
    d = Disk(env, g, 51712, img, "w")
    d.wait_state(2)
    d.connect(0, 7)
    d.wait_state(4)
    g.fill(1, 9)
    assert d.io(OP_WRITE, 1, 0, [(99, 0, 7)]) == RSP_ERROR      # no such grant
    assert d.io(OP_WRITE, 2, 2048, [(1, 0, 7)]) == RSP_ERROR    # past the end
    assert d.io(OP_WRITE, 3, 0, [(1, 6, 2)]) == RSP_ERROR       # first > last
    assert d.io(OP_READ, 4, 0, []) == RSP_ERROR                 # no segments
    d.put(9, 5, 0, [(1, 0, 7)])                                 # no such op
    assert d.responses(1)[0][2] == RSP_ERROR
    with open(img, "rb") as f:
        assert f.read() == bytes(1 << 20)
    assert d.io(OP_WRITE, 6, 0, [(1, 0, 7)]) == RSP_OKAY
    assert "refused" in env.log()


def test_bad_ring_ref_closes_that_device_only(env):
    g = Guest(env, 5, pages=4)
    a = Disk(env, g, 51712, env.image("a.img", 1), "w")
    b = Disk(env, g, 51728, env.image("b.img", 1), "w")
    a.wait_state(2)
    b.wait_state(2)
    a.connect(ring_gref=1000, port=7)          # past the guest's memory
    a.wait_state(5)
    b.connect(ring_gref=1, port=8)
    b.wait_state(4)
    g.fill(2, 1)
    assert b.io(OP_WRITE, 1, 0, [(2, 0, 7)]) == RSP_OKAY


def test_frontend_of_another_guest_is_not_served(env):
    """A back-end directory whose frontend key names another guest's
    device (written in one transaction, as a toolstack would) is left
    alone; a good device made after it is served."""
    img = env.image("a.img", 1)
    xs = env.xs
    be = "/local/domain/0/backend/vbd/5/51712"
    tx = xs.start()
    for k, v in [("frontend", "/local/domain/9/device/vbd/51712"), ("frontend-id", "5"),
                 ("online", "1"), ("mode", "w"), ("params", img), ("state", "1")]:
        xs.write(f"{be}/{k}", v, tx)
    xs.end(tx)
    g = Guest(env, 6)
    d = Disk(env, g, 51712, img, "w")
    d.wait_state(2)
    assert xs.read(f"{be}/state") == b"1"
    assert "vbd-5-51712: new device" in env.log()


def test_close_and_reconnect(env):
    g = Guest(env, 5)
    d = Disk(env, g, 51712, env.image("a.img", 1), "w")
    d.wait_state(2)
    d.connect(0, 7)
    d.wait_state(4)
    env.xs.write(f"{d.fe}/state", "5")
    d.wait_state(5)
    env.xs.write(f"{d.fe}/state", "6")
    d.wait_state(6)
    assert "disconnected" in env.log()
    env.xs.write(f"{d.fe}/state", "1")         # the guest comes back
    d.wait_state(2)
    d.connect(1, 7)                            # a new ring page this time
    d.wait_state(4)
    g.fill(3, 3)
    assert d.io(OP_WRITE, 1, 0, [(3, 0, 7)]) == RSP_OKAY


def test_removal_lets_go_of_the_image(env):
    g = Guest(env, 5)
    img = env.image("a.img", 1)
    d = Disk(env, g, 51712, img, "w")
    d.wait_state(2)
    d.connect(0, 7)
    d.wait_state(4)
    assert img in env.open_files()
    env.xs.rm(f"/local/domain/5")              # the guest is gone
    env.xs.rm(f"/local/domain/0/backend/vbd/5")
    wait_for(lambda: "vbd-5-51712: removed" in env.log(), 5)
    assert img not in env.open_files()
    # Nothing of the device was written back after its removal.
    assert env.xs.ls("/local/domain/0/backend/vbd") == []


def test_kill_9_and_restart_redoes_unanswered_requests(env):
    """The restart argument (docs/split-drivers.md): requests queued while
    no blkback runs, and requests the dead one took but never answered,
    are done by the next one, which takes the device up from xenstore."""
    g = Guest(env, 5)
    img = env.image("a.img", 1)
    d = Disk(env, g, 51712, img, "w")
    d.wait_state(2)
    d.connect(0, 7)
    d.wait_state(4)
    g.fill(1, 1)
    assert d.io(OP_WRITE, 1, 0, [(1, 0, 7)]) == RSP_OKAY
    env.kill_blkback()
    for i in range(3):
        g.fill(2 + i, 10 + i)
        d.put(OP_WRITE, 10 + i, 8 * (1 + i), [(2 + i, 0, 7)])
    # A request the dead one "took" (req_event moved past it) but never
    # answered looks the same: rsp_prod is behind.
    env.start_blkback()
    rs = d.responses(3)
    assert [r[0] for r in rs] == [10, 11, 12] and all(r[2] == RSP_OKAY for r in rs), rs
    assert d.key("state") == "4"
    with open(img, "rb") as f:
        data = f.read(4 * PAGE)
    assert data == g.page(1) + g.page(2) + g.page(3) + g.page(4)
    assert d.rsp_prod() == 4                   # nothing answered twice


def test_two_guests_are_served_side_by_side(env):
    disks = []
    for domid in (3, 4):
        g = Guest(env, domid)
        d = Disk(env, g, 51712, env.image(f"{domid}.img", 1), "w")
        d.wait_state(2)
        d.connect(0, 5)
        d.wait_state(4)
        disks.append((g, d))
    for n, (g, d) in enumerate(disks):
        g.fill(1, n)
        assert d.io(OP_WRITE, 1, 0, [(1, 0, 7)]) == RSP_OKAY
    for g, d in disks:
        with open(d.image, "rb") as f:
            assert f.read(PAGE) == g.page(1)


def test_sigterm_stops_cleanly_and_keeps_xenstore(env):
    g = Guest(env, 5)
    d = Disk(env, g, 51712, env.image("a.img", 1), "w")
    d.wait_state(2)
    d.connect(0, 7)
    d.wait_state(4)
    env.bb.stop()                              # exit 0, no sanitizer report
    env.bb = None
    assert d.key("state") == "4"               # the next blkback resumes
    env.start_blkback()
    g.fill(1, 1)
    assert d.io(OP_WRITE, 1, 0, [(1, 0, 7)]) == RSP_OKAY


def test_a_four_page_ring(env):
    """ring-page-order 2: ring-ref0..3, 128 slots, more requests in flight
    than one page holds."""
    g = Guest(env, 5)
    img = env.image("a.img", 1)
    d = Disk(env, g, 51712, img, "w")
    d.wait_state(2)
    d.connect(ring_gref=0, port=7, order=2)
    d.wait_state(4)
    for i in range(100):
        g.fill(4 + i % 50, i)
        d.put(OP_WRITE, 1000 + i, 8 * i, [(4 + i % 50, 0, 7)], notify=False)
    os.write(d.up, b"!")
    rs = d.responses(100)
    assert [r[0] for r in rs] == [1000 + i for i in range(100)], rs
    assert all(r[2] == RSP_OKAY for r in rs), rs
    # (A front end reads what it wrote only once the write is answered.)
    assert d.io(OP_READ, 2000, 8 * 99, [(60, 0, 7)]) == RSP_OKAY
    assert g.page(60) == g.page(4 + 99 % 50)


def test_hostile_handshakes_close_the_device(env):
    """Front-end keys a back end must not accept: each device goes to
    Closing, the daemon stays up and serves a good one."""
    g = Guest(env, 5, pages=32)
    cases = [
        dict(extra=[("ring-page-order", "5")]),             # more than offered
        dict(extra=[("ring-page-order", "x")]),
        dict(extra=[("protocol", "x86_32-abi")]),           # 32-bit guests: no
        dict(extra=[("event-channel", "0")]),
        dict(extra=[("event-channel", "99999999999")]),
        dict(extra=[("multi-queue-num-queues", "4")]),      # not offered
        dict(extra=[("ring-ref", "-1")]),
    ]
    for n, case in enumerate(cases):
        d = Disk(env, g, 51712 + 16 * n, env.image(f"{n}.img", 1), "w")
        d.wait_state(2)
        d.connect(ring_gref=n, port=10 + n, **case)
        d.wait_state(5)
    good = Disk(env, g, 51712 + 16 * len(cases), env.image("good.img", 1), "w")
    good.wait_state(2)
    good.connect(ring_gref=20, port=40)
    good.wait_state(4)
    g.fill(21, 1)
    assert good.io(OP_WRITE, 1, 0, [(21, 0, 7)]) == RSP_OKAY
