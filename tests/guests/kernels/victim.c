/* SPDX-License-Identifier: MIT */
/*
 * The victim next to chaos.c: it fills 2 MiB of its memory with a pattern,
 * takes a checksum of it and of its code and constants, then for a while (`victim.rounds=`, default 300) gives
 * the CPU away with SCHEDOP_yield and checks that its memory and its own
 * image are unchanged after every round.  Whatever the hostile domain did,
 * nothing of this domain may change.
 */
#include <abi/sched.h>
#include "hypercall.h"
#include "kit.h"

#define WORDS (2 * 1024 * 1024 / 8)
static uint64_t area[WORDS];

extern char _text_end[];        /* kit.ld: code and constants end */

static uint64_t sum(const uint64_t *p, size_t n)
{
    uint64_t s = 0;

    for (size_t i = 0; i < n; i++)
        s = (s ^ p[i]) * 0x100000001b3ULL;
    return s;
}

static int memory_is_unchanged_next_to_a_hostile_domain(void)
{
    uint64_t rounds = kit_cmdline_number("victim.rounds=", 300);

    for (size_t i = 0; i < WORDS; i++)
        area[i] = i * 0x9e3779b97f4a7c15ULL;
    uint64_t want = sum(area, WORDS);
    const uint64_t *text = (const uint64_t *)_image_start;
    size_t text_words = (size_t)(_text_end - _image_start) / 8;
    uint64_t text_want = sum(text, text_words);
    for (uint64_t r = 0; r < rounds; r++) {
        _hypercall2(__HYPERVISOR_sched_op, SCHEDOP_yield, 0);
        if (sum(area, WORDS) != want)
            return kit_fail("round %lu: the 2 MiB area changed", r);
        if (sum(text, text_words) != text_want)
            return kit_fail("round %lu: the kernel image changed", r);
    }
    kit_printf("kit: note: %lu rounds, checksum %#lx unchanged\n", rounds, want);
    return KIT_PASS;
}

static const struct kit_test tests[] = {
    { "memory_is_unchanged_next_to_a_hostile_domain",
      memory_is_unchanged_next_to_a_hostile_domain, 0 },
};

KIT_KERNEL("victim", tests);
