// SPDX-License-Identifier: MIT
/*
 * The C half of the kit's exception handling (see traps.h): the trap table
 * built from the stubs in traps.asm, and kit_trap_dispatch(), which every
 * stub calls with the registers it saved.  It records the bounce frame as
 * the hypervisor wrote it, then picks where HYPERVISOR_iret goes: back to
 * the faulting instruction (a retry) or to the address the test armed.
 */
#include "hypercall.h"
#include "kit.h"
#include "memory.h"
#include "traps.h"

volatile struct kit_trap kit_trap_last;
volatile unsigned int kit_trap_count;
volatile uint64_t kit_trap_resume;
volatile uint64_t kit_trap_probe_insn;
static volatile unsigned int trap_retries;

/* What a stub leaves on the stack, lowest address first (traps.asm). */
struct stub_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t handler_rflags;
    uint64_t vector, has_error;
    uint64_t frame[];           /* rcx, r11, [error code], rip, cs, rflags, rsp, ss */
};

void kit_trap_dispatch(struct stub_regs *r);

long kit_traps_install(const uint8_t *flags_for)
{
    static struct trap_info table[KIT_NR_TRAP_STUBS + 1];

    for (unsigned int v = 0; v < KIT_NR_TRAP_STUBS; v++)
        table[v] = (struct trap_info){
            .vector = (uint8_t)v,
            .flags = flags_for ? flags_for[v] : 0,
            .cs = FLAT_KERNEL_CS,
            .address = kit_trap_stubs[v],
        };
    table[KIT_NR_TRAP_STUBS] = (struct trap_info){ 0 };
    return HYPERVISOR_set_trap_table(table);
}

void kit_trap_arm(unsigned int retries)
{
    kit_trap_count = 0;
    trap_retries = retries;
    kit_trap_resume = 0;
    memset((void *)&kit_trap_last, 0, sizeof(kit_trap_last));
}

void kit_trap_disarm(void)
{
    kit_trap_resume = 0;
    trap_retries = 0;
}

static struct vcpu_info *vcpu0;

struct vcpu_info *kit_vcpu_info(void)
{
    if (!vcpu0 && kit_si && kit_mem.mapped_end &&
        kit_scratch_map(KIT_SHINFO_SLOT, kit_si->shared_info >> PAGE_SHIFT, PTE_RW) == 0)
        vcpu0 = &((struct shared_info *)kit_scratch_va(KIT_SHINFO_SLOT))->vcpu_info[0];
    return vcpu0;
}

static uint16_t read_cs(void)
{
    uint16_t v;

    __asm__ volatile("mov %%cs, %0" : "=r"(v));
    return v;
}

static uint16_t read_ss(void)
{
    uint16_t v;

    __asm__ volatile("mov %%ss, %0" : "=r"(v));
    return v;
}

static void record(const struct stub_regs *r, const uint64_t *f)
{
    volatile struct kit_trap *t = &kit_trap_last;

    t->vector = r->vector;
    t->has_error = r->has_error;
    t->error_code = r->has_error ? r->frame[2] : 0;
    t->rcx = r->frame[0];
    t->r11 = r->frame[1];
    t->rip = f[0];
    t->cs = f[1];
    t->rflags = f[2];
    t->rsp = f[3];
    t->ss = f[4];
    t->frame = (uint64_t)r->frame;
    t->handler_rflags = r->handler_rflags;
    t->handler_cs = read_cs();
    t->handler_ss = read_ss();
    t->rax = r->rax, t->rbx = r->rbx, t->rdx = r->rdx, t->rsi = r->rsi, t->rdi = r->rdi;
    t->rbp = r->rbp, t->r8 = r->r8, t->r9 = r->r9, t->r10 = r->r10, t->r12 = r->r12;
    t->r13 = r->r13, t->r14 = r->r14, t->r15 = r->r15;
    t->cr2 = vcpu0 ? vcpu0->arch.cr2 : 0;
    t->upcall_mask = vcpu0 ? vcpu0->evtchn_upcall_mask : -1;
}

void kit_trap_dispatch(struct stub_regs *r)
{
    uint64_t *f = &r->frame[r->has_error ? 3 : 2];     /* rip, cs, rflags, rsp, ss */

    record(r, f);
    kit_trap_count++;
    if (!kit_trap_resume) {
        kit_printf("kit: FATAL unexpected trap: vector %lu error %#lx at rip %#lx rsp %#lx "
                   "(test not armed)\n", r->vector, kit_trap_last.error_code, f[0], f[3]);
        kit_shutdown(SHUTDOWN_crash);
    }
    if (r->vector == 1)
        f[2] &= ~X86_EFLAGS_TF;         /* single-stepping stops here */
    if (kit_trap_count > trap_retries)
        f[0] = kit_trap_resume;
}
