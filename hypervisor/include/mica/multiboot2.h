/* SPDX-License-Identifier: MIT */
/*
 * Multiboot2 boot information, as GRUB hands it over.  mb2_parse() checks
 * the whole block before anything uses it and copies out what Mica needs;
 * strings still point into the block, which stays reserved.
 */
#ifndef MICA_MULTIBOOT2_H
#define MICA_MULTIBOOT2_H

#include <mica/types.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* Tag types (Multiboot2 specification, section 3.6). */
#define MB2_TAG_END          0
#define MB2_TAG_CMDLINE      1
#define MB2_TAG_LOADER_NAME  2
#define MB2_TAG_MODULE       3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_MMAP         6
#define MB2_TAG_ACPI_OLD     14
#define MB2_TAG_ACPI_NEW     15

/* Memory map entry types. */
#define MB2_MEM_AVAILABLE    1
#define MB2_MEM_RESERVED     2
#define MB2_MEM_ACPI_RECLAIM 3
#define MB2_MEM_NVS          4
#define MB2_MEM_BAD          5

#define MB2_MAX_REGIONS 128
#define MB2_MAX_MODULES 16

struct mb2_region {
    paddr_t base;
    uint64_t len;
    uint32_t type;
};

struct mb2_module {
    paddr_t start;
    paddr_t end;            /* exclusive */
    const char *cmdline;
};

struct mb2_info {
    const char *cmdline;        /* "" when the loader gave none */
    const char *loader_name;    /* "" when the loader gave none */
    struct mb2_region regions[MB2_MAX_REGIONS];
    unsigned int nr_regions;
    unsigned int regions_dropped;   /* entries beyond MB2_MAX_REGIONS */
    struct mb2_module modules[MB2_MAX_MODULES];
    unsigned int nr_modules;
    unsigned int modules_dropped;
    const void *rsdp;           /* copy of the ACPI RSDP, or NULL */
    size_t rsdp_len;
    uint32_t total_size;        /* bytes of the information block */
};

/* What the boot loader told Mica (arch/x86/setup.c), e.g. the firmware
 * memory map for XENMEM_machine_memory_map. */
const struct mb2_info *boot_information(void);

/*
 * Parse the information block at `buf`, of which `avail` bytes may be read.
 * Returns 0, or -1 with *why set to a one-line reason.
 */
int mb2_parse(const void *buf, size_t avail, struct mb2_info *info,
              const char **why);

/*
 * Check that no module overlaps the hypervisor image [img_start, img_end),
 * the information block [info_start, info_end) or another module.  Returns
 * -1 and writes a reason into why[why_len] on the first conflict.
 */
int mb2_check_modules(const struct mb2_info *info, paddr_t img_start,
                      paddr_t img_end, paddr_t info_start, paddr_t info_end,
                      char *why, size_t why_len);

const char *mb2_region_type_name(uint32_t type);

#endif /* MICA_MULTIBOOT2_H */
