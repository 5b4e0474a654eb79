# SPDX-License-Identifier: MIT
"""Domains over the shared-page ring transport ("sim" back end: a page file
and FIFOs standing in for the event channel): INTRODUCE / RELEASE and the
special watches, the permission matrix between domains, SET_TARGET,
quotas, and hostile ring behaviour."""
import os
import subprocess

import pytest

from conftest import DAEMON, Daemon
from xsclient import (CONNECTION, ERROR, FEATURES, REQ_CONS, REQ_PROD,
                      RingClient, T, XsError, z)


def err(fn, *a, **kw):
    with pytest.raises(XsError) as e:
        fn(*a, **kw)
    return e.value.name


def make_domain(xsd, dom0, domid):
    """What a toolstack does: home [n0, r<id>], a guest-owned data dir."""
    home = f"/local/domain/{domid}"
    dom0.mkdir(home)
    dom0.set_perms(home, ["n0", f"r{domid}"])
    dom0.mkdir(home + "/data")
    dom0.set_perms(home + "/data", [f"n{domid}"])
    g = RingClient(xsd.ring_dir, domid)
    dom0.introduce(domid, mfn=1234, port=5)
    return g


@pytest.fixture
def doms(xsd, c):
    a, b = make_domain(xsd, c, 1), make_domain(xsd, c, 2)
    yield a, b
    a.close()
    b.close()


def test_ring_basic_and_relative_paths(doms, c):
    a, _ = doms
    a.write("data/x", "hello")
    assert c.read("/local/domain/1/data/x") == b"hello"
    assert a.read("/local/domain/1/data/x") == b"hello"
    assert a.req("GET_DOMAIN_PATH", b"1\0") == b"/local/domain/1\0"
    assert a.page[FEATURES] & 2 and a.page[CONNECTION] == 0


def test_ring_messages_larger_than_the_ring(doms, c):
    a, _ = doms
    big = bytes(range(256)) * 7            # 1792 bytes: wraps both rings
    for i in range(5):
        a.write(f"data/big{i}", big)
        assert a.read(f"data/big{i}") == big
    assert c.read("/local/domain/1/data/big4") == big


def test_is_domain_introduced(doms, c):
    assert c.req("IS_DOMAIN_INTRODUCED", b"1\0") == b"T\0"
    assert c.req("IS_DOMAIN_INTRODUCED", b"0\0") == b"T\0"
    assert c.req("IS_DOMAIN_INTRODUCED", b"9\0") == b"F\0"


def test_introduce_and_release_watches(xsd, c):
    c.watch("@introduceDomain", "in")
    c.watch("@releaseDomain", "out")
    assert {c.event(), c.event()} == {("@introduceDomain", "in"),
                                      ("@releaseDomain", "out")}
    g = make_domain(xsd, c, 4)
    assert c.event() == ("@introduceDomain", "in")
    c.introduce(4, 1234, 5)             # again: only rebinds, no event
    c.no_event()
    c.release(4)
    assert c.event() == ("@releaseDomain", "out")
    assert c.req("IS_DOMAIN_INTRODUCED", b"4\0") == b"F\0"
    assert err(c.release, 4) == "ENOENT"
    assert err(c.release, 0) == "EINVAL"
    g.close()


def test_introduce_errors(xsd, c):
    assert err(c.introduce, 8) == "EINVAL"          # no ring files
    assert err(c.req, "INTRODUCE", b"8\0x\0" + b"1\0") == "EINVAL"
    assert err(c.req, "INTRODUCE", b"8\0" + b"1\0" + b"0\0") == "EINVAL"
    assert err(c.req, "INTRODUCE", b"8\0") == "EINVAL"


def test_release_drops_ring_watches_and_owned_nodes(xsd, doms, c):
    a, b = doms
    c.set_perms("/local/domain/2/data", ["n2", "r1"])
    a.write("data/mine", "1")
    c.write("/shared", "")
    c.set_perms("/shared", ["n0", "r1", "r2"])
    c.release(1)
    assert err(c.read, "/local/domain/1/data") == "ENOENT"   # owned by 1
    assert c.read("/local/domain/1") == b""                  # owned by 0
    assert c.get_perms("/shared") == ["n0", "r2"]
    assert c.get_perms("/local/domain/2/data") == ["n2"]
    with pytest.raises((TimeoutError, Exception)):
        a.read("data/mine")
    assert b.read("data") == b""                 # others unaffected


# ---- the permission matrix ----

def test_domain_cannot_touch_other_domain(doms, c):
    a, b = doms
    b.write("data/secret", "s")
    for path in ("/local/domain/2/data/secret", "/local/domain/2/data"):
        assert err(a.read, path) == "EACCES"
        assert err(a.write, path, "x") == "EACCES"
        assert err(a.ls, path) == "EACCES"
        assert err(a.get_perms, path) == "EACCES"
        assert err(a.rm, path) == "EACCES"
        assert err(a.set_perms, path, ["n1"]) == "EACCES"
    # Missing nodes under an unreadable parent do not leak: EACCES.
    assert err(a.read, "/local/domain/2/data/none") == "EACCES"
    assert err(a.write, "/local/domain/2/data/new", "x") == "EACCES"
    assert err(b.read, "/local/domain/2/data/none") == "ENOENT"
    assert c.ls("/local/domain/2/data") == ["secret"]


def test_home_is_read_only_for_its_domain(doms, c):
    a, _ = doms
    assert a.read("/local/domain/1") == b""
    assert err(a.write, "/local/domain/1/name", "x") == "EACCES"
    assert err(a.write, "/local/domain/1", "x") == "EACCES"
    assert err(a.read, "/tool") == "EACCES"
    assert err(a.write, "/tool/x", "y") == "EACCES"
    c.write("/local/domain/1/name", "guest")
    assert err(a.rm, "/local/domain/1/name") == "EACCES"
    a.rm("/local/domain/1/data")        # its own node: allowed


@pytest.mark.parametrize("grant,can_read,can_write", [
    ("n", False, False), ("r", True, False), ("w", False, True),
    ("b", True, True)])
def test_grants(doms, c, grant, can_read, can_write):
    a, b = doms
    b.write("data/shared", "v")
    b.set_perms("data/shared", ["n2", f"{grant}1"])
    assert (err(a.read, "/local/domain/2/data/shared") if not can_read
            else a.read("/local/domain/2/data/shared")) in (
        b"v", "EACCES")
    if can_write:
        a.write("/local/domain/2/data/shared", "w")
    else:
        assert err(a.write, "/local/domain/2/data/shared", "w") == "EACCES"
    assert c.read("/local/domain/2/data/shared") == (b"w" if can_write else b"v")


def test_default_mode_from_first_entry(doms, c):
    a, b = doms
    b.write("data/pub", "p")
    b.set_perms("data/pub", ["r2"])        # owner 2, everyone else reads
    assert a.read("/local/domain/2/data/pub") == b"p"
    b.set_perms("data/pub", ["r2", "n1"])  # except domain 1
    assert err(a.read, "/local/domain/2/data/pub") == "EACCES"


def test_created_nodes_belong_to_creator(doms, c):
    a, _ = doms
    c.set_perms("/local/domain/1/data", ["n0", "b1"])   # dom0 owns, 1 writes
    a.write("data/sub/leaf", "1")
    assert a.get_perms("data/sub") == ["n1", "b1"]
    assert a.get_perms("data/sub/leaf") == ["n1", "b1"]
    assert err(a.set_perms, "data", ["n1"]) == "EACCES"  # not the owner


def test_owner_may_not_give_node_away(doms):
    a, _ = doms
    a.write("data/g", "1")
    a.set_perms("data/g", ["n1", "r2"])
    assert err(a.set_perms, "data/g", ["n2"]) == "EPERM"


def test_privileged_operations_refused(doms):
    a, _ = doms
    for typ, payload in (("INTRODUCE", b"5\0" b"1\0" b"1\0"), ("RELEASE", b"2\0"),
                         ("SET_TARGET", b"1\0" b"2\0"), ("RESUME", b"2\0"),
                         ("IS_DOMAIN_INTRODUCED", b"2\0"),
                         ("CONTROL", b"quota\0")):
        assert err(a.req, typ, payload) == "EACCES", typ


def test_set_target_grants_targets_rights(doms, c, xsd):
    a, b = doms
    b.write("data/dm", "1")
    assert err(a.read, "/local/domain/2/data/dm") == "EACCES"
    assert c.req("SET_TARGET", b"1\0" b"2\0") == b"OK\0"
    assert a.read("/local/domain/2/data/dm") == b"1"
    a.write("/local/domain/2/data/dm", "2")
    assert err(c.req, "SET_TARGET", b"9\0" b"2\0") == "ENOENT"


def test_watch_events_need_read_access(doms, c):
    a, b = doms
    a.watch("/local/domain/2/data", "peek")
    assert a.event() == ("/local/domain/2/data", "peek")  # always, as Xen
    b.write("data/hidden", "1")
    a.no_event()
    b.write("data/open", "1")
    b.set_perms("data/open", ["n2", "r1"])
    assert a.event() == ("/local/domain/2/data/open", "peek")


def test_domain_relative_watch(doms, c):
    a, _ = doms
    a.watch("data", "rel")
    assert a.event() == ("data", "rel")
    c.write("/local/domain/1/data/k", "1")
    assert a.event() == ("data/k", "rel")


def test_special_watch_needs_permission(doms, c, xsd):
    a, _ = doms
    a.watch("@releaseDomain", "r")
    assert a.event() == ("@releaseDomain", "r")
    g = make_domain(xsd, c, 6)
    c.release(6)
    a.no_event()
    c.set_perms("@releaseDomain", ["n0", "r1"])
    g = make_domain(xsd, c, 6)
    c.release(6)
    assert a.event() == ("@releaseDomain", "r")
    g.close()


# ---- quotas ----

def log_has(xsd, text):
    return text in xsd.log_text()


def test_quota_nodes(doms, c, xsd):
    a, _ = doms
    c.control("quota", "nodes", "4")    # data already counts as one
    a.write("data/a", "")
    a.write("data/b", "")
    a.write("data/c", "")
    assert err(a.write, "data/d", "") == "ENOSPC"
    assert err(a.write, "data/x/y/z", "") == "ENOSPC"
    assert log_has(xsd, 'dom1: quota "nodes" (4) reached')
    a.rm("data/c")
    a.write("data/d", "")               # freed one
    c.write("/local/domain/1/data/e", "")   # dom0 is not bound
    c.control("quota", "nodes", "1000")


def test_quota_nodes_in_transaction(doms, c):
    a, _ = doms
    c.control("quota", "nodes", "3")
    tx = a.start()
    a.write("data/a", "", tx)
    a.write("data/b", "", tx)
    assert err(a.write, "data/c", "", tx) == "ENOSPC"
    a.end(tx)
    c.control("quota", "nodes", "1000")


def test_quota_node_size(doms, c, xsd):
    a, _ = doms
    c.control("quota", "node-size", "100")
    a.write("data/v", "x" * 90)
    assert err(a.write, "data/v", "x" * 101) == "ENOSPC"
    assert log_has(xsd, 'quota "node-size" (100)')
    c.write("/local/domain/1/data/v", "x" * 3000)      # dom0 is not bound
    c.control("quota", "node-size", "2048")


def test_quota_watches(doms, c, xsd):
    a, _ = doms
    c.control("quota", "watches", "3")
    for i in range(3):
        a.watch("data", f"t{i}")
    assert err(a.watch, "data", "t3") == "ENOSPC"
    assert log_has(xsd, 'quota "watches" (3)')
    a.unwatch("data", "t0")
    a.watch("data", "t3")
    c.control("quota", "watches", "128")


def test_quota_transactions(doms, c, xsd):
    a, _ = doms
    c.control("quota", "transactions", "2")
    t1, t2 = a.start(), a.start()
    assert err(a.start) == "ENOSPC"
    assert log_has(xsd, 'quota "transactions" (2)')
    a.end(t1, commit=False)
    a.end(a.start(), commit=False)
    a.end(t2, commit=False)
    c.control("quota", "transactions", "10")


def test_quota_transaction_nodes(doms, c):
    a, _ = doms
    c.control("quota", "transaction-nodes", "8")
    tx = a.start()
    with pytest.raises(XsError) as e:
        for i in range(20):
            a.write(f"data/n{i}", "", tx)
    assert e.value.name == "ENOSPC"
    a.end(tx, commit=False)
    c.control("quota", "transaction-nodes", "1024")


def test_quota_permissions_and_path_length(doms, c, xsd):
    a, _ = doms
    a.write("data/p", "")
    a.set_perms("data/p", ["n1", "r2", "r3", "r4", "r5"])
    assert err(a.set_perms, "data/p", ["n1", "r2", "r3", "r4", "r5", "r6"]) == "ENOSPC"
    assert log_has(xsd, 'quota "node-permissions" (5)')
    c.set_perms("/local/domain/1/data/p", ["n1"] + [f"r{i}" for i in range(2, 40)])
    long = "data/" + "x" * 1000 + "/" + "y" * (2048 - 1006)
    a.write(long, "")
    assert err(a.write, long + "y", "") == "EINVAL"


# ---- hostile rings ----

def test_ring_oversized_length_drops_only_that_domain(doms, c):
    a, b = doms
    a.send(b"".join([(T["READ"]).to_bytes(4, "little"), b"\1\0\0\0", b"\0" * 4,
                     (5000).to_bytes(4, "little")]))
    import time
    for _ in range(100):
        if a.page[ERROR]:
            break
        time.sleep(0.02)
    assert a.page[ERROR] == 3           # XENSTORE_ERROR_PROTO
    assert b.read("data") == b""
    c.write("/still", "fine")


def test_ring_bad_index_drops_only_that_domain(doms, c):
    a, b = doms
    a.set_u32(REQ_PROD, a.u32(REQ_CONS) + 5000)
    a.notify()
    import time
    for _ in range(100):
        if a.page[ERROR]:
            break
        time.sleep(0.02)
    assert a.page[ERROR] == 2           # XENSTORE_ERROR_RINGIDX
    assert b.read("data") == b""


# ---- VIRQ_DOM_EXC: the sim back end's <domid>.state and dom-exc FIFO ----

def dom_exc(xsd, states):
    """Play the hypervisor: set domain states, then raise VIRQ_DOM_EXC."""
    for domid, s in states.items():
        with open(os.path.join(xsd.ring_dir, f"{domid}.state"), "w") as f:
            f.write(s)
    fd = os.open(os.path.join(xsd.ring_dir, "dom-exc"),
                 os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, b"!")
    os.close(fd)


def test_dom_exc_shutdown_then_death(xsd, doms, c):
    a, b = doms
    c.watch("@releaseDomain", "w")
    assert c.event() == ("@releaseDomain", "w")
    a.write("data/x", "1")
    dom_exc(xsd, {1: "shutdown"})
    assert c.event() == ("@releaseDomain", "w")
    dom_exc(xsd, {})                    # nothing new: no second event
    c.no_event()
    assert a.read("data/x") == b"1"     # shut down is not gone
    assert c.req("IS_DOMAIN_INTRODUCED", b"1\0") == b"T\0"
    dom_exc(xsd, {1: "dying"})
    assert c.event() == ("@releaseDomain", "w")
    assert c.req("IS_DOMAIN_INTRODUCED", b"1\0") == b"F\0"
    assert err(c.read, "/local/domain/1/data/x") == "ENOENT"  # dom1's
    assert b.read("data") == b""        # the other domain is untouched
    dom_exc(xsd, {})
    c.no_event()
    assert "dom1 released (domain is dying or gone)" in xsd.log_text()


def test_dom_exc_unreadable_state_keeps_domain(xsd, doms, c):
    a, _ = doms
    c.watch("@releaseDomain", "w")
    assert c.event() == ("@releaseDomain", "w")
    dom_exc(xsd, {1: "error"})
    c.no_event()
    assert a.read("data") == b""
    assert "dom1: cannot read its state: EACCES; kept" in xsd.log_text()


def test_dom0_nodes_only_when_asked(tmp_path, xsd, c):
    assert err(c.read, "/local/domain/0/name") == "ENOENT"
    (tmp_path / "d0").mkdir()
    d = Daemon(tmp_path / "d0", ["-0"])
    try:
        c0 = d.client()
        assert c0.read("/local/domain/0/name") == b"Domain-0"
        assert c0.read("/local/domain/0/domid") == b"0"
        assert c0.read("/tool/xenstored/domid") == b"0"
        c0.close()
    finally:
        d.stop()


def test_ring_option(tmp_path):
    r = subprocess.run([DAEMON, "-s", str(tmp_path / "s"), "-R", "bogus"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "unknown ring back end bogus" in r.stderr
    if os.path.exists("/dev/xen/evtchn"):
        return                          # a real dom0: xen would start
    log = tmp_path / "log"
    r = subprocess.run([DAEMON, "-s", str(tmp_path / "s"), "-R", "xen",
                        "-l", str(log)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1
    assert "cannot open /dev/xen/evtchn" in log.read_text()
    assert not os.path.exists(tmp_path / "s")
