/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the PV memory core: the input is a sequence of
 * operations (allocate, release, pin, unpin, base pointer, page-table
 * writes with arbitrary values, guest TLB flushes, switches to the other
 * domain, frames the hypervisor takes) with a work budget each; the real
 * code and the reference model (mm_model.c) must agree on every result,
 * every reference count must equal a full recount after every step, and
 * the TLB model (tlb_model.c) must find no translation breaking its rules.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mica/errno.h>
#include <mica/string.h>

#include "mm_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in;
static size_t left;

static uint64_t take(unsigned int bytes)
{
    uint64_t v = 0;
    for (unsigned int i = 0; i < bytes && left; i++, left--)
        v = v << 8 | *in++;
    return v;
}

static const unsigned int idx_choices[] = { 0, 1, 2, 255, 256, 263, 271, 272, 511 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = data;
    left = size;
    h_init(take(1) & 1);
    for (int i = 0; i < 10; i++) {
        struct h_req a = { .op = OP_ALLOC };
        h_run(&a, 1000);
    }
    while (left >= 4) {
        uint64_t v = take(4);
        struct h_req r = { .mfn = H_FIRST_FREE + (v >> 8) % (H_FRAMES - H_FIRST_FREE) };
        switch (v & 15) {
        case 0: r.op = OP_ALLOC; break;
        case 1: r.op = OP_RELEASE; break;
        case 2: case 3: r.op = OP_PIN; r.level = 1 + (v >> 4) % 4; break;
        case 4: r.op = OP_UNPIN; break;
        case 5: r.op = OP_BASE_SET; break;
        case 6: r.op = OP_BASE_DROP; r.idx = (v >> 4) % 3; break;
        case 7: r.op = OP_FLUSH; break;
        case 8: r.op = OP_SWITCH; break;
        case 9: r.op = OP_XEN; break;
        default: {
            r.op = OP_UPDATE;
            r.idx = idx_choices[(v >> 4) % ARRAY_SIZE(idx_choices)];
            uint64_t flags = take(2);
            mfn_t target = take(1) % (H_FRAMES + 2);
            /* Flags: the low bits as given, plus some high bits. */
            r.val = (target << PAGE_SHIFT) | (flags & 0x1ff) |
                    ((flags >> 9) & 1 ? _PAGE_NX : 0) |
                    ((flags >> 10) & 1 ? _PAGE_GNTTAB : 0) |
                    ((flags >> 11) & 1 ? 1UL << 53 : 0);
            break;
        }
        }
        long budget = 1 + (long)(v >> 24) % 32;
        int want = model_predict(&r);
        int got = h_run(&r, budget);
        if (want != got) {
            fprintf(stderr, "op %d mfn %lu idx %u val %#lx: model %d, code %d\n",
                    r.op, r.mfn, r.idx, r.val, want, got);
            abort();
        }
        const char *bad = model_check();
        if (bad) {
            fprintf(stderr, "after op %d mfn %lu: %s\n", r.op, r.mfn, bad);
            abort();
        }
    }
    return 0;
}
