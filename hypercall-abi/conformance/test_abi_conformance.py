# SPDX-License-Identifier: MIT
"""One test case per compared ABI item (see abiconf.py), plus self-tests
proving that the comparison and the generator can fail.

ABI_CONF_DIR names the folder `abiconf.py generate` filled (the Makefile's
`all` does that); the two table programs are run afresh here.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import abiconf  # noqa: E402

OUT = os.environ.get("ABI_CONF_DIR", "")


def _load():
    with open(os.path.join(OUT, "items.json")) as f:
        spec = json.load(f)
    ours = abiconf.run_table(os.path.join(OUT, "ours_tbl"))
    xen = abiconf.run_table(os.path.join(OUT, "xen_tbl"))
    return spec, ours, xen


SPEC, OURS, XEN = _load()
RESULTS = abiconf.compare(SPEC, OURS, XEN)


@pytest.mark.parametrize("item,ok,msg", RESULTS, ids=[r[0] for r in RESULTS])
def test_item(item, ok, msg):
    assert ok, msg


def test_enumeration_complete():
    """Every macro/variable of ours is compared, probed or allow-listed."""
    assert SPEC["errors"] == [], "\n".join(SPEC["errors"])


def test_enough_items():
    # Guards against an enumerator that silently finds nothing.
    c = abiconf.counts(SPEC)
    assert c["records"] >= 100 and c["fields"] >= 500 and c["constants"] >= 500, c


# ------------------------------------------------------------ self-tests

def _first(kind, pred=lambda it: True):
    return next(it for it in SPEC["items"]
                if it["kind"] == kind and it["in_xen"] and pred(it))


def _fails(spec, ours, xen, item_id):
    res = {i: (ok, m) for i, ok, m in abiconf.compare(spec, ours, xen)}
    return not res[item_id][0], res[item_id][1]


def test_selftest_value_mismatch_caught():
    it = _first("const")
    xen = dict(XEN)
    v = list(xen[it["id"]])
    v[3] = hex(int(v[3], 16) + 1)
    xen[it["id"]] = v
    failed, msg = _fails(SPEC, OURS, xen, it["id"])
    assert failed and "MISMATCH" in msg and it["id"] in msg, msg


def test_selftest_offset_mismatch_caught():
    it = _first("field", lambda it: not it["padding"])
    ours = dict(OURS)
    v = list(ours[it["id"]])
    v[1] = str(int(v[1]) + 8)
    ours[it["id"]] = v
    failed, msg = _fails(SPEC, ours, XEN, it["id"])
    assert failed and "MISMATCH" in msg, msg


def test_selftest_size_and_signedness_caught():
    it = _first("record")
    xen = dict(XEN)
    xen[it["id"]] = ["rec", "9999", xen[it["id"]][2]]
    assert _fails(SPEC, OURS, xen, it["id"])[0]
    it = _first("typedef", lambda it: XEN[it["id"]][3] == "0")
    xen = dict(XEN)
    xen[it["id"]] = XEN[it["id"]][:3] + ["1"]
    assert _fails(SPEC, OURS, xen, it["id"])[0]


def test_selftest_item_missing_in_xen_caught():
    spec = json.loads(json.dumps(SPEC))
    fake = {"id": "const:FAKE_ONLY_IN_MICA", "kind": "const",
            "expr": "FAKE_ONLY_IN_MICA", "in_xen": False}
    spec["items"].append(fake)
    ours = dict(OURS)
    ours[fake["id"]] = ["num", "4", "1", "0x1"]
    failed, msg = _fails(spec, ours, XEN, fake["id"])
    assert failed and "Xen has no such item" in msg, msg


def test_selftest_padding_overlapping_a_xen_field_caught():
    pad = next(it for it in SPEC["items"]
               if it["kind"] == "field" and it["padding"] and not it["in_xen"])
    real = next(xf for xf in SPEC["xen_fields"]
                if xf["record"] == pad["record"] and xf["leaf"])
    ours = dict(OURS)
    xo, xs = XEN[real["id"]][1], XEN[real["id"]][2]
    ours[pad["id"]] = ["fld", xo, xs, "0"]
    failed, msg = _fails(SPEC, ours, XEN, pad["id"])
    assert failed and "overlaps" in msg, msg


def test_selftest_doctored_header_caught(tmp_path):
    """End to end: a copy of our headers with one constant and one field
    changed must make the real generator + comparator fail on both."""
    inc = tmp_path / "include"
    shutil.copytree(abiconf.OUR_INCLUDE, inc)
    xen_h = inc / "abi" / "xen.h"
    s = xen_h.read_text()
    s2 = s.replace("#define VIRQ_DEBUG       1", "#define VIRQ_DEBUG       7")
    s2 = s2.replace("uint8_t  _pad1[6];              /* Xen: implicit padding */\n"
                    "    xen_ulong_t evtchn_pending_sel;",
                    "uint8_t  _pad1[6];\n    uint32_t evtchn_pending_sel;")
    assert s2 != s and s2.count("uint32_t evtchn_pending_sel") == 1
    xen_h.write_text(s2)
    out = tmp_path / "out"
    env = dict(os.environ, ABI_INCLUDE=str(inc))
    subprocess.run([sys.executable, abiconf.__file__, "generate", str(out)],
                   check=True, env=env, capture_output=True)
    with open(out / "items.json") as f:
        spec = json.load(f)
    res = {i: (ok, m) for i, ok, m in abiconf.compare(
        spec, abiconf.run_table(str(out / "ours_tbl")),
        abiconf.run_table(str(out / "xen_tbl")))}
    assert not res["const:VIRQ_DEBUG"][0], res["const:VIRQ_DEBUG"]
    assert not res["field:struct vcpu_info.evtchn_pending_sel"][0]
    bad = sorted(i for i, (ok, _) in res.items() if not ok)
    assert len(bad) < 20, bad   # the damage is reported where it is
