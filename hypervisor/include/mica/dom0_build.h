/* SPDX-License-Identifier: MIT */
/* Building boot-time domains from the boot modules (arch/x86/pv/dom0_build.c). */
#ifndef MICA_DOM0_BUILD_H
#define MICA_DOM0_BUILD_H

#include <mica/domain.h>

struct dom0_modules {
    const void *kernel;         /* the kernel module, in the direct map */
    size_t kernel_len;
    const void *initrd;         /* the ramdisk module or NULL */
    size_t initrd_len;
    const char *cmdline;        /* the kernel's command line */
};

/*
 * Build d (from domain_create; privileged or not: start_info says which,
 * and the privileged domain 0 is the initial domain) with mem_bytes of
 * memory and its first vCPU v, ready for vcpu_up().  On failure returns a
 * negative errno with a one-line reason in why (-ENOMEM: not enough free
 * memory); domain_kill() then gives back what was taken.
 */
int dom0_build(struct domain *d, struct vcpu *v, const struct dom0_modules *m,
               uint64_t mem_bytes, char *why, size_t why_len);

#endif /* MICA_DOM0_BUILD_H */
