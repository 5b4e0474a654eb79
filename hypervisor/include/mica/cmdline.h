/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor command line: space-separated `key=value` options (and
 * bare boolean keys).  Unknown options and bad values are warned about and
 * otherwise ignored; they are never fatal.  docs/architecture.md lists them.
 */
#ifndef MICA_CMDLINE_H
#define MICA_CMDLINE_H

#include <mica/printk.h>
#include <mica/types.h>

enum debug_fault {
    DEBUG_FAULT_NONE,
    DEBUG_FAULT_PF,         /* write to an unmapped address */
    DEBUG_FAULT_GP,         /* access through a non-canonical address */
    DEBUG_FAULT_UD,         /* ud2 */
    DEBUG_FAULT_DE,         /* divide by zero */
    DEBUG_FAULT_BP,         /* int3 */
    DEBUG_FAULT_PANIC,      /* panic() */
};

#define CMDLINE_MAX_WARNINGS 8
#define CMDLINE_WARNING_LEN  96

/*
 * A dom0_mem= amount as Xen writes it: <size>, [<size>+]<frac>% (a share
 * of the memory available to domains, plus an offset), either of them
 * after a '-' (that much less than what is available).
 */
struct dom0_size {
    uint64_t bytes;
    unsigned int percent;       /* 0-99 */
    bool minus;
    bool set;
};
uint64_t dom0_size_resolve(const struct dom0_size *s, uint64_t avail);

struct boot_options {
    bool console_serial;        /* console=com1 (default) | none */
    enum log_level loglvl;      /* loglvl=err|warn|info|debug|0-3 */
    uint64_t mem_max;           /* mem=<size>: ignore RAM at or above; 0 = all */
    struct dom0_size dom0_mem;  /* dom0_mem=<sz>[,max:<sz>][,min:<sz>] */
    struct dom0_size dom0_mem_max;
    struct dom0_size dom0_mem_min;
    unsigned int dom0_max_vcpus;    /* dom0_max_vcpus=<n>; 0 = 1 */
    unsigned int sched_slice_ms;    /* sched_slice_ms=<n>; 0 = default (10) */
    enum debug_fault debug_fault;   /* debug_fault=pf|gp|ud|de|bp|panic */
    char warnings[CMDLINE_MAX_WARNINGS][CMDLINE_WARNING_LEN];
    unsigned int nr_warnings;
    unsigned int warnings_dropped;
};

void cmdline_parse(const char *cmdline, struct boot_options *opt);

/* The last line cmdline_parse saw, cut to Xen's xen_commandline_t. */
#define CMDLINE_SAVED_LEN 1024
const char *cmdline_saved(void);

/*
 * Parse a size with an optional suffix B, K, M, G or T (either case); as in
 * Xen, a bare number is in KiB.  Returns false on junk or overflow.
 */
bool parse_size(const char *s, size_t len, uint64_t *out);

#endif /* MICA_CMDLINE_H */
