/* SPDX-License-Identifier: MIT */
/*
 * Boot-time domains: a flattened device tree module (compiled from a .dts
 * with dtc) that lists the domains to start at boot.  boot_config_parse()
 * checks the whole blob (it is untrusted input) and copies out one
 * struct boot_domain per node under /domains; a domain with a bad property
 * is refused and the others still start.  The format is in
 * docs/boot-config.md.  Building the domains is arch/x86/setup.c's job.
 */
#ifndef MICA_BOOT_CONFIG_H
#define MICA_BOOT_CONFIG_H

#include <mica/types.h>

#define BOOT_MAX_DOMAINS 16
#define BOOT_NAME_MAX    32             /* bytes of a domain name, with its NUL */
#define BOOT_MAX_VCPUS   32
#define BOOT_MAX_MEMORY_KIB (1ULL << 30) /* 1 TiB */
#define BOOT_CMDLINE_MAX 1024           /* MAX_GUEST_CMDLINE, with the NUL */

/* Limits of the FDT reader: they bound the work a hostile blob can cause. */
#define FDT_MAX_DEPTH 8
#define FDT_MAX_NODES 256

struct boot_domain {
    char name[BOOT_NAME_MAX];      /* the node name under /domains (made printable) */
    uint64_t memory_kib;           /* "memory": required, u64 (two cells) or u32, KiB, > 0 */
    uint64_t max_memory_kib;       /* "max-memory": optional, default = memory, >= memory */
    unsigned int vcpus;            /* "vcpus": optional u32, default 1, 1..32 */
    int kernel_module;             /* "kernel": required string = a module's name; index */
    int ramdisk_module;            /* "ramdisk": optional string; -1 = none */
    const char *cmdline;           /* "cmdline": optional string (points into the blob), "" */
    bool privileged;               /* "privileged": empty property = true */
    unsigned int weight;           /* "weight": optional u32 1..65535, 0 = default */
    unsigned int cap;              /* "cap": optional u32 percent 0..100 (0 = none) */
    bool console_serial;           /* "console": "serial" (default) or "none" */
    unsigned int grant_frames;     /* "grant-frames": optional u32 1..64, the grant
                                    * table's size limit in frames; 0 = default (64) */
    bool ok;                       /* false: refused, with its errors reported */
};

struct boot_config {
    struct boot_domain dom[BOOT_MAX_DOMAINS];
    unsigned int nr;               /* nodes seen under /domains (ok or not), in blob order */
};

/* True when blob starts with the FDT magic (how setup.c tells a config
 * module from a kernel). */
bool boot_config_is_fdt(const void *blob, size_t len);

/*
 * Parse the config.  module_names[i] is the name of multiboot module i (the
 * first word of its command line; NULL entries match nothing).  Every
 * problem is reported through report() (which may be NULL) as one line
 * naming the node and property, e.g.
 *   "domain 'web': property 'kernel': no module named 'vmlinux2'".
 * A domain with any error has ok = false; the others are still parsed.
 * Returns the number of ok domains, or -EINVAL when the blob itself is
 * unusable (bad header or structure, root not compatible with
 * "mica,boot-config", no /domains node): the last line says why (a bad
 * header or structure gives exactly one line) and out->nr = 0.
 * Domain i of out is meant to become domain id i (docs/boot-config.md).
 */
int boot_config_parse(const void *blob, size_t len, const char *const *module_names,
                      unsigned int nr_modules, struct boot_config *out,
                      void (*report)(const char *msg));

/*
 * Refuse, in node order, the ok domains whose memory no longer fits in
 * free_kib once the ok domains before them are counted (one report line
 * each).  For setup.c, once it knows how much memory is free.  Returns the
 * number of domains still ok.
 */
int boot_config_check_memory(struct boot_config *cfg, uint64_t free_kib,
                             void (*report)(const char *msg));

#endif /* MICA_BOOT_CONFIG_H */
