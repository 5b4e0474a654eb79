/* SPDX-License-Identifier: MIT */
/*
 * sysmem.c: Debian's libxenforeignmemory behind plain C types.  Xen's
 * headers and ours define the same names, so the two never meet in one
 * file; this header includes neither.
 */
#ifndef LIBMICA_SYSMEM_H
#define LIBMICA_SYSMEM_H

#include <stddef.h>
#include <stdint.h>

void *mica_sys_fmem_open(void);
void mica_sys_fmem_close(void *fmem);
void *mica_sys_fmem_map(void *fmem, uint16_t dom, const uint64_t *mfns, size_t n);
int mica_sys_fmem_unmap(void *fmem, void *addr, size_t n);

#endif /* LIBMICA_SYSMEM_H */
