# SPDX-License-Identifier: MIT
"""consoled against a real xenstored, with the tests as guests (sim back
end: DIR/<domid>.page and FIFOs) and as the user at the pty, and xl
console (its test driver) between the user's terminal and that pty."""
import errno
import mmap
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import XL_CONSOLE, wait_for

# struct xencons_interface (abi/io/console.h)
IN, OUT = 0, 1024
IN_SIZE, OUT_SIZE = 1024, 2048
IN_CONS, IN_PROD, OUT_CONS, OUT_PROD = 3072, 3076, 3080, 3084


class Guest:
    """A domain's side of the console: its page, its FIFOs, its xenstore
    keys (written as the toolstack would), and INTRODUCE."""

    def __init__(self, env, domid, name=None, introduce=True):
        self.env, self.domid = env, domid
        self.name = name or f"guest{domid}"
        base = os.path.join(env.ring_dir, str(domid))
        with open(base + ".page", "wb") as f:
            f.write(b"\0" * 4096)
        for s in ("up", "down"):
            if not os.path.exists(f"{base}.evtchn-{s}"):
                os.mkfifo(f"{base}.evtchn-{s}")
        self.fd = os.open(base + ".page", os.O_RDWR)
        self.page = mmap.mmap(self.fd, 4096)
        self.up = os.open(base + ".evtchn-up", os.O_RDWR | os.O_NONBLOCK)
        self.down = os.open(base + ".evtchn-down", os.O_RDWR | os.O_NONBLOCK)
        self.home = f"/local/domain/{domid}"
        self.write_keys()
        if introduce:
            env.xs.introduce(domid, 1000 + domid, 7)

    def write_keys(self, ring_ref=None):
        xs = self.env.xs
        xs.write(f"{self.home}/name", self.name)
        xs.write(f"{self.home}/console/type", "xenconsoled")
        xs.write(f"{self.home}/console/port", "7")
        xs.write(f"{self.home}/console/ring-ref", str(ring_ref or 1000 + self.domid))

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

    def output(self, data, timeout=10.0):
        """Write to the out ring, waiting (as hvc_xen spins) while full."""
        end = time.monotonic() + timeout
        while data:
            prod, cons = self.u32(OUT_PROD), self.u32(OUT_CONS)
            space = OUT_SIZE - ((prod - cons) & 0xffffffff)
            if space == 0:
                if time.monotonic() > end:
                    raise TimeoutError("out ring stayed full: guest stalled")
                self.wait(0.2)
                continue
            n = min(space, len(data), OUT_SIZE - prod % OUT_SIZE)
            off = OUT + prod % OUT_SIZE
            self.page[off:off + n] = data[:n]
            self.set_u32(OUT_PROD, prod + n)
            data = data[n:]
            self.notify()

    def input(self, want, timeout=10.0):
        """Read `want` bytes from the in ring."""
        got = b""
        end = time.monotonic() + timeout
        while len(got) < want:
            prod, cons = self.u32(IN_PROD), self.u32(IN_CONS)
            avail = (prod - cons) & 0xffffffff
            assert avail <= IN_SIZE, "consoled broke the in ring"
            if avail == 0:
                if time.monotonic() > end:
                    raise TimeoutError(f"input: got {got!r}")
                self.wait(0.1)
                continue
            n = min(avail, IN_SIZE - cons % IN_SIZE, want - len(got))
            got += self.page[IN + cons % IN_SIZE:IN + cons % IN_SIZE + n]
            self.set_u32(IN_CONS, cons + n)
            self.notify()
        return got

    def tty(self, timeout=10.0):
        def read():
            try:
                v = self.env.xs.read(f"{self.home}/console/tty")
            except Exception:
                return None
            return v.decode() if v else None
        return wait_for(read, timeout, f"dom{self.domid} console/tty")

    def no_tty(self, timeout=10.0):
        def gone():
            try:
                return not self.env.xs.read(f"{self.home}/console/tty")
            except Exception:
                return True
        wait_for(gone, timeout, f"dom{self.domid} console/tty removed")

    def logfile(self):
        safe = "".join(c if c.isalnum() or c in "-_" or (c == "." and i)
                       else "_" for i, c in enumerate(self.name))
        return os.path.join(self.env.log_dir, f"guest-{safe}.log")

    def log_bytes(self):
        try:
            with open(self.logfile(), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def close(self):
        self.page.close()
        for fd in (self.fd, self.up, self.down):
            os.close(fd)


def open_tty(path):
    return os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)


def read_until(fd, want, timeout=10.0):
    got = b""
    end = time.monotonic() + timeout
    while want not in got:
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"read {got[-200:]!r}, wanted {want!r}")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                d = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno == errno.EIO:
                    raise EOFError(got)
                raise
            if not d:
                raise EOFError(got)
            got += d
    return got


def test_output_reaches_pty_and_log(env):
    g = Guest(env, 3)
    g.output(b"early boot line\r\n")     # before anyone opened the pty
    tty = g.tty()
    assert tty.startswith("/dev/pts/")
    fd = open_tty(tty)
    try:
        read_until(fd, b"early boot line\r\n")
        data = bytes(range(256)) * 4     # raw: every byte value unchanged
        g.output(data + b"END")
        got = read_until(fd, b"END")
        assert data in got
    finally:
        os.close(fd)
    wait_for(lambda: g.log_bytes().endswith(b"END"), what="log complete")
    assert g.log_bytes() == b"early boot line\r\n" + data + b"END"
    assert "dom3: console of guest3 on /dev/pts/" in env.log()


def test_input_reaches_in_ring(env):
    g = Guest(env, 4)
    fd = open_tty(g.tty())
    try:
        os.write(fd, b"root\n\r\x03\x7f")    # raw: no translation, no signals
        assert g.input(7) == b"root\n\r\x03\x7f"[:7]
        # More than the in ring holds: consoled waits for the guest.
        big = bytes((i * 7) & 0xff for i in range(5000))
        os.set_blocking(fd, True)
        os.write(fd, big)
        assert g.input(1 + len(big)) == b"\x7f" + big
    finally:
        os.close(fd)


def test_flood_without_reader_neither_blocks_nor_starves(env):
    flood = Guest(env, 5)
    other = Guest(env, 6)
    flood.tty()
    ofd = open_tty(other.tty())
    try:
        chunk = b"x" * 4000 + b"\n"
        total = 0
        start = time.monotonic()
        for i in range(1000):            # 4 MB with nobody on the pty
            flood.output(chunk)
            total += len(chunk)
            if i % 100 == 0:              # the other console keeps working
                other.output(b"ping%d;" % i)
                read_until(ofd, b"ping%d;" % i, timeout=10)
        assert time.monotonic() - start < 120
    finally:
        os.close(ofd)
    wait_for(lambda: len(flood.log_bytes()) == total, 30, "flood logged")
    wait_for(lambda: "dom5: nobody reads" in env.log(), 10, "drop reported")
    assert "dropped" in env.log()
    # The queue kept the newest output for a late reader.
    fd = open_tty(flood.tty())
    try:
        flood.output(b"after flood\n")
        read_until(fd, b"after flood\n")
    finally:
        os.close(fd)


def test_bad_indices_stop_only_that_domain(env):
    bad = Guest(env, 7)
    good = Guest(env, 8)
    bad.tty()
    gfd = open_tty(good.tty())
    try:
        bad.set_u32(OUT_PROD, bad.u32(OUT_CONS) + OUT_SIZE + 1)
        bad.notify()
        wait_for(lambda: "dom7: illegal ring indices" in env.log(),
                 what="illegal indices logged")
        bad.no_tty()
        # No longer served: output on a fixed ring is not read.
        bad.set_u32(OUT_PROD, bad.u32(OUT_CONS))
        bad.output(b"ignored")
        bad.notify()
        good.output(b"still here\n")
        read_until(gfd, b"still here\n")
        assert bad.u32(OUT_CONS) + 7 == bad.u32(OUT_PROD)
        # A bad in_cons (guest claims to have read unwritten input) too.
        bad2 = Guest(env, 9)
        bad2.tty()
        bad2.set_u32(IN_CONS, bad2.u32(IN_PROD) + 5)
        bad2.notify()
        wait_for(lambda: "dom9: illegal ring indices" in env.log(),
                 what="illegal in_cons logged")
        good.output(b"and here\n")
        read_until(gfd, b"and here\n")
    finally:
        os.close(gfd)
    assert env.cd.p.poll() is None


def test_removal_tears_down_and_recreation_works(env):
    g = Guest(env, 10)
    tty = g.tty()
    fd = open_tty(tty)
    g.output(b"first life\n")
    read_until(fd, b"first life\n")
    env.xs.rm(g.home)                    # as xl destroy does
    with pytest.raises(EOFError):        # the pty hangs up
        read_until(fd, b"never", timeout=10)
    os.close(fd)
    wait_for(lambda: "dom10: console closed: console keys removed" in env.log())
    assert g.log_bytes() == b"first life\n"  # the log stays
    g.close()
    # Same domid again (new page), without a new INTRODUCE.
    g = Guest(env, 10, introduce=False)
    fd = open_tty(g.tty())
    try:
        g.output(b"second life\n")
        read_until(fd, b"second life\n")
    finally:
        os.close(fd)
    assert g.log_bytes() == b"first life\nsecond life\n"
    # Released and re-introduced, as xl destroy + create do.
    env.xs.rm(g.home)
    env.xs.release(10)
    wait_for(lambda: "dom10: console closed" in env.log().split("second life")[-1]
             or env.log().count("dom10: console closed") >= 2)
    g.close()
    g = Guest(env, 10)
    fd = open_tty(g.tty())
    try:
        g.output(b"third life\n")
        read_until(fd, b"third life\n")
    finally:
        os.close(fd)


def test_changed_ring_ref_reopens(env):
    g = Guest(env, 11)
    first = g.tty()
    g.write_keys(ring_ref=5555)
    wait_for(lambda: "dom11: console closed: console/ring-ref or console/port changed"
             in env.log())
    fd = open_tty(g.tty())
    try:
        g.output(b"on the new ring\n")
        read_until(fd, b"on the new ring\n")
    finally:
        os.close(fd)
    assert first.startswith("/dev/pts/")


def test_name_removed_tears_down(env):
    g = Guest(env, 14)
    fd = open_tty(g.tty())
    try:
        env.xs.rm(f"{g.home}/name")
        with pytest.raises(EOFError):
            read_until(fd, b"never", timeout=10)
    finally:
        os.close(fd)
    g.no_tty()
    wait_for(lambda: "dom14: console closed: domain name removed" in env.log())
    env.xs.write(f"{g.home}/name", g.name)
    g.tty()


def test_other_console_types_and_bad_keys_ignored(env):
    g = Guest(env, 12)
    g.tty()
    env.xs.write(f"{g.home}/console/type", "ioemu")
    g.no_tty()
    env.xs.write(f"{g.home}/console/type", "xenconsoled")
    g.tty()
    env.xs.write(f"{g.home}/console/port", "12abc")
    g.no_tty()
    env.xs.write(f"{g.home}/console/port", "7")
    env.xs.write(f"{g.home}/console/ring-ref", "-1")
    wait_for(lambda: "console/ring-ref is not a frame number" in env.log())
    env.xs.write(f"{g.home}/console/ring-ref", "1012")
    g.tty()


def test_hostile_name_stays_in_log_dir(env):
    g = Guest(env, 13, name="../../etc/passwd")
    g.tty()
    g.output(b"x\n")
    # No '/' survives: the file is a plain name inside the log directory.
    wait_for(lambda: g.log_bytes() == b"x\n")
    assert os.listdir(env.log_dir) == ["guest-_._.._etc_passwd.log"]


# ---- xl console ------------------------------------------------------------

def xl_console(env, *args):
    """xl console on a pty of its own, as a user's terminal."""
    pid, master = pty.fork()
    if pid == 0:
        os.environ["XENSTORED_PATH"] = env.sock
        os.execv(XL_CONSOLE, [XL_CONSOLE, "console", *args])
    return pid, master


def wait_exit(pid, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        p, status = os.waitpid(pid, os.WNOHANG)
        if p:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise TimeoutError("xl console did not exit")


def drain_pty(master):
    out = b""
    while True:
        r, _, _ = select.select([master], [], [], 0.2)
        if not r:
            return out
        try:
            d = os.read(master, 65536)
        except OSError:
            return out
        if not d:
            return out
        out += d


def test_xl_console_relays_and_detaches(env):
    g = Guest(env, 20)
    g.tty()
    pid, master = xl_console(env, "-t", "pv", "-n", "0", "20")
    try:
        g.output(b"login: ")
        read_until(master, b"login: ")
        os.write(master, b"root\r")      # raw terminal: \r stays \r
        assert g.input(5) == b"root\r"
        os.write(master, b"ab\x1dcd")     # Ctrl-]: detach; "cd" never sent
        assert wait_exit(pid) == 0
        assert g.input(2) == b"ab"
        time.sleep(0.3)
        assert g.u32(IN_PROD) == g.u32(IN_CONS)
    finally:
        os.close(master)


def test_xl_console_restores_terminal_on_signal(env):
    g = Guest(env, 21)
    g.tty()
    pid, master = xl_console(env, "21")
    try:
        g.output(b"ready\n")
        read_until(master, b"ready\n")
        attrs = termios.tcgetattr(master)
        assert not attrs[3] & termios.ECHO     # raw while attached
        os.kill(pid, signal.SIGTERM)
        assert wait_exit(pid) == 1
        attrs = termios.tcgetattr(master)
        assert attrs[3] & termios.ECHO and attrs[3] & termios.ICANON
    finally:
        os.close(master)


def test_xl_console_exits_when_domain_goes(env):
    g = Guest(env, 22)
    g.tty()
    pid, master = xl_console(env, "22")
    try:
        g.output(b"bye\n")
        read_until(master, b"bye\n")
        env.xs.rm(g.home)
        assert wait_exit(pid) == 0
    finally:
        os.close(master)


def run_xl(env, *args, timeout=30):
    return subprocess.run([XL_CONSOLE, "console", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, XENSTORED_PATH=env.sock))


def test_xl_console_waits_for_consoled(env):
    # The tty appears a moment after xl console starts, as after xl create.
    env.xs.write("/local/domain/23/name", "guest23")   # built, no console yet
    pid, master = xl_console(env, "23")
    try:
        time.sleep(1)
        g = Guest(env, 23)
        g.output(b"late\n")
        read_until(master, b"late\n")
        os.write(master, b"\x1d")
        assert wait_exit(pid) == 0
    finally:
        os.close(master)


def test_xl_console_errors(env):
    r = run_xl(env, "99")
    assert r.returncode == 1
    assert r.stderr == "xl: console of domain 99: domain not in xenstore: ENOENT: no such file or directory\n" \
        or r.stderr.startswith("xl: console of domain 99: domain not in xenstore: ENOENT"), r.stderr
    env.xs.write("/local/domain/30/name", "noconsole")
    start = time.monotonic()
    r = run_xl(env, "30")
    assert r.returncode == 1
    assert r.stderr == "xl: console of domain 30: no tty in xenstore (is consoled running?)\n"
    assert 9 < time.monotonic() - start < 20
    r = run_xl(env, "-t", "serial", "30")
    assert r.returncode == 1 and "only pv consoles" in r.stderr
    r = run_xl(env, "-n", "x", "30")
    assert r.returncode == 1 and "not a console number" in r.stderr
