/* SPDX-License-Identifier: MIT */
/*
 * x86-64 part of the PV guest ABI: the types whose width is set by the
 * architecture, the flat segment selectors a 64-bit PV guest runs with, the
 * hypervisor's reserved slice of every guest address space, and the
 * register/trap/vCPU-context layouts the guest hands to (or receives from)
 * the hypervisor.  Mica supports only 64-bit PV guests, so there is no
 * 32-bit variant here: every `unsigned long` of Xen's header is a uint64_t.
 * abi/xen.h includes this file; include that one, not this.
 */
#ifndef ABI_ARCH_X86_XEN_H
#define ABI_ARCH_X86_XEN_H

#include <stdint.h>

/*
 * Guest handles.  A handle is a guest virtual address wrapped in a one-member
 * struct so that the compiler refuses to mix handles of different element
 * types.  On x86-64 it is exactly one 8-byte pointer; the names match Xen's
 * so that the Xen spelling XEN_GUEST_HANDLE(foo) works unchanged.
 */
#define ___DEFINE_XEN_GUEST_HANDLE(name, type) \
    typedef struct { type *p; } __guest_handle_ ## name
#define __DEFINE_XEN_GUEST_HANDLE(name, type)                  \
    ___DEFINE_XEN_GUEST_HANDLE(name, type);                    \
    ___DEFINE_XEN_GUEST_HANDLE(const_ ## name, const type)
#define DEFINE_XEN_GUEST_HANDLE(name)   __DEFINE_XEN_GUEST_HANDLE(name, name)
#define __XEN_GUEST_HANDLE(name)        __guest_handle_ ## name
#define XEN_GUEST_HANDLE(name)          __XEN_GUEST_HANDLE(name)
#define XEN_GUEST_HANDLE_PARAM(name)    XEN_GUEST_HANDLE(name)
#define set_xen_guest_handle_raw(hnd, val)  do { (hnd).p = (val); } while (0)
#define set_xen_guest_handle(hnd, val)      set_xen_guest_handle_raw(hnd, val)

/* Frame numbers and "natural word" values are 64-bit on x86-64. */
typedef uint64_t xen_pfn_t;
typedef uint64_t xen_ulong_t;
typedef uint64_t xen_callback_t;   /* a guest code address */
typedef uint64_t tsc_timestamp_t;

/*
 * Flat selectors in Xen's reserved GDT range.  A 64-bit PV kernel runs in
 * ring 3, so "kernel" and "user" selectors are the same ring-3 values; the
 * hypervisor tells the two modes apart by its own per-vCPU flag.
 */
#define FLAT_RING3_CS32     0xe023  /* GDT index 0x1c04 */
#define FLAT_RING3_CS64     0xe033  /* GDT index 0x1c06 */
#define FLAT_RING3_DS32     0xe02b  /* GDT index 0x1c05 */
#define FLAT_RING3_DS64     0x0000  /* null selector: 64-bit data needs none */
#define FLAT_RING3_SS32     0xe02b
#define FLAT_RING3_SS64     0xe02b

#define FLAT_KERNEL_DS64    FLAT_RING3_DS64
#define FLAT_KERNEL_DS32    FLAT_RING3_DS32
#define FLAT_KERNEL_DS      FLAT_KERNEL_DS64
#define FLAT_KERNEL_CS64    FLAT_RING3_CS64
#define FLAT_KERNEL_CS32    FLAT_RING3_CS32
#define FLAT_KERNEL_CS      FLAT_KERNEL_CS64
#define FLAT_KERNEL_SS64    FLAT_RING3_SS64
#define FLAT_KERNEL_SS32    FLAT_RING3_SS32
#define FLAT_KERNEL_SS      FLAT_KERNEL_SS64

#define FLAT_USER_DS64      FLAT_RING3_DS64
#define FLAT_USER_DS32      FLAT_RING3_DS32
#define FLAT_USER_DS        FLAT_USER_DS64
#define FLAT_USER_CS64      FLAT_RING3_CS64
#define FLAT_USER_CS32      FLAT_RING3_CS32
#define FLAT_USER_CS        FLAT_USER_CS64
#define FLAT_USER_SS64      FLAT_RING3_SS64
#define FLAT_USER_SS32      FLAT_RING3_SS32
#define FLAT_USER_SS        FLAT_USER_SS64

/*
 * The hypervisor owns L4 slots 256-271 of every guest address space.  The
 * first 256 GiB of it holds the read-only machine-to-physical table, which
 * Linux reads directly (8 bytes per machine frame).
 */
#define __HYPERVISOR_VIRT_START 0xFFFF800000000000
#define __HYPERVISOR_VIRT_END   0xFFFF880000000000
#define __MACH2PHYS_VIRT_START  0xFFFF800000000000
#define __MACH2PHYS_VIRT_END    0xFFFF804000000000
#define HYPERVISOR_VIRT_START   0xFFFF800000000000UL
#define HYPERVISOR_VIRT_END     0xFFFF880000000000UL
#define MACH2PHYS_VIRT_START    0xFFFF800000000000UL
#define MACH2PHYS_VIRT_END      0xFFFF804000000000UL
#define MACH2PHYS_NR_ENTRIES    ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3)
#define machine_to_phys_mapping ((unsigned long *)HYPERVISOR_VIRT_START)

/*
 * GDT pages 14 and 15 (entries 0xe000/8 onward) belong to the hypervisor;
 * a guest GDT may use only the entries below.
 */
#define FIRST_RESERVED_GDT_PAGE  14
#define FIRST_RESERVED_GDT_BYTE  (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)

/* shared_info holds this many vcpu_info slots; later vCPUs must register
 * their own vcpu_info (VCPUOP_register_vcpu_info). */
#define XEN_LEGACY_MAX_VCPUS 32

/* The guest-entry conventions (start_info, upcall mask) exist on x86. */
#define XEN_HAVE_PV_GUEST_ENTRY 1
#define XEN_HAVE_PV_UPCALL_MASK 1

/* set_segment_base (hypercall 25) "which" values. */
#define SEGBASE_FS          0   /* FS base */
#define SEGBASE_GS_USER     1   /* GS base used in guest user mode */
#define SEGBASE_GS_KERNEL   2   /* GS base used in guest kernel mode */
#define SEGBASE_GS_USER_SEL 3   /* load user %gs selector; base[15:0] = sel */

/*
 * trap_info.flags: bits 0-1 are the DPL that may raise the vector with
 * `int`; bit 2 asks for events to be masked on entry (an interrupt gate).
 */
#define TI_GET_DPL(_ti)      ((_ti)->flags & 3)
#define TI_GET_IF(_ti)       ((_ti)->flags & 4)
#define TI_SET_DPL(_ti, _dpl) ((_ti)->flags |= (_dpl))
#define TI_SET_IF(_ti, _if)  ((_ti)->flags |= ((!!(_if)) << 2))

/* One virtual IDT entry (set_trap_table, vcpu_guest_context.trap_ctxt). */
struct trap_info {
    uint8_t  vector;    /* IN: exception/interrupt vector; 0 ends a table
                         *     only together with address 0 */
    uint8_t  flags;     /* IN: DPL in bits 0-1, mask-events in bit 2 */
    uint16_t cs;        /* IN: code selector of the handler */
    uint8_t  _pad[4];   /* Xen: implicit padding before address */
    uint64_t address;   /* IN: handler; 0 = no handler for this vector */
};
typedef struct trap_info trap_info_t;
DEFINE_XEN_GUEST_HANDLE(trap_info_t);
_Static_assert(sizeof(struct trap_info) == 16, "trap_info is 16 bytes");

/*
 * Guest register file as saved by the hypervisor (vcpu_guest_context,
 * bounce frames).  Only the full 64-bit names exist here; Xen's GNU-C
 * aliases (eax, _eax, ...) share the same storage and add nothing.
 */
struct cpu_user_regs {
    uint64_t r15;
    uint64_t r14;
    uint64_t r13;
    uint64_t r12;
    uint64_t rbp;
    uint64_t rbx;
    uint64_t r11;
    uint64_t r10;
    uint64_t r9;
    uint64_t r8;
    uint64_t rax;
    uint64_t rcx;
    uint64_t rdx;
    uint64_t rsi;
    uint64_t rdi;
    uint32_t error_code;        /* OUT: private to the hypervisor */
    uint32_t entry_vector;      /* OUT: private to the hypervisor */
    uint64_t rip;
    uint16_t cs, _pad0[1];
    uint8_t  saved_upcall_mask; /* upcall mask at the time of the trap */
    uint8_t  _pad1[3];
    uint64_t rflags;            /* rflags.IF is ignored on restore */
    uint64_t rsp;
    uint16_t ss, _pad2[3];
    uint16_t es, _pad3[3];
    uint16_t ds, _pad4[3];
    uint16_t fs, _pad5[3];
    uint16_t gs, _pad6[3];
};
typedef struct cpu_user_regs cpu_user_regs_t;
DEFINE_XEN_GUEST_HANDLE(cpu_user_regs_t);
_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs is 200 bytes");

/* vcpu_guest_context.flags bits. */
#define VGCF_I387_VALID                (1 << 0)
#define VGCF_IN_KERNEL                 (1 << 2)
#define _VGCF_i387_valid               0
#define VGCF_i387_valid                (1 << _VGCF_i387_valid)
#define _VGCF_in_kernel                2
#define VGCF_in_kernel                 (1 << _VGCF_in_kernel)
#define _VGCF_failsafe_disables_events 3
#define VGCF_failsafe_disables_events  (1 << _VGCF_failsafe_disables_events)
#define _VGCF_syscall_disables_events  4
#define VGCF_syscall_disables_events   (1 << _VGCF_syscall_disables_events)
#define _VGCF_online                   5
#define VGCF_online                    (1 << _VGCF_online)
/*
 * HYPERVISOR_iret flag: the frame comes from a syscall, so rcx/r11 are not
 * restored from it.
 */
#define _VGCF_in_syscall               8
#define VGCF_in_syscall                (1 << _VGCF_in_syscall)
#define VGCF_IN_SYSCALL                VGCF_in_syscall

/*
 * Whole-vCPU state: VCPUOP_initialise (IN) and the toolstack's get/set
 * vCPU context (IN/OUT).  5168 bytes.
 */
struct vcpu_guest_context {
    struct { char x[512]; } fpu_ctxt;  /* IN/OUT: FXSAVE image */
    uint64_t flags;                    /* IN/OUT: VGCF_* */
    struct cpu_user_regs user_regs;    /* IN/OUT */
    struct trap_info trap_ctxt[256];   /* IN/OUT: virtual IDT */
    uint64_t ldt_base, ldt_ents;       /* IN/OUT: LDT (linear addr, entries) */
    uint64_t gdt_frames[16], gdt_ents; /* IN/OUT: GDT machine frames */
    uint64_t kernel_ss, kernel_sp;     /* IN/OUT: stack for user->kernel */
    uint64_t ctrlreg[8];               /* IN/OUT: cr3 = xen_pfn_to_cr3(mfn) */
    uint64_t debugreg[8];              /* IN/OUT: DB0-DB7 */
    uint64_t event_callback_eip;       /* IN/OUT: CALLBACKTYPE_event */
    uint64_t failsafe_callback_eip;    /* IN/OUT: CALLBACKTYPE_failsafe */
    uint64_t syscall_callback_eip;     /* IN/OUT: CALLBACKTYPE_syscall */
    uint64_t vm_assist;                /* IN/OUT: VMASST_TYPE_* bitmap */
    uint64_t fs_base;                  /* IN/OUT */
    uint64_t gs_base_kernel;           /* IN/OUT */
    uint64_t gs_base_user;             /* IN/OUT */
};
typedef struct vcpu_guest_context vcpu_guest_context_t;
DEFINE_XEN_GUEST_HANDLE(vcpu_guest_context_t);
_Static_assert(sizeof(struct vcpu_guest_context) == 5168,
               "vcpu_guest_context is 5168 bytes");

/* The hypervisor writes cr2 here before bouncing a page fault. */
struct arch_vcpu_info {
    uint64_t cr2;   /* OUT */
    uint64_t pad;
};
typedef struct arch_vcpu_info arch_vcpu_info_t;
_Static_assert(sizeof(struct arch_vcpu_info) == 16, "arch_vcpu_info is 16 bytes");

/*
 * Tail of shared_info.  The guest publishes where its p2m lives so that a
 * toolstack can save/migrate it; the hypervisor itself writes nmi_reason.
 */
struct arch_shared_info {
    uint64_t  max_pfn;                     /* IN: highest pfn + 1 */
    xen_pfn_t pfn_to_mfn_frame_list_list;  /* IN: frame of the p2m index */
    uint64_t  nmi_reason;                  /* OUT: XEN_NMIREASON_* */
    uint64_t  p2m_cr3;                     /* IN: virtual-p2m page table */
    uint64_t  p2m_vaddr;                   /* IN: virtual-p2m address */
    uint64_t  p2m_generation;              /* IN: odd while p2m changes */
};
typedef struct arch_shared_info arch_shared_info_t;
_Static_assert(sizeof(struct arch_shared_info) == 48, "arch_shared_info is 48 bytes");

/*
 * HYPERVISOR_iret frame, lowest address first: what the guest pushed before
 * `syscall` with rax=__HYPERVISOR_iret.
 */
struct iret_context {
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss; /* IN */
};
_Static_assert(sizeof(struct iret_context) == 72, "iret_context is 72 bytes");

/* cr3 holds a machine frame number shifted into place. */
#define xen_pfn_to_cr3(pfn) ((unsigned long)(pfn) << 12)
#define xen_cr3_to_pfn(cr3) ((unsigned long)(cr3) >> 12)

/*
 * Forced-emulation prefix: ud2 followed by "xen".  The guest puts it before
 * `cpuid` to get the hypervisor's CPUID policy instead of the raw one.
 */
#define XEN_EMULATE_PREFIX ".byte 0x0f,0x0b,0x78,0x65,0x6e ; "
#define XEN_CPUID          XEN_EMULATE_PREFIX "cpuid"

#endif /* ABI_ARCH_X86_XEN_H */
