#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ABI conformance: Mica's hypercall-abi headers against Xen's public headers.

The list of things to compare is generated, never hand-picked:
  1. clang's JSON AST of a file including every Mica header gives every
     struct/union/enum (with nested anonymous members), typedef, enum
     constant and variable; `clang -E -dD` gives every macro and the file
     that defines it.
  2. Items named mica_/MICA_ are Mica-only and skipped; so are include
     guards and the names in mica-only.txt (each with a reason).  A
     function-like macro or a variable is compared through the expressions
     listed for it in probes.txt; one with neither a probe nor an allow-list
     entry is an error, so nothing can be left out silently.
  3. Two C programs are generated: one includes only our headers, the other
     only Xen's (/usr/include/xen, x86_64, interface 0x00040e00, the latest,
     whose layouts Linux 6.1's private copies track).  Each prints one line
     per item: a constant's value, size and signedness, a record's size and
     alignment, a field's offset, size and signedness, a typedef's size,
     alignment and signedness.  Values come from the compiler, so expression
     and function-like macros are evaluated, not parsed.
  4. compare() matches the two tables.  An item of ours that Xen lacks, or
     whose numbers differ, fails with both values.  A padding field of ours
     that Xen lacks passes only if no field of Xen's overlaps its bytes
     (i.e. it stands for Xen's implicit padding).

Usage: abiconf.py generate OUTDIR   (enumerate, write and build both programs)
"""
import fnmatch
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ABI_ROOT = os.path.dirname(HERE)
OUR_INCLUDE = os.environ.get("ABI_INCLUDE", os.path.join(ABI_ROOT, "include"))
XEN_INCLUDE_DIR = "/usr/include/xen"
XEN_INTERFACE_VERSION = "0x00040e00"
CLANG = os.environ.get("CLANG", "clang")
CC = os.environ.get("CC_HOST", "gcc")

# Xen headers holding the counterparts of ours (guest view, x86_64).
XEN_HEADERS = [
    "xen/xen.h", "xen/arch-x86/cpuid.h", "xen/arch-x86/xen-mca.h",
    "xen/errno.h", "xen/event_channel.h", "xen/sched.h", "xen/vcpu.h",
    "xen/version.h", "xen/features.h", "xen/callback.h", "xen/nmi.h",
    "xen/pmu.h", "xen/physdev.h", "xen/memory.h", "xen/grant_table.h",
    "xen/elfnote.h", "xen/io/ring.h", "xen/io/blkif.h", "xen/io/netif.h",
    "xen/io/console.h", "xen/io/xs_wire.h", "xen/io/xenbus.h",
]

MICA_ONLY = re.compile(r"(^|_)(mica|MICA)_")
GUARD = re.compile(r"^ABI_[A-Z0-9_]+_H$")
# Names that only ever mean padding; see compare().
PADDING = re.compile(r"^_*(pad|rsvd|reserved|spacer|unused)\w*$")


def our_headers():
    out = []
    for d, _, files in os.walk(os.path.join(OUR_INCLUDE, "abi")):
        for f in files:
            if f.endswith(".h"):
                out.append(os.path.relpath(os.path.join(d, f), OUR_INCLUDE))
    return sorted(out)


def our_prelude():
    return "".join(f"#include <{h}>\n" for h in our_headers())


def xen_prelude():
    s = f"#define __XEN_INTERFACE_VERSION__ {XEN_INTERFACE_VERSION}\n"
    # stdint first (Xen's headers assume it); errno.h makes io/xs_wire.h
    # define its xsd_errors table, as it does for any Linux user.
    s += "#include <stdint.h>\n#include <stddef.h>\n#include <errno.h>\n"
    return s + "".join(f"#include <{h}>\n" for h in XEN_HEADERS)


OUR_FLAGS = ["-I", OUR_INCLUDE]
XEN_FLAGS = []


# ---------------------------------------------------------------- enumeration

def clang_ast(prelude, flags):
    r = subprocess.run([CLANG, "-x", "c", "-std=gnu11", "-fsyntax-only",
                        "-Xclang", "-ast-dump=json", *flags, "-"],
                       input=prelude, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("clang could not parse the headers:\n" + r.stderr)
    return json.loads(r.stdout)


class FileTracker:
    """clang's JSON names a location's file only when it changes from the
    previously printed location, so the file of a declaration is known only
    by walking the dump in document order."""

    def __init__(self):
        self.cur = None

    def walk(self, obj):
        if isinstance(obj, dict):
            if "file" in obj:
                self.cur = obj["file"]
            for k, v in obj.items():
                if k != "includedFrom":     # names the includer, not this loc
                    self.walk(v)
        elif isinstance(obj, list):
            for v in obj:
                self.walk(v)

    def decl_file(self, node):
        """Update with the node's own location; return the file the decl
        appears in (for a macro expansion, where the macro was used)."""
        loc = node.get("loc", {})
        if "spellingLoc" in loc:
            self.walk(loc["spellingLoc"])
            self.walk(loc.get("expansionLoc", {}))
        else:
            self.walk(loc)
        f = self.cur
        rest = {k: v for k, v in node.items() if k != "loc"}
        self.walk(rest)
        return f


ANON = re.compile(r"\((unnamed|anonymous)( struct| union)? at ")
ARRAY = re.compile(r"\[(\d*)\]$")


def record_fields(rec, prefix=""):
    """Flatten a RecordDecl into [(path, info)] where info has keys flex,
    leaf.  Anonymous nested records are entered; named ones are leaves
    (they are compared as records of their own)."""
    out = []
    pending_anon = []
    for n in rec.get("inner", []):
        k = n.get("kind")
        if k == "RecordDecl":
            if not n.get("name"):
                pending_anon.append(n)
            else:
                pass  # a named nested record: enumerated at top level
            continue
        if k != "FieldDecl":
            continue
        if n.get("isBitfield"):
            raise RuntimeError(f"bit-field {prefix}{n.get('name')} cannot be compared")
        qt = n["type"]["qualType"]
        name = n.get("name")
        if ANON.search(qt) and pending_anon:
            sub = pending_anon.pop(0)
            m = ARRAY.search(qt)
            if name is None:            # C11 anonymous member
                out += record_fields(sub, prefix)
                continue
            path = prefix + name
            out.append((path, {"flex": False, "leaf": False}))
            inner = path + ("[0]" if m else "")
            out += record_fields(sub, inner + ".")
            continue
        out.append((prefix + name, {"flex": qt.endswith("[]"), "leaf": True}))
    return out


def enumerate_tu(prelude, flags, keep_file):
    """Return the declarations made by headers for which keep_file(path)."""
    ast = clang_ast(prelude, flags)
    ft = FileTracker()
    res = {"records": {}, "typedefs": {}, "enumconsts": {}, "vars": {},
           "funcs": {}}
    anon_by_id = {}

    def add_record(n, key, spelled, f):
        if n.get("tagUsed") == "enum" or n.get("kind") == "EnumDecl":
            res["records"][key] = {"type": spelled, "fields": [], "file": f}
            return
        res["records"][key] = {"type": spelled, "fields": record_fields(n),
                               "file": f}

    def visit_named_records(n, f):
        # Named records defined inside others are file-scope tags in C.
        for c in n.get("inner", []):
            if c.get("kind") == "RecordDecl":
                if c.get("name") and c.get("completeDefinition"):
                    key = f"{c['tagUsed']} {c['name']}"
                    add_record(c, key, key, f)
                visit_named_records(c, f)

    for n in ast.get("inner", []):
        f = ft.decl_file(n)
        if n.get("isImplicit") or f is None or not keep_file(f):
            continue
        k = n.get("kind")
        if k == "RecordDecl" and n.get("completeDefinition"):
            if n.get("name"):
                key = f"{n['tagUsed']} {n['name']}"
                add_record(n, key, key, f)
            else:
                anon_by_id[n["id"]] = n
            visit_named_records(n, f)
        elif k == "EnumDecl":
            if n.get("name"):
                key = f"enum {n['name']}"
                add_record(n, key, key, f)
            for c in n.get("inner", []):
                if c.get("kind") == "EnumConstantDecl":
                    res["enumconsts"][c["name"]] = f
        elif k == "TypedefDecl":
            res["typedefs"][n["name"]] = f
            owned = None
            for c in n.get("inner", []):
                owned = c.get("ownedTagDecl") or c.get("decl")
                if owned is None:
                    for cc in c.get("inner", []):
                        owned = owned or cc.get("decl")
            if owned and owned.get("id") in anon_by_id:
                rec = anon_by_id.pop(owned["id"])
                add_record(rec, n["name"], n["name"], f)
        elif k == "VarDecl":
            res["vars"][n["name"]] = f
        elif k == "FunctionDecl":
            res["funcs"][n["name"]] = f
    res["unnamed_left"] = len(anon_by_id)
    return res


DEFINE = re.compile(r"#define (\w+)(\([^)]*\))?(?: (.*))?$")
LINEMARK = re.compile(r'^# \d+ "([^"]+)"')


def enumerate_macros(prelude, flags, keep_file):
    """{name: (file, is_function_like, body)} for macros defined in kept
    files, from the preprocessor's own output."""
    r = subprocess.run([CC, "-x", "c", "-std=gnu11", "-E", "-dD", *flags, "-"],
                       input=prelude, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("preprocessing failed:\n" + r.stderr)
    out, cur = {}, None
    for line in r.stdout.splitlines():
        m = LINEMARK.match(line)
        if m:
            cur = m.group(1)
            continue
        m = DEFINE.match(line)
        if m:
            if cur and keep_file(cur):
                out[m.group(1)] = (cur, m.group(2) is not None, (m.group(3) or "").strip())
            else:
                out.pop(m.group(1), None)
        elif line.startswith("#undef "):
            out.pop(line.split()[1], None)
    return out


def read_allowlist(path):
    allow = {}
    for ln, line in enumerate(open(path), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, reason = line.partition(" -- ")
        name = name.strip()
        if not reason.strip():
            raise RuntimeError(f"{path}:{ln}: {name} has no reason")
        allow[name] = reason.strip()
    return allow


def read_probes(path):
    """probes.txt: `NAME: C expression` (GNU C; statement expressions are
    fine).  A trailing `@range VAR LO HI` repeats the line with VAR
    replaced by LO..HI."""
    probes = {}
    for ln, line in enumerate(open(path), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, expr = line.partition(":")
        if not sep:
            raise RuntimeError(f"{path}:{ln}: expected NAME: EXPR")
        name, expr = name.strip(), expr.strip()
        m = re.search(r"@range (\w+) (\d+) (\d+)$", expr)
        exprs = [expr]
        if m:
            base = expr[:m.start()].strip()
            exprs = [re.sub(r"\b%s\b" % m.group(1), str(i), base)
                     for i in range(int(m.group(2)), int(m.group(3)) + 1)]
        probes.setdefault(name, []).extend(exprs)
    return probes


def under(d):
    d = os.path.realpath(d) + os.sep
    return lambda f: os.path.realpath(f).startswith(d)


# ---------------------------------------------------------------- items

def build_items(allow_path, probes_path):
    """Everything of ours to compare, plus Xen's existence/field data."""
    ours_keep = under(os.path.join(OUR_INCLUDE, "abi"))
    xen_keep = under(XEN_INCLUDE_DIR)
    ours = enumerate_tu(our_prelude(), OUR_FLAGS, ours_keep)
    xen = enumerate_tu(xen_prelude(), XEN_FLAGS, xen_keep)
    om = enumerate_macros(our_prelude(), OUR_FLAGS, ours_keep)
    xm = enumerate_macros(xen_prelude(), XEN_FLAGS, xen_keep)
    allow = read_allowlist(allow_path)
    probes = read_probes(probes_path)

    items, errors, skipped = [], [], []
    xen_names = set(xm) | set(xen["enumconsts"]) | set(xen["typedefs"]) | \
        set(xen["records"]) | set(xen["vars"])

    def excluded(name, why_kind):
        if MICA_ONLY.search(name):
            skipped.append((name, "Mica-only (mica_/MICA_ name)"))
            return True
        if name in allow:
            skipped.append((name, "allow-listed: " + allow[name]))
            return True
        return False

    id_globs = {k: v for k, v in allow.items() if ":" in k}
    used_globs = set()

    def add(item):
        for pat, reason in id_globs.items():
            if fnmatch.fnmatchcase(item["id"], pat):
                used_globs.add(pat)
                skipped.append((item["id"], "allow-listed: " + reason))
                return
        item["in_xen"] = item.pop("xen_has")
        items.append(item)

    for name, (f, fnlike, body) in sorted(om.items()):
        if GUARD.match(name) and body == "":
            continue
        if excluded(name, "macro"):
            continue
        if name in probes:
            continue                    # compared through its probes
        if fnlike or body == "":
            if True:
                errors.append(f"macro {name} ({os.path.relpath(f, OUR_INCLUDE)}) "
                              "cannot be evaluated on its own: add probes for it "
                              "to probes.txt or a reason to mica-only.txt")
            continue
        add({"id": f"const:{name}", "kind": "const", "expr": name,
             "xen_has": name in xen_names})
    for name in sorted(ours["enumconsts"]):
        if excluded(name, "enum"):
            continue
        add({"id": f"const:{name}", "kind": "const", "expr": name,
             "xen_has": name in xen_names})
    for name in sorted(ours["typedefs"]):
        if excluded(name, "typedef"):
            continue
        add({"id": f"typedef:{name}", "kind": "typedef", "type": name,
             "xen_has": name in xen_names})
    for key, rec in sorted(ours["records"].items()):
        if excluded(key.split()[-1], "record"):
            continue
        has = key in xen["records"]
        add({"id": f"record:{key}", "kind": "record", "type": rec["type"],
             "xen_has": has})
        xfields = dict(xen["records"][key]["fields"]) if has else {}
        for path, info in rec["fields"]:
            add({"id": f"field:{key}.{path}", "kind": "field",
                 "type": rec["type"], "path": path, "flex": info["flex"],
                 "padding": bool(PADDING.match(path.split(".")[-1])),
                 "record": key, "xen_has": has and path in xfields})
    for name in sorted(ours["vars"]):
        if excluded(name, "var"):
            continue
        if name not in probes:
            errors.append(f"variable {name} needs probes in probes.txt")
    for name in sorted(ours["funcs"]):
        errors.append(f"function {name}: ABI headers must not declare functions")
    if ours["unnamed_left"]:
        errors.append("an unnamed struct/union with no typedef cannot be compared")
    for name, exprs in sorted(probes.items()):
        if name not in om and name not in ours["vars"]:
            errors.append(f"probes.txt names {name}, which our headers do not define")
            continue
        for i, e in enumerate(exprs):
            add({"id": f"probe:{name}#{i}", "kind": "probe", "expr": e,
                 "xen_has": name in xen_names})
    unused = sorted(n for n in id_globs if n not in used_globs)
    unused += sorted(n for n in allow if ":" not in n and n not in om and n not in ours["typedefs"]
                    and n not in ours["enumconsts"] and n not in ours["vars"]
                    and not any(k.split()[-1] == n for k in ours["records"]))
    for n in unused:
        errors.append(f"mica-only.txt lists {n}, which our headers do not define")

    # Xen's own fields of every record we compare: the padding check needs them.
    xen_fields = []
    for key, rec in ours["records"].items():
        if key in xen["records"]:
            xr = xen["records"][key]
            for path, info in xr["fields"]:
                xen_fields.append({"id": f"xfield:{key}.{path}", "kind": "field",
                                   "type": xr["type"], "path": path,
                                   "flex": info["flex"], "leaf": info["leaf"],
                                   "record": key})
    return {"items": items, "xen_fields": xen_fields, "errors": errors,
            "skipped": skipped}


# ---------------------------------------------------------------- C programs

EMIT_H = r"""
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#define SGN(x) _Generic((x), char: 1, signed char: 1, short: 1, int: 1, \
                        long: 1, long long: 1, default: 0)
static void esc(const char *s) {
    for (; *s; s++) {
        if (*s < 0x21 || *s > 0x7e || *s == '\\') printf("\\x%02x", (unsigned char)*s);
        else putchar(*s);
    }
}
static void emit_num(const char *id, unsigned long long v, size_t sz, int sgn) {
    printf("%s\tnum\t%zu\t%d\t0x%llx\n", id, sz, sgn, v);
}
static void emit_str(const char *id, const char *v, size_t sz, int sgn) {
    (void)sgn; printf("%s\tstr\t%zu\t", id, sz); esc(v); putchar('\n');
}
static void emit_ptr(const char *id, const volatile void *v, size_t sz, int sgn) {
    (void)sgn; printf("%s\tptr\t%zu\t0x%llx\n", id, sz, (unsigned long long)(uintptr_t)v);
}
#define K(id, x) __builtin_choose_expr(__builtin_classify_type(x) == 5, \
    _Generic((x), char *: emit_str, const char *: emit_str, default: emit_ptr), \
    emit_num)(id, (x), sizeof(x), SGN(x))
#define R(id, T) printf("%s\trec\t%zu\t%zu\n", id, sizeof(T), _Alignof(T))
#define TD(id, T) printf("%s\ttd\t%zu\t%zu\t%d\n", id, sizeof(T), _Alignof(T), SGN(*(T *)0))
#define F(id, T, f) printf("%s\tfld\t%zu\t%zu\t%d\n", id, offsetof(T, f), \
    sizeof(((T *)0)->f), SGN(((T *)0)->f))
#define FX(id, T, f) printf("%s\tfld\t%zu\t-1\t0\n", id, offsetof(T, f))
"""


def c_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def item_line(it):
    i = c_str(it["id"])
    k = it["kind"]
    if k in ("const", "probe"):
        return f"K({i}, ({it['expr']}));"
    if k == "record":
        return f"R({i}, {it['type']});"
    if k == "typedef":
        return f"TD({i}, {it['type']});"
    if k == "field":
        return f"{'FX' if it['flex'] else 'F'}({i}, {it['type']}, {it['path']});"
    raise ValueError(k)


def write_program(path, prelude, items):
    """One item per line of main(), so a compiler error names its item."""
    head = prelude + EMIT_H + "int main(void) {\n"
    first = head.count("\n") + 1
    with open(path, "w") as f:
        f.write(head)
        for it in items:
            f.write("    " + item_line(it) + "\n")
        f.write("    return 0;\n}\n")
    return {first + n: it for n, it in enumerate(items)}


ERR = re.compile(r"^([^:]+):(\d+):\d+: error: (.*)$")


def build_program(src, exe, prelude, flags, items):
    """Compile; drop each item whose line does not compile (recording the
    error against it) and retry.  Errors outside item lines are fatal."""
    failed = {}
    todo = list(items)
    for _ in range(8):
        lines = write_program(src, prelude, todo)
        r = subprocess.run([CC, "-std=gnu11", "-w", "-O0", "-ftrack-macro-expansion=0",
                            *flags, "-o", exe, src],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return failed
        bad = {}
        for line in r.stderr.splitlines():
            m = ERR.match(line)
            if m and os.path.samefile(m.group(1), src) and int(m.group(2)) in lines:
                bad.setdefault(lines[int(m.group(2))]["id"], m.group(3))
        if not bad:
            raise RuntimeError(f"{src} does not compile:\n{r.stderr[-4000:]}")
        failed.update(bad)
        todo = [it for it in todo if it["id"] not in bad]
    raise RuntimeError(f"{src}: still failing after 8 rounds")


def generate(outdir):
    os.makedirs(outdir, exist_ok=True)
    spec = build_items(os.path.join(HERE, "mica-only.txt"),
                       os.path.join(HERE, "probes.txt"))
    ours_items = spec["items"]
    xen_items = [it for it in ours_items if it["in_xen"]] + spec["xen_fields"]
    spec["ours_compile_errors"] = build_program(
        os.path.join(outdir, "ours_tbl.c"), os.path.join(outdir, "ours_tbl"),
        our_prelude(), OUR_FLAGS, ours_items)
    spec["xen_compile_errors"] = build_program(
        os.path.join(outdir, "xen_tbl.c"), os.path.join(outdir, "xen_tbl"),
        xen_prelude(), XEN_FLAGS, xen_items)
    with open(os.path.join(outdir, "items.json"), "w") as f:
        json.dump(spec, f, indent=1)
    return spec


# ---------------------------------------------------------------- comparison

def parse_table(text):
    tbl = {}
    for line in text.splitlines():
        parts = line.split("\t")
        tbl[parts[0]] = parts[1:]
    return tbl


def run_table(exe):
    r = subprocess.run([exe], capture_output=True, text=True, check=True)
    return parse_table(r.stdout)


def describe(v):
    if v is None:
        return "absent"
    kind = v[0]
    if kind == "num":
        return f"value {v[3]} (size {v[1]}, {'signed' if v[2] == '1' else 'unsigned'})"
    if kind == "str":
        return f"string {v[2]!r} (size {v[1]})"
    if kind == "ptr":
        return f"pointer {v[2]}"
    if kind == "rec":
        return f"size {v[1]}, align {v[2]}"
    if kind == "td":
        return f"size {v[1]}, align {v[2]}, {'signed' if v[3] == '1' else 'unsigned'}"
    if kind == "fld":
        sz = "flexible" if v[2] == "-1" else f"size {v[2]}"
        return f"offset {v[1]}, {sz}" + (", signed" if v[3] == "1" else "")
    return " ".join(v)


def compare(spec, ours, xen):
    """[(item id, ok, message)] for every item of ours."""
    out = []
    xfields = {}
    for xf in spec["xen_fields"]:
        xfields.setdefault(xf["record"], []).append(xf)
    oerr, xerr = spec.get("ours_compile_errors", {}), spec.get("xen_compile_errors", {})
    for it in spec["items"]:
        i = it["id"]
        o = ours.get(i)
        if i in oerr or o is None:
            out.append((i, False, f"{i}: not computable from our headers: "
                        f"{oerr.get(i, 'no table entry')}"))
            continue
        if it["kind"] == "field" and it["padding"] and not it["in_xen"]:
            out.append(check_padding(it, o, xfields.get(it["record"], []), xen))
            continue
        if not it["in_xen"]:
            out.append((i, False, f"{i}: Xen has no such item (ours: {describe(o)}); "
                        "rename it mica_/MICA_ or list it in mica-only.txt"))
            continue
        x = xen.get(i)
        if i in xerr or x is None:
            out.append((i, False, f"{i}: not computable from Xen's headers: "
                        f"{xerr.get(i, 'no table entry')} (ours: {describe(o)})"))
            continue
        if o != x:
            out.append((i, False, f"{i}: MISMATCH ours {describe(o)} / "
                        f"Xen {describe(x)}"))
            continue
        out.append((i, True, f"{i}: {describe(o)}"))
    return out


def check_padding(it, o, xfs, xen):
    i = it["id"]
    if it["record"] not in {xf["record"] for xf in xfs} and not xfs:
        return (i, False, f"{i}: padding in a record Xen does not have")
    off, size = int(o[1]), int(o[2])
    # Only Xen fields inside the same enclosing struct count: members of a
    # union alternative other than the pad's own may share its bytes.
    parent = it["path"].rpartition(".")[0]
    parent = parent + "." if parent else ""
    for xf in xfs:
        if not xf["leaf"] or not xf["path"].startswith(parent):
            continue
        v = xen.get(xf["id"])
        if v is None:
            return (i, False, f"{i}: Xen field {xf['id']} missing from Xen's table")
        xo, xs = int(v[1]), int(v[2])
        if xs < 0:
            xs = 0
        if xo < off + size and off < xo + xs:
            return (i, False, f"{i}: our padding [{off},{off + size}) overlaps "
                    f"Xen's field {xf['path']} [{xo},{xo + xs})")
    return (i, True, f"{i}: padding [{off},{off + size}) is implicit padding in Xen")


def counts(spec):
    c = {"records": 0, "fields": 0, "constants": 0, "typedefs": 0, "probes": 0}
    for it in spec["items"]:
        c[{"record": "records", "field": "fields", "const": "constants",
           "typedef": "typedefs", "probe": "probes"}[it["kind"]]] += 1
    return c


def main(argv):
    if len(argv) == 3 and argv[1] == "generate":
        spec = generate(argv[2])
        c = counts(spec)
        print("abi conformance: " + ", ".join(f"{v} {k}" for k, v in c.items())
              + f"; {len(spec['skipped'])} Mica-only skipped"
              + (f"; {len(spec['errors'])} ENUMERATION ERRORS" if spec["errors"] else ""))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
