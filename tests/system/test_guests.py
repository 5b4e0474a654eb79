# SPDX-License-Identifier: MIT
"""Boot the guest test kit (tests/guests/) as dom0 and read its verdicts.

Each kit kernel prints, through console_io, one line per test and a summary
(see tests/guests/kit/kit.h); the hypervisor shows them as "(d0) kit: ...".
A kernel whose tests all pass powers the domain off (SHUTDOWN_poweroff), and
Mica, having lost dom0 that way, powers the machine off cleanly: EXIT_OK.

ptwr_hostile instead ends with a write the hypervisor must refuse; with no
trap table the guest cannot take the fault, so Mica must crash the domain,
say so on its own console ("domain 0 crashed: ..."), and power off with
EXIT_DOM0_FAILED -- not panic.
"""
import os
import re
import struct

import pytest

import mica_qemu
from mica_qemu import BUILD, EXIT_OK, EXIT_PANIC, boot

GUESTS = os.path.join(BUILD, "guests")
# Status when dom0 crashed or shut down other than by powering off
# (MICA_EXIT_DOM0_FAILED in hypervisor/include/mica/power.h).
EXIT_DOM0_FAILED = getattr(mica_qemu, "EXIT_DOM0_FAILED", (0x13 << 1) | 1)

# Every test of every kernel, in table order: a test that silently
# disappears from a kernel is a failure too.
EXPECTED = {
    "hello": [
        "start_info_magic_is_xen_3_0_x86_64",
        "start_info_is_the_page_passed_in_rsi",
        "start_info_nr_pages_covers_the_image",
        "start_info_cmdline_is_terminated",
        "entry_selectors_are_flat_kernel",
        "bss_is_zero_filled",
        "xen_version_reports_major_minor",
        "hypercall_preserves_callee_saved_registers",
        "hypercall_page_is_filled_and_callable",
        "console_io_write_succeeds",
        "console_io_bad_buffer_is_efault",
    ],
    "mm": [
        "region_maps_pfns_one_to_one",
        "bootstrap_page_tables_are_mapped_read_only",
        "mmu_update_maps_fresh_frame_rw",
        "mmu_update_of_plain_frame_is_ordinary_write",
        "preserve_ad_keeps_accessed_and_dirty",
        "mmu_update_batch_reports_done",
        "mmu_update_batch_stops_at_first_error",
        "update_va_mapping_invlpg_local_maps_frame",
        "update_va_mapping_tlb_flush_maps_frame",
        "invlpg_local_makes_new_mapping_visible",
        "tlb_flush_local_makes_new_mapping_visible",
        "mmuext_batch_reports_done",
        "pin_l1_refuses_writable_mappings_until_unpinned",
        "pinned_l1_hooked_into_l2_maps_its_entries",
        "writable_mapping_of_own_l4_refused",
        "writable_mapping_of_own_l1_refused",
        "mapping_frames_not_owned_refused",
        "mmu_update_into_hypervisor_frames_refused",
        "l4_hypervisor_slots_refused",
        "l2_superpage_entry_refused",
        "pin_l1_with_writable_self_mapping_refused",
        "pin_of_pinned_table_refused",
        "unpin_of_unpinned_frame_refused",
        "bad_request_pointers_are_efault",
        "update_va_mapping_outside_guest_tables_refused",
        "foreign_domain_without_privilege_is_esrch",
        "unknown_mmuext_command_is_enosys",
        "unknown_hypercall_is_enosys",
        "vm_assist_enables_writable_pagetables",
        "ptwr_mov_to_pinned_l1_takes_effect",
        "ptwr_xchg_clears_pinned_l1_entry",
        "ptwr_lock_btr_write_protects_entry",
        "m2p_inverts_p2m",
        "machphys_update_sets_m2p",
    ],
}

HV_CMDLINE = "loglvl=info"


def guest(name):
    path = os.path.join(GUESTS, f"{name}.elf")
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make` first (tests/guests)")
    return path


def domain_lines(text, domid=0):
    """The guest's console_io output: lines "(d<domid>) ..." without the prefix."""
    prefix = f"(d{domid}) "
    return [l[len(prefix):] for l in text.splitlines() if l.startswith(prefix)]


def kit_results(glines):
    """{test name: (verdict, reason)} from "kit: PASS|FAIL|SKIP name[: reason]"."""
    results = {}
    for l in glines:
        m = re.match(r"^kit: (PASS|FAIL|SKIP) (\S+?)(?:: (.*))?$", l)
        if m:
            assert m.group(2) not in results, f"two result lines for {m.group(2)}"
            results[m.group(2)] = (m.group(1), m.group(3))
    return results


def run_kit(tmp_path, name, guest_cmdline):
    status, text, lines = boot(tmp_path, f"guest-{name}", cmdline=HV_CMDLINE,
                               modules=[(guest(name), guest_cmdline)])
    return status, text, lines, domain_lines(text)


def assert_all_passed(name, status, text, glines):
    results = kit_results(glines)
    failed = {t: r for t, (v, r) in results.items() if v != "PASS"}
    assert not failed, "tests not passed:\n" + "\n".join(
        f"  {t}: {r}" for t, r in failed.items()) + "\n" + text
    assert list(results) == EXPECTED[name], text
    n = len(EXPECTED[name])
    assert f"kit: {n} passed, 0 failed, 0 skipped" in glines, text
    assert glines[0] == f"kit: mica-testkit kernel '{name}', {n} tests", text
    assert status == EXIT_OK, text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_kit_kernel_passes_and_powers_off(tmp_path, name):
    status, text, lines, glines = run_kit(tmp_path, name, f"{name} kit.token=42")
    assert_all_passed(name, status, text, glines)
    # The module's command line reaches start_info.cmd_line (the builder
    # may drop a leading image name, as Xen does with GRUB's).
    cmd = [l for l in glines if l.startswith("kit: cmdline ")]
    assert cmd and "kit.token=42" in cmd[0], text
    # The guest asked to power off and Mica said so.
    assert any(re.search(r"domain 0 shut down: poweroff", l) for l in lines), text


def test_kit_only_runs_the_named_tests(tmp_path):
    """kit.only= selects tests; the rest are reported as skipped."""
    status, text, lines, glines = run_kit(
        tmp_path, "hello", "kit.only=bss_is_zero_filled,xen_version_reports_major_minor")
    results = kit_results(glines)
    passed = sorted(t for t, (v, _) in results.items() if v == "PASS")
    assert passed == ["bss_is_zero_filled", "xen_version_reports_major_minor"], text
    skipped = len(EXPECTED["hello"]) - 2
    assert f"kit: 2 passed, 0 failed, {skipped} skipped" in glines, text
    assert status == EXIT_OK, text


def test_ptwr_writable_self_mapping_crashes_only_the_domain(tmp_path):
    """A write into a pinned L1, through its read-only mapping, that would
    map the table writable: the hypervisor's writable-page-table emulation
    must refuse it, and (no trap table registered) crash the domain and
    carry on to report it -- no FAIL line, no panic."""
    status, text, lines, glines = run_kit(tmp_path, "ptwr_hostile", "ptwr_hostile")
    results = kit_results(glines)
    assert results.get("ptwr_valid_mov_takes_effect", (None,))[0] == "PASS", text
    assert not any(v == "FAIL" for v, _ in results.values()), text
    assert "kit: 1 passed, 0 failed, 0 skipped" in glines, text
    assert "kit: EXPECT CRASH ptwr_writable_self_mapping_crashes_domain" in glines, text
    # Mica's own line, after the guest's announcement; "crashed", not the
    # guest's voluntary "shut down: crash".
    crash = [l for l in lines if re.search(r"(\bd0\b|domain 0)\b.*\bcrashed\b", l)]
    assert crash, text
    assert "page fault" in crash[0], text
    assert text.index("EXPECT CRASH") < text.index(crash[0]), text
    assert not any("shut down" in l for l in lines), text
    assert not any(l.startswith(("PANIC", "FATAL TRAP")) for l in lines), text
    assert status == EXIT_DOM0_FAILED, text
    assert status != EXIT_PANIC


# ---- the images themselves (no boot needed) --------------------------------

VIRT_BASE = 0xffffffff80000000
PT_LOAD, PT_NOTE = 1, 4
XEN_NOTES = {   # type: expected value (bytes for strings, int for numbers)
    6: b"mica-testkit",                                    # GUEST_OS
    5: b"xen-3.0",                                         # XEN_VERSION
    3: VIRT_BASE,                                          # VIRT_BASE
    4: 0,                                                  # PADDR_OFFSET
    10: b"!writable_page_tables|pae_pgdir_above_4gb",      # FEATURES
    12: 0xffff800000000000,                                # HV_START_LOW
    17: 1,                                                 # SUPPORTED_FEATURES
}


def elf_phdrs(data):
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    e_type, e_machine = struct.unpack_from("<HH", data, 16)
    assert (e_type, e_machine) == (2, 62)                  # EXEC, x86-64
    e_entry, e_phoff = struct.unpack_from("<QQ", data, 24)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
    phdrs = [struct.unpack_from("<IIQQQQQQ", data, e_phoff + i * e_phentsize)
             for i in range(e_phnum)]
    return e_entry, phdrs


def xen_notes(data, off, size):
    notes, end = {}, off + size
    while off + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", data, off)
        name = data[off + 12:off + 12 + namesz].rstrip(b"\0")
        doff = off + 12 + ((namesz + 3) & ~3)
        desc = data[doff:doff + descsz]
        if name == b"Xen":
            assert ntype not in notes, f"note {ntype} twice"
            notes[ntype] = desc
        off = doff + ((descsz + 3) & ~3)
    return notes


@pytest.mark.parametrize("name", sorted(EXPECTED) + ["ptwr_hostile"])
def test_kit_image_has_xen_notes_and_loads_by_paddr(name):
    with open(guest(name), "rb") as f:
        data = f.read()
    entry, phdrs = elf_phdrs(data)
    loads = [p for p in phdrs if p[0] == PT_LOAD]
    assert loads
    for _, flags, _, vaddr, paddr, filesz, memsz, _ in loads:
        assert paddr == vaddr - VIRT_BASE, (hex(vaddr), hex(paddr))
        assert vaddr % 4096 == 0 and memsz >= filesz
    notes_ph = [p for p in phdrs if p[0] == PT_NOTE]
    assert len(notes_ph) == 1
    notes = xen_notes(data, notes_ph[0][2], notes_ph[0][5])
    for ntype, want in XEN_NOTES.items():
        desc = notes.get(ntype)
        assert desc is not None, f"note type {ntype} missing"
        got = desc.rstrip(b"\0") if isinstance(want, bytes) else int.from_bytes(desc, "little")
        assert got == want, (ntype, got, want)
    assert int.from_bytes(notes[1], "little") == entry       # ENTRY
    hcpage = int.from_bytes(notes[2], "little")               # HYPERCALL_PAGE
    assert hcpage % 4096 == 0
    text = [p for p in loads if p[1] & 1]                     # the executable segment
    assert any(p[3] <= hcpage and hcpage + 4096 <= p[3] + p[5] for p in text)
