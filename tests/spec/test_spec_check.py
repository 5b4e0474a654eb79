# SPDX-License-Identifier: MIT
"""scripts/spec-check: promises parsed from SPECIFICATION.md's table, values
read from bench-xen's table, verdicts (holds, BROKEN, not measured)."""
import importlib.machinery
import importlib.util
import os
import subprocess

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(TOP, "scripts", "spec-check")
_loader = importlib.machinery.SourceFileLoader("spec_check", SCRIPT)
_spec = importlib.util.spec_from_loader("spec_check", _loader)
sc = importlib.util.module_from_spec(_spec)
_loader.exec_module(sc)

SPEC = """
| id | promise | check | last measured |
|---|---|---|---|
| P1 | hypercall | `ratio null hypercall (privcmd) <= 0.8` | 0.63 |
| P2 | boot | `mica QEMU start -> dom0 init <= 30` | 20 |
| P3 | size | `lines <= 100000` | 15399 |
| P4 | create | `ratio xl create -> guest init <= 0.5` | - |
not a table line `ratio x <= 1`
"""

TABLE = """== Mica vs Xen 4.17 ==
row                                    unit      Mica       Xen  Mica/Xen  Mica min-max  Xen min-max
QEMU start -> dom0 init                   s     21.50     25.00      0.86  20.1-22.0 (3)  24-26 (3)
null hypercall (privcmd)                 us     20.20     31.70      0.64  19-21 (3)  30-33 (3)
xl create -> guest init                   s     12.00         -         -  11-13 (3)  -
host load average at the end: 3.1 2.9 2.5 (2 CPUs)
"""


def test_promises_are_the_table_rows_with_a_check():
    p = sc.promises(SPEC)
    assert [x[0] for x in p] == ["P1", "P2", "P3", "P4"]
    assert p[0] == ("P1", "ratio", "null hypercall (privcmd)", 0.8)
    assert p[1] == ("P2", "mica", "QEMU start -> dom0 init", 30.0)
    assert p[2] == ("P3", "lines", None, 100000.0)


def test_table_rows_read_mica_xen_ratio_and_dashes():
    rows = sc.table_rows(TABLE)
    assert rows["QEMU start -> dom0 init"] == (21.5, 25.0, 0.86)
    assert rows["null hypercall (privcmd)"] == (20.2, 31.7, 0.64)
    assert rows["xl create -> guest init"] == (12.0, None, None)
    assert "host load average at the end: 3.1 2.9 2.5 (2 CPUs)" not in rows


def test_verdicts():
    v = {x[0]: x for x in sc.judge(sc.promises(SPEC), sc.table_rows(TABLE), 15000)}
    assert v["P1"][1:3] == ("holds", 0.64)
    assert v["P2"][1:3] == ("holds", 21.5)
    assert v["P3"][1:3] == ("holds", 15000)
    assert v["P4"][1] == "not measured"      # Xen's side missing: no ratio


def test_a_broken_promise_fails_the_run(tmp_path):
    spec = tmp_path / "SPEC.md"
    spec.write_text("| P9 | x | `ratio null hypercall (privcmd) <= 0.5` | - |\n")
    table = tmp_path / "t.txt"
    table.write_text(TABLE)
    r = subprocess.run([SCRIPT, str(spec), str(table)], capture_output=True, text=True)
    assert r.returncode == 1
    assert "BROKEN" in r.stdout and "0 hold, 1 broken" in r.stdout


def test_without_a_table_nothing_but_lines_is_judged(tmp_path):
    spec = tmp_path / "SPEC.md"
    spec.write_text(SPEC)
    r = subprocess.run([SCRIPT, str(spec)], capture_output=True, text=True)
    assert r.returncode == 0
    assert "3 not measured" in r.stdout
