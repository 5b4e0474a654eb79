/* SPDX-License-Identifier: MIT */
/*
 * Mica's control interface: the one hypercall through which dom0's
 * toolstack (dom0-tools/) creates, builds, inspects and destroys domains and
 * reads host state.  It replaces Xen's domctl and sysctl, whose layouts
 * change with every Xen release and are not a stable ABI.  Guests never use
 * it; only a privileged domain may.
 *
 * Hypercall number: 56, the first slot after Xen's architecture range
 * (48-55) that Xen 4.17 leaves unassigned.  Reusing __HYPERVISOR_domctl (36)
 * was rejected on purpose: a Xen tool calling 36 with Xen's layout must get
 * -ENOSYS from Mica, not have its bytes misread as a mica_ctl_op.  56 is
 * below 128, so Linux's privcmd passes it through.
 *
 * Calling convention: rdi = pointer to struct mica_ctl_op.  The hypervisor
 * refuses an unprivileged caller (-EPERM), copies the whole op in, checks
 * interface_version (a mismatch fails with -EACCES before the op is looked
 * at), runs `cmd` (-ENOSYS if unknown), and on success copies the op back
 * out so that OUT fields reach the caller.  Returns 0 or -XEN_E*.
 * Everything Mica-only is named mica_/MICA_; the embedded Xen types
 * (vcpu_guest_context, domid_t, handles) are the ones from abi/xen.h.
 */
#ifndef ABI_MICA_CONTROL_H
#define ABI_MICA_CONTROL_H

#include <abi/xen.h>

#define __HYPERVISOR_mica_control 56

/* Bump on any incompatible change to this file. */
#define MICA_CTL_INTERFACE_VERSION 0x00000002

/*
 * Domain control: `domain` in mica_ctl_op names the target.  Errors: -EPERM
 * from an unprivileged caller, -ESRCH for no such domain, -EINVAL for bad
 * arguments (e.g. destroying or pausing oneself, or domain 0).
 * destroydomain pauses the target for good, releases everything it holds
 * (page tables, grant mappings, event channels -- peers' ends become
 * unbound) and returns every frame to the free pool; long work continues
 * itself.  The controller (any privileged domain bound to VIRQ_DOM_EXC)
 * gets that virq when a domain shuts down or crashes.
 */
#define MICA_CTL_createdomain       1   /* mica_ctl_createdomain */
#define MICA_CTL_destroydomain      2   /* no payload */
#define MICA_CTL_pausedomain        3   /* no payload */
#define MICA_CTL_unpausedomain      4   /* no payload */
#define MICA_CTL_getdomaininfo      5   /* mica_ctl_domaininfo */
#define MICA_CTL_getdomaininfolist  6   /* mica_ctl_getdomaininfolist */
#define MICA_CTL_max_mem            7   /* mica_ctl_max_mem */
#define MICA_CTL_max_vcpus          8   /* mica_ctl_max_vcpus */
#define MICA_CTL_setvcpucontext     9   /* mica_ctl_vcpucontext */
#define MICA_CTL_getvcpucontext    10   /* mica_ctl_vcpucontext */
#define MICA_CTL_getvcpuinfo       11   /* mica_ctl_getvcpuinfo */
#define MICA_CTL_populate_physmap  12   /* mica_ctl_populate_physmap */
#define MICA_CTL_getmemlist        13   /* mica_ctl_getmemlist */
#define MICA_CTL_set_store_console 14   /* mica_ctl_store_console */
#define MICA_CTL_setdomainname     15   /* mica_ctl_domainname */
#define MICA_CTL_setdomainhandle   16   /* mica_ctl_domainhandle */
#define MICA_CTL_getschedparams    17   /* mica_ctl_schedparams */
#define MICA_CTL_setschedparams    18   /* mica_ctl_schedparams */
/* System control: `domain` is ignored (set it to DOMID_INVALID). */
#define MICA_CTL_physinfo          32   /* mica_ctl_physinfo */
#define MICA_CTL_readconsole       33   /* mica_ctl_readconsole */

/* mica_ctl_createdomain.flags */
#define MICA_CDF_privileged  (1U << 0)  /* a second control domain */

/*
 * Create an empty domain, paused once by its controller (unpausedomain
 * starts it), with max_vcpus vCPUs, all down, event channels, a grant table
 * and its shared_info frame.  IN mica_ctl_op.domain: the wanted id (1 ..
 * DOMID_FIRST_RESERVED - 1), or DOMID_INVALID for "any free"; OUT: the id.
 *
 * Memory accounting: max_pages limits the memory the domain is given
 * (populate_physmap, increase_reservation).  The frames the hypervisor
 * allocates for it -- shared_info, grant-table frames -- are its own frames
 * too (tot_pages counts them), and the hypervisor raises max_pages by one
 * for each, so they never eat into the limit.
 */
#define MICA_NAME_LEN 32
struct mica_ctl_createdomain {
    uint32_t flags;             /* IN: MICA_CDF_* */
    uint32_t max_vcpus;         /* IN: 1 .. 32 */
    uint64_t max_pages;         /* IN: memory limit in 4 KiB pages */
    xen_domain_handle_t handle; /* IN: UUID, reported back by getdomaininfo */
    char name[MICA_NAME_LEN];   /* IN: printable ASCII, NUL-terminated (the last
                                 * byte is forced to 0); "" = "d<id>" */
};
_Static_assert(sizeof(struct mica_ctl_createdomain) == 64, "mica_ctl_createdomain");

/* mica_ctl_domaininfo.flags */
#define MICA_DOMINF_dying      (1U << 0)
#define MICA_DOMINF_shutdown   (1U << 1)   /* see shutdown_reason */
#define MICA_DOMINF_paused     (1U << 2)
#define MICA_DOMINF_blocked    (1U << 3)   /* every vCPU blocked */
#define MICA_DOMINF_running    (1U << 4)   /* some vCPU on a CPU now */
#define MICA_DOMINF_privileged (1U << 5)

/*
 * One domain's state.  getdomaininfo reports the first existing domain with
 * id >= mica_ctl_op.domain (so a loop can walk all domains) and sets
 * mica_ctl_op.domain to the id reported; -ESRCH when there is none.  A
 * destroyed domain whose frames another domain still holds (a grant
 * mapping) stays listed, dying, until the last one is given back.
 */
struct mica_ctl_domaininfo {
    domid_t  domain;            /* OUT */
    uint16_t _pad0;
    uint32_t flags;             /* OUT: MICA_DOMINF_* */
    uint32_t shutdown_reason;   /* OUT: SHUTDOWN_*, valid with _shutdown */
    uint32_t nr_online_vcpus;   /* OUT */
    uint32_t max_vcpu_id;       /* OUT */
    uint32_t ssidref;           /* OUT: 0 (no XSM) */
    uint64_t tot_pages;         /* OUT: pages owned now */
    uint64_t max_pages;         /* OUT: limit */
    uint64_t shared_info_frame; /* OUT: MFN of its shared_info */
    uint64_t cpu_time;          /* OUT: ns of CPU used, all vCPUs */
    xen_domain_handle_t handle; /* OUT: UUID */
    char name[MICA_NAME_LEN];   /* OUT */
};
typedef struct mica_ctl_domaininfo mica_ctl_domaininfo_t;
DEFINE_XEN_GUEST_HANDLE(mica_ctl_domaininfo_t);
_Static_assert(sizeof(struct mica_ctl_domaininfo) == 104, "mica_ctl_domaininfo");

/* Up to max_domains infos, ids ascending from mica_ctl_op.domain. */
struct mica_ctl_getdomaininfolist {
    XEN_GUEST_HANDLE(mica_ctl_domaininfo_t) buffer; /* OUT */
    uint32_t max_domains;       /* IN: capacity of buffer */
    uint32_t num_domains;       /* OUT: entries written */
};
_Static_assert(sizeof(struct mica_ctl_getdomaininfolist) == 16,
               "mica_ctl_getdomaininfolist");

/* The memory limit, as in createdomain (the hypervisor's own frames come on
 * top); may be below the current size: the domain then cannot grow. */
struct mica_ctl_max_mem {
    uint64_t max_pages;         /* IN */
};
_Static_assert(sizeof(struct mica_ctl_max_mem) == 8, "mica_ctl_max_mem");

/* Only raises the limit, and only before any vCPU has run. */
struct mica_ctl_max_vcpus {
    uint32_t max;               /* IN */
    uint32_t _pad;
};
_Static_assert(sizeof(struct mica_ctl_max_vcpus) == 8, "mica_ctl_max_vcpus");

/*
 * Set or read one vCPU's whole context (the domain must be paused, -EBUSY
 * otherwise).  Setting validates it as VCPUOP_initialise does (ctrlreg[3]
 * is the target's L4, which is validated and taken as its base pointer:
 * the builder must not keep writable mappings of its page tables) and
 * brings the vCPU up; it runs once the domain is unpaused.  Validating a
 * large tree may take several calls internally (hypercall continuation).
 */
struct mica_ctl_vcpucontext {
    uint32_t vcpu;              /* IN */
    uint32_t _pad;
    XEN_GUEST_HANDLE(vcpu_guest_context_t) ctxt; /* IN (set) / OUT (get) */
};
_Static_assert(sizeof(struct mica_ctl_vcpucontext) == 16, "mica_ctl_vcpucontext");

struct mica_ctl_getvcpuinfo {
    uint32_t vcpu;              /* IN */
    uint8_t  online;            /* OUT: initialised and not down */
    uint8_t  blocked;           /* OUT */
    uint8_t  running;           /* OUT */
    uint8_t  _pad;
    uint64_t cpu_time;          /* OUT: ns */
    uint32_t cpu;               /* OUT: physical CPU last run on */
    uint32_t _pad2;
};
_Static_assert(sizeof(struct mica_ctl_getvcpuinfo) == 24, "mica_ctl_getvcpuinfo");

/*
 * Builder step 1: give the domain new zeroed frames for pseudo-physical
 * pages [first_pfn, first_pfn + nr_pages), set their M2P entries and report
 * their MFNs, so the builder can fill the p2m and map them (mmu_update
 * with foreigndom = the target: a privileged domain's L1 entries may map
 * its frames, and MMU_MACHPHYS_UPDATE may name them).  Stops early
 * (nr_done < nr_pages, result 0) at the domain's max_pages.  nr_done is
 * where the call starts: set it to 0 (a long call continues itself).
 */
struct mica_ctl_populate_physmap {
    uint64_t first_pfn;         /* IN */
    uint64_t nr_pages;          /* IN */
    XEN_GUEST_HANDLE(xen_pfn_t) mfns; /* OUT: nr_pages entries */
    uint64_t nr_done;           /* IN: 0; OUT: frames given */
};
_Static_assert(sizeof(struct mica_ctl_populate_physmap) == 32,
               "mica_ctl_populate_physmap");

/* The domain's frames in allocation order (its p2m as the builder left it). */
struct mica_ctl_getmemlist {
    XEN_GUEST_HANDLE(xen_pfn_t) mfns; /* OUT */
    uint64_t max_pfns;          /* IN: capacity */
    uint64_t num_pfns;          /* OUT: entries written */
};
_Static_assert(sizeof(struct mica_ctl_getmemlist) == 24, "mica_ctl_getmemlist");

/*
 * Builder step 2: record the xenstore and console ring frames (machine
 * frames the domain owns) and which domains serve them.  The hypervisor
 * allocates an unbound event channel in the new domain for each (remote
 * end = the serving domain), returns the ports, and the builder writes both
 * into start_info.  console_domid DOMID_XEN: Mica itself serves the ring
 * onto its serial line, prefixed "[name]" (no console daemon needed);
 * store_domid DOMID_INVALID: no xenstore (store_port 0).  Once per domain.
 */
struct mica_ctl_store_console {
    xen_pfn_t store_mfn;        /* IN: the xenstore ring's frame */
    xen_pfn_t console_mfn;      /* IN: the console ring's frame */
    domid_t  store_domid;       /* IN: domain running xenstored */
    domid_t  console_domid;     /* IN: domain running consoled */
    uint32_t store_port;         /* OUT: evtchn_port_t */
    uint32_t console_port;       /* OUT: evtchn_port_t */
    uint32_t _pad;
};
_Static_assert(sizeof(struct mica_ctl_store_console) == 32, "mica_ctl_store_console");

/*
 * A live domain's name (the caller's own too): printable ASCII as in
 * createdomain, "" refused.  The hypervisor keeps names for its log and
 * console prefix only and does not require them to be unique; the
 * toolstack does.
 */
struct mica_ctl_domainname {
    char name[MICA_NAME_LEN];   /* IN */
};
_Static_assert(sizeof(struct mica_ctl_domainname) == 32, "mica_ctl_domainname");

/* A live domain's UUID (the caller's own too), as Xen's setdomainhandle:
 * the toolstack gives a domain it keeps for inspection a new identity. */
struct mica_ctl_domainhandle {
    xen_domain_handle_t handle; /* IN */
};
_Static_assert(sizeof(struct mica_ctl_domainhandle) == 16, "mica_ctl_domainhandle");

/*
 * A live domain's scheduler parameters (the caller's own too), as the boot
 * configuration's `weight` and `cap` (docs/scheduler.md): weight 1 .. 65535
 * (get reports 256 for a domain left at the default), cap 0 .. 100 percent
 * of one CPU, 0 = none.  Set takes both and applies them at once.
 */
struct mica_ctl_schedparams {
    uint32_t weight;            /* IN (set) / OUT (get) */
    uint32_t cap;               /* IN (set) / OUT (get) */
};
_Static_assert(sizeof(struct mica_ctl_schedparams) == 8, "mica_ctl_schedparams");

/* mica_ctl_physinfo.capabilities */
#define MICA_PHYSCAP_hvm  (1U << 0)     /* never set: PV only */
#define MICA_PHYSCAP_pv   (1U << 1)

struct mica_ctl_physinfo {
    uint32_t nr_cpus;           /* OUT: online physical CPUs */
    uint32_t max_cpu_id;        /* OUT */
    uint32_t cpu_khz;           /* OUT: TSC frequency */
    uint32_t capabilities;      /* OUT: MICA_PHYSCAP_* */
    uint64_t total_pages;       /* OUT: RAM managed by the hypervisor */
    uint64_t free_pages;        /* OUT: not owned by any domain */
    uint64_t max_mfn;           /* OUT: highest machine frame + 1 */
    uint32_t nr_domains;        /* OUT: existing domains */
    uint32_t _pad;
};
_Static_assert(sizeof(struct mica_ctl_physinfo) == 48, "mica_ctl_physinfo");

/* mica_ctl_readconsole.flags */
#define MICA_READCONSOLE_clear       (1U << 0)  /* empty the ring afterwards */
#define MICA_READCONSOLE_incremental (1U << 1)  /* start at `index` */

/* Read the hypervisor's console ring (what `xl dmesg` prints). */
struct mica_ctl_readconsole {
    XEN_GUEST_HANDLE(char) buffer; /* OUT */
    uint32_t flags;             /* IN: MICA_READCONSOLE_* */
    uint32_t count;             /* IN: buffer size; OUT: bytes written */
    uint64_t index;             /* IN (incremental): ring position to start;
                                 * OUT: position after the last byte read */
};
_Static_assert(sizeof(struct mica_ctl_readconsole) == 24, "mica_ctl_readconsole");

/* Size of the payload union; fixed so the op size never changes. */
#define MICA_CTL_PAYLOAD_BYTES 128

struct mica_ctl_op {
    uint32_t cmd;               /* IN: MICA_CTL_* */
    uint32_t interface_version; /* IN: MICA_CTL_INTERFACE_VERSION */
    domid_t  domain;            /* IN: target; OUT for create/getdomaininfo */
    uint16_t _pad[3];
    union {
        struct mica_ctl_createdomain      createdomain;
        struct mica_ctl_domaininfo        getdomaininfo;
        struct mica_ctl_getdomaininfolist getdomaininfolist;
        struct mica_ctl_max_mem           max_mem;
        struct mica_ctl_max_vcpus         max_vcpus;
        struct mica_ctl_vcpucontext       vcpucontext;
        struct mica_ctl_getvcpuinfo       getvcpuinfo;
        struct mica_ctl_populate_physmap  populate_physmap;
        struct mica_ctl_getmemlist        getmemlist;
        struct mica_ctl_store_console     store_console;
        struct mica_ctl_physinfo          physinfo;
        struct mica_ctl_readconsole       readconsole;
        struct mica_ctl_domainname        domainname;
        struct mica_ctl_domainhandle      domainhandle;
        struct mica_ctl_schedparams       schedparams;
        uint8_t pad[MICA_CTL_PAYLOAD_BYTES];
    } u;                        /* IN/OUT, per cmd */
};
typedef struct mica_ctl_op mica_ctl_op_t;
DEFINE_XEN_GUEST_HANDLE(mica_ctl_op_t);
_Static_assert(sizeof(struct mica_ctl_op) == 16 + MICA_CTL_PAYLOAD_BYTES, "mica_ctl_op");

#endif /* ABI_MICA_CONTROL_H */
