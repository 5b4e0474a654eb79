# SPDX-License-Identifier: MIT
"""xl create from dom0's shell (issue 15): `make run`'s system -- Debian's
Linux as dom0 with xenstored, consoled and xl in its initramfs -- starts
the Debian guest that /etc/xen/debian.cfg describes (the same stock
kernel, as Debian's XZ bzImage, built by xl's user-space builder), reaches
its shell through `xl console`, and shuts it down, reboots and destroys it
as a Xen user would.  One boot for the module; the tests run in file order
and each leaves dom0 at its prompt with no guest running.
"""
import json
import re
import time

import pytest

from test_linux import PROMPT, LinuxShell, linux_abi

GUEST_BOOT = 600            # a guest Linux boot under TCG, with dom0 beside it
CTRL_RBRACKET = "\x1d"      # xl console's detach key


def run(sh, cmd, timeout=400):
    """A dom0 shell command; Mica's own log lines are left out."""
    out, rc = sh.run(cmd, timeout=timeout)
    return "\n".join(l for l in out.splitlines() if not l.startswith("(mica) ")), rc


def domains(sh):
    out, rc = run(sh, "xl list")
    assert rc == 0, out
    return {l.split()[0]: int(l.split()[1]) for l in out.splitlines()[1:] if l.strip()}


def wait_gone(sh, name):
    """The monitor destroys a guest after it shuts down: poll xl domid."""
    out, rc = run(sh, f"i=0; while xl domid {name} >/dev/null 2>&1 && [ $i -lt 1500 ]; "
                      f"do sleep 0.2; i=$((i+1)); done; xl domid {name}")
    assert rc != 0, out


# The guest's shell has started: busybox init runs, with its signal
# handlers.  (A reboot request that comes earlier, between the initramfs's
# marker and init's setup, is lost inside the guest -- busybox init has
# turned Ctrl-Alt-Del into a signal it does not handle yet -- on Xen too.)
SHELL_UP = "Enter 'help' for a list of built-in commands."


def wait_console_marker(sh, name, count=1, timeout=GUEST_BOOT):
    """Until the guest's console log (consoled's) shows its shell `count`
    times."""
    log = f"/var/log/xen/console/guest-{name}.log"
    # grep -c prints 0 (and fails) for a log without the line, nothing for
    # no log yet.
    out, rc = run(sh, f"i=0; n=0; while [ ${{n:-0}} -lt {count} ] && [ $i -lt {timeout * 2} ]; "
                      f"do sleep 0.5; i=$((i+1)); n=$(grep -c \"{SHELL_UP}\" {log} 2>/dev/null); "
                      f"done; grep -c \"{SHELL_UP}\" {log}", timeout=timeout + 60)
    assert rc == 0 and int(out.splitlines()[-1]) >= count, out


def guest_shell(sh, name):
    """Attach dom0's console to guest `name`'s shell (xl console): sh.run
    then runs commands in the guest, until back_to_dom0."""
    sh.boot.child.sendline(f"xl console {name}")
    sh.boot.child.sendline("")
    sh.boot.expect(PROMPT, timeout=60)
    # Kernel messages on the console would interleave with command output.
    out, rc = sh.run("dmesg -n 1; grep -c control_d /proc/xen/capabilities")
    assert out.splitlines()[-1] == "0", out


def back_to_dom0(sh):
    sh.boot.child.send(CTRL_RBRACKET)
    sh.boot.child.sendline("")
    sh.boot.expect(PROMPT, timeout=60)
    out, rc = sh.run("grep -c control_d /proc/xen/capabilities")
    assert out.splitlines()[-1] == "1", out


@pytest.fixture(scope="module")
def dom0(tmp_path_factory):
    sh = LinuxShell(tmp_path_factory.mktemp("xl-create"), "xl-create", vcpus=2)
    yield sh
    if sh.boot.status is None:
        sh.boot.child.terminate(force=True)


def test_create_c_reaches_the_guests_shell(dom0):
    dom0.boot.child.sendline("xl create /etc/xen/debian.cfg -c")
    dom0.boot.expect(r"Parsing config from /etc/xen/debian.cfg", timeout=60)
    i = dom0.boot.child.expect([r"MICA-INIT: up", r"\n\(d0\) (xl: .*|.*\.cfg:\d+: .*)\r"],
                               timeout=GUEST_BOOT)
    assert i == 0, dom0.boot.child.match.group(1)
    dom0.boot.expect(PROMPT, timeout=120)
    # The guest's shell: not the control domain, the same Debian kernel.
    out, rc = dom0.run("grep -c control_d /proc/xen/capabilities; uname -r")
    assert out.splitlines()[-2:] == ["0", linux_abi()], out
    # Nothing of the start-of-day region that Linux leaves mapped is both
    # writable and executable (libmica maps all after the image NX).
    out, rc = dom0.run("dmesg | grep 'W+X'")
    assert "Checked W+X mappings: passed" in out, out
    dom0.boot.child.send(CTRL_RBRACKET)
    dom0.boot.child.sendline("")
    dom0.boot.expect(PROMPT, timeout=60)
    out, rc = dom0.run("grep -c control_d /proc/xen/capabilities")
    assert out.splitlines()[-1] == "1", out                   # back in dom0
    out, rc = dom0.run("dmesg | grep 'W+X'")                  # the hypervisor's builder
    assert "Checked W+X mappings: passed" in out, out


def test_list_shows_the_guest(dom0):
    doms = domains(dom0)
    assert set(doms) == {"Domain-0", "debian"}, doms
    out, rc = run(dom0, "xl list -l debian")
    assert rc == 0, out
    d = json.loads(out)[0]
    assert d["config"]["c_info"]["name"] == "debian"
    assert d["config"]["b_info"]["max_memkb"] >= 256 * 1024


def test_console_attaches_again(dom0):
    dom0.boot.child.sendline("xl console debian")
    dom0.boot.child.sendline("")
    dom0.boot.expect(PROMPT, timeout=60)
    out, rc = dom0.run("grep -c control_d /proc/xen/capabilities")
    assert out.splitlines()[-1] == "0", out
    dom0.boot.child.send(CTRL_RBRACKET)
    dom0.boot.child.sendline("")
    dom0.boot.expect(PROMPT, timeout=60)


def test_shutdown_powers_the_guest_off_and_the_monitor_destroys_it(dom0):
    out, rc = run(dom0, "xl shutdown -w debian", timeout=GUEST_BOOT)
    assert rc == 0, out
    wait_gone(dom0, "debian")
    assert set(domains(dom0)) == {"Domain-0"}
    out, rc = run(dom0, "cat /var/log/xen/xl-debian.log")
    assert "shut down (poweroff): destroy" in out, out


def domid(sh, name):
    out, rc = run(sh, f"xl domid {name}")
    return int(out.splitlines()[-1]) if rc == 0 else None


def markers(sh, name):
    out, rc = run(sh, f"grep -c \"{SHELL_UP}\" /var/log/xen/console/guest-{name}.log")
    return int(out.splitlines()[-1]) if out.strip() else 0


def test_reboot_restarts_the_guest_with_a_new_id(dom0):
    before = markers(dom0, "debian")            # the log keeps earlier guests' boots
    out, rc = run(dom0, "xl create /etc/xen/debian.cfg")
    assert rc == 0, out
    first = domid(dom0, "debian")
    wait_console_marker(dom0, "debian", before + 1)
    out, rc = run(dom0, "xl reboot debian")
    assert rc == 0, out
    deadline = time.monotonic() + GUEST_BOOT    # a hang guard, not a measurement
    while domid(dom0, "debian") in (None, first) and time.monotonic() < deadline:
        time.sleep(1)
    assert domid(dom0, "debian") not in (None, first)
    wait_console_marker(dom0, "debian", before + 2)
    out, rc = run(dom0, "cat /var/log/xen/xl-debian.log")
    assert f"domain {first}: shut down (reboot): restart" in out, out
    out, rc = run(dom0, "xl destroy debian")
    assert rc == 0, out
    wait_gone(dom0, "debian")


def test_rename_sched_and_rename_restart(dom0):
    """xl rename and sched-credit2 on a running guest; then on_reboot =
    rename-restart keeps the old domain, shut down, as NAME-YYYYMMDDTHHMMZ
    and starts a new one under the name the guest had."""
    out, rc = run(dom0, "xl create /etc/xen/debian.cfg 'name=\"web\"' "
                        "'on_reboot=\"rename-restart\"'")
    assert rc == 0, out
    first = domid(dom0, "web")
    wait_console_marker(dom0, "web", 1)
    out, rc = run(dom0, "xl rename web shop && xl rename shop Domain-0")
    assert rc == 1 and "domain 0 is already called 'Domain-0'" in out, out
    doms = domains(dom0)
    assert "web" not in doms and doms.get("shop") == first, doms
    out, rc = run(dom0, "xl sched-credit2 -d shop -w 512 -c 50 && xl sched-credit2")
    assert rc == 0, out
    assert re.search(rf"^shop +{first} +512 +50$", out, re.M), out
    assert re.search(r"^Domain-0 +0 +256 +0$", out, re.M), out

    out, rc = run(dom0, "xl reboot shop")
    assert rc == 0, out
    deadline = time.monotonic() + GUEST_BOOT    # a hang guard, not a measurement
    while domid(dom0, "shop") in (None, first) and time.monotonic() < deadline:
        time.sleep(1)
    second = domid(dom0, "shop")
    assert second not in (None, first)
    kept = [n for n, i in domains(dom0).items() if i == first]
    assert kept and re.fullmatch(r"shop-\d{8}T\d{4}Z", kept[0]), domains(dom0)
    out, rc = run(dom0, f"xl list {first}")
    assert "---s--" in out, out                 # shut down (reboot), kept
    wait_console_marker(dom0, "shop", 1)
    out, rc = run(dom0, "cat /var/log/xen/xl-web.log")
    assert f"domain {first}: shut down (reboot): rename-restart" in out, out
    assert f"kept as '{kept[0]}'" in out and f"restarted as domain {second}" in out, out
    out, rc = run(dom0, f"xl destroy {first} && xl destroy shop")
    assert rc == 0, out
    wait_gone(dom0, "shop")
    assert set(domains(dom0)) == {"Domain-0"}


def test_bad_configs_are_named_and_leave_nothing(dom0):
    cases = [
        ('name="bad"\\nmemory="lots"\\nkernel="/boot/vmlinuz"\\n', r"/tmp/bad.cfg:2: memory"),
        ('name="bad"\\nkernel="/etc/profile"\\n', r"kernel"),
        ('name="bad"\\nkernel="/no/such/file"\\n', r"/no/such/file"),
        ('name="bad"\\nkernel="/boot/vmlinuz"\\nmemory=100000\\n', r"bad"),
    ]
    for text, want in cases:
        out, rc = run(dom0, f"printf '{text}' > /tmp/bad.cfg; xl create /tmp/bad.cfg")
        assert rc == 1, out
        assert re.search(want, out), (want, out)
        assert len([l for l in out.splitlines() if l.startswith("xl") or "bad.cfg:" in l]) >= 1
    assert set(domains(dom0)) == {"Domain-0"}


def test_uptime_counts_from_create(dom0):
    out, rc = run(dom0, "xl create /etc/xen/debian.cfg && sleep 2 && xl uptime")
    assert rc == 0, out
    lines = out.splitlines()
    head = lines.index(next(l for l in lines if l.startswith("Name")))
    assert re.match(r"Name +ID Uptime$", lines[head]), out
    up = {l.split()[0]: l.split()[-1] for l in lines[head + 1:]}
    assert set(up) == {"Domain-0", "debian"}, out
    h, m, s = map(int, up["debian"].split(":"))
    assert 2 <= h * 3600 + m * 60 + s < 3600, out


def test_guest_survives_a_consoled_restart(dom0):
    """kill -9 of consoled with the guest running: a new consoled finds the
    guest's console again in xenstore and xl console reaches its shell."""
    wait_console_marker(dom0, "debian", markers(dom0, "debian"))
    out, rc = run(dom0, "kill -9 $(pidof consoled) && sleep 1 && "
                        "(setsid consoled </dev/null >>/var/log/xen/consoled.log 2>&1 &) && sleep 2")
    assert rc == 0, out
    dom0.boot.child.sendline("xl console debian")
    dom0.boot.child.sendline("")
    dom0.boot.expect(PROMPT, timeout=60)
    out, rc = dom0.run("grep -c control_d /proc/xen/capabilities")
    assert out.splitlines()[-1] == "0", out                   # the guest's shell
    dom0.boot.child.send(CTRL_RBRACKET)
    dom0.boot.child.sendline("")
    dom0.boot.expect(PROMPT, timeout=60)
    out, rc = run(dom0, "xl destroy debian")
    assert rc == 0, out
    wait_gone(dom0, "debian")


def test_a_guest_that_crashes_at_boot_is_destroyed_by_on_crash(dom0):
    out, rc = run(dom0, "xl create /etc/xen/debian.cfg 'name=\"crash\"' "
                        "'extra=\"console=hvc0 rdinit=/no/such/init init=/no/such/init\"'")
    assert rc == 0, out
    wait_gone(dom0, "crash")
    out, rc = run(dom0, "cat /var/log/xen/xl-crash.log; grep -c 'Kernel panic' "
                        "/var/log/xen/console/guest-crash.log")
    assert "shut down (crash): destroy" in out, out
    assert set(domains(dom0)) == {"Domain-0"}


def free_mib(sh):
    out, rc = run(sh, "xl info | grep free_memory")
    assert rc == 0, out
    return int(out.split(":")[1])


def test_create_destroy_cycles_give_every_frame_back(dom0):
    """Paused guests (built, never run): after a first round, which may
    leave the hypervisor's heap a few frames for its small objects, twenty
    more end with exactly the free memory of before."""
    def cycle(i):
        out, rc = run(dom0, f"xl create -p /etc/xen/debian.cfg 'name=\"cycle{i}\"' memory=128 "
                            f"&& xl destroy cycle{i}")
        assert rc == 0, out
        wait_gone(dom0, f"cycle{i}")

    cycle(0)
    before = free_mib(dom0)
    for i in range(1, 21):
        cycle(i)
    assert free_mib(dom0) == before
