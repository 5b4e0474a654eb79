# SPDX-License-Identifier: MIT
"""Wire-protocol tests over the Unix socket, as a dom0 (privileged) client:
node operations, paths, permissions strings, transactions and watches."""
import pytest

from xsclient import T, XsError, z


def err(fn, *a, **kw):
    with pytest.raises(XsError) as e:
        fn(*a, **kw)
    return e.value.name


# ---- nodes ----

def test_write_read_roundtrip_binary_value(c):
    c.write("/t/v", b"a\0b\xff")
    assert c.read("/t/v") == b"a\0b\xff"
    c.write("/t/v", b"")
    assert c.read("/t/v") == b""


def test_read_reply_has_no_terminator(c):
    c.write("/t/v", "xyz")
    typ, tx, body = c.reply(c.send_raw(T["READ"], b"/t/v\0"))
    assert (typ, body) == (T["READ"], b"xyz")


def test_missing_node_is_enoent(c):
    assert err(c.read, "/nope") == "ENOENT"
    assert err(c.ls, "/nope") == "ENOENT"
    assert err(c.get_perms, "/nope") == "ENOENT"


def test_write_creates_parents_empty_with_inherited_perms(c):
    c.mkdir("/p")
    c.set_perms("/p", ["n0", "r7"])
    c.write("/p/a/b/c", "v")
    assert c.read("/p/a") == b"" and c.read("/p/a/b") == b""
    assert c.get_perms("/p/a/b/c") == ["n0", "r7"]
    assert c.ls("/p") == ["a"]


def test_directory_lists_children_in_creation_order(c):
    for name in ("zeta", "alpha", "mid"):
        c.write(f"/d/{name}", "")
    assert c.ls("/d") == ["zeta", "alpha", "mid"]
    assert c.ls("/d/zeta") == []


def test_startup_tree(c):
    assert "tool" in c.ls("/")
    assert c.ls("/tool") == ["xenstored"]


def test_mkdir_existing_is_ok_and_keeps_value(c):
    c.write("/m", "keep")
    c.mkdir("/m")
    assert c.read("/m") == b"keep"


def test_rm_recursive_and_missing(c):
    c.write("/r/a/b", "1")
    c.write("/r/c", "2")
    c.rm("/r/a")
    assert c.ls("/r") == ["c"]
    assert err(c.read, "/r/a/b") == "ENOENT"
    c.rm("/r/a")                        # absent, parent exists: OK
    assert err(c.rm, "/r/x/y") == "ENOENT"
    assert err(c.rm, "/") == "EINVAL"


def test_relative_path_is_under_dom0_home(c):
    c.write("rel/x", "1")
    assert c.read("/local/domain/0/rel/x") == b"1"


def test_get_domain_path(c):
    assert c.req("GET_DOMAIN_PATH", b"7\0") == b"/local/domain/7\0"
    assert err(c.req, "GET_DOMAIN_PATH", b"70000\0") == "EINVAL"
    assert err(c.req, "GET_DOMAIN_PATH", b"x\0") == "EINVAL"


@pytest.mark.parametrize("path", [
    "", "/a//b", "/a/", "/a b", "/a/\u00e9", "/a.b", "/" + "x" * 3072,
    "@other", "/a\nb"])
def test_invalid_paths(c, path):
    assert err(c.write, path, "v") == "EINVAL"
    assert err(c.read, path) == "EINVAL"


def test_allowed_characters(c):
    c.write("/Az09_-@", "ok")
    assert c.read("/Az09_-@") == b"ok"


def test_special_names_only_for_watch_and_perms(c):
    assert c.get_perms("@releaseDomain") == ["n0"]
    assert err(c.read, "@releaseDomain") == "EINVAL"
    c.set_perms("@introduceDomain", ["n0", "r3"])
    assert c.get_perms("@introduceDomain") == ["n0", "r3"]


def test_perms_strings(c):
    c.write("/pp", "")
    c.set_perms("/pp", ["b3", "r1", "w2", "n4"])
    assert c.get_perms("/pp") == ["b3", "r1", "w2", "n4"]
    for bad in (["x1"], ["r"], ["r-1"], ["r65536"], ["r1x"]):
        assert err(c.set_perms, "/pp", bad) == "EINVAL"
    assert err(c.req, "SET_PERMS", b"/pp\0") == "EINVAL"
    assert err(c.set_perms, "/nope", ["n0"]) == "ENOENT"


def test_unknown_and_server_only_types_are_enosys(c):
    for typ in (20, 23, 26, 999, T["WATCH_EVENT"], T["ERROR"]):
        typ_, tx, body = c.reply(c.send_raw(typ, b"/x\0"))
        assert (typ_, body) == (T["ERROR"], b"ENOSYS\0")


def test_error_echoes_ids(c):
    rid = c.send_raw(T["READ"], b"/nope\0", tx=0, req_id=0xdeadbeef)
    typ, tx, body = c.reply(rid)
    assert (typ, tx, body) == (T["ERROR"], 0, b"ENOENT\0")


def test_directory_e2big_and_directory_part(c):
    names = [f"child-with-a-long-name-{i:04d}" for i in range(300)]
    tx = c.start()
    for n in names:
        c.write(f"/big/{n}", "", tx)
    c.end(tx)
    assert err(c.ls, "/big") == "E2BIG"
    got, off, gen = b"", 0, None
    while True:
        body = c.req("DIRECTORY_PART", b"/big\0" + z(str(off)))
        g, rest = body.split(b"\0", 1)
        assert gen in (None, g)
        gen = g
        if rest.endswith(b"\0\0") or rest == b"\0":
            got += rest[:-1]
            break
        got += rest
        off += len(rest)
    assert got.split(b"\0")[:-1] == [n.encode() for n in names]
    body = c.req("DIRECTORY_PART", b"/big\0999999\0")
    assert body == gen + b"\0\0"


def test_control_quota_listing(c):
    out = c.control("quota").decode()
    assert "nodes" in out and "1000" in out and "transaction-nodes" in out
    assert c.control("quota", "watches").decode().split()[:2] == ["watches", "128"]
    assert err(c.control, "quota", "bogus") == "EINVAL"
    assert err(c.control, "nonsense") == "EINVAL"


# ---- transactions ----

def test_transaction_isolation_and_commit(c, xsd):
    other = xsd.client()
    c.write("/tx/a", "old")
    tx = c.start()
    c.write("/tx/a", "new", tx)
    c.write("/tx/b/c", "made", tx)
    assert c.read("/tx/a", tx) == b"new"
    assert other.read("/tx/a") == b"old"
    assert err(other.read, "/tx/b/c") == "ENOENT"
    c.end(tx)
    assert other.read("/tx/a") == b"new" and other.read("/tx/b/c") == b"made"
    other.close()


def test_transaction_abort_discards(c):
    c.write("/ab/a", "1")
    tx = c.start()
    c.write("/ab/a", "2", tx)
    c.rm("/ab", tx)
    c.end(tx, commit=False)
    assert c.read("/ab/a") == b"1"


def test_transaction_rm_and_directory_inside(c):
    c.write("/tr/a", "1")
    c.write("/tr/b", "2")
    tx = c.start()
    c.rm("/tr/a", tx)
    assert c.ls("/tr", tx) == ["b"]
    assert c.ls("/tr") == ["a", "b"]
    c.end(tx)
    assert c.ls("/tr") == ["b"]


def test_conflict_gives_eagain_and_nothing_applied(c, xsd):
    other = xsd.client()
    c.write("/cf/x", "0")
    tx = c.start()
    assert c.read("/cf/x", tx) == b"0"
    c.write("/cf/y", "from-tx", tx)
    other.write("/cf/x", "1")
    assert err(c.end, tx) == "EAGAIN"
    assert err(c.read, "/cf/y") == "ENOENT"
    assert err(c.end, tx) == "ENOENT"   # the id is dead after END
    other.close()


def test_disjoint_transactions_both_commit(c, xsd):
    other = xsd.client()
    c.write("/dj/a", "0")
    c.write("/dj/b", "0")
    t1, t2 = c.start(), other.start()
    c.write("/dj/a", "1", t1)
    other.write("/dj/b", "2", t2)
    c.end(t1)
    other.end(t2)
    assert (c.read("/dj/a"), c.read("/dj/b")) == (b"1", b"2")
    other.close()


def test_retry_loop_converges(c, xsd):
    """Two clients increment one counter with read-modify-write txns."""
    other = xsd.client()
    c.write("/ctr", "0")
    done = 0
    for i in range(20):
        for cl in (c, other):
            while True:
                tx = cl.start()
                v = int(cl.read("/ctr", tx))
                cl.write("/ctr", str(v + 1), tx)
                try:
                    cl.end(tx)
                    done += 1
                    break
                except XsError as e:
                    assert e.name == "EAGAIN"
    assert int(c.read("/ctr")) == done == 40
    other.close()


def test_transaction_id_errors(c):
    assert err(c.read, "/x", tx=12345) == "ENOENT"
    tx = c.start()
    assert err(c.req, "TRANSACTION_START", b"\0", tx) == "EBUSY"
    assert err(c.req, "TRANSACTION_START", b"\0", 999) == "ENOENT"
    assert err(c.req, "TRANSACTION_END", b"X\0", tx) == "EINVAL"
    assert err(c.req, "TRANSACTION_END", b"T\0", 0) == "ENOENT"
    c.end(tx, commit=False)


def test_transaction_ids_are_per_connection(c, xsd):
    other = xsd.client()
    tx = c.start()
    assert err(other.read, "/", tx=tx) == "ENOENT"
    c.end(tx, commit=False)
    other.close()


def test_disconnect_mid_transaction(c, xsd):
    quitter = xsd.client()
    c.write("/dm/a", "keep")
    tx = quitter.start()
    quitter.write("/dm/a", "lost", tx)
    quitter.write("/dm/new", "lost", tx)
    quitter.close()
    c.write("/dm/b", "1")               # daemon still serves
    assert c.read("/dm/a") == b"keep"
    assert c.ls("/dm") == ["a", "b"]


# ---- watches ----

def test_watch_fires_at_once_then_on_subtree(c):
    c.watch("/w", "tok1")
    assert c.event() == ("/w", "tok1")
    c.write("/w/a/b", "1")
    assert c.event() == ("/w/a/b", "tok1")
    c.write("/wx", "1")                 # a sibling with a common prefix
    c.write("/other", "1")
    c.no_event()


def test_watch_events_in_change_order(c, xsd):
    writer = xsd.client()
    c.watch("/o", "t")
    c.event()
    for i in range(30):
        writer.write(f"/o/n{i}", str(i))
    assert [c.event()[0] for _ in range(30)] == [f"/o/n{i}" for i in range(30)]
    writer.close()


def test_watch_root_sees_everything(c):
    c.watch("/", "all")
    assert c.event() == ("/", "all")
    c.write("/anything/x", "1")
    assert c.event() == ("/anything/x", "all")


def test_rm_fires_ancestors_and_watches_inside(c):
    c.write("/rw/a/b/c", "1")
    c.watch("/rw", "top")
    c.watch("/rw/a/b/c", "deep")
    assert {c.event(), c.event()} == {("/rw", "top"), ("/rw/a/b/c", "deep")}
    c.rm("/rw/a")
    assert {c.event(), c.event()} == {("/rw/a", "top"), ("/rw/a/b/c", "deep")}
    c.no_event()


def test_mkdir_set_perms_fire(c):
    c.watch("/mf", "t")
    c.event()
    c.mkdir("/mf/d")
    assert c.event() == ("/mf/d", "t")
    c.mkdir("/mf/d")                    # exists: no change, no event
    c.no_event()
    c.set_perms("/mf/d", ["n0", "r1"])
    assert c.event() == ("/mf/d", "t")


def test_watch_in_transaction_fires_only_on_commit(c, xsd):
    w = xsd.client()
    w.watch("/wt", "t")
    w.event()
    tx = c.start()
    c.write("/wt/a", "1", tx)
    c.write("/wt/b", "2", tx)
    w.no_event()
    c.end(tx)
    assert [w.event(), w.event()] == [("/wt/a", "t"), ("/wt/b", "t")]
    tx = c.start()
    c.write("/wt/c", "3", tx)
    c.end(tx, commit=False)
    w.no_event()
    w.close()


def test_watch_duplicates_unwatch_tokens(c):
    c.watch("/u", "a")
    c.watch("/u", "b")                  # same path, other token: fine
    assert err(c.watch, "/u", "a") == "EEXIST"
    assert {c.event(), c.event()} == {("/u", "a"), ("/u", "b")}
    c.unwatch("/u", "a")
    assert err(c.unwatch, "/u", "a") == "ENOENT"
    c.write("/u/x", "1")
    assert c.event() == ("/u/x", "b")
    c.no_event()


def test_relative_watch_reports_relative_paths(c):
    c.watch("rw", "r")
    assert c.event() == ("rw", "r")
    c.write("/local/domain/0/rw/k", "1")
    assert c.event() == ("rw/k", "r")


def test_reset_watches_drops_watches_and_transactions(c):
    c.watch("/rs", "t")
    c.event()
    tx = c.start()
    assert c.req("RESET_WATCHES", b"\0") == b"OK\0"
    c.write("/rs/x", "1")
    c.no_event()
    assert err(c.read, "/rs/x", tx=tx) == "ENOENT"


def test_watch_fires_for_other_clients_after_they_disconnect(c, xsd):
    gone = xsd.client()
    gone.watch("/g", "t")
    gone.event()
    gone.close()
    c.write("/g/x", "1")                # must not touch the freed watch
    assert c.read("/g/x") == b"1"


# ---- socket path selection (libxenstore's order) ----

@pytest.mark.parametrize("env,name", [("XENSTORED_PATH", "custom-sock"),
                                      ("XENSTORED_RUNDIR", "socket")])
def test_socket_path_from_environment(tmp_path, env, name):
    import os
    import subprocess
    import time
    from conftest import DAEMON
    from xsclient import SocketClient
    value = str(tmp_path / name) if env == "XENSTORED_PATH" else str(tmp_path)
    p = subprocess.Popen([DAEMON, "-l", str(tmp_path / "log")],
                         env={**os.environ, env: value})
    try:
        for _ in range(3000):           # 30 s: a busy machine starts it late
            if os.path.exists(tmp_path / name):
                break
            time.sleep(0.01)
        cl = SocketClient(str(tmp_path / name))
        cl.write("/env", "1")
        assert cl.read("/env") == b"1"
        assert oct(os.stat(tmp_path / name).st_mode & 0o777) == "0o600"
        cl.close()
    finally:
        p.terminate()
        assert p.wait(10) == 0
