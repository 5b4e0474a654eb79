# SPDX-License-Identifier: MIT
"""Disks for guests (issue 16): a guest created with disk= lines gets
/dev/xvda and /dev/xvdb from its stock xen-blkfront, served by blkback in
dom0's user space from raw images in dom0's tmpfs.  The guest writes and
reads back, dom0 finds the bytes in the image, a read-only disk refuses
writes, blkback survives kill -9 mid-I/O, and destroy leaves no back-end
state.  One boot for the module; the tests run in file order."""
import re

import pytest

from test_linux import LinuxShell
from test_xl_create import back_to_dom0, guest_shell, run, wait_console_marker, wait_gone

DISK_MIB = 64
CFG = "\\n".join([
    'name = "blk"',
    'kernel = "/boot/vmlinuz"',
    'ramdisk = "/boot/initrd-guest.gz"',
    'extra = "console=hvc0"',
    'memory = 128',
    'disk = [ "/tmp/disk.img,raw,xvda,rw", "format=raw, vdev=xvdb, access=ro, target=/tmp/ro.img" ]',
]) + "\\n"


@pytest.fixture(scope="module")
def dom0(tmp_path_factory):
    sh = LinuxShell(tmp_path_factory.mktemp("blk"), "blk", vcpus=2)
    yield sh
    if sh.boot.status is None:
        sh.boot.child.terminate(force=True)


def gsh(sh, cmd, timeout=400):
    """A guest shell command (through xl console)."""
    return sh.run(cmd, timeout=timeout)


def sha(out):
    m = re.search(r"\b([0-9a-f]{64})\b", out)
    assert m, out
    return m.group(1)


def test_create_with_two_disks(dom0):
    # Written, not sparse: reads then cost what a real disk's would in dom0.
    out, rc = run(dom0, "dmesg -n 1")
    out, rc = run(dom0, f"dd if=/dev/zero of=/tmp/disk.img bs=1M count={DISK_MIB} 2>/dev/null && "
                        "dd if=/dev/urandom of=/tmp/ro.img bs=1M count=4 2>/dev/null && "
                        f"printf '{CFG}' > /tmp/blk.cfg && xl create /tmp/blk.cfg")
    assert rc == 0, out
    wait_console_marker(dom0, "blk")
    out, rc = run(dom0, "xl block-list blk")
    assert rc == 0, out
    lines = out.splitlines()
    head = next(i for i, l in enumerate(lines) if l.startswith("Vdev"))
    assert lines[head].split() == ["Vdev", "BE", "handle", "state", "evt-ch", "ring-ref",
                                   "BE-path"], out
    devs = {l.split()[0]: l.split() for l in lines[head + 1:] if l.strip()}
    assert set(devs) == {"51712", "51728"}, out
    domid = run(dom0, "xl domid blk")[0].splitlines()[-1]
    for devid, cols in devs.items():
        assert cols[1] == "0" and cols[2] == domid, out
        assert cols[6] == f"/local/domain/0/backend/vbd/{domid}/{devid}", out
    out, rc = run(dom0, "cat /var/log/xen/blkback.log")
    assert "serving vbd devices" in out, out


def test_guest_sees_the_disks(dom0):
    guest_shell(dom0, "blk")
    # blkfront connects while the shell starts: wait for the nodes.
    out, rc = gsh(dom0, "i=0; while [ ! -b /dev/xvdb ] && [ $i -lt 600 ]; do sleep 0.1; "
                        "i=$((i+1)); done; cat /sys/block/xvda/size /sys/block/xvda/ro "
                        "/sys/block/xvdb/size /sys/block/xvdb/ro")
    assert rc == 0, out
    assert out.split()[-4:] == [str(DISK_MIB * 2048), "0", str(4 * 2048), "1"], out


def test_write_and_read_back_in_the_guest(dom0):
    out, rc = gsh(dom0, "dd if=/dev/urandom of=/tmp/pat bs=1M count=4 2>/dev/null && "
                        "sha256sum /tmp/pat")
    assert rc == 0, out
    want = sha(out)
    out, rc = gsh(dom0, "dd if=/tmp/pat of=/dev/xvda bs=1M seek=3 conv=fsync 2>/dev/null && "
                        "dd if=/dev/xvda bs=1M skip=3 count=4 2>/dev/null | sha256sum")
    assert rc == 0 and sha(out) == want, out
    # Past the page cache: the bytes come from blkback again.
    out, rc = gsh(dom0, "sync; echo 3 > /proc/sys/vm/drop_caches; "
                        "dd if=/dev/xvda bs=1M skip=3 count=4 iflag=direct 2>/dev/null | sha256sum")
    assert rc == 0 and sha(out) == want, out
    out, rc = gsh(dom0, "echo 3 > /proc/sys/vm/drop_caches; "
                        "dd if=/dev/xvda bs=1M skip=3 count=4 2>/dev/null | sha256sum")
    assert rc == 0 and sha(out) == want, out
    test_write_and_read_back_in_the_guest.want = want


def test_read_only_disk_refuses_writes(dom0):
    out, rc = gsh(dom0, "dd if=/dev/xvdb bs=1M count=4 2>/dev/null | sha256sum")
    assert rc == 0, out
    before = sha(out)
    out, rc = gsh(dom0, "dd if=/dev/zero of=/dev/xvdb bs=4k count=1 conv=fsync")
    assert rc != 0, out
    out, rc = gsh(dom0, "echo 3 > /proc/sys/vm/drop_caches; "
                        "dd if=/dev/xvdb bs=1M count=4 2>/dev/null | sha256sum")
    assert rc == 0 and sha(out) == before, out


def timed(sh, cmd):
    """Seconds a guest command takes, by the guest's clock (Xen's PV
    clock, wall time)."""
    up = 'cut -d" " -f1 /proc/uptime'
    out, rc = gsh(sh, f"a=$({up}); {cmd}; r=$?; b=$({up}); echo $a $b; [ $r -eq 0 ]")
    assert rc == 0, out
    a, b = map(float, out.splitlines()[-1].split())
    return b - a


def test_sequential_throughput(dom0):
    """Measured for the report (1 MiB requests, caches dropped first); no
    assertion on time."""
    drop = "echo 3 > /proc/sys/vm/drop_caches"
    for what, cmd, mib in [
        ("read", f"dd if=/dev/xvda of=/dev/null bs=1M count={DISK_MIB} 2>/dev/null", DISK_MIB),
        ("read, O_DIRECT", f"dd if=/dev/xvda of=/dev/null bs=1M count={DISK_MIB} iflag=direct "
                           "2>/dev/null", DISK_MIB),
        ("write + fsync", "dd if=/dev/zero of=/dev/xvda bs=1M seek=16 count=32 conv=fsync "
                          "2>/dev/null", 32),
    ]:
        gsh(dom0, drop)
        t = timed(dom0, cmd)
        print(f"blkback sequential {what} in the guest: {mib} MiB in {t:.2f} s = "
              f"{mib / t:.1f} MiB/s")


def test_dom0_sees_the_guests_bytes(dom0):
    back_to_dom0(dom0)
    out, rc = run(dom0, "dd if=/tmp/disk.img bs=1M skip=3 count=4 2>/dev/null | sha256sum")
    assert rc == 0 and sha(out) == test_write_and_read_back_in_the_guest.want, out


def test_attach_and_detach_while_the_guest_runs(dom0):
    out, rc = run(dom0, "dd if=/dev/zero of=/tmp/c.img bs=1M count=8 2>/dev/null && "
                        "xl block-attach blk /tmp/c.img,raw,xvdc,rw && xl block-list blk")
    assert rc == 0, out
    assert re.search(r"^51744 ", out, re.M), out
    guest_shell(dom0, "blk")
    out, rc = gsh(dom0, "i=0; while [ ! -b /dev/xvdc ] && [ $i -lt 600 ]; do sleep 0.1; "
                        "i=$((i+1)); done; cat /sys/block/xvdc/size && "
                        "echo attached-ok | dd of=/dev/xvdc conv=fsync 2>/dev/null")
    assert rc == 0 and str(8 * 2048) in out.splitlines(), out
    back_to_dom0(dom0)
    out, rc = run(dom0, "head -c 11 /tmp/c.img; echo; xl block-detach blk xvdc && "
                        "xl block-list blk")
    assert rc == 0 and "attached-ok" in out, out
    assert not re.search(r"^51744 ", out, re.M), out
    guest_shell(dom0, "blk")
    out, rc = gsh(dom0, "i=0; while [ -b /dev/xvdc ] && [ $i -lt 600 ]; do sleep 0.1; "
                        "i=$((i+1)); done; ls /dev/xvd*")
    assert "xvdc" not in out and "/dev/xvda" in out, out
    back_to_dom0(dom0)


def test_discard_punches_the_image(dom0):
    """blkdiscard in the guest reaches the image as a hole: zeros where
    the guest had written, and fewer blocks used in dom0's tmpfs."""
    guest_shell(dom0, "blk")
    out, rc = gsh(dom0, "cat /sys/block/xvda/queue/discard_max_bytes; "
                        "dd if=/dev/urandom of=/dev/xvda bs=1M seek=40 count=4 conv=fsync "
                        "2>/dev/null && blkdiscard -o $((40 << 20)) -l $((4 << 20)) /dev/xvda")
    assert rc == 0 and int(next(l for l in out.splitlines() if l.isdigit())) > 0, out
    back_to_dom0(dom0)
    out, rc = run(dom0, "dd if=/tmp/disk.img bs=1M skip=40 count=4 2>/dev/null | "
                        "tr -d '\\000' | wc -c")
    assert rc == 0 and out.splitlines()[-1].strip() == "0", out


def test_a_dom0_block_device_as_a_disk(dom0):
    """A loop device in dom0 (over an image) given to the guest with the
    xend-style phy: prefix: its size, data both ways."""
    out, rc = run(dom0, "modprobe loop && dd if=/dev/zero of=/tmp/bd.img bs=1M count=16 "
                        "2>/dev/null && losetup /dev/loop0 /tmp/bd.img && "
                        "xl block-attach blk phy:/dev/loop0,xvdd,w")
    assert rc == 0, out
    guest_shell(dom0, "blk")
    out, rc = gsh(dom0, "i=0; while [ ! -b /dev/xvdd ] && [ $i -lt 600 ]; do sleep 0.1; "
                        "i=$((i+1)); done; cat /sys/block/xvdd/size && "
                        "dd if=/tmp/pat of=/dev/xvdd bs=1M seek=2 conv=fsync 2>/dev/null && "
                        "echo 3 > /proc/sys/vm/drop_caches && "
                        "dd if=/dev/xvdd bs=1M skip=2 count=4 2>/dev/null | sha256sum")
    assert rc == 0 and str(16 * 2048) in out.splitlines(), out    # (kernel lines interleave)
    assert sha(out) == test_write_and_read_back_in_the_guest.want, out
    back_to_dom0(dom0)
    out, rc = run(dom0, "dd if=/dev/loop0 bs=1M skip=2 count=4 2>/dev/null | sha256sum; "
                        "xl block-detach blk xvdd && losetup -d /dev/loop0")
    assert rc == 0 and sha(out) == test_write_and_read_back_in_the_guest.want, out


def test_a_missing_image_is_named_and_nothing_is_made(dom0):
    out, rc = run(dom0, "xl create /tmp/blk.cfg 'name=\"nodisk\"' "
                        "'disk=[\"/tmp/no-such.img,raw,xvda,rw\"]'")
    assert rc == 1 and "/tmp/no-such.img" in out, out
    out, rc = run(dom0, "xl domid nodisk")
    assert rc != 0, out


def test_blkback_restarts_under_io(dom0):
    """kill -9 while the guest writes and reads; a new blkback takes the
    devices up from xenstore and the rings, and the guest's I/O completes
    with the right bytes and no error."""
    guest_shell(dom0, "blk")
    out, rc = gsh(dom0, "dd if=/dev/urandom of=/tmp/pat2 bs=1M count=8 2>/dev/null && "
                        "sha256sum /tmp/pat2")
    want = sha(out)
    # In the background: write, drop caches, read back; the result lands
    # in /tmp/io.done.
    dom0.run("(dd if=/tmp/pat2 of=/dev/xvda bs=64k seek=512 conv=fsync 2>/tmp/io.err; "
             "echo 3 > /proc/sys/vm/drop_caches; "
             "dd if=/dev/xvda bs=64k skip=512 count=128 2>>/tmp/io.err | sha256sum "
             "> /tmp/io.done) & true")
    back_to_dom0(dom0)
    out, rc = run(dom0, "kill -9 $(cat /run/blkback.pid) && sleep 1 && "
                        "blkback --daemon --log /var/log/xen/blkback.log && sleep 1 && "
                        "kill -0 $(cat /run/blkback.pid)")
    assert rc == 0, out
    guest_shell(dom0, "blk")
    out, rc = gsh(dom0, "i=0; while [ ! -s /tmp/io.done ] && [ $i -lt 3000 ]; do sleep 0.2; "
                        "i=$((i+1)); done; cat /tmp/io.done /tmp/io.err; dmesg | grep -ci 'i/o error'",
                  timeout=900)
    assert sha(out) == want, out
    assert out.splitlines()[-1] == "0", out
    back_to_dom0(dom0)


def test_destroy_leaves_no_backend_state(dom0):
    domid = run(dom0, "xl domid blk")[0].splitlines()[-1]
    out, rc = run(dom0, "xl destroy blk")
    assert rc == 0, out
    wait_gone(dom0, "blk")
    # blkback lets go of both devices (its log) and of the images (its fds).
    out, rc = run(dom0, f"i=0; while [ $(grep -cE 'vbd-{domid}-517(12|28): removed' "
                        f"/var/log/xen/blkback.log) -lt 2 ] && [ $i -lt 100 ]; do sleep 0.2; "
                        f"i=$((i+1)); done; grep -E 'vbd-{domid}-517(12|28): removed' /var/log/xen/blkback.log; "
                        f"ls -l /proc/$(cat /run/blkback.pid)/fd | grep -c '\\.img' ; true")
    assert out.count(": removed") == 2, out
    assert out.splitlines()[-1] == "0", out
    print(run(dom0, "cat /var/log/xen/blkback.log")[0])
