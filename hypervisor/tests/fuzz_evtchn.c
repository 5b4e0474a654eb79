/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the event-channel core: each 8 bytes of input are
 * one step of the model in test_evtchn.c (an EVTCHNOP from one of three
 * domains, a Linux-like guest's upcall or mask change, a VIRQ, a reset or
 * a domain's death), with every invariant of common/event_channel.c
 * checked after each step.  A broken invariant, a hypervisor BUG or a
 * sanitizer report is a crash.  The harness and the model are
 * test_evtchn.c's, included without its cmocka tests.
 */
#define EVTCHN_FUZZ
#include "test_evtchn.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup(NULL);
    for (size_t i = 0; i + 8 <= size && i < 8 * 256; i += 8) {
        uint64_t r;

        memcpy(&r, data + i, sizeof(r));
        model_step(r);
    }
    teardown(NULL);
    return 0;
}
