/* SPDX-License-Identifier: MIT */
/*
 * Core of the Xen x86-64 PV guest ABI as Mica implements it: the hypercall
 * numbers, the virtual IRQs, the page-table and TLB operations, domain ids,
 * and the three pages every PV guest shares with the hypervisor (start_info,
 * shared_info with its vcpu_info slots).  Numbers and layouts are Xen's,
 * because stock Linux is the client; the conformance test in
 * hypercall-abi/conformance/ checks every item here against Xen's headers.
 * Sub-operation arguments live in the per-subsystem headers next to this one.
 */
#ifndef ABI_XEN_H
#define ABI_XEN_H

#include <stdint.h>
#include <abi/arch-x86/xen.h>

/* Handles to the element types that many hypercalls pass arrays of. */
DEFINE_XEN_GUEST_HANDLE(char);
__DEFINE_XEN_GUEST_HANDLE(uchar, unsigned char);
DEFINE_XEN_GUEST_HANDLE(int);
__DEFINE_XEN_GUEST_HANDLE(uint, unsigned int);
DEFINE_XEN_GUEST_HANDLE(void);
DEFINE_XEN_GUEST_HANDLE(uint64_t);
DEFINE_XEN_GUEST_HANDLE(xen_pfn_t);
DEFINE_XEN_GUEST_HANDLE(xen_ulong_t);
__DEFINE_XEN_GUEST_HANDLE(uint8, uint8_t);
__DEFINE_XEN_GUEST_HANDLE(uint16, uint16_t);
__DEFINE_XEN_GUEST_HANDLE(uint32, uint32_t);
__DEFINE_XEN_GUEST_HANDLE(uint64, uint64_t);

/*
 * Hypercall numbers: rax on `syscall`, arguments in rdi, rsi, rdx, r10, r8.
 * The whole table is listed so that the dispatcher can name every slot,
 * including the ones Mica refuses on purpose; docs/abi.md tracks which are
 * implemented.  Mica's own control hypercall is in abi/mica/control.h.
 */
#define __HYPERVISOR_set_trap_table                  0
#define __HYPERVISOR_mmu_update                      1
#define __HYPERVISOR_set_gdt                         2
#define __HYPERVISOR_stack_switch                    3
#define __HYPERVISOR_set_callbacks                   4
#define __HYPERVISOR_fpu_taskswitch                  5
#define __HYPERVISOR_sched_op_compat                 6  /* superseded by 29 */
#define __HYPERVISOR_platform_op                     7
#define __HYPERVISOR_set_debugreg                    8
#define __HYPERVISOR_get_debugreg                    9
#define __HYPERVISOR_update_descriptor              10
/* 11 is unassigned */
#define __HYPERVISOR_memory_op                      12
#define __HYPERVISOR_multicall                      13
#define __HYPERVISOR_update_va_mapping              14
#define __HYPERVISOR_set_timer_op                   15
#define __HYPERVISOR_event_channel_op_compat        16  /* superseded by 32 */
#define __HYPERVISOR_xen_version                    17
#define __HYPERVISOR_console_io                     18
#define __HYPERVISOR_physdev_op_compat              19  /* superseded by 33 */
#define __HYPERVISOR_grant_table_op                 20
#define __HYPERVISOR_vm_assist                      21
#define __HYPERVISOR_update_va_mapping_otherdomain  22
#define __HYPERVISOR_iret                           23
#define __HYPERVISOR_vcpu_op                        24
#define __HYPERVISOR_set_segment_base               25
#define __HYPERVISOR_mmuext_op                      26
#define __HYPERVISOR_xsm_op                         27
#define __HYPERVISOR_nmi_op                         28
#define __HYPERVISOR_sched_op                       29
#define __HYPERVISOR_callback_op                    30
#define __HYPERVISOR_xenoprof_op                    31
#define __HYPERVISOR_event_channel_op               32
#define __HYPERVISOR_physdev_op                     33
#define __HYPERVISOR_hvm_op                         34
#define __HYPERVISOR_sysctl                         35
#define __HYPERVISOR_domctl                         36
#define __HYPERVISOR_kexec_op                       37
#define __HYPERVISOR_tmem_op                        38
#define __HYPERVISOR_argo_op                        39
#define __HYPERVISOR_xenpmu_op                      40
#define __HYPERVISOR_dm_op                          41
#define __HYPERVISOR_hypfs_op                       42
/* 48-55 are for architecture-specific use. */
#define __HYPERVISOR_arch_0                         48
#define __HYPERVISOR_arch_1                         49
#define __HYPERVISOR_arch_2                         50
#define __HYPERVISOR_arch_3                         51
#define __HYPERVISOR_arch_4                         52
#define __HYPERVISOR_arch_5                         53
#define __HYPERVISOR_arch_6                         54
#define __HYPERVISOR_arch_7                         55
#define __HYPERVISOR_mca                            __HYPERVISOR_arch_0

/*
 * Virtual IRQs: per-domain (global) or per-vCPU event sources a guest binds
 * with EVTCHNOP_bind_virq.
 */
#define VIRQ_TIMER       0  /* per vCPU: timer deadline reached */
#define VIRQ_DEBUG       1  /* per vCPU: debug-key request */
#define VIRQ_CONSOLE     2  /* global: console input (dom0) */
#define VIRQ_DOM_EXC     3  /* global: a domain crashed or shut down */
#define VIRQ_TBUF        4  /* global: trace buffer */
#define VIRQ_DEBUGGER    6  /* global: a domain paused for the debugger */
#define VIRQ_XENOPROF    7  /* per vCPU */
#define VIRQ_CON_RING    8  /* global: hypervisor console ring has data */
#define VIRQ_PCPU_STATE  9  /* global: physical CPU hotplug */
#define VIRQ_MEM_EVENT  10  /* global */
#define VIRQ_ARGO       11  /* per vCPU */
#define VIRQ_ENOMEM     12  /* global: low on free memory */
#define VIRQ_XENPMU     13  /* per vCPU: PMU interrupt */
#define VIRQ_ARCH_0     16
#define VIRQ_ARCH_1     17
#define VIRQ_ARCH_2     18
#define VIRQ_ARCH_3     19
#define VIRQ_ARCH_4     20
#define VIRQ_ARCH_5     21
#define VIRQ_ARCH_6     22
#define VIRQ_ARCH_7     23
#define NR_VIRQS        24
#define VIRQ_MCA        VIRQ_ARCH_0 /* global: machine check (dom0) */

/*
 * mmu_update: the low two bits of mmu_update.ptr select the command, the
 * rest is a machine address (8-byte aligned).
 */
#define MMU_NORMAL_PT_UPDATE        0 /* *ptr = val, validated as a PTE */
#define MMU_MACHPHYS_UPDATE         1 /* M2P[ptr >> 12] = val */
#define MMU_PT_UPDATE_PRESERVE_AD   2 /* as 0, keeping the hardware A/D bits */
#define MMU_PT_UPDATE_NO_TRANSLATE  3 /* as 0, val is a foreign/raw frame */

struct mmu_update {
    uint64_t ptr;   /* IN: machine address of the entry | MMU_* command */
    uint64_t val;   /* IN: new entry contents (or pfn for MACHPHYS) */
};
typedef struct mmu_update mmu_update_t;
DEFINE_XEN_GUEST_HANDLE(mmu_update_t);
_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update is 16 bytes");

/* mmuext_op commands. */
#define MMUEXT_PIN_L1_TABLE        0  /* arg1.mfn */
#define MMUEXT_PIN_L2_TABLE        1
#define MMUEXT_PIN_L3_TABLE        2
#define MMUEXT_PIN_L4_TABLE        3
#define MMUEXT_UNPIN_TABLE         4  /* arg1.mfn */
#define MMUEXT_NEW_BASEPTR         5  /* arg1.mfn: kernel-mode L4 */
#define MMUEXT_TLB_FLUSH_LOCAL     6
#define MMUEXT_INVLPG_LOCAL        7  /* arg1.linear_addr */
#define MMUEXT_TLB_FLUSH_MULTI     8  /* arg2.vcpumask */
#define MMUEXT_INVLPG_MULTI        9  /* arg1.linear_addr, arg2.vcpumask */
#define MMUEXT_TLB_FLUSH_ALL      10
#define MMUEXT_INVLPG_ALL         11  /* arg1.linear_addr */
#define MMUEXT_FLUSH_CACHE        12
#define MMUEXT_SET_LDT            13  /* arg1.linear_addr, arg2.nr_ents */
#define MMUEXT_NEW_USER_BASEPTR   15  /* arg1.mfn: user-mode L4, 0 = none */
#define MMUEXT_CLEAR_PAGE         16  /* arg1.mfn */
#define MMUEXT_COPY_PAGE          17  /* arg1.mfn <- arg2.src_mfn */
#define MMUEXT_FLUSH_CACHE_GLOBAL 18
#define MMUEXT_MARK_SUPER         19
#define MMUEXT_UNMARK_SUPER       20

struct mmuext_op {
    uint32_t cmd;                   /* IN: MMUEXT_* */
    uint8_t  _pad[4];               /* Xen: implicit padding before arg1 */
    union {
        xen_pfn_t mfn;              /* IN: pin/unpin/baseptr/clear/copy */
        uint64_t  linear_addr;      /* IN: invlpg, SET_LDT */
    } arg1;
    union {
        uint32_t  nr_ents;          /* IN: SET_LDT */
        XEN_GUEST_HANDLE(const_void) vcpumask; /* IN: *_MULTI */
        xen_pfn_t src_mfn;          /* IN: COPY_PAGE */
    } arg2;
};
typedef struct mmuext_op mmuext_op_t;
DEFINE_XEN_GUEST_HANDLE(mmuext_op_t);
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op is 24 bytes");

/* update_va_mapping flags: flush type in bits 0-1, scope in bit 2 (or a
 * vcpumask pointer in the remaining bits). */
#define UVMF_NONE           (0UL << 0)
#define UVMF_TLB_FLUSH      (1UL << 0)
#define UVMF_INVLPG         (2UL << 0)
#define UVMF_FLUSHTYPE_MASK (3UL << 0)
#define UVMF_MULTI          (0UL << 2)
#define UVMF_LOCAL          (0UL << 2)
#define UVMF_ALL            (1UL << 2)

/* console_io commands. */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1

/* vm_assist commands and assist types. */
#define VMASST_CMD_enable                 0
#define VMASST_CMD_disable                1
#define VMASST_TYPE_4gb_segments          0
#define VMASST_TYPE_4gb_segments_notify   1
#define VMASST_TYPE_writable_pagetables   2
#define VMASST_TYPE_pae_extended_cr3      3
#define VMASST_TYPE_architectural_iopl    4
#define VMASST_TYPE_runstate_update_flag  5
#define VMASST_TYPE_m2p_strict           32

/* Domain ids.  Values from 0x7FF0 up are never real domains. */
typedef uint16_t domid_t;
#define DOMID_FIRST_RESERVED 0x7FF0U
#define DOMID_SELF           0x7FF0U /* the calling domain */
#define DOMID_IO             0x7FF1U /* owner of I/O memory */
#define DOMID_XEN            0x7FF2U /* owner of hypervisor pages */
#define DOMID_COW            0x7FF3U /* owner of shared (copy-on-write) pages */
#define DOMID_INVALID        0x7FF4U
#define DOMID_IDLE           0x7FFFU
#define DOMID_MASK           0x7FFFU

/* One batched call: the hypervisor writes each call's result back. */
struct multicall_entry {
    xen_ulong_t op;         /* IN: hypercall number */
    xen_ulong_t result;     /* OUT: that call's return value */
    xen_ulong_t args[6];    /* IN */
};
typedef struct multicall_entry multicall_entry_t;
DEFINE_XEN_GUEST_HANDLE(multicall_entry_t);
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry is 64 bytes");

/*
 * Per-vCPU clock (pvclock).  The hypervisor bumps `version` to odd before
 * an update and to even after, so the guest retries a torn read.
 * time_ns = system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32.
 */
struct vcpu_time_info {
    uint32_t version;           /* OUT */
    uint32_t pad0;
    uint64_t tsc_timestamp;     /* OUT: TSC at the last update */
    uint64_t system_time;       /* OUT: ns since boot at that TSC */
    uint32_t tsc_to_system_mul; /* OUT: never 0; Linux divides by it */
    int8_t   tsc_shift;         /* OUT */
    uint8_t  flags;             /* OUT: XEN_PVCLOCK_* */
    uint8_t  pad1[2];
};
typedef struct vcpu_time_info vcpu_time_info_t;
_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info is 32 bytes");

#define XEN_PVCLOCK_TSC_STABLE_BIT (1 << 0)
#define XEN_PVCLOCK_GUEST_STOPPED  (1 << 1)

/*
 * Per-vCPU event state.  The guest sets evtchn_upcall_mask to block event
 * callbacks (its "interrupts off"); the hypervisor sets upcall_pending and
 * bits of pending_sel (one per 64-port word of shared_info.evtchn_pending).
 */
struct vcpu_info {
    uint8_t  evtchn_upcall_pending; /* OUT, guest clears */
    uint8_t  evtchn_upcall_mask;    /* IN */
    uint8_t  _pad1[6];              /* Xen: implicit padding */
    xen_ulong_t evtchn_pending_sel; /* OUT, guest clears (atomically) */
    struct arch_vcpu_info arch;
    struct vcpu_time_info time;
};
typedef struct vcpu_info vcpu_info_t;
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info is 64 bytes");

/* The shared_info page (its machine address is in start_info). */
struct shared_info {
    struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
    xen_ulong_t evtchn_pending[sizeof(xen_ulong_t) * 8]; /* OUT: 2-level bitmap */
    xen_ulong_t evtchn_mask[sizeof(xen_ulong_t) * 8];    /* IN */
    /* Wall-clock time at system_time 0; wc_version is odd while updating. */
    uint32_t wc_version;    /* OUT */
    uint32_t wc_sec;        /* OUT: seconds, low 32 bits */
    uint32_t wc_nsec;       /* OUT */
    uint32_t wc_sec_hi;     /* OUT: seconds, high 32 bits */
    struct arch_shared_info arch;
};
typedef struct shared_info shared_info_t;
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info is 3136 bytes");

/*
 * start_info: written by the domain builder, its address passed in rsi at
 * entry.  Frames called "mfn" here are machine frames.
 */
#define MAX_GUEST_CMDLINE 1024
struct start_info {
    char     magic[32];         /* OUT: "xen-3.0-x86_64" */
    uint64_t nr_pages;          /* OUT: pseudo-physical pages */
    uint64_t shared_info;       /* OUT: machine address of shared_info */
    uint32_t flags;             /* OUT: SIF_* */
    uint8_t  _pad1[4];          /* Xen: implicit padding */
    xen_pfn_t store_mfn;        /* OUT: xenstore ring */
    uint32_t store_evtchn;      /* OUT: 0 = no xenstore yet (local mode) */
    uint8_t  _pad2[4];          /* Xen: implicit padding */
    union {
        struct {
            xen_pfn_t mfn;      /* OUT: console ring */
            uint32_t evtchn;    /* OUT: 0 = no ring console */
            uint8_t  _pad[4];   /* Xen: implicit padding */
        } domU;
        struct {
            uint32_t info_off;  /* OUT: offset of dom0_vga_console_info */
            uint32_t info_size; /* OUT */
        } dom0;
    } console;
    uint64_t pt_base;           /* OUT: VA of the bootstrap L4 */
    uint64_t nr_pt_frames;      /* OUT */
    uint64_t mfn_list;          /* OUT: VA of the p2m array */
    uint64_t mod_start;         /* OUT: initrd VA (or pfn, SIF_MOD_START_PFN) */
    uint64_t mod_len;           /* OUT: initrd bytes */
    int8_t   cmd_line[MAX_GUEST_CMDLINE]; /* OUT */
    uint64_t first_p2m_pfn;     /* OUT: only when mfn_list is below the image */
    uint64_t nr_p2m_frames;     /* OUT */
};
typedef struct start_info start_info_t;
_Static_assert(sizeof(struct start_info) == 1168, "start_info is 1168 bytes");

/* start_info.flags */
#define SIF_PRIVILEGED      (1 << 0)  /* may use privileged operations */
#define SIF_INITDOMAIN      (1 << 1)  /* is the initial control domain */
#define SIF_MULTIBOOT_MOD   (1 << 2)  /* mod_start is xen_multiboot_mod_list */
#define SIF_MOD_START_PFN   (1 << 3)  /* mod_start is a pfn, not a VA */
#define SIF_VIRT_P2M_4TOOLS (1 << 4)  /* p2m is published as a virtual list */
#define SIF_PM_MASK         (0xFF << 8) /* power-management flags */

/* Module list entry for SIF_MULTIBOOT_MOD (addresses are pseudo-physical). */
struct xen_multiboot_mod_list {
    uint32_t mod_start;
    uint32_t mod_end;
    uint32_t cmdline;   /* offset of a NUL-terminated string */
    uint32_t pad;
};
_Static_assert(sizeof(struct xen_multiboot_mod_list) == 16,
               "xen_multiboot_mod_list is 16 bytes");

/* dom0's boot display, placed after start_info (console.dom0.info_off). */
typedef struct dom0_vga_console_info {
    uint8_t video_type;     /* OUT: XEN_VGATYPE_* */
    uint8_t _pad[3];        /* Xen: implicit padding */
    union {
        struct {
            uint16_t font_height;
            uint16_t cursor_x, cursor_y;
            uint16_t rows, columns;
        } text_mode_3;
        struct {
            uint16_t width, height;
            uint16_t bytes_per_line;
            uint16_t bits_per_pixel;
            uint32_t lfb_base;      /* low 32 bits of the frame buffer */
            uint32_t lfb_size;      /* in 64 KiB units */
            uint8_t  red_pos, red_size;
            uint8_t  green_pos, green_size;
            uint8_t  blue_pos, blue_size;
            uint8_t  rsvd_pos, rsvd_size;
            uint32_t gbl_caps;
            uint16_t mode_attrs;
            uint16_t pad;
            uint32_t ext_lfb_base;  /* high 32 bits of the frame buffer */
        } vesa_lfb;
    } u;
} dom0_vga_console_info_t;
_Static_assert(sizeof(struct dom0_vga_console_info) == 40,
               "dom0_vga_console_info is 40 bytes");
#define xen_vga_console_info   dom0_vga_console_info
#define xen_vga_console_info_t dom0_vga_console_info_t

#define XEN_VGATYPE_TEXT_MODE_3 0x03
#define XEN_VGATYPE_VESA_LFB    0x23
#define XEN_VGATYPE_EFI_LFB     0x70

/* A domain's 128-bit handle (UUID), set by the toolstack. */
typedef uint8_t xen_domain_handle_t[16];

typedef struct {
    uint8_t a[16];
} xen_uuid_t;
_Static_assert(sizeof(xen_uuid_t) == 16, "xen_uuid_t is 16 bytes");

#endif /* ABI_XEN_H */
