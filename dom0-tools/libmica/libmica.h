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

/* "ESRCH: no such domain" for a Xen/Linux errno; the number otherwise. */
const char *mica_strerror(int err);

#endif /* LIBMICA_H */
