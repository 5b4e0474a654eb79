# SPDX-License-Identifier: MIT
"""Boot-time domains from a boot configuration (docs/boot-config.md).

Each test writes a .dts, compiles it with dtc, boots it as a module next to
the kernels it names, and checks what ran: several test-kit domains share
the CPU (the scheduler), each reports its tests on its own console prefix,
and the machine powers off once the last one has; a broken domain entry is
refused with a message naming the node and property while the others run.
"""
import os
import re

import pytest

from mica_qemu import BUILD, EXIT_DOM0_FAILED, EXIT_OK, boot, boot_config_dtb as dtb

HELLO = os.path.join(BUILD, "guests", "hello.elf")
TIME = os.path.join(BUILD, "guests", "time.elf")


def kit_summary(text, domid):
    m = re.search(rf"^\(d{domid}\) kit: (\d+) passed, (\d+) failed", text, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def test_two_domains_run_side_by_side(tmp_path):
    cfg = dtb(tmp_path, {
        "alpha": {"kernel": '"hello"', "memory": "<0 0x10000>", "cmdline": '"console=hvc0"'},
        "beta": {"kernel": '"time"', "memory": "<0 0x10000>", "weight": "<512>"},
    })
    status, text, lines = boot(tmp_path, "config-two", "loglvl=info",
                               [(HELLO, "hello"), (TIME, "time"), (cfg, "config")])
    assert kit_summary(text, 0) == (11, 0), text
    passed, failed = kit_summary(text, 1)
    assert failed == 0 and passed > 0, text
    assert "d0 'alpha': 64 MiB" in text and "d1 'beta': 64 MiB" in text
    assert "domain 0 shut down: poweroff" in text and "domain 1 shut down: poweroff" in text
    assert "no domain is left running; powering off" in text
    assert status == EXIT_OK


def test_bad_entries_are_named_and_the_rest_starts(tmp_path):
    cfg = dtb(tmp_path, {
        "nokernel": {"memory": "<0 0x10000>"},
        "odd": {"kernel": '"hello"', "memory": "<0 0x10000>", "colour": '"blue"'},
        "huge": {"kernel": '"hello"', "memory": "<0 0x4000000>"},        # 64 GiB
        "good": {"kernel": '"hello"', "memory": "<0 0x10000>"},
    })
    status, text, lines = boot(tmp_path, "config-bad", "loglvl=info",
                               [(HELLO, "hello"), (cfg, "config")])
    assert "domain 'nokernel': property 'kernel'" in text, text
    assert "domain 'odd': property 'colour'" in text, text
    assert re.search(r"domain 'huge': property 'memory': .*more than is free", text), text
    # 'good' is the fourth node: domain 3.
    assert kit_summary(text, 3) == (11, 0), text
    assert status == EXIT_OK


def test_a_crashing_domain_leaves_the_others_running(tmp_path):
    traps_hostile = os.path.join(BUILD, "guests", "traps_hostile.elf")
    cfg = dtb(tmp_path, {
        "victim": {"kernel": '"hello"', "memory": "<0 0x10000>"},
        "crasher": {"kernel": '"traps_hostile"', "memory": "<0 0x10000>",
                    "cmdline": '"kit.only=trap_table_delivers_ud2,'
                               'exception_on_unmapped_stack_crashes_domain"'},
    })
    status, text, lines = boot(tmp_path, "config-crash", "loglvl=info",
                               [(HELLO, "hello"), (traps_hostile, "traps_hostile"),
                                (cfg, "config")])
    assert kit_summary(text, 0) == (11, 0), text
    assert re.search(r"domain 1 crashed", text), text
    assert status == EXIT_DOM0_FAILED       # a domain failed: reported in the exit status


def test_console_none_keeps_a_domain_quiet(tmp_path):
    cfg = dtb(tmp_path, {
        "loud": {"kernel": '"hello"', "memory": "<0 0x10000>"},
        "quiet": {"kernel": '"hello"', "memory": "<0 0x10000>", "console": '"none"'},
    })
    status, text, lines = boot(tmp_path, "config-quiet", "loglvl=info",
                               [(HELLO, "hello"), (cfg, "config")])
    assert kit_summary(text, 0) == (11, 0), text
    assert not re.search(r"^\(d1\)|^\[quiet\]", text, re.M), text
    assert "domain 1 shut down: poweroff" in text      # it ran all the same
    assert status == EXIT_OK


PAIR_TESTS = ["role_and_peer_from_the_command_line", "ping_pong_over_an_interdomain_channel",
              "grant_map_and_copy_between_domains", "yield_between_domains",
              "close_from_one_side_unbinds_the_other"]


@pytest.mark.parametrize("server_opts", ["", " pair.yield"], ids=["as_it_falls", "client_first"])
def test_two_domains_ping_pong_grant_and_close(tmp_path, server_opts):
    """The guest kit's pair kernel in two domains: an inter-domain event
    channel (alloc_unbound for the peer, bind_interdomain), 200 round trips,
    a grant mapped read-only and a grant copy into the other domain, then a
    close from one side that leaves the other end unbound.  client_first:
    the server yields once it has offered its port, so the client binds and
    pings before the server waits (the order that once lost a ping to the
    bind's own event and mapped the grant before it was written)."""
    pair = os.path.join(BUILD, "guests", "pair.elf")
    cfg = dtb(tmp_path, {
        "server": {"kernel": '"pair"', "memory": "<0 0x10000>", "grant-frames": "<4>",
                   "cmdline": f'"pair.server pair.peer=1{server_opts}"'},
        "client": {"kernel": '"pair"', "memory": "<0 0x10000>", "cmdline": '"pair.peer=0"'},
    })
    status, text, lines = boot(tmp_path, "config-pair" + server_opts.replace(" pair.", "-"), "loglvl=info",
                               [(pair, "pair"), (cfg, "config")])
    for domid in (0, 1):
        passed = re.findall(rf"^\(d{domid}\) kit: PASS (\S+)", text, re.M)
        assert passed == PAIR_TESTS, text
        assert kit_summary(text, domid) == (5, 0), text
    assert "(d0) kit: note: grant table 1 of at most 4 frames" in text   # grant-frames
    for bench in ("interdomain_round_trip", "grant_map_unmap", "grant_copy_4k",
                  "yield_to_the_other_domain_and_back"):
        assert re.search(rf"^\(d1\) kit: bench {bench}.median \d+ tsc-ticks", text, re.M), bench
    assert status == EXIT_OK


def test_hostile_domain_next_to_a_victim(tmp_path):
    """chaos.c calls every hypercall with seeded random arguments (the seed
    is printed); victim.c's memory and code must not change, Mica must not
    panic, and the victim must finish.  The hostile domain may crash
    itself: then Mica reports it and the exit status says a domain failed."""
    chaos = os.path.join(BUILD, "guests", "chaos.elf")
    victim = os.path.join(BUILD, "guests", "victim.elf")
    seed = 20261122
    cfg = dtb(tmp_path, {
        "victim": {"kernel": '"victim"', "memory": "<0 0x10000>"},
        "chaos": {"kernel": '"chaos"', "memory": "<0 0x10000>", "vcpus": "<2>",
                  "cmdline": f'"chaos.seed={seed} chaos.count=20000"'},
    })
    status, text, lines = boot(tmp_path, "config-chaos", "loglvl=info",
                               [(victim, "victim"), (chaos, "chaos"), (cfg, "config")])
    assert f"(d1) kit: note: chaos seed {seed}, 20000 calls" in text, text
    assert kit_summary(text, 0) == (1, 0), text
    assert "Mica fatal" not in text and "panic" not in text.lower(), text
    ran_all = "(d1) kit: note: chaos done: 20000 calls" in text
    crashed = re.search(r"domain 1 crashed", text)
    assert ran_all or crashed, text
    assert status == (EXIT_DOM0_FAILED if crashed else EXIT_OK), text


def test_privileged_hostile_domain_and_the_control_interface(tmp_path):
    """chaos.c as the only, privileged domain with chaos.control=1: random
    control calls (mostly real commands, ids of its own children, itself,
    reserved and missing ones, garbage payloads) among the other random
    hypercalls, its children named as mmu_update's foreign domain.  Mica
    must not panic; if the domain survives its own chaos, it destroys every
    child it made and a fresh domain must still be created, read back and
    destroyed properly."""
    chaos = os.path.join(BUILD, "guests", "chaos.elf")
    seed = 20261123
    cfg = dtb(tmp_path, {
        "chaos": {"kernel": '"chaos"', "memory": "<0 0x10000>", "privileged": None, "vcpus": "<2>",
                  "cmdline": f'"chaos.seed={seed} chaos.count=20000 chaos.control=1"'},
    })
    status, text, lines = boot(tmp_path, "config-chaos-control", "loglvl=info",
                               [(chaos, "chaos"), (cfg, "config")])
    assert (f"(d0) kit: note: chaos seed {seed}, 20000 calls, control interface too"
            in text), text
    assert "Mica fatal" not in text and "panic" not in text.lower(), text
    ran_all = "(d0) kit: note: chaos done: 20000 calls" in text
    crashed = re.search(r"domain 0 crashed", text)
    assert ran_all or crashed, text
    if not crashed:
        assert kit_summary(text, 0) == (1, 0), text
    if ran_all:     # it may crash later, having given away its own memory
        assert "control: children destroyed, a fresh one created and destroyed" in text
    # Names with control characters are refused: nothing but printable
    # text reaches the log from createdomain.
    for line in re.findall(r"^\(mica\) d\d+ '(.*)' created by d0", text, re.M):
        assert all(0x20 <= ord(c) <= 0x7e for c in line), repr(line)
    assert status == (EXIT_DOM0_FAILED if crashed else EXIT_OK), text
