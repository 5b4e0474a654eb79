# SPDX-License-Identifier: MIT
"""Networks for guests (issue 16): a guest created with a vif= line gets
eth0 from its stock xen-netfront, served by netback in dom0's user space
through a TAP device vif<domid>.0 on dom0's bridge xenbr0.  Ping both
ways, 8 MiB over TCP both ways with matching sha256, network-attach and
-detach of a second vif, netback killed with -9 and restarted while TCP
runs both ways, and destroy taking the TAP away.  One boot for the
module; the tests run in file order."""
import re

import pytest

from test_blk import gsh, sha, timed
from test_linux import LinuxShell
from test_xl_create import back_to_dom0, guest_shell, run, wait_console_marker, wait_gone

NAME = "net"
DOM0_IP, GUEST_IP = "10.99.0.1", "10.99.0.2"
PAT_MIB = 8
CFG = "\\n".join([
    f'name = "{NAME}"',
    'kernel = "/boot/vmlinuz"',
    'ramdisk = "/boot/initrd-guest.gz"',
    'extra = "console=hvc0"',
    'memory = 160',
    'vif = [ "mac=00:16:3e:00:00:42,bridge=xenbr0" ]',
]) + "\\n"


@pytest.fixture(scope="module")
def dom0(tmp_path_factory):
    sh = LinuxShell(tmp_path_factory.mktemp("net"), "net", vcpus=2)
    yield sh
    if sh.boot.status is None:
        sh.boot.child.terminate(force=True)


# A listener's stdin is a pipe that stays open: busybox nc stops at EOF on
# stdin, and a background job reading the console would be stopped (SIGTTIN).
def wait_file(sh, path, tries=1500, runner=run):
    """Until path is non-empty (0.2 s steps); its contents."""
    out, rc = runner(sh, f"i=0; while [ ! -s {path} ] && [ $i -lt {tries} ]; do sleep 0.2; "
                         f"i=$((i+1)); done; cat {path}", timeout=tries // 5 + 120)
    return out


def rtt(out):
    m = re.search(r"min/avg/max = ([\d.]+)/([\d.]+)/([\d.]+) ms", out)
    assert m, out
    return float(m.group(2))


def test_create_with_a_vif(dom0):
    out, rc = run(dom0, "dmesg -n 1; brctl addbr xenbr0 && "
                        f"ip addr add {DOM0_IP}/24 dev xenbr0 && ip link set xenbr0 up && "
                        f"printf '{CFG}' > /tmp/net.cfg && xl create /tmp/net.cfg")
    assert rc == 0, out
    wait_console_marker(dom0, NAME)
    domid = run(dom0, f"xl domid {NAME}")[0].splitlines()[-1]
    # netfront connects while the guest's shell starts: wait for state 4.
    out, rc = run(dom0, f"i=0; while ! xl network-list {NAME} | grep -q '^0 .* 4 ' && "
                        f"[ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done; "
                        f"xl network-list {NAME}")
    assert rc == 0, out
    lines = out.splitlines()
    head = next(i for i, l in enumerate(lines) if l.startswith("Idx"))
    assert lines[head].split() == ["Idx", "BE", "Mac", "Addr.", "handle", "state", "evt-ch",
                                   "tx-/rx-ring-ref", "BE-path"], out
    cols = lines[head + 1].split()
    assert cols[:5] == ["0", "0", "00:16:3e:00:00:42", "0", "4"], out
    assert re.fullmatch(r"\d+/\d+", cols[6]), out
    assert cols[7] == f"/local/domain/0/backend/vif/{domid}/0", out
    out, rc = run(dom0, f"cat /var/log/xen/netback.log; ip link show vif{domid}.0; "
                        "ls /sys/class/net/xenbr0/brif")
    assert "serving vif devices" in out and f"vif{domid}.0" in out.split("brif")[-1], out
    test_create_with_a_vif.domid = domid


def test_ping_both_ways(dom0):
    guest_shell(dom0, NAME)
    out, rc = gsh(dom0, "i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 600 ]; do "
                        "sleep 0.1; i=$((i+1)); done; cat /sys/class/net/eth0/address && "
                        f"ip addr add {GUEST_IP}/24 dev eth0 && ip link set eth0 up && "
                        f"ping -c 5 {DOM0_IP}")
    assert rc == 0 and "00:16:3e:00:00:42" in out, out
    print(f"netback ping guest -> dom0: avg {rtt(out):.3f} ms")
    back_to_dom0(dom0)
    out, rc = run(dom0, f"ping -c 5 {GUEST_IP}")
    assert rc == 0, out
    print(f"netback ping dom0 -> guest: avg {rtt(out):.3f} ms")


def vif_counts(sh):
    """The vif's packet and byte counters in dom0 (its tx is to the guest)."""
    d = f"/sys/class/net/vif{test_create_with_a_vif.domid}.0/statistics"
    out, rc = run(sh, f"cat {d}/rx_packets {d}/rx_bytes {d}/tx_packets {d}/tx_bytes")
    return [int(x) for x in out.split()[-4:]]


def print_sizes(what, before, after):
    d = [a - b for a, b in zip(after, before)]
    print(f"netback {what}: guest -> dom0 {d[0]} packets, {d[1] // max(d[0], 1)} bytes "
          f"each; dom0 -> guest {d[2]} packets, {d[3] // max(d[2], 1)} bytes each")


def test_tcp_guest_to_dom0(dom0):
    """8 MiB of random bytes over TCP; the sha256 in dom0 matches the
    guest's.  Throughput printed for the report, not asserted."""
    run(dom0, "rm -f /tmp/g2d; (sleep 900 | nc -l -p 5000 | sha256sum > /tmp/g2d) & sleep 1")
    before = vif_counts(dom0)
    guest_shell(dom0, NAME)
    out, rc = gsh(dom0, f"dd if=/dev/urandom of=/tmp/pat bs=1M count={PAT_MIB} 2>/dev/null "
                        "&& sha256sum /tmp/pat")
    assert rc == 0, out
    want = sha(out)
    t = timed(dom0, f"nc {DOM0_IP} 5000 < /tmp/pat")
    print(f"netback TCP guest -> dom0: {PAT_MIB} MiB in {t:.2f} s = {PAT_MIB / t:.1f} MiB/s")
    back_to_dom0(dom0)
    assert sha(wait_file(dom0, "/tmp/g2d")) == want
    print_sizes("TCP guest -> dom0", before, vif_counts(dom0))
    test_tcp_guest_to_dom0.want = want


def test_tcp_dom0_to_guest(dom0):
    out, rc = run(dom0, f"dd if=/dev/urandom of=/tmp/pat bs=1M count={PAT_MIB} 2>/dev/null "
                        "&& sha256sum /tmp/pat")
    assert rc == 0, out
    want = sha(out)
    guest_shell(dom0, NAME)
    gsh(dom0, "rm -f /tmp/d2g; (sleep 900 | nc -l -p 5001 | sha256sum > /tmp/d2g) & sleep 1")
    back_to_dom0(dom0)
    up = 'cut -d" " -f1 /proc/uptime'
    before = vif_counts(dom0)
    out, rc = run(dom0, f"a=$({up}); nc {GUEST_IP} 5001 < /tmp/pat; r=$?; b=$({up}); "
                        "echo $a $b; [ $r -eq 0 ]")
    assert rc == 0, out
    print_sizes("TCP dom0 -> guest", before, vif_counts(dom0))
    a, b = map(float, out.splitlines()[-1].split())
    print(f"netback TCP dom0 -> guest: {PAT_MIB} MiB in {b - a:.2f} s = "
          f"{PAT_MIB / (b - a):.1f} MiB/s")
    guest_shell(dom0, NAME)
    assert sha(wait_file(dom0, "/tmp/d2g", runner=gsh)) == want
    back_to_dom0(dom0)


def test_attach_and_detach_while_the_guest_runs(dom0):
    domid = test_create_with_a_vif.domid
    out, rc = run(dom0, f"ip addr add 10.99.1.1/24 dev xenbr0; "
                        f"xl network-attach {NAME} bridge=xenbr0 && "
                        f"i=0; while ! xl network-list {NAME} | grep -q '^1 .* 4 ' && "
                        f"[ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done; "
                        f"xl network-list {NAME}; ls /sys/class/net/xenbr0/brif")
    assert rc == 0, out
    assert re.search(r"^1 +0 +00:16:3e:[0-9a-f:]{8} +1 +4 ", out, re.M), out
    assert f"vif{domid}.1" in out.split("brif")[-1], out
    guest_shell(dom0, NAME)
    out, rc = gsh(dom0, "i=0; while [ ! -e /sys/class/net/eth1 ] && [ $i -lt 600 ]; do "
                        "sleep 0.1; i=$((i+1)); done; ip addr add 10.99.1.2/24 dev eth1 && "
                        "ip link set eth1 up && ping -c 3 10.99.1.1 && "
                        "cat /sys/class/net/eth1/statistics/tx_packets")
    assert rc == 0 and int(out.splitlines()[-1]) >= 3, out
    back_to_dom0(dom0)
    out, rc = run(dom0, f"xl network-detach {NAME} 1 && xl network-list {NAME}; "
                        f"ip link show vif{domid}.1; true")
    assert not re.search(r"^1 ", out, re.M) and re.search(r"^0 ", out, re.M), out
    assert "does not exist" in out or "Cannot find" in out or "can't find" in out, out
    guest_shell(dom0, NAME)
    out, rc = gsh(dom0, "i=0; while [ -e /sys/class/net/eth1 ] && [ $i -lt 600 ]; do "
                        f"sleep 0.1; i=$((i+1)); done; ls /sys/class/net; ping -c 2 {DOM0_IP}")
    assert rc == 0 and "eth1" not in out and "eth0" in out, out
    back_to_dom0(dom0)


def test_a_missing_bridge_is_named_and_nothing_is_made(dom0):
    """The hotplug script fails without its bridge: network-attach says so
    and leaves no device; xl create says so and leaves no domain."""
    out, rc = run(dom0, f"xl network-attach {NAME} bridge=nosuchbr; echo rc=$?; "
                        f"xl network-list {NAME}")
    assert "rc=1" in out and "hotplug script failed" in out, out
    assert not re.search(r"^1 ", out, re.M), out
    out, rc = run(dom0, "xl create /tmp/net.cfg 'name=\"nobr\"' 'vif=[\"bridge=nosuchbr\"]'")
    assert rc == 1 and "hotplug script failed" in out, out
    out, rc = run(dom0, "xl domid nobr")
    assert rc != 0, out
    out, rc = run(dom0, "ls /sys/class/net")
    assert set(re.findall(r"\bvif\d+\.\d+\b", out)) == {f"vif{test_create_with_a_vif.domid}.0"}, out


def test_netback_restarts_under_traffic(dom0):
    """kill -9 of netback while TCP streams run both ways (each sender
    paced to take about 20 s, so the kill lands mid-stream: checked by the
    receivers not having finished); a new netback takes the vif up from
    xenstore, the rings and the TAP, which stays on the bridge; both
    streams finish with the right bytes."""
    chunks = PAT_MIB * 10     # 100 KiB each, 0.25 s apart
    pace = (f"i=0; while [ $i -lt {chunks} ]; do dd if=/tmp/pat bs=100k skip=$i count=1 "
            "2>/dev/null; sleep 0.25; i=$((i+1)); done")
    out, rc = run(dom0, f"head -c {chunks * 100}k /tmp/pat | sha256sum; rm -f /tmp/r2; "
                        "(sleep 900 | nc -l -p 5002 | sha256sum > /tmp/r2) & sleep 1")
    want_d2g = sha(out)
    guest_shell(dom0, NAME)
    out, rc = gsh(dom0, f"head -c {chunks * 100}k /tmp/pat | sha256sum; rm -f /tmp/r3; "
                        "(sleep 900 | nc -l -p 5003 | sha256sum > /tmp/r3) & "
                        f"(({pace}) | nc {DOM0_IP} 5002) & sleep 1")
    want_g2d = sha(out)
    back_to_dom0(dom0)
    out, rc = run(dom0, f"(({pace}) | nc {GUEST_IP} 5003) & sleep 2; "
                        "kill -9 $(cat /run/netback.pid) && sleep 1 && "
                        "netback --daemon --log /var/log/xen/netback.log && sleep 1 && "
                        "kill -0 $(cat /run/netback.pid) && ls -l /tmp/r2 && "
                        "ls /sys/class/net/xenbr0/brif")
    assert rc == 0, out
    assert re.search(r" 0 \w+ +\d+ [\d:]+ /tmp/r2", out), out   # not finished at the kill
    assert f"vif{test_create_with_a_vif.domid}.0" in out, out
    assert sha(wait_file(dom0, "/tmp/r2")) == want_g2d
    guest_shell(dom0, NAME)
    assert sha(wait_file(dom0, "/tmp/r3", runner=gsh)) == want_d2g
    back_to_dom0(dom0)
    out, rc = run(dom0, "grep -c 'serving vif devices' /var/log/xen/netback.log")
    assert int(out.splitlines()[-1]) >= 2, out


def test_destroy_takes_the_tap_away(dom0):
    domid = test_create_with_a_vif.domid
    out, rc = run(dom0, f"xl destroy {NAME}")
    assert rc == 0, out
    wait_gone(dom0, NAME)
    out, rc = run(dom0, f"i=0; while [ $(grep -c 'vif-{domid}-0: removed' "
                        "/var/log/xen/netback.log) -lt 1 ] && [ $i -lt 100 ]; do sleep 0.2; "
                        f"i=$((i+1)); done; grep 'vif-{domid}-0: removed' /var/log/xen/netback.log;"
                        f" ls /sys/class/net")
    assert f"vif-{domid}-0: removed" in out and f"vif{domid}.0" not in out, out
    print(run(dom0, "cat /var/log/xen/netback.log")[0])
