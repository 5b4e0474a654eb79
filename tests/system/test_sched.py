# SPDX-License-Identifier: MIT
"""The scheduler measured with real domains (docs/scheduler.md, issue #6).

Each test boots two spinner domains (tests/guests/kernels/spinner.c) from a
boot configuration, one vCPU each (only the boot CPU runs vCPUs).  Both
wait for the same system time T0, then for WINDOW_MS each either spins (no
hypercalls) or sleeps in SCHEDOP_block waking every 100 ms, and reports
from its runstate how long it ran in the window.  The tests assert shares
of the CPU, never host durations.

Host load.  System time is the TSC, which under QEMU's TCG is host time.
Time the host takes QEMU off its CPU is charged to whichever domain was
running, in its runstate and in the scheduler's virtual time alike, so the
scheduler pays it back later and proportional shares hold; only a stall
in the last slice or two, too late to be paid back, shows in the ratio.
A stall while every domain sleeps (before T0) starts the window late for
both: shares are therefore taken of the *span* their runstates cover,
from the first spinner's start to the last one's end, rather than of the
nominal window (measured: starts 0.1-25 ms late on a loaded host, up to 280 ms
with two more busy loops on its 2 cores).
Against a cap, a stall charged to the capped domain is not paid back
(every 100 ms period starts afresh) and counts in full.

Tolerances, each with its reason (figures: 16 boots, docs/scheduler.md):
- weights 512:256: running-time ratio 2.0 +- 10 %.  The scheduler is exact
  to one slice (10 ms) of virtual time, 0.5 % of the smaller domain's
  2 s; the rest is room for about 130 ms of host stall at the end.
  Measured 1.991-2.009.  Together they ran >= 98 % of the span: the CPU
  does not idle while both are runnable (measured 99.9-100 %).
- cap 25: capped share 25 % +- CAP_TOLERANCE (why: below);
  together >= 98 % of the span (what the cap holds back goes to the other
  domain).
- a blocked domain: < 2 % of the window (60 wake-ups of some 60-100 us
  each come to about 0.1 %; the rest is room for a host stall landing
  while it runs: measured 0.055-0.37 %); the spinner next to it >= 98 %
  of the span.
"""
import os
import re

from mica_qemu import BUILD, EXIT_OK, boot, boot_config_dtb as dtb

SPINNER = os.path.join(BUILD, "guests", "spinner.elf")
START_MS = 1500             # T0; the domains are up ~70-250 ms after Mica boots
WINDOW_MS = 6000
WINDOW_NS = WINDOW_MS * 1000000

# A capped domain's slice ends when its budget does (scheduler.c), so the
# cap itself is exact to the timer's precision; what remains is host stalls
# charged to the capped domain, which are never paid back (each 100 ms
# period starts afresh): 5 points over the 6 s window is room for 300 ms of
# them.  Measured with cap 25: 25.1 %.  (Before the slice was cut at the
# budget's end, the budget ran in whole 10 ms slices: 30.1-32.7 %.)
CAP_TOLERANCE = 0.05


def domain(mode, **props):
    d = {"kernel": '"spinner"', "memory": "<16384>",
         "cmdline": f'"spinner.mode={mode} spinner.start_ms={START_MS} '
                    f'spinner.window_ms={WINDOW_MS}"'}
    d.update({k: f"<{v}>" for k, v in props.items()})
    return d


def spinners(text):
    """{domid: {key: int or str}} from the spinners' note lines."""
    out = {}
    for domid, fields in re.findall(r"^\(d(\d+)\) kit: note: spinner (.*)$", text, re.M):
        for k, v in re.findall(r"(\w+)=(\S+)", fields):
            out.setdefault(int(domid), {})[k] = int(v) if v.isdigit() else v
    return out


def run(tmp_path, name, domains):
    """Boot the domains; check that every one measured its window and
    powered off.  Returns their figures by domain id and the span: from the
    first spinner's first look at the clock after T0 to the last one's
    after T1, the time their runstates cover together."""
    cfg = dtb(tmp_path, domains)
    status, text, _ = boot(tmp_path, name, "loglvl=info",
                               [(SPINNER, "spinner"), (cfg, "config")])
    for domid in range(len(domains)):
        assert re.search(rf"^\(d{domid}\) kit: 1 passed, 0 failed", text, re.M), text
    assert status == EXIT_OK, text
    got = spinners(text)
    assert sorted(got) == list(range(len(domains))), text
    for domid, f in sorted(got.items()):
        assert f["window_ns"] == WINDOW_NS, text
        print(f"{name} d{domid}: {f['mode']} running {f['running_ns'] / 1e6:.1f} ms, "
              f"runnable {f['runnable_ns'] / 1e6:.1f} ms, blocked {f['blocked_ns'] / 1e6:.1f} ms, "
              f"loops {f['loops']}, ready at {f['ready_ms']} ms, started "
              f"{f['start_late_ns'] / 1e6:.2f} ms late, ended {f['end_late_ns'] / 1e6:.2f} ms late")
    span = (WINDOW_NS + max(f["end_late_ns"] for f in got.values())
            - min(f["start_late_ns"] for f in got.values()))
    return got, span


def test_weights_2_to_1_share_the_cpu_2_to_1(tmp_path):
    got, span = run(tmp_path, "sched-weights", {
        "heavy": domain("spin", weight=512),
        "light": domain("spin", weight=256),
    })
    heavy, light = got[0]["running_ns"], got[1]["running_ns"]
    ratio = heavy / light
    print(f"sched-weights: ratio {ratio:.3f}, together {(heavy + light) / span:.2%} of the span")
    assert abs(ratio - 2.0) <= 0.2, got
    assert heavy + light >= 0.98 * span, got


def test_a_cap_holds_next_to_an_uncapped_domain(tmp_path):
    got, span = run(tmp_path, "sched-cap", {
        "capped": domain("spin", cap=25),
        "free": domain("spin"),
    })
    capped, free = got[0]["running_ns"], got[1]["running_ns"]
    share = capped / span
    print(f"sched-cap: capped share {share:.2%}, together {(capped + free) / span:.2%} of the span")
    assert 0.25 - CAP_TOLERANCE <= share <= 0.25 + CAP_TOLERANCE, got
    assert capped + free >= 0.98 * span, got


def test_a_blocked_domain_costs_nothing(tmp_path):
    got, span = run(tmp_path, "sched-block", {
        "sleeper": domain("block"),
        "spinner": domain("spin"),
    })
    sleeper, spinner = got[0]["running_ns"], got[1]["running_ns"]
    print(f"sched-block: sleeper {sleeper / WINDOW_NS:.3%} over {got[0]['loops']} wake-ups, "
          f"spinner {spinner / span:.2%} of the span")
    # It woke every 100 ms, 60 times (a host stall longer than 100 ms
    # merges wake-ups: 59 once), and was on the CPU next to nothing.
    assert got[0]["loops"] >= WINDOW_MS // 200, got
    assert sleeper < 0.02 * WINDOW_NS, got
    assert spinner >= 0.98 * span, got
