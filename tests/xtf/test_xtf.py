# SPDX-License-Identifier: MIT
"""XTF, Xen's own test framework, booted under Mica (issue 14).

Each XTF test kernel (../shared/xtf/tests/test-pv64-NAME, beside the
repository) boots once per variation: as the initial domain, or, for the
tests that only mean something in an unprivileged domain (DOMU below), as
domain 1 of a boot configuration.  A test's outcome is what XTF prints
("Test result: SUCCESS/SKIP/FAILURE/ERROR"), CRASH when the domain died
without one, MICA-CRASH when Mica itself panicked or took a fatal trap, and
HANG when nothing ended the boot within the timeout.

tests/xtf/expected.txt holds the outcome expected for every test, with the
reason for each that is not SUCCESS.  A test passes when its outcome is the
expected one: a regression and an unexpected improvement both fail, so the
table stays true.  MICA-CRASH and HANG can never be expected.  docs/xtf.md's
table is generated from the same file (`tests/xtf/expected.py --doc`) and a
last test checks that it is current.
"""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "system"))
sys.path.insert(0, HERE)

from mica_qemu import EXIT_PANIC, TOP, Boot, boot_config_dtb, make_iso  # noqa: E402
import expected as table  # noqa: E402

XTF = os.environ.get("XTF_DIR", os.path.join(TOP, "..", "shared", "xtf"))
# Generous, as for every boot here: a busy host slows TCG several times over,
# and only a test that really hangs waits it out (none does today).
TIMEOUT = int(os.environ.get("XTF_TIMEOUT", "120"))
# The QEMU configuration the reference results were taken with.
CPU, MEM = "max,-smap,-smep", 512
# Xen gives its initial domain a vCPU per CPU (2 here); Mica gives 1 unless told.
HV_CMDLINE = "loglvl=info dom0_max_vcpus=2"
# Meaningful only unprivileged: booted as domain 1 of a boot configuration,
# after XTF's example test as a silent, unprivileged domain 0.
DOMU = {"livepatch-priv-check", "xsa-316"}

if not os.path.isdir(os.path.join(XTF, "tests")):
    pytest.skip(f"no XTF test kernels at {XTF}", allow_module_level=True)

EXPECTED = table.load()


def elf(base):
    return os.path.join(XTF, "tests", f"test-pv64-{base}")


def outcome(status, text):
    lines = [l[len("(mica) "):] for l in text.splitlines() if l.startswith("(mica) ")]
    if status == EXIT_PANIC or any(l.startswith(("PANIC", "FATAL TRAP")) for l in lines):
        return "MICA-CRASH"
    found = re.findall(r"Test result: (SUCCESS|SKIP|FAILURE|ERROR)", text)
    if found:
        return found[-1]
    if status is None or status < 0 or status in (137, 124):
        return "HANG"
    return "CRASH"


def boot_one(tmp_path, name):
    base, _, var = name.partition("~")
    if base in DOMU:
        cfg = boot_config_dtb(tmp_path, {
            "quiet": {"kernel": '"example"', "memory": "<0 0x1000>", "console": '"none"'},
            "xtf": {"kernel": '"xtf"', "memory": "<0 0x1000>", "cmdline": f'"{var}"'},
        })
        mods = [(elf("example"), "example"), (elf(base), "xtf"), (cfg, "config")]
    else:
        mods = [(elf(base), var)]
    iso = make_iso(str(tmp_path / "xtf.iso"), HV_CMDLINE, mods)
    b = Boot(iso, f"xtf-{name}", cpu=CPU, mem=MEM, timeout=TIMEOUT)
    try:
        status, text = b.finish()
    except Exception:           # pexpect's own timeout: QEMU did not exit
        b.child.close(force=True)
        b.log.close()
        with open(b.logpath, encoding="utf-8", errors="replace") as f:
            status, text = None, f.read().replace("\r", "")
    os.remove(iso)
    return status, text, b.logpath


RESULTS = []
OUTCOMES = os.path.join(os.environ.get("RESULTS", os.path.join(TOP, "build", "results")),
                        "xtf-outcomes.tsv")
if os.path.exists(OUTCOMES):
    os.remove(OUTCOMES)             # one run's outcomes, not an accumulation


@pytest.mark.parametrize("name", list(EXPECTED))
def test_xtf(tmp_path, name):
    status, text, log = boot_one(tmp_path, name)
    got = outcome(status, text)
    want, _, reason = EXPECTED[name]
    RESULTS.append((name, got, want))
    os.makedirs(os.path.dirname(OUTCOMES), exist_ok=True)
    with open(OUTCOMES, "a") as f:
        f.write(f"{name}\t{got}\t{want}\t{log}\n")
    assert got not in ("MICA-CRASH", "HANG"), f"{name}: {got} (log {log})"
    assert got == want, f"{name}: {got}, expected {want} ({reason}); log {log}"


def test_docs_table_is_current():
    with open(os.path.join(TOP, "docs", "xtf.md")) as f:
        doc = f.read()
    assert table.doc_table(EXPECTED) in doc, "docs/xtf.md: run tests/xtf/expected.py --doc"


def test_zz_summary():
    """One line with the counts, in the log (the cases above are the verdict)."""
    n = {}
    for _, got, _ in RESULTS:
        n[got] = n.get(got, 0) + 1
    print("xtf: " + " ".join(f"{k}={v}" for k, v in sorted(n.items())) +
          f" total={len(RESULTS)}")
