# SPDX-License-Identifier: MIT
"""Domain control (issue #6): the guest kit's builder kernel as the
privileged domain 0 of a boot configuration creates, builds, runs and
destroys domains through Mica's control hypercall (abi/mica/control.h),
each running the child kernel.

What a user would read on the serial line: every builder check passes,
each child's line arrives on its Mica-served console ring ("[childN] ..."),
each child that runs to the end passes its own checks, 100 children came
and went (86 powered off, 10 destroyed while running, 4 crashed), four ran
at once (twice), an unprivileged domain was refused, a destroyed child
leaves our end of its event channel unbound, our grant to it idle and our
frame ours alone, and its grant to us mapped until we unmap it (free pages
back to the frame each time), the free pages at the end are those after the
first round (Mica's heap keeps a few frames for its own structures once),
and the machine powers off cleanly.
"""
import os
import re

from mica_qemu import BUILD, EXIT_OK, Boot, boot_config_dtb as dtb, make_iso

BUILDER = os.path.join(BUILD, "guests", "builder.elf")
CHILDREN = 100

BUILDER_TESTS = [
    "child_image_parses_with_its_xen_notes",
    "physinfo_describes_the_machine",
    "wrong_version_and_unknown_ops_refused",
    "self_and_missing_domains_refused",
    "rename_handle_and_sched_params_checked",
    "memory_map_set_by_the_toolstack",
    "readconsole_returns_the_boot_log",
    "createdomain_refuses_bad_arguments",
    "createdomain_of_an_id_in_use_refused",
    "populate_stops_at_max_pages",
    "destroyed_domain_waits_for_our_mapping",
    "foreign_mapping_takes_only_that_domains_ram",
    "setvcpucontext_refuses_what_is_not_a_fresh_l4",
    "getvcpucontext_of_a_running_domain_refused",
    "unprivileged_domain_is_refused",
    "dying_peer_leaves_our_port_unbound",
    "dying_grantee_gives_our_frame_back",
    "dying_granter_waits_for_our_mapping",
    "four_children_run_at_once",
    "hundred_children_come_and_go",
    "four_more_children_run_at_once",
    "free_pages_return_to_the_start",
]


def child_mode(i):
    """The builder's mix (builder.c, mode_of)."""
    return "spin" if i % 10 == 9 else "crash" if i % 25 == 12 else "exit"


def test_builder_creates_runs_and_destroys_children(tmp_path):
    cfg = dtb(tmp_path, {
        "builder": {"kernel": '"builder"', "memory": "<0 0x8000>", "privileged": None,
                    "cmdline": f'"builder.children={CHILDREN}"'},
    })
    iso = make_iso(str(tmp_path / "control.iso"), "loglvl=info",
                   [(BUILDER, "builder"), (cfg, "config")])
    status, text = Boot(iso, "control-builder", timeout=300).finish()

    assert "Mica fatal" not in text and "panic" not in text.lower(), text
    assert not re.search(r"^\(d\d+\) kit: FAIL", text, re.M), \
        "\n".join(re.findall(r"^\(d\d+\) kit: FAIL.*$", text, re.M))
    passed = re.findall(r"^\(d0\) kit: PASS (\S+)", text, re.M)
    assert passed == BUILDER_TESTS, text
    assert f"(d0) kit: {len(BUILDER_TESTS)} passed, 0 failed, 0 skipped" in text, text

    m = re.search(r"^\(d0\) kit: note: free pages at the start (\d+), at the end (\d+) ",
                  text, re.M)
    assert m and m.group(1) == m.group(2), m and m.group(0)
    modes = [child_mode(i) for i in range(CHILDREN)]
    assert (f"(d0) kit: note: {CHILDREN} children done: {modes.count('exit')} powered off, "
            f"{modes.count('spin')} destroyed while running, {modes.count('crash')} crashed"
            in text), text
    assert re.search(r"^\(d0\) kit: bench domain_create_build_destroy\.median \d+ tsc-ticks "
                     r"\d+ us$", text, re.M), text

    # Every child's line came through its console ring, served by Mica.
    for i in range(CHILDREN):
        assert re.search(rf"^\[child{i}\] child {i} \({modes[i]}\): up as d\d+ with 1024 pages$",
                         text, re.M), f"child {i}"
    for i in list(range(100, 108)) + [200, 300, 301]:
        assert re.search(rf"^\[child{i}\] child {i} ", text, re.M), f"child {i}"
    # The children whose death the builder watches from the other end.
    for i, mode in [(400, "evtpeer"), (401, "grantee"), (402, "granter")]:
        assert re.search(rf"^\[child{i}\] child {i} \({mode}\): up as d\d+ ", text, re.M), \
            f"child {i}"
    assert re.search(r"^\(d\d+\) kit: note: mapped d0's grant 8 writable and filled it$",
                     text, re.M), text
    assert re.search(r"^\(d\d+\) kit: note: granted d0 frame 0x[0-9a-f]+ as ref 8$",
                     text, re.M), text
    # The children that run to the end pass their own checks (the probe too).
    finished = re.findall(r"^\(d\d+\) kit: 7 passed, 0 failed, 0 skipped$", text, re.M)
    assert len(finished) == modes.count("exit") + 1, text
    assert "probe: the control hypercall refused us (EPERM) every time" in text, text
    assert status == EXIT_OK
