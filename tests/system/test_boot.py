# SPDX-License-Identifier: MIT
"""Boot Mica in QEMU and check what its serial console reports.

These tests are about the hypervisor's own boot: their module 0 is a file
of arbitrary bytes, which the domain builder refuses with one line (status
EXIT_BOOT_ERROR) after everything under test has been reported.  Booting
real guests is tests/system/test_guests.py.
"""
import re

import pytest

from mica_qemu import EXIT_BOOT_ERROR, EXIT_PANIC, boot


def find(lines, pattern):
    """The first console line matching the regex, or fail showing them all."""
    for l in lines:
        m = re.search(pattern, l)
        if m:
            return m
    pytest.fail(f"no console line matches {pattern!r}:\n" + "\n".join(lines))


def test_banner_memory_modules_cmdline(tmp_path, module_files):
    status, text, lines = boot(
        tmp_path, "banner", cmdline="loglvl=info dom0_mem=256M",
        modules=[(module_files[0], "vmlinuz console=hvc0 root=/dev/xvda"),
                 (module_files[1], "initrd.img"),
                 (module_files[2], "")])
    assert status == EXIT_BOOT_ERROR, text
    assert re.match(r"Mica hypervisor \d+\.\d+ \(x86-64, Xen PV ABI\)", lines[0])
    find(lines, r"^boot loader: GRUB 2\.")
    find(lines, r"^command line: loglvl=info dom0_mem=256M$")
    # QEMU's 2 GiB: its firmware map has usable RAM from 1 MiB to ~2 GiB.
    find(lines, r"^  0000000000100000 - 000000007ffe0000  usable$")
    find(lines, r"  reserved$")
    m = find(lines, r"^memory: (\d+) MiB usable")
    assert 1900 <= int(m.group(1)) < 2048
    find(lines, r"^modules: 3$")
    find(lines, r"^  module 0: 0x[0-9a-f]+ - 0x[0-9a-f]+ \(4096 bytes\) "
                r"'vmlinuz console=hvc0 root=/dev/xvda'$")
    find(lines, r"^  module 1: .* \(10000 bytes\) 'initrd.img'$")
    find(lines, r"^  module 2: .* \(1 bytes\) ''$")
    find(lines, r"^dom0 kernel: module 0, 4096 bytes")
    find(lines, r"^dom0 initramfs: module 1, 10000 bytes")
    find(lines, r"^dom0_mem: 256 MiB, up to 256 MiB$")
    find(lines, r"^paging: direct map .* W\^X with NX$")
    m = find(lines, r"^frame table: (\d+) frames, (\d+) KiB; M2P (\d+) KiB$")
    assert int(m.group(2)) == int(m.group(1)) * 32 // 1024     # 32-byte page_info
    assert int(m.group(3)) * 1024 >= int(m.group(1)) * 8        # 8-byte M2P entries
    find(lines, r"^error: dom0 kernel refused: .*ELF")
    assert lines[-1] == "error: Mica cannot continue: powering off"
    assert not any("warning" in l for l in lines), text


def test_modules_start_on_page_boundaries(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "modalign",
                               modules=[(f, f"m{i}") for i, f in enumerate(module_files)])
    assert status == EXIT_BOOT_ERROR, text
    starts = [int(m.group(1), 16) for m in
              (re.search(r"module \d: (0x[0-9a-f]+)", l) for l in lines) if m]
    assert len(starts) == 3
    assert all(s % 4096 == 0 for s in starts), starts


def test_mem_caps_usable_ram(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "memcap", cmdline="mem=512M",
                               modules=[(module_files[0], "k")])
    assert status == EXIT_BOOT_ERROR, text
    m = find(lines, r"^memory: (\d+) MiB usable .*\(capped by mem=\)$")
    assert 500 <= int(m.group(1)) <= 512


def test_unknown_option_is_warned_not_fatal(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "unknownopt",
                               cmdline="frobnicate=7 loglvl=loud mem=1G",
                               modules=[(module_files[0], "k")])
    assert status == EXIT_BOOT_ERROR, text
    find(lines, r"^warning: command line: unknown option 'frobnicate=7', ignored$")
    find(lines, r"^warning: command line: bad value in option 'loglvl=loud', ignored$")
    find(lines, r"capped by mem=")         # the good option still applies


def test_loglvl_warn_hides_info(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "loglvl", cmdline="loglvl=warn bogus",
                               modules=[(module_files[0], "k")])
    assert status == EXIT_BOOT_ERROR, text
    assert lines[0] == "warning: command line: unknown option 'bogus', ignored", text
    assert all(l.startswith(("warning: ", "error: ")) for l in lines), text


def test_console_none_is_silent(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "quiet", cmdline="console=none",
                               modules=[(module_files[0], "k")])
    assert status == EXIT_BOOT_ERROR, text
    assert lines == [], text


def test_bad_dom0_kernel_is_refused_in_one_line(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "badkernel", modules=[(module_files[1], "junk")])
    assert status == EXIT_BOOT_ERROR, text
    errors = [l for l in lines if l.startswith("error: ")]
    assert len(errors) == 2, text
    assert errors[0].startswith("error: dom0 kernel refused: "), text
    assert not any(l.startswith("(d0)") for l in text.splitlines()), text


def test_no_dom0_module_says_so_and_powers_off(tmp_path):
    status, text, lines = boot(tmp_path, "nomodule", cmdline="loglvl=info")
    assert status == EXIT_BOOT_ERROR, text
    find(lines, r"^modules: 0$")
    errors = [l for l in lines if l.startswith("error: ")]
    assert errors[0] == ("error: no dom0 kernel: the boot loader gave no module "
                         "(add a module2 line to grub.cfg)"), text
    assert errors[-1] == "error: Mica cannot continue: powering off"


def test_boots_with_cpu_qemu64(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "qemu64", cpu="qemu64",
                               modules=[(module_files[0], "k")])
    assert status == EXIT_BOOT_ERROR, text
    find(lines, r"^Mica hypervisor")
    find(lines, r"^memory: \d+ MiB usable")


def test_small_machine(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "small", mem=64,
                               modules=[(module_files[0], "k")])
    assert status == EXIT_BOOT_ERROR, text
    m = find(lines, r"^memory: (\d+) MiB usable")
    assert 50 <= int(m.group(1)) < 64


FAULTS = {
    # debug_fault=  vector  name in the report
    "pf": (14, "page fault"),
    "gp": (13, "general protection"),
    "ud": (6, "invalid opcode"),
    "de": (0, "divide error"),
    "bp": (3, "breakpoint"),
}


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_deliberate_fault_dumps_registers_and_powers_off(tmp_path, module_files, kind):
    vector, name = FAULTS[kind]
    status, text, lines = boot(tmp_path, f"fault-{kind}", cmdline=f"debug_fault={kind}",
                               modules=[(module_files[0], "k")])
    assert status == EXIT_PANIC, text
    find(lines, rf"^FATAL TRAP: vector {vector} \({name}\) in the hypervisor, CPU 0$")
    find(lines, r"^Context: hypervisor")
    find(lines, r"^Error code: [0-9a-f]{4}")
    find(lines, r"^RIP:    e008:\[<ffff82d04[0-9a-f]{7}>\] debug_fault_trigger\+0x")
    find(lines, r"^CS: e008  RFLAGS: [0-9a-f]{16}  RSP: ffff82d04[0-9a-f]{7}  SS: e010$")
    for regs in (("rax", "rbx", "rcx"), ("rdx", "rsi", "rdi"), ("rbp", "r8", "r9"),
                 ("r10", "r11", "r12"), ("r13", "r14", "r15"), ("cr0", "cr2", "cr3")):
        find(lines, r"^" + r"\s+".join(rf"{r}:\s+[0-9a-f]{{16}}" for r in regs) + "$")
    find(lines, r"^cr4: [0-9a-f]{16}   efer: [0-9a-f]{16}$")
    bt = lines.index("Backtrace:")
    assert re.match(r"^   \[<ffff82d04[0-9a-f]{7}>\] start_mica\+0x", lines[bt + 1]), text
    if kind == "pf":
        find(lines, r"^Error code: 0002 \(page not present, write, supervisor mode\)$")
        find(lines, r"^Faulting address \(CR2\): ffff8080deadb000$")
    assert lines[-1] == "----[ end of report; powering off ]----"


def test_panic_prints_reason_and_backtrace(tmp_path, module_files):
    status, text, lines = boot(tmp_path, "panic", cmdline="debug_fault=panic",
                               modules=[(module_files[0], "k")])
    assert status == EXIT_PANIC, text
    find(lines, r"^PANIC: deliberate panic requested by debug_fault=panic$")
    bt = lines.index("Backtrace:")
    assert re.search(r"debug_fault_trigger\+0x", lines[bt + 1]), text
    assert re.search(r"start_mica\+0x", lines[bt + 2]), text
    assert lines[-1] == "system halted by panic; powering off"


def test_cpu_without_long_mode_says_so(tmp_path, module_files):
    """A 32-bit CPU cannot run Mica; the 32-bit entry must say so on COM1
    (and halt) rather than fault silently."""
    from mica_qemu import Boot, make_iso
    iso = make_iso(str(tmp_path / "lm.iso"), "", [(module_files[0], "k")])
    b = Boot(iso, "no-long-mode", cpu="qemu32")
    b.expect(r"Mica: this CPU has no 64-bit long mode; Mica needs an x86-64 CPU\.")
    b.child.terminate(force=True)
    b.log.close()
