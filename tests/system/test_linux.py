# SPDX-License-Identifier: MIT
"""Debian's stock Linux 6.1 on Mica, driven over its shell on hvc0.

The kernel and initramfs come from guest-patches/ (make builds them into
build/linux).  One boot (`shell`, shared by the tests of this module in file
order) answers the questions about the running system and ends with
`poweroff`; reboot and panic need boots of their own.

Time tolerances, where a test compares clocks: the guest's own measure of a
`sleep 5` must be at least 5 s and no more than the host's measure of the
same command (which adds the console round trip) plus 0.5 s; its wall clock
(from the RTC, through Mica's shared-info wall time) within 10 s of the
host's.  Nothing here asserts on how fast anything runs.
"""
import hashlib
import os
import re
import time

import pexpect
import pytest

from mica_qemu import (BUILD, EXIT_DOM0_FAILED, EXIT_OK, Boot, boot_config_dtb, make_iso)

LINUX = os.path.join(BUILD, "linux")
VMLINUX = os.path.join(LINUX, "vmlinux")
INITRAMFS = os.path.join(LINUX, "initramfs.cpio.gz")
DOM0_MEM_MB = 512
LINUX_TIMEOUT = 900         # a whole boot under TCG with the workload
STEP_TIMEOUT = 400          # one shell command (the 200 MB fill is the longest)
PROMPT = "mica# "

# What dmesg must never say.
KERNEL_TROUBLE = re.compile(r"Oops|BUG:|kernel BUG|WARNING:|Call Trace|general protection")

FILL_WORD = "mica-fill-0123456789abcdef"
FILL_BYTES = 200 * 1024 * 1024


def linux_abi():
    with open(os.path.join(LINUX, "version")) as f:
        return f.read().split()[0] + "-amd64"


class LinuxShell:
    """A Linux guest booted as Mica's default domain, with its shell; or,
    given `boot`, the shell of a domain of a boot that is already running,
    whose console lines carry `prefix`."""

    def __init__(self, tmp_path, name, cpu="max", smp=2, vcpus=1, boot=None, prefix="(d0) ",
                 dom0_mem=f"{DOM0_MEM_MB}M"):
        self.prefix = prefix
        self.seq = 0
        if boot:
            self.boot = boot
            return
        for f in (VMLINUX, INITRAMFS):
            if not os.path.exists(f):
                pytest.fail(f"{f} is missing: run `make` first")
        iso = make_iso(str(tmp_path / f"{name}.iso"),
                       f"loglvl=info dom0_mem={dom0_mem} dom0_max_vcpus={vcpus}",
                       [(VMLINUX, "vmlinux console=hvc0"), (INITRAMFS, "initramfs")])
        self.boot = Boot(iso, name, cpu=cpu, smp=smp, timeout=LINUX_TIMEOUT)
        self.boot.expect(r"MICA-INIT: up", timeout=300)
        self.boot.expect(PROMPT, timeout=120)

    def run(self, cmd, timeout=STEP_TIMEOUT):
        """Run one shell command; returns (output, exit status)."""
        self.seq += 1
        t0 = time.monotonic()
        end = f"__mica_end_{self.seq}__"
        # The marker is split in the command so that its echo cannot match.
        self.boot.child.sendline(f"{cmd}; echo __mica_end_{self.seq}\"__ $?\"")
        self.boot.expect(re.escape(end) + r" (\d+)", timeout=timeout)
        status = int(self.boot.child.match.group(1))
        out = self.boot.child.before
        self.boot.expect(PROMPT, timeout=60)
        print(f"linux: {time.monotonic() - t0:6.1f} s  {cmd}")
        lines = [l[len(self.prefix):] if l.startswith(self.prefix) else l
                 for l in out.replace("\r", "").split("\n")]
        # Output starts after the echo of the command, which the terminal
        # may have wrapped anywhere: its last line ends as the command does.
        echo = max((i for i, l in enumerate(lines) if l.rstrip().endswith('__ $?"')), default=0)
        return "\n".join(lines[echo + 1:]).strip(), status

    def finish(self):
        return self.boot.finish()


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    sh = LinuxShell(tmp_path_factory.mktemp("linux"), "linux-shell", vcpus=2)
    yield sh
    if sh.boot.status is None:
        sh.boot.child.terminate(force=True)


def test_uname_is_debians_kernel(shell):
    out, rc = shell.run("uname -a")
    assert rc == 0
    assert f"Linux mica-guest {linux_abi()}" in out and "x86_64" in out, out


def test_booted_paravirtualized_on_xen_abi(shell):
    out, rc = shell.run("dmesg | grep -E 'Hypervisor detected|Booting .*kernel on|Xen version'")
    assert "Hypervisor detected: Xen PV" in out, out
    assert re.search(r"Booting (paravirtualized )?kernel on Xen", out), out
    assert "Xen version: 4.17.0-mica" in out, out
    out, rc = shell.run("cat /sys/hypervisor/type")
    assert (rc, out) == (0, "xen")


def test_dmesg_has_no_oops_bug_or_warning(shell):
    out, rc = shell.run("dmesg")
    assert rc == 0 and "Run /init as init process" in out
    trouble = [l for l in out.splitlines() if KERNEL_TROUBLE.search(l)]
    assert not trouble, "\n".join(trouble)


def test_clock_advances_with_the_host(shell):
    t0 = time.monotonic()
    out, rc = shell.run("cat /proc/uptime; sleep 5; cat /proc/uptime")
    host = time.monotonic() - t0
    before, after = (float(l.split()[0]) for l in out.splitlines())
    guest = after - before
    assert 5.0 <= guest <= host + 0.5, (guest, host)
    out, rc = shell.run("date +%s")
    assert abs(int(out) - time.time()) < 10, out


def test_free_shows_the_configured_memory(shell):
    out, rc = shell.run("dmesg | grep 'Memory:'; free -k | grep Mem:")
    m = re.search(r"Memory: (\d+)K/(\d+)K available", out)
    assert m, out
    # The kernel's count of RAM pages is dom0_mem to within 1 MiB: it sees
    # the legacy hole under 1 MiB and rounds its E820 ranges (512M shows
    # as 524292K, one page over).
    assert abs(int(m.group(2)) - DOM0_MEM_MB * 1024) <= 1024, out
    total = int(re.search(r"Mem:\s+(\d+)", out).group(1))
    # MemTotal lacks the kernel image, its early allocations and, as dom0,
    # the 64 MiB swiotlb bounce buffer (made contiguous with XENMEM_exchange).
    assert 0.70 * DOM0_MEM_MB * 1024 <= total <= DOM0_MEM_MB * 1024, out


def check_forks(shell):
    out, rc = shell.run("n=0; for i in $(seq 300); do /bin/true && n=$((n+1)); done; "
                        "echo forks=$n; echo $(seq 200 | xargs -n 1 echo | wc -l) lines")
    assert rc == 0 and "forks=300" in out and "200 lines" in out, out


def test_workload_forks_and_execs(shell):
    check_forks(shell)


def check_fill(shell):
    expect = hashlib.sha256()
    chunk = (FILL_WORD + "\n").encode() * 4096
    left = FILL_BYTES
    while left:
        expect.update(chunk[:min(left, len(chunk))])
        left -= min(left, len(chunk))
    # In a child sh: the interactive shell runs busybox applets unbuffered,
    # one 27-byte write(2) per line.
    out, rc = shell.run(f"sh -c 'yes {FILL_WORD} | head -c {FILL_BYTES} > /tmp/fill' && "
                        "ls -l /tmp/fill && sha256sum /tmp/fill; rm -f /tmp/fill")
    assert rc == 0 and str(FILL_BYTES) in out, out
    assert expect.hexdigest() in out, out


def test_workload_200mb_fill_checksum(shell):
    check_fill(shell)


def check_tar(shell):
    out, rc = shell.run("tar -C / -cf /tmp/i.tar init etc bin lib && mkdir -p /tmp/t && "
                        "tar -C /tmp/t -xf /tmp/i.tar && tar -tf /tmp/i.tar | wc -l && "
                        "cd /tmp/t && sha256sum init bin/busybox "
                        "lib/modules/*/kernel/drivers/block/xen-blkfront.ko; cd /")
    assert rc == 0, out
    here = os.path.dirname(__file__)
    files = {
        "init": os.path.join(here, "..", "..", "guest-patches", "initramfs", "init"),
        "bin/busybox": "/bin/busybox",
        "xen-blkfront.ko": os.path.join(LINUX, "modules", "kernel", "drivers", "block",
                                        "xen-blkfront.ko"),
    }
    for name, path in files.items():
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        assert re.search(rf"{digest}\s+\S*{re.escape(name)}", out), (name, out)


def test_workload_tar_of_the_initramfs(shell):
    check_tar(shell)


def cpu_ticks(shell):
    """user + system ticks of each CPU, from /proc/stat."""
    out, rc = shell.run("grep '^cpu[0-9]' /proc/stat")
    return [int(l.split()[1]) + int(l.split()[3]) for l in out.splitlines()]


def test_two_vcpus_both_do_work(shell):
    """SMP: VCPUOP_initialise/up brought CPU 1 up; two CPU-bound jobs
    keep both busy (each CPU gains at least a quarter of the ticks)."""
    out, rc = shell.run("nproc; dmesg | grep -E 'smp: Brought up'")
    assert out.splitlines()[0] == "2" and "2 CPUs" in out, out
    before = cpu_ticks(shell)
    out, rc = shell.run("for j in 1 2; do sh -c 'i=0; while [ $i -lt 30000 ]; do "
                        "i=$((i+1)); done; echo job-done' & done; wait")
    assert out.splitlines().count("job-done") == 2, out
    gained = [a - b for a, b in zip(cpu_ticks(shell), before)]
    assert len(gained) == 2 and min(gained) >= sum(gained) / 4, gained


def test_xl_lists_domain_0(shell):
    """`make run`'s dom0 has the toolstack: xl reaches Mica (docs/toolstack.md)."""
    out, rc = shell.run("xl list")
    assert rc == 0, out
    assert out.splitlines()[0].startswith("Name                                        ID   Mem VCPUs")
    assert re.match(r"Domain-0 +0 +\d+ +2 +r----- +\d+\.\d$", out.splitlines()[1]), out


def test_poweroff_ends_the_domain(shell):
    shell.boot.child.sendline("poweroff")
    status, text = shell.finish()
    assert "domain 0 shut down: poweroff (reason 0)" in text
    assert status == EXIT_OK


def test_reboot_is_reported(tmp_path):
    sh = LinuxShell(tmp_path, "linux-reboot")
    sh.boot.child.sendline("reboot")
    status, text = sh.finish()
    assert "domain 0 shut down: reboot (reason 1)" in text
    assert "restarting the machine" in text
    assert status == 0          # QEMU's -no-reboot: a reset ends it


def test_panic_is_reported_with_qemu64(tmp_path):
    """A kernel panic (sysrq c) on the oldest CPU model Mica supports."""
    sh = LinuxShell(tmp_path, "linux-panic-qemu64", cpu="qemu64")
    out, rc = sh.run("uname -m")
    assert out == "x86_64"
    sh.boot.child.sendline("echo c > /proc/sysrq-trigger")
    status, text = sh.finish()
    assert "Kernel panic" in text
    assert "domain 0 shut down: crash (reason 3)" in text
    assert status == EXIT_DOM0_FAILED


def test_two_linux_guests_from_the_boot_config(tmp_path):
    """Two unprivileged Linux domains from a boot configuration, each on a
    console ring Mica serves with its own prefix; both reach the shell and
    run the workload; Ctrl-A three times moves the input from one to the
    other; the machine powers off when both have."""
    guest = {"kernel": '"vmlinux"', "ramdisk": '"initramfs"', "cmdline": '"console=hvc0"',
             "memory": "<0 0x60000>"}                           # 384 MiB each
    dtb = boot_config_dtb(tmp_path, {"linux1": guest, "linux2": guest})
    iso = make_iso(str(tmp_path / "two.iso"), "loglvl=info",
                   [(VMLINUX, "vmlinux"), (INITRAMFS, "initramfs"), (str(dtb), "config")])
    boot = Boot(iso, "linux-two-guests", timeout=LINUX_TIMEOUT)
    try:
        for _ in range(2):
            boot.expect(r"\[linux[12]\] MICA-INIT: up", timeout=400)
        one = LinuxShell(tmp_path, "", boot=boot, prefix="[linux1] ")
        two = LinuxShell(tmp_path, "", boot=boot, prefix="[linux2] ")
        boot.child.sendline("")
        boot.expect(re.escape("[linux1] ") + PROMPT, timeout=120)    # linux1 has the input
        out, rc = one.run("uname -r; cat /sys/hypervisor/type; "
                          "dmesg | grep -c -E 'Oops|BUG:|WARNING:|Call Trace'")
        assert out.splitlines()[:3] == [linux_abi(), "xen", "0"], out
        check_forks(one)
        check_fill(one)
        check_tar(one)
        # Ctrl-A three times (doubled: QEMU's own escape is Ctrl-A too).
        boot.child.send("\x01\x01" * 3)
        boot.expect(r"console input now goes to d1 'linux2'")
        boot.child.sendline("")
        boot.expect(re.escape("[linux2] ") + PROMPT, timeout=120)
        out, rc = two.run("uname -r; dmesg | grep -c -E 'Oops|BUG:|WARNING:|Call Trace'")
        assert out.splitlines()[:2] == [linux_abi(), "0"], out
        check_forks(two)
        check_fill(two)
        check_tar(two)
        boot.child.sendline("poweroff")
        boot.expect(r"domain 1 shut down: poweroff", timeout=120)
        # The input moves on by itself from a domain that stopped.
        boot.expect(r"console input now goes to d0 'linux1'")
        boot.child.sendline("poweroff")
        status, text = boot.finish()
    finally:
        if boot.status is None:
            boot.child.terminate(force=True)
    assert "domain 0 shut down: poweroff" in text
    assert "no domain is left running; powering off" in text
    assert status == EXIT_OK
