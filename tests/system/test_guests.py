# SPDX-License-Identifier: MIT
"""Boot the guest test kit (tests/guests/) as dom0 and read its verdicts.

Each kit kernel prints, through console_io, one line per test and a summary
(see tests/guests/kit/kit.h); the hypervisor shows them as "(d0) kit: ...".
A kernel whose tests all pass powers the domain off (SHUTDOWN_poweroff), and
Mica, having lost dom0 that way, powers the machine off cleanly: EXIT_OK.

ptwr_hostile instead ends with a write the hypervisor must refuse; with no
trap table the guest cannot take the fault, so Mica must crash the domain,
say so on its own console ("domain 0 crashed: ..."), and power off with
EXIT_DOM0_FAILED -- not panic.  traps_hostile does the same for exceptions
whose bounce frame cannot be written and HYPERVISOR_iret frames that cannot
be used, one crash per boot.  bench prints TSC measurements; only their
presence is checked here.
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
    "balloon": [
        "decrease_then_increase_back",
        "increase_beyond_maximum_refused",
        "max_mem_on_itself_moves_the_maximum",
        "populate_physmap_sets_m2p",
        "long_balloon_batch_continues",
        "exchange_gives_contiguous_zeroed_frames_below_4gib",
        "exchange_order_zero_in_and_out",
        "reservation_hostile_arguments",
    ],
    "usermode": [
        "user_page_table_is_accepted",
        "user_syscall_reaches_the_syscall_callback",
        "user_mode_cannot_reach_kernel_memory",
        "architectural_iopl_comes_from_the_iret_frame",
        "user_cli_and_port_io_need_virtual_iopl_3",
    ],
    "softint": [
        "handlers_installed",
        "int_with_dpl1_gate_reaches_its_handler",
        "int_0x80_reaches_its_handler_whatever_the_dpl",
        "int_with_dpl0_gate_is_gp_with_exact_error_code",
        "int_without_handler_is_gp_with_exact_error_code",
    ],
    "desc": [
        "set_gdt_of_read_only_frame_works",
        "live_gdt_frame_cannot_be_mapped_writable",
        "update_descriptor_checks_and_writes",
        "set_gdt_refusals",
        "gs_user_sel_loads_the_user_gs_base",
        "ldt_selector_loads_after_lazy_mapping",
        "set_ldt_refusals",
        "ldt_page_with_a_tss_gives_the_guest_a_page_fault",
        "far_call_through_an_ldt_selector_without_ldt_is_gp_selector",
        "empty_gdt_releases_the_frame",
    ],
    "misc": [
        "reservation_matches_start_info",
        "maximum_ram_page_covers_our_frames",
        "machphys_mapping_is_the_read_only_m2p",
        "memory_map_is_one_ram_range",
        "machine_memory_map_is_the_firmware_map",
        "memory_op_bad_pointers_and_ops",
        "multicall_runs_each_entry",
        "multicall_refuses_nesting",
        "multicall_iret_returns_and_ends_the_batch",
        "multicall_long_batch_continues",
        "sysctl_checks_the_version_and_has_no_ops",
        "features_linux_needs_are_reported",
        "commandline_is_the_boot_line",
        "grant_table_query_and_setup",
        "grant_copy_through_a_self_grant",
        "grant_table_hostile_arguments",
        "grant_copy_long_batch_continues",
        "grant_map_at_a_va_and_unmap",
        "grant_host_and_device_parts_unmap_separately",
        "grant_unmap_and_replace_moves_the_pte",
        "grant_table_version_2_and_back",
    ],
    "time": [
        "shared_info_is_mapped_and_masked",
        "pvclock_is_valid_and_advances",
        "wallclock_is_plausible",
        "timer_virq_fires_after_block",
        "timer_fires_while_running",
        "stopped_timer_does_not_fire",
        "singleshot_in_the_past_with_future_flag_is_etime",
        "loopback_channel_send_and_poll",
        "poll_times_out",
        "runstate_area_is_kept",
        "bad_event_ops_refused",
        "fifo_init_control_refused_as_xen_refuses",
        "registered_vcpu_info_takes_over",
    ],
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
        "pin_shared_info_as_table_refused",
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
    "debugregs": [
        "traps_installed",
        "start_state_is_xens_default",
        "set_and_mov_agree",
        "bad_values_refused_and_nothing_changes",
        "data_breakpoint_gives_db_with_dr6_b0",
        "breakpoint_on_a_hypercall_buffer_stays_out_of_the_guest",
        "single_step_into_a_hypercall_stays_out_of_the_hypervisor",
        "dr4_dr5_follow_the_guests_cr4_de",
        "io_breakpoint_needs_cr4_de_and_reads_back",
    ],
    "traps": [
        "trap_table_of_guest_handlers_accepted",
        "ud2_bounces_to_invalid_opcode_handler",
        "bounce_frame_layout_matches_xen",
        "bounce_frame_is_16_byte_aligned",
        "hypervisor_iret_returns_with_all_registers_intact",
        "handler_starts_with_ac_cleared_and_iret_restores_it",
        "page_fault_read_unmapped_gives_cr2_and_error_0",
        "page_fault_write_unmapped_sets_w_bit",
        "page_fault_write_read_only_sets_p_and_w",
        "single_step_raises_debug_trap",
        "fpu_taskswitch_raises_nm_and_clears_ts",
        "forced_emulation_cpuid_reports_xen_signature",
        "forced_emulation_cpuid_sets_hypervisor_bit",
        "cr4_writes_keep_only_the_guests_bits",
        "plain_cpuid_runs_natively",
        "set_segment_base_fs_moves_fs_relative_loads",
        "stack_switch_accepts_a_kernel_stack",
        "callbacks_register_and_unregister",
        "set_trap_table_null_clears_and_reregisters",
        "refused_trap_table_changes_nothing",
        "trap_gate_flag_masks_events_and_iret_unmasks",
        "trap_gate_without_flag_leaves_events_unmasked",
        "hypervisor_iret_restores_rax_rcx_r11",
        "hypervisor_iret_in_syscall_loads_rcx_r11_from_rip_rflags",
        "hypervisor_iret_cannot_raise_iopl_or_set_nt",
        "hypervisor_iret_forces_rpl_3",
        "hypervisor_iret_to_noncanonical_rip_gives_gp",
        "cli_sti_raise_gp_zero",
        "cli_sti_are_noops_with_virtual_iopl_1",
        "port_io_raises_gp_zero",
        "port_io_with_virtual_iopl_1",
        "descriptor_table_loads_raise_gp_zero",
        "mov_from_cr3_gives_the_l4_machine_address",
        "mov_to_cr3_raises_gp_zero",
        "unknown_msr_access_raises_gp_zero",
        "wrmsr_fs_base_into_hypervisor_range_refused",
        "invlpg_and_swapgs_raise_gp_zero",
        "hlt_wbinvd_and_cr0_read_emulated_or_gp_zero",
        "int_0x20_without_gate_raises_gp_with_idt_error_code",
        "reading_hypervisor_memory_raises_page_fault",
        "writing_the_m2p_raises_page_fault",
        "set_trap_table_hypervisor_handler_is_einval",
        "set_trap_table_bad_pointer_is_efault",
        "callbacks_in_hypervisor_refused",
        "callback_op_unknown_op_is_enosys",
        "stack_switch_into_hypervisor_refused",
        "set_segment_base_into_hypervisor_refused",
        "int3_reaches_breakpoint_handler_after_the_instruction",
    ],
}

# Tests that fail today because of a hypervisor bug, with a word from their
# FAIL reason.  They must keep failing that way (a kernel with a failure
# shuts down with SHUTDOWN_crash); once the bug is fixed the test passes and
# this table must lose its entry.
KNOWN_FAILURES = {}

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
    known = KNOWN_FAILURES.get(name, {})
    fixed = [t for t in known if results.get(t, (None,))[0] == "PASS"]
    assert not fixed, f"known failures now pass: remove them from KNOWN_FAILURES: {fixed}"
    failed = {t: r for t, (v, r) in results.items()
              if v != "PASS" and not (v == "FAIL" and t in known and known[t] in (r or ""))}
    assert not failed, "tests not passed:\n" + "\n".join(
        f"  {t}: {r}" for t, r in failed.items()) + "\n" + text
    assert list(results) == EXPECTED[name], text
    n, k = len(EXPECTED[name]), len(known)
    assert f"kit: {n - k} passed, {k} failed, 0 skipped" in glines, text
    assert glines[0] == f"kit: mica-testkit kernel '{name}', {n} tests", text
    assert status == (EXIT_DOM0_FAILED if known else EXIT_OK), text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_kit_kernel_passes_and_powers_off(tmp_path, name):
    status, text, lines, glines = run_kit(tmp_path, name, f"{name} kit.token=42")
    assert_all_passed(name, status, text, glines)
    # The module's command line reaches start_info.cmd_line (the builder
    # may drop a leading image name, as Xen does with GRUB's).
    cmd = [l for l in glines if l.startswith("kit: cmdline ")]
    assert cmd and "kit.token=42" in cmd[0], text
    # The guest asked to power off (or, with known failures, to crash) and
    # Mica said so.
    how = "crash" if KNOWN_FAILURES.get(name) else "poweroff"
    assert any(re.search(rf"domain 0 shut down: {how}", l) for l in lines), text


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


# traps_hostile: one boot per KIT_CRASHES test (kit.only=), each an
# exception or a HYPERVISOR_iret the hypervisor cannot carry out; the first
# test proves the trap table works.  {test: words of Mica's crash line}.
TRAPS_HOSTILE = {
    "exception_on_unmapped_stack_crashes_domain": "stack",
    "exception_on_read_only_stack_crashes_domain": "stack",
    "exception_on_stack_in_hypervisor_crashes_domain": "stack",
    "hypervisor_iret_with_unreadable_frame_crashes_domain": "HYPERVISOR_iret",
    "hypervisor_iret_to_user_mode_without_user_table_crashes_domain": "user page table",
    "fault_after_trap_table_cleared_crashes_domain": "unhandled invalid opcode",
}


@pytest.mark.parametrize("crash_test", sorted(TRAPS_HOSTILE))
def test_traps_hostile_crashes_only_the_domain(tmp_path, crash_test):
    """A bounce frame that cannot be written (unmapped, read-only, or in the
    hypervisor), an unreadable iret frame, an iret to user mode without a
    user page table, a fault with no handler: Mica crashes the domain, says
    so, and powers off with EXIT_DOM0_FAILED -- no panic, no FAIL."""
    status, text, lines, glines = run_kit(
        tmp_path, "traps_hostile", f"traps_hostile kit.only=trap_table_delivers_ud2,{crash_test}")
    results = kit_results(glines)
    assert results.get("trap_table_delivers_ud2", (None,))[0] == "PASS", text
    assert not any(v == "FAIL" for v, _ in results.values()), text
    skipped = len(TRAPS_HOSTILE) + len(TRAPS_HOSTILE_STOPS) - 1
    assert f"kit: 1 passed, 0 failed, {skipped} skipped" in glines, text
    assert f"kit: EXPECT CRASH {crash_test}" in glines, text
    crash = [l for l in lines if re.search(r"(\bd0\b|domain 0)\b.*\bcrashed\b", l)]
    assert crash, text
    assert TRAPS_HOSTILE[crash_test] in crash[0], text
    assert text.index("EXPECT CRASH") < text.index(crash[0]), text
    assert not any("shut down" in l for l in lines), text
    assert not any(l.startswith(("PANIC", "FATAL TRAP")) for l in lines), text
    assert status == EXIT_DOM0_FAILED, text


# traps_hostile tests that stop the domain without crashing it.
TRAPS_HOSTILE_STOPS = ["vcpu_down_on_the_last_vcpu_stops_the_domain"]


def test_vcpu_down_on_the_last_vcpu_stops_dom0(tmp_path):
    """VCPUOP_down on dom0's only vCPU (Linux's halt with events masked):
    Mica says so, shows the guest's registers and powers off reporting dom0
    failed -- the hypercall never returns to the guest."""
    test = TRAPS_HOSTILE_STOPS[0]
    status, text, lines, glines = run_kit(
        tmp_path, "traps_hostile", f"traps_hostile kit.only=trap_table_delivers_ud2,{test}")
    results = kit_results(glines)
    assert results.get("trap_table_delivers_ud2", (None,))[0] == "PASS", text
    assert not any(v == "FAIL" for v, _ in results.values()), text
    assert f"kit: EXPECT CRASH {test}" in glines, text
    down = [l for l in lines if "domain 0: vCPU 0 went down (VCPUOP_down)" in l]
    assert down, text
    assert text.index("EXPECT CRASH") < text.index(down[0]), text
    assert not any(l.startswith(("PANIC", "FATAL TRAP")) for l in lines), text
    assert status == EXIT_DOM0_FAILED, text


# bench: every measure prints "kit: bench <name>.median|.min <ticks> tsc-ticks".
# Only presence and sanity are checked here; the numbers are `make bench`'s.
BENCH_MEASURES = [
    "tsc_read", "null_hypercall", "mmu_update_l1", "update_va_mapping", "ptwr_xchg",
    "pin_unpin_l1", "exception_bounce_int3", "event_send_to_upcall", "cpuid_forced_emulation",
    "cpuid_native",
]


def test_bench_kernel_reports_every_measure(tmp_path):
    status, text, lines, glines = run_kit(tmp_path, "bench", "bench")
    results = kit_results(glines)
    assert all(v == "PASS" for v, _ in results.values()), text
    assert list(results) == [f"bench_{m}" for m in BENCH_MEASURES], text
    got = {}
    for l in glines:
        m = re.match(r"^kit: bench (\S+) (\d+) (\S+)$", l)
        if m:
            assert m.group(1) not in got, f"{m.group(1)} twice"
            got[m.group(1)] = (int(m.group(2)), m.group(3))
    want = [f"{m}.{s}" for m in BENCH_MEASURES for s in ("median", "min")]
    assert sorted(got) == sorted(want), text
    for key, (value, unit) in got.items():
        assert value > 0 and unit == "tsc-ticks", (key, value, unit)
    for m in BENCH_MEASURES:
        assert got[f"{m}.min"][0] <= got[f"{m}.median"][0], m
    assert status == EXIT_OK, text


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


@pytest.mark.parametrize("name", sorted(EXPECTED) + ["ptwr_hostile", "traps_hostile", "bench", "pair", "chaos", "victim"])
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


def test_console_input_reaches_dom0(tmp_path):
    """A line typed on the serial console reaches dom0 through VIRQ_CONSOLE
    and CONSOLEIO_read (the console kernel asks for it, then echoes it)."""
    from mica_qemu import Boot, make_iso
    iso = make_iso(str(tmp_path / "console.iso"), HV_CMDLINE, [(guest("console"), "console")])
    b = Boot(iso, "guest-console")
    b.expect(r"\(d0\) kit: console: type a line")
    b.child.send("mica-input-42\r")
    b.expect(r"\(d0\) kit: console: got 'mica-input-42'")
    status, text = b.finish()
    glines = domain_lines(text)
    assert "kit: 3 passed, 0 failed, 0 skipped" in glines, text
    assert status == EXIT_OK, text
