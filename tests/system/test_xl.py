# SPDX-License-Identifier: MIT
"""xl in dom0 (issue 15, first part): Debian's Linux as the privileged
domain of a boot configuration, a test-kit domain beside it, and Xen's
commands typed at dom0's shell -- list (and -l as JSON), info, dmesg,
vcpu-list, domid/domname, pause/unpause, destroy -- with Xen's output
formats and one-line errors.  xl is dom0-tools/xl, statically linked into
the initramfs; it reaches Mica through Debian's libxencall and
/dev/xen/privcmd.
"""
import json
import os
import re

from mica_qemu import BUILD, EXIT_OK, Boot, boot_config_dtb, make_iso
from test_linux import INITRAMFS, LINUX_TIMEOUT, PROMPT, VMLINUX, LinuxShell

SPINNER = os.path.join(BUILD, "guests", "spinner.elf")


def run(sh, cmd):
    """A dom0 shell command; Mica's own log lines, which may come between
    the lines of its output on the shared serial console, are left out."""
    out, rc = sh.run(cmd)
    return "\n".join(l for l in out.splitlines() if not l.startswith("(mica) ")), rc


def test_xl_manages_the_domains_of_a_boot_configuration(tmp_path):
    dtb = boot_config_dtb(tmp_path, {
        "Domain-0": {"kernel": '"vmlinux"', "ramdisk": '"initramfs"', "cmdline": '"console=hvc0"',
                     "memory": "<0 0x60000>", "vcpus": "<2>", "privileged": None},
        "guest": {"kernel": '"spinner"', "memory": "<0 0x4000>",
                  "cmdline": '"spinner.mode=block spinner.start_ms=5000 spinner.window_ms=3600000"'},
    })
    iso = make_iso(str(tmp_path / "xl.iso"), "loglvl=info",
                   [(VMLINUX, "vmlinux"), (INITRAMFS, "initramfs"), (SPINNER, "spinner"),
                    (str(dtb), "config")])
    boot = Boot(iso, "xl-boot-config", timeout=LINUX_TIMEOUT)
    try:
        boot.expect(r"MICA-INIT: dom0 toolstack ready", timeout=400)
        boot.expect(PROMPT, timeout=120)
        sh = LinuxShell(tmp_path, "", boot=boot, prefix="(d0) ")

        out, rc = run(sh, "xl list")
        assert rc == 0, out
        lines = out.splitlines()
        assert lines[0] == "Name                                        ID   Mem VCPUs\tState\tTime(s)"
        assert re.match(r"Domain-0 {37}0 +\d+ {5}2 {5}r----- +\d+\.\d$", lines[1]), out
        assert re.match(r"guest {40}1 {4}1\d {5}1 {5}[r-][b-]---- +\d+\.\d$", lines[2]), out

        out, rc = run(sh, "xl list -l")
        assert rc == 0, out
        doms = json.loads(out)
        assert [d["domid"] for d in doms] == [0, 1]
        assert doms[1]["config"]["c_info"] == {"type": "pv", "name": "guest",
                                                "uuid": doms[1]["config"]["c_info"]["uuid"]}
        assert doms[1]["config"]["b_info"]["max_vcpus"] == 1

        out, rc = run(sh, "xl info")
        assert rc == 0, out
        info = dict(re.findall(r"^(\S+) +: (.*)$", out, re.M))
        assert info["xen_caps"] == "xen-3.0-x86_64", out
        assert int(info["nr_cpus"]) >= 1 and int(info["total_memory"]) > 1024, out
        assert int(info["free_memory"]) < int(info["total_memory"]), out
        assert info["nr_domains"] == "2", out

        out, rc = sh.run("xl dmesg | head -n 3")       # its lines are "(mica) ..." too
        assert rc == 0 and "(mica) Mica hypervisor" in out.splitlines()[0], out

        out, rc = run(sh, "xl vcpu-list")
        assert rc == 0, out
        assert re.search(r"^Domain-0 +0 +1 ", out, re.M) and re.search(r"^guest +1 +0 ", out, re.M), out

        out, rc = run(sh, "xl domid guest; xl domname 1")
        assert rc == 0 and out.splitlines() == ["1", "guest"], out

        out, rc = run(sh, "xl pause guest && xl list guest")
        assert rc == 0 and re.search(r"^guest .* [r-][b-]p--- ", out, re.M), out
        out, rc = run(sh, "xl unpause 1 && xl list 1")
        assert rc == 0 and not re.search(r" [r-][b-]p--- ", out), out

        out, rc = run(sh, "xl pause 0")
        assert rc == 1 and out == "xl: pause domain 0: EINVAL: invalid argument", out

        out, rc = run(sh, "xl destroy guest && xl list")
        assert rc == 0 and len(out.splitlines()) == 2, out
        assert out.splitlines()[1].startswith("Domain-0 "), out

        out, rc = run(sh, "xl destroy guest")
        assert rc == 1 and out == "xl: 'guest' is an invalid domain identifier", out
        out, rc = run(sh, "xl nosuchcommand")
        assert rc == 1 and out.startswith("xl: command not implemented: 'nosuchcommand'"), out

        boot.child.sendline("poweroff")
        status, text = boot.finish()
    finally:
        if boot.status is None:
            boot.child.terminate(force=True)
    assert "d1 'guest' destroyed by d0" in text
    assert "domain 0 shut down: poweroff" in text
    assert status == EXIT_OK
