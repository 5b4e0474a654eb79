# SPDX-License-Identifier: MIT
"""Boot Mica in QEMU for a system test and read its serial console.

Every boot goes through scripts/mkiso and scripts/qemu, the same scripts
`make run` uses.  The whole console output of each boot is kept under
build/results/system-logs/ for post-mortems.
"""
import os
import re
import subprocess

import pexpect

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
MICA_ELF = os.path.join(BUILD, "hypervisor", "mica.elf")
LOG_DIR = os.path.join(BUILD, "results", "system-logs")

# QEMU exit statuses from isa-debug-exit: (code << 1) | 1, see power.h.
EXIT_OK = (0x10 << 1) | 1
EXIT_PANIC = (0x11 << 1) | 1
EXIT_BOOT_ERROR = (0x12 << 1) | 1
EXIT_DOM0_FAILED = (0x13 << 1) | 1     # dom0 crashed or did not power off

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOOT_TIMEOUT = 120          # TCG on a loaded 2-core machine can be slow


def make_iso(path, cmdline="", modules=()):
    """modules: sequence of (file, cmdline)."""
    args = [os.path.join(TOP, "scripts", "mkiso"), "--out", path,
            "--hypervisor", MICA_ELF, "--cmdline", cmdline]
    for f, cmd in modules:
        args += ["--module", f, cmd]
    subprocess.run(args, check=True)
    return path


class Boot:
    """One QEMU run; `lines` holds the console output seen so far."""

    def __init__(self, iso, name, cpu="max", mem=2048, smp=2, timeout=BOOT_TIMEOUT):
        os.makedirs(LOG_DIR, exist_ok=True)
        self.timeout = timeout
        self.logpath = os.path.join(LOG_DIR, f"{name}.log")
        self.log = open(self.logpath, "w")
        self.child = pexpect.spawn(
            os.path.join(TOP, "scripts", "qemu"),
            ["--iso", iso, "--cpu", cpu, "--mem", str(mem), "--smp", str(smp),
             "--timeout", str(timeout)],
            encoding="utf-8", codec_errors="replace", timeout=timeout,
            logfile=self.log)
        self.status = None
        self.text = ""

    def expect(self, pattern, timeout=BOOT_TIMEOUT):
        """Wait for a regex on the console; returns the match."""
        self.child.expect(pattern, timeout=timeout)
        return self.child.match

    def finish(self):
        """Wait for QEMU to exit; return its status and the clean output."""
        self.child.expect(pexpect.EOF, timeout=self.timeout)
        self.child.close()
        self.status = self.child.exitstatus
        self.log.close()
        with open(self.logpath, encoding="utf-8", errors="replace") as f:
            self.text = ANSI.sub("", f.read()).replace("\r", "")
        return self.status, self.text

    def mica_lines(self):
        return [l[len("(mica) "):] for l in self.text.splitlines()
                if l.startswith("(mica) ")]


def boot_config_dtb(tmp_path, domains):
    """A boot configuration (docs/boot-config.md) compiled with dtc.
    domains: {name: {property: dts value text, or None for an empty one}};
    returns the .dtb's path."""
    nodes = "".join(
        f"        {name} {{\n" + "".join(f"            {k}{'' if v is None else ' = ' + v};\n"
                                         for k, v in props.items()) + "        };\n"
        for name, props in domains.items())
    src = tmp_path / "config.dts"
    src.write_text(f'/dts-v1/;\n/ {{\n    compatible = "mica,boot-config";\n'
                   f'    domains {{\n{nodes}    }};\n}};\n')
    out = tmp_path / "config.dtb"
    subprocess.run(["dtc", "-I", "dts", "-O", "dtb", "-o", str(out), str(src)], check=True)
    return str(out)


def boot(tmp_path, name, cmdline="", modules=(), cpu="max", mem=2048):
    """Build an ISO, boot it to power-off; return (status, text, lines)."""
    iso = make_iso(str(tmp_path / f"{name}.iso"), cmdline, modules)
    b = Boot(iso, name, cpu=cpu, mem=mem)
    status, text = b.finish()
    return status, text, b.mica_lines()
