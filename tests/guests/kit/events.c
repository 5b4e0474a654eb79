// SPDX-License-Identifier: MIT
/*
 * Event upcalls for kit kernels (see events.h).  The callback entry saves
 * what C may clobber, runs kit_event_handler, and returns with
 * HYPERVISOR_iret: the bounce frame is rcx, r11, rip, cs, rflags, rsp, ss
 * and iret wants rax, r11, rcx, flags, rip, ... so after popping rcx and
 * r11 it pushes flags 0 (rcx/r11 come back from the frame), rcx, r11, rax.
 */
#include <abi/callback.h>
#include "events.h"
#include "hypercall.h"
#include "memory.h"

#define KIT_SHINFO_SLOT 31          /* the same slot traps.c maps it at */

volatile struct shared_info *kit_shared;
volatile struct vcpu_info *kit_vi;
volatile unsigned int kit_upcalls;
volatile uint64_t kit_upcall_ports;
volatile uint64_t kit_upcall_tsc;

void kit_event_handler(void);
__asm__(".text\n"
        ".globl kit_event_entry\n"
        "kit_event_entry:\n"
        "    pushq %rax; pushq %rdx; pushq %rsi; pushq %rdi\n"
        "    pushq %r8; pushq %r9; pushq %r10\n"
        "    call kit_event_handler\n"
        "    popq %r10; popq %r9; popq %r8\n"
        "    popq %rdi; popq %rsi; popq %rdx; popq %rax\n"
        "    popq %rcx; popq %r11\n"
        "    pushq $0; pushq %rcx; pushq %r11; pushq %rax\n"
        "    movl $23, %eax\n"
        "    syscall\n");
extern char kit_event_entry[];

void kit_event_handler(void)
{
    kit_upcall_tsc = kit_rdtsc();
    kit_upcalls++;
    kit_vi->evtchn_upcall_pending = 0;
    uint64_t sel = __atomic_exchange_n(&kit_vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    for (unsigned int w = 0; w < 64; w++) {
        if (!(sel & (1UL << w)))
            continue;
        uint64_t bits = __atomic_exchange_n(&kit_shared->evtchn_pending[w], 0,
                                            __ATOMIC_SEQ_CST);
        if (w == 0)
            kit_upcall_ports |= bits;
    }
}

long kit_events_init(void)
{
    long rc = kit_scratch_map(KIT_SHINFO_SLOT, kit_si->shared_info >> PAGE_SHIFT, PTE_RW);
    if (rc)
        return rc;
    kit_shared = (volatile struct shared_info *)kit_scratch_va(KIT_SHINFO_SLOT);
    kit_vi = &kit_shared->vcpu_info[0];
    struct callback_register cb = { .type = CALLBACKTYPE_event,
                                    .address = (uint64_t)kit_event_entry };
    return _hypercall2(__HYPERVISOR_callback_op, CALLBACKOP_register, KIT_UL(&cb));
}

void kit_events_on(void)
{
    __atomic_store_n(&kit_vi->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    if (kit_vi->evtchn_upcall_pending)
        HYPERVISOR_xen_version(0, NULL);        /* any hypercall delivers it */
}

void kit_events_off(void)
{
    __atomic_store_n(&kit_vi->evtchn_upcall_mask, 1, __ATOMIC_SEQ_CST);
}
