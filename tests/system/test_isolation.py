# SPDX-License-Identifier: MIT
"""Isolation holes of issue 13, tried from an unprivileged guest.

The guest kit's isolation kernel (tests/guests/kernels/isolation.c) runs
alone, unprivileged, with two vCPUs, from a boot configuration.  Before
their fixes its tests escaped (a store through a stale TLB entry landed in a
validated L1 table or GDT frame), stopped the machine (MMUEXT_NEW_BASEPTR
with ~0 loaded ~0 << 12 into CR3; SEGBASE_GS_USER_SEL with an LDT selector
took a #PF in ring 0, a FATAL TRAP) or were wrongly accepted
(VCPUOP_initialise with state ring 0 cannot load) or kept what they
should have given back (a refused VCPUOP_initialise held its page table).  Each boot runs a few of
them (kit.only=), so that one that stops the machine shows which it was;
the tests that must crash the domain run one per boot.
"""
import os
import re

import pytest

from mica_qemu import BUILD, EXIT_DOM0_FAILED, EXIT_OK, boot, boot_config_dtb as dtb

ISOLATION = os.path.join(BUILD, "guests", "isolation.elf")
ALL = ["stale_writable_tlb_entry_cannot_write_a_new_l1",
       "stale_writable_tlb_entry_cannot_write_a_new_gdt_frame",
       "vcpu_initialise_refused_keeps_no_reference",
       "vcpu_initialise_refuses_state_ring0_cannot_load",
       "gs_user_sel_with_ldt_selectors_never_faults_in_mica",
       "iret_to_a_good_ldt_code_selector_works",
       "new_baseptr_refuses_frames_that_are_not_ram",
       "sysctl_is_eperm_for_an_unprivileged_domain",
       "iret_to_an_unmapped_ldt_page_crashes_the_domain",
       "iret_to_a_not_present_ldt_selector_crashes_the_domain",
       "iret_to_an_ldt_data_selector_crashes_the_domain"]
CRASHES = ALL[8:]


def run(tmp_path, name, only):
    cfg = dtb(tmp_path, {
        "isolation": {"kernel": '"isolation"', "memory": "<0 0x10000>", "vcpus": "<2>",
                      "cmdline": f'"kit.only={",".join(only)}"'},
    })
    status, text, lines = boot(tmp_path, name, "loglvl=info",
                               [(ISOLATION, "isolation"), (cfg, "config")])
    assert not any(l.startswith(("PANIC", "FATAL TRAP")) for l in lines), text
    assert "Mica fatal" not in text, text
    assert "d0 'isolation': 64 MiB" in text, text
    results = {name: verdict for verdict, name in
               re.findall(r"^\(d0\) kit: (PASS|FAIL|SKIP) ([a-z0-9_]+)", text, re.M)}
    return status, text, results


@pytest.mark.parametrize("tests", [ALL[0:4], ALL[4:6], ALL[6:8]],
                         ids=["stale-tlb-and-vcpu-state", "ldt-selectors", "new-baseptr-sysctl"])
def test_unprivileged_guest_cannot_escape(tmp_path, tests):
    status, text, results = run(tmp_path, "isolation-" + tests[0], tests)
    for t in tests:
        assert results.get(t) == "PASS", text
    assert f"(d0) kit: {len(tests)} passed, 0 failed" in text, text
    assert "domain 0 shut down: poweroff" in text, text
    assert status == EXIT_OK, text


@pytest.mark.parametrize("crash_test", CRASHES)
def test_iret_to_a_bad_ldt_selector_crashes_only_the_domain(tmp_path, crash_test):
    status, text, results = run(tmp_path, "isolation-" + crash_test, [crash_test])
    assert f"(d0) kit: EXPECT CRASH {crash_test}" in text, text
    assert re.search(r"domain 0 crashed: return to an invalid context", text), text
    assert text.index("EXPECT CRASH") < text.index("domain 0 crashed"), text
    assert not any(v == "FAIL" for v in results.values()), text
    assert status == EXIT_DOM0_FAILED, text
