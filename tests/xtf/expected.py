#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""tests/xtf/expected.txt: per XTF test, Mica's expected outcome, Xen 4.17's
result on the same QEMU (7.2) and the reason for anything not SUCCESS.

Line format:  NAME  MICA  XEN  reason text...   ('#' starts a comment)
`expected.py --doc` prints the table that docs/xtf.md carries."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUTCOMES = {"SUCCESS", "SKIP", "FAILURE", "ERROR", "CRASH"}


def load(path=os.path.join(HERE, "expected.txt")):
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 3)
            if len(parts) < 3 or parts[1] not in OUTCOMES:
                raise ValueError(f"{path}:{n}: bad line")
            reason = parts[3] if len(parts) > 3 else ""
            if parts[1] != "SUCCESS" and not reason:
                raise ValueError(f"{path}:{n}: {parts[0]} is {parts[1]} without a reason")
            out[parts[0]] = (parts[1], parts[2], reason)
    return out


def doc_table(exp):
    rows = ["| test | Mica | Xen 4.17 | why not SUCCESS |", "|---|---|---|---|"]
    for name, (mica, xen, reason) in exp.items():
        rows.append(f"| {name} | {mica} | {xen} | {reason} |")
    n = sum(1 for m, _, _ in exp.values() if m == "SUCCESS")
    x = sum(1 for _, x, _ in exp.values() if x == "SUCCESS")
    rows.append(f"| **total SUCCESS** | **{n} of {len(exp)}** | **{x} of {len(exp)}** | |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--doc"]:
        sys.stdout.write(doc_table(load()))
    else:
        print(__doc__)
