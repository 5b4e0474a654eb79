/* SPDX-License-Identifier: MIT */
/*
 * libmica: the one library every dom0 tool uses to reach the hypervisor.
 * Mica's control interface (hypercall 56, abi/mica/control.h) as typed
 * calls, made through Debian's stable Xen library libxencall, which takes
 * hypercall argument buffers from /dev/xen/hypercall (the hypervisor reads
 * them while the call runs; ordinary process memory may not be there).
 *
 * Every call returns 0, or -1 with errno set: the Xen error the
 * hypervisor returned (Xen's errno values are Linux's on x86), or one
 * from the kernel driver.  mica_strerror() names it the way a Xen user
 * reads it ("ESRCH: no such domain").
 */
#ifndef LIBMICA_H
#define LIBMICA_H

#include <stddef.h>
#include <stdint.h>

#include <abi/mica/control.h>

struct mica;

/* The transport: what a call needs from the system.  mica_open() uses
 * libxencall; tests give their own (a fake hypervisor). */
struct mica_transport {
    /* Memory the hypervisor may read and write during a call. */
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *p);
    /* Hypercall `nr` with two arguments: >= 0, or -1 with errno set. */
    long (*call)(void *ctx, unsigned int nr, uint64_t a1, uint64_t a2);
    void *ctx;
    /* What the domain builder needs on top; a NULL hook fails with ENOSYS,
     * so a transport that only lists domains may leave them out.
     * call5: hypercall `nr` with five arguments (grant_table_op). */
    long (*call5)(void *ctx, unsigned int nr, const uint64_t arg[5]);
    /* Map n frames of domain dom (for a PV target: MFNs) read/write,
     * virtually contiguous in the caller: the address, or NULL with errno
     * (a single refused frame fails the whole mapping). */
    void *(*map_foreign)(void *ctx, domid_t dom, const xen_pfn_t *mfns, size_t n);
    int (*unmap_foreign)(void *ctx, void *addr, size_t n);
};

struct mica *mica_open(void);                   /* NULL, errno set */
struct mica *mica_open_with(const struct mica_transport *t);
void mica_close(struct mica *m);

/* Domains.  mica_domain_info: exactly that domain (ESRCH if it is gone);
 * mica_domain_list: every domain, ids ascending, into a malloc'ed array
 * the caller frees. */
int mica_domain_info(struct mica *m, domid_t id, struct mica_ctl_domaininfo *out);
int mica_domain_list(struct mica *m, struct mica_ctl_domaininfo **out, unsigned int *n);
int mica_domain_pause(struct mica *m, domid_t id);
int mica_domain_unpause(struct mica *m, domid_t id);
int mica_domain_destroy(struct mica *m, domid_t id);
int mica_vcpu_info(struct mica *m, domid_t id, uint32_t vcpu, struct mica_ctl_getvcpuinfo *out);
/* The hypervisor's name for a domain (its log and console prefix): at most
 * MICA_NAME_LEN - 1 printable characters, ENAMETOOLONG / EINVAL otherwise.
 * Unique names are the toolstack's business. */
int mica_domain_rename(struct mica *m, domid_t id, const char *name);
int mica_domain_sethandle(struct mica *m, domid_t id, const uint8_t handle[16]);
/* Scheduler weight (1 .. 65535, default 256) and cap (% of one CPU, 0 = none). */
int mica_sched_get(struct mica *m, domid_t id, uint32_t *weight, uint32_t *cap);
int mica_sched_set(struct mica *m, domid_t id, uint32_t weight, uint32_t cap);

/* The host. */
int mica_physinfo(struct mica *m, struct mica_ctl_physinfo *out);
/* Read the hypervisor's console ring from *index (0: its start) into buf;
 * *len in: the buffer's size, out: bytes read; *index out: where the next
 * read starts.  clear empties the ring afterwards. */
int mica_readconsole(struct mica *m, char *buf, size_t *len, uint64_t *index, int clear);
/* XENVER_version, XENVER_extraversion and XENVER_capabilities, through
 * the ordinary xen_version hypercall. */
int mica_version(struct mica *m, unsigned int *major, unsigned int *minor, char extra[16]);
int mica_capabilities(struct mica *m, char caps[1024]);
/* The hypervisor's command line (XENVER_commandline; privileged). */
int mica_commandline(struct mica *m, char line[1024]);

/* ---- building a domain (build.h drives these) ----------------------------- */

/* createdomain: paused, vCPUs down.  want: an id, or DOMID_INVALID for any
 * free one; *id gets the id.  handle: 16-byte UUID (NULL: zeroes); name:
 * printable ASCII, at most 31 characters (NULL or "": "d<id>"). */
int mica_domain_create(struct mica *m, domid_t want, uint32_t flags, uint32_t max_vcpus,
                       uint64_t max_pages, const uint8_t handle[16], const char *name,
                       domid_t *id);
int mica_domain_max_mem(struct mica *m, domid_t id, uint64_t max_pages);
/* populate_physmap for pfns [first_pfn, first_pfn + nr): mfns[i] gets the
 * frame of first_pfn + i.  All or nothing from the caller's view: a domain
 * that reached its max_pages before nr frames fails with ENOMEM (the
 * frames already given stay the domain's; destroying it returns them). */
int mica_populate_physmap(struct mica *m, domid_t id, uint64_t first_pfn, uint64_t nr,
                          xen_pfn_t *mfns);
/* set_store_console: *sc IN store/console MFNs and serving domids, OUT the
 * two ports. */
int mica_set_store_console(struct mica *m, domid_t id, struct mica_ctl_store_console *sc);
int mica_setvcpucontext(struct mica *m, domid_t id, uint32_t vcpu,
                        const struct vcpu_guest_context *ctx);
/* GNTTABOP_setup_table(dom = id, nr_frames = 1): the MFN of the domain's
 * first grant-table frame (EPERM/ESRCH/EIO from a GNTST_* status). */
int mica_gnttab_frame(struct mica *m, domid_t id, xen_pfn_t *frame);
/* MMUEXT_PIN_L4_TABLE with foreigndom = id: the tables of the domain being
 * built are validated as its own and stay pinned (its kernel unpins them,
 * as Linux does with its boot tables). */
int mica_pin_l4(struct mica *m, domid_t id, xen_pfn_t l4);
/* The guest's E820 (XENMEM_set_memory_map): one RAM range of ram_bytes,
 * so that it may balloon up to there. */
int mica_set_memory_map(struct mica *m, domid_t id, uint64_t ram_bytes);
/* Foreign memory, read/write; see mica_transport.map_foreign. */
void *mica_map_foreign(struct mica *m, domid_t id, const xen_pfn_t *mfns, size_t n);
int mica_unmap_foreign(struct mica *m, void *addr, size_t n);

/* "ESRCH: no such domain" for a Xen/Linux errno; the number otherwise. */
const char *mica_strerror(int err);

#endif /* LIBMICA_H */
