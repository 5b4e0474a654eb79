#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate the fuzzer's seed corpus (fuzz/corpus/*): one file per
scenario in the chunk format fuzz_xenstored.c reads."""
import os

T = dict(CONTROL=0, DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5,
         TXS=6, TXE=7, INTRODUCE=8, RELEASE=9, GET_DOMAIN_PATH=10, WRITE=11,
         MKDIR=12, RM=13, SET_PERMS=14, IS_INTRO=17, RESUME=18, SET_TARGET=19,
         RESET_WATCHES=21, DIRECTORY_PART=22)


def msg(typ, payload, who=0, tx=0):
    return bytes([(T[typ] << 3) | (tx << 2) | 2 | who, len(payload)]) + payload


SEEDS = {
    "rw": msg("WRITE", b"/a/b\0v") + msg("READ", b"/a/b\0") + msg("DIRECTORY", b"/a\0"),
    "txn": msg("TXS", b"\0") + msg("WRITE", b"/t/x\0" b"1", tx=1) + msg("RM", b"/a\0", tx=1)
           + msg("WRITE", b"/t/x\0" b"2") + msg("TXE", b"T\0", tx=1),
    "watch": msg("WATCH", b"/\0tok\0") + msg("WATCH", b"data\0t\0", who=1)
             + msg("WRITE", b"data/k\0v", who=1) + msg("RM", b"/local/domain/1\0")
             + msg("UNWATCH", b"/\0tok\0"),
    "perms": msg("SET_PERMS", b"/local/domain/2\0n2\0r1\0") + msg("READ", b"/local/domain/2/x\0", who=1)
             + msg("SET_PERMS", b"data\0n1\0b2\0", who=1) + msg("GET_PERMS", b"data\0", who=1),
    "domains": msg("INTRODUCE", b"3\0" b"5\0" b"7\0") + msg("SET_TARGET", b"1\0" b"3\0")
               + msg("IS_INTRO", b"3\0") + msg("RESUME", b"3\0") + msg("RELEASE", b"3\0")
               + msg("GET_DOMAIN_PATH", b"3\0", who=1),
    "dirpart": msg("MKDIR", b"/d/a\0") + msg("MKDIR", b"/d/b\0")
               + msg("DIRECTORY_PART", b"/d\0" b"2\0") + msg("RESET_WATCHES", b"\0"),
    "control": msg("CONTROL", b"quota\0nodes\0" b"3\0") + msg("WRITE", b"data/1/2/3\0x", who=1)
               + msg("CONTROL", b"quota\0"),
    "raw": bytes([0, 16]) + (2).to_bytes(4, "little") + b"\0" * 8 + (9999).to_bytes(4, "little"),
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(data)
