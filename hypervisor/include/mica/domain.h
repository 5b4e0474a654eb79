/* SPDX-License-Identifier: MIT */
/*
 * A domain and its vCPUs: the fields of every subsystem that keeps state
 * per domain or per vCPU (each group names its file), the registry of live
 * domains, and creating and destroying them.
 */
#ifndef MICA_DOMAIN_H
#define MICA_DOMAIN_H

#include <abi/memory.h>
#include <abi/vcpu.h>
#include <abi/xen.h>
#include <mica/debugreg.h>
#include <mica/traps.h>
#include <mica/types.h>
#include <mica/x86.h>

#define DOMAIN_E820_MAX 8      /* entries of a toolstack-set memory map */

struct domain;
struct evtchn_domain;

/* One source of a domain's console output on its way to the serial line
 * (common/console.c): console_io, or the console ring. */
struct console_stream {
    char line[128];             /* output waiting for its newline */
    unsigned int len;
    bool midline;               /* raw output: a line is open on serial */
};
struct grant_table;

/* A virtual CPU of a PV guest. */
struct vcpu {
    struct domain *domain;
    unsigned int vcpu_id;
    /* The registers it starts with (dom0_build, VCPUOP_initialise); once
     * it runs they live in the frame on its own hypervisor stack. */
    struct cpu_regs regs;
    bool initialised;           /* has a context: may be brought up */
    mfn_t guest_table;          /* kernel L4 (MMUEXT_NEW_BASEPTR), holds refs */
    mfn_t guest_table_user;     /* user L4, INVALID_MFN when none */
    bool kernel_mode;           /* guest kernel vs guest user */
    uint8_t iopl;               /* virtual IOPL 0-3 (PHYSDEVOP_set_iopl) */
    uint64_t *hypercall_args;   /* of the hypercall it is in (mica/hypercall.h) */

    /* Exceptions and callbacks (arch/x86/pv/pv_traps.c). */
    struct trap_info *trap_ctxt;    /* X86_NR_VECTORS entries: one page of its own */
    uint64_t event_callback, failsafe_callback, syscall_callback;
    bool syscall_masks;         /* CALLBACKF_mask_events on the syscall callback */
    uint64_t compat_callback[2];    /* CALLBACKTYPE_syscall32, _sysenter: recorded only */
    uint64_t kernel_ss, kernel_sp;  /* stack_switch: the stack for user->kernel */
    uint64_t cr4_guest;         /* CR4 bits the guest set (OSFXSR, OSXMMEXCPT, DE) */
    struct dr_state dbg;        /* debug registers (arch/x86/pv/pv_debug.c) */
    mfn_t gdt_frames[MAX_GDT_FRAMES];  /* set_gdt: its descriptor frames (seg_desc) */
    unsigned int gdt_nr;
    uint64_t ldt_base, ldt_ents;    /* MMUEXT_SET_LDT */
    mfn_t ldt_shadow[LDT_WINDOW_PAGES]; /* guest LDT frames mapped in the window */

    /* Time (common/schedule.c). */
    uint64_t timer_deadline;    /* system time for VIRQ_TIMER, 0 = none */
    uint64_t started_at;        /* system time the vCPU first ran */
    uint64_t runstate_guest;    /* guest VA of its vcpu_runstate_info, 0 = none */
    mfn_t vcpu_info_mfn;        /* VCPUOP_register_vcpu_info page, or INVALID_MFN */
    unsigned int vcpu_info_offset;

    /* Scheduling (common/scheduler.c). */
    uint8_t state;              /* enum vcpu_state */
    bool polling;               /* blocked in SCHEDOP_poll: any port wakes it */
    uint64_t wake_at;           /* a blocked vCPU wakes at this system time, 0 = never */
    uint64_t vtime;             /* ns run, scaled by default weight / weight */
    uint64_t ran_since;         /* system time it was last charged */
    struct vcpu *sched_next;    /* the CPU's list of its vCPUs */
    struct vcpu_runstate_info runstate;

    /* What the CPU holds for it while it runs (arch/x86/pv/context.c). */
    uint64_t hv_rsp;            /* its saved hypervisor stack pointer */
    uint8_t *stack;             /* its hypervisor stack */
    uint64_t fs_base, gs_base, gs_shadow;
    uint16_t sel[4];            /* ds, es, fs, gs */
    bool fpu_ts;                /* its CR0.TS (fpu_taskswitch) */
    const char *load_failed;    /* the CPU refused its state: crash it */
    uint8_t fpu[512] __attribute__((aligned(16)));     /* FXSAVE image */
};

#define MAX_VCPUS 32            /* vcpu_info slots in shared_info */

struct domain {
    domid_t domain_id;
    bool is_privileged;         /* may map I/O frames and set cache bits */

    /* Memory (mm/page.c): every frame the domain owns is on this list. */
    mfn_t page_head, page_tail; /* INVALID_MFN when empty */
    uint64_t tot_pages;         /* frames owned, allocated or not */
    uint64_t max_pages;         /* tot_pages never exceeds this */
    uint64_t max_gpfn;          /* highest pseudo-physical frame of the guest */
    /* The E820 the toolstack set (XENMEM_set_memory_map); none: the default. */
    struct mica_e820entry e820[DOMAIN_E820_MAX];
    unsigned int nr_e820;

    /* Page tables waiting to drop their entries' references (mm/pt.c). */
    mfn_t deval_head;
    mfn_t relinquish_at;        /* where pt_relinquish() resumes, or INVALID_MFN */

    /* Event channels (common/event_channel.c). */
    struct evtchn_domain *evtchn;
    /* Grant table (common/grant_table.c). */
    struct grant_table *grant;

    /* Running it. */
    struct vcpu *vcpu0;         /* == vcpu[0] */
    struct vcpu *vcpu[MAX_VCPUS];
    unsigned int max_vcpus;
    unsigned int sched_weight;  /* proportional share; 0 = SCHED_DEFAULT_WEIGHT */
    unsigned int sched_cap;     /* % of one CPU at most, 0 = no cap */
    uint64_t cap_used, cap_period;  /* ns run in the cap period, its start */
    unsigned int pause_count;   /* > 0: none of its vCPUs runs */
    mfn_t shared_info_mfn;      /* struct shared_info, owned by the domain */
    unsigned long vm_assist;    /* VMASST_TYPE_* bits enabled */
    struct console_stream con_io;   /* console_io output */
    uint64_t console_tokens;    /* rate limit for unprivileged domains */
    uint64_t console_refill;    /* system time of the last refill */
    uint64_t console_dropped;   /* bytes dropped since the last line */
    char name[32];              /* boot config name, or "dom0" */
    mfn_t cons_mfn;             /* console ring page (common/console.c), or INVALID_MFN */
    mfn_t start_info_mfn;       /* its start_info page (the builder's) */
    uint32_t cons_port;         /* the ring's port; its other end is Mica */
    uint32_t store_port;        /* xenstore ring's port (control interface), or 0 */
    bool rings_set;             /* set_store_console done (once per domain) */
    bool cons_broken;           /* ring indices insane: reported once */
    struct console_stream con_ring; /* console ring output */
    bool console_quiet;         /* boot config console = "none": output discarded */
    xen_domain_handle_t handle; /* the toolstack's UUID (zero for dom0) */
    unsigned int shutdown_code; /* SCHEDOP_shutdown_code, reported on a crash */
    bool is_stopped;            /* shut down or crashed: its vCPUs are down for good */
    uint8_t shutdown_reason;    /* SHUTDOWN_*, valid once is_stopped */

    /* Life cycle (common/domain.c). */
    uint8_t dying;              /* DOMAIN_ALIVE, _DYING, _ZOMBIE */
    uint8_t kill_stage;         /* how far domain_kill() has come */
    uint8_t ctl_pause_count;    /* pauses by a controller (a created domain: 1) */
};

#define DOMAIN_ALIVE  0
#define DOMAIN_DYING  1         /* domain_kill() under way */
#define DOMAIN_ZOMBIE 2         /* relinquished; frames others hold keep it */

/* The live vcpu_info of v: in shared_info, or where the guest registered
 * it (arch/x86/pv/pv_traps.c). */
struct vcpu_info *vcpu_info_of(struct vcpu *v);
struct vcpu_runstate_info;
void runstate_fill(struct vcpu *v, struct vcpu_runstate_info *ri);
void runstate_update(struct vcpu *v);

/* The vCPU running on this (the only) CPU: a guest's, or the idle loop's
 * (vcpu_is_idle). */
extern struct vcpu *current;
bool vcpu_is_idle(const struct vcpu *v);
/* A new vCPU of d, down (common/vcpu.c). */
struct vcpu *vcpu_create(struct domain *d, unsigned int id);
/* Free a vCPU that is not on the CPU (never ran, or its domain is dying). */
void vcpu_destroy(struct vcpu *v);

/* Creating and destroying domains (common/domain.c). */
struct domain_params {
    bool privileged;
    unsigned int max_vcpus;     /* 1 .. MAX_VCPUS */
    uint64_t max_pages;         /* memory limit; Mica's own frames come on top */
    unsigned int grant_frames;  /* 0: the default */
    const char *name;
};
/* A registered domain with its vCPUs (all down), event channels, grant
 * table and shared_info; paused once (ctl_pause_count 1) when `paused`.
 * NULL with *err: -EEXIST (id in use), -ENOSPC, -ENOMEM, -EINVAL. */
struct domain *domain_create(domid_t id, const struct domain_params *p, bool paused,
                             int *err);
/* Tear d down: its vCPUs stop for good, its event channels close (peers'
 * ends become unbound), its grant mappings and page tables release what
 * they hold, and every frame it owns goes back to the pool as soon as
 * nothing else holds it.  -ERESTART: call again (bounded work per call);
 * 0: done -- d is freed, or a zombie until others give its frames back
 * (domain_reap()).  Never d == current->domain. */
long domain_kill(struct domain *d);
/* domain_kill to the end at once (a domain that never ran: boot, failed
 * creation). */
void domain_kill_now(struct domain *d);
/* Free the zombies whose last frame has come back. */
void domain_reap(void);
/* VIRQ_DOM_EXC (Xen's global virq for it) to every live privileged domain
 * but d: d shut down, crashed, died (its frames are back) or was reaped. */
void domain_notify_controllers(const struct domain *d);
/* The memory limit as the toolstack sees it (Mica's own frames on top). */
void domain_set_max_pages(struct domain *d, uint64_t max_pages);
uint64_t domain_own_frames(const struct domain *d);

/* Stop a domain that broke the rules; the hypervisor carries on (the
 * machine owner, domain 0, takes the machine down with it). */
void domain_crash(struct domain *d, const char *why) __noreturn;
/* VCPUOP_down on a domain's last running vCPU (Linux's halt with events
 * masked: a dead end): handled as a crash. */
void domain_vcpu_down(struct vcpu *v) __noreturn;
/* SCHEDOP_shutdown: record and act on a domain's request. */
void domain_shutdown(struct domain *d, unsigned int reason) __noreturn;

/* The privileged domain 0: Xen's initial domain, the machine's owner (its
 * shutdown is the machine's; nobody pauses or destroys it). */
static inline bool domain_is_machine_owner(const struct domain *d)
{
    return d->domain_id == 0 && d->is_privileged;
}

/* The registry of live domains (common/domain.c). */
#define MAX_DOMAINS 64
int domain_register(struct domain *d);
void domain_unregister(struct domain *d);
/* A live domain (not dying): what a new request may name. */
struct domain *domain_by_id(domid_t id);
/* Any registered domain, dying ones too: for releasing what they hold. */
struct domain *domain_by_id_any(domid_t id);
struct domain *domain_in_slot(unsigned int slot);

#endif /* MICA_DOMAIN_H */
