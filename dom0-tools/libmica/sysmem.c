/* SPDX-License-Identifier: MIT */
/*
 * Foreign memory through Debian's libxenforeignmemory (privcmd
 * IOCTL_PRIVCMD_MMAPBATCH_V2: the dom0 kernel makes mmu_update calls with
 * foreigndom = the target, which Mica allows a privileged caller for the
 * target's own frames).  For a PV target the frame numbers are MFNs.  This
 * file includes Xen's headers and none of ours (libmica_priv.h is plain C).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <xenforeignmemory.h>

#include "sysmem.h"

_Static_assert(sizeof(xen_pfn_t) == sizeof(uint64_t), "xen_pfn_t is 64 bits on x86-64");

void *mica_sys_fmem_open(void)
{
    return xenforeignmemory_open(NULL, 0);
}

void mica_sys_fmem_close(void *fmem)
{
    xenforeignmemory_close(fmem);
}

void *mica_sys_fmem_map(void *fmem, uint16_t dom, const uint64_t *mfns, size_t n)
{
    int *err = calloc(n ? n : 1, sizeof(*err));
    void *p;

    if (!err)
        return NULL;
    p = xenforeignmemory_map(fmem, dom, PROT_READ | PROT_WRITE, n,
                             (const xen_pfn_t *)mfns, err);
    if (p) {
        /* One refused frame fails it all: the builder must not write
         * around a hole it cannot see. */
        for (size_t i = 0; i < n; i++) {
            if (err[i]) {
                int e = err[i] < 0 ? -err[i] : err[i];
                xenforeignmemory_unmap(fmem, p, n);
                free(err);
                errno = e;
                return NULL;
            }
        }
    }
    int e = errno;
    free(err);
    errno = e;
    return p;
}

int mica_sys_fmem_unmap(void *fmem, void *addr, size_t n)
{
    return xenforeignmemory_unmap(fmem, addr, n);
}
