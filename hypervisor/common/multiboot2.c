/* SPDX-License-Identifier: MIT */
/*
 * Multiboot2 information parser.  The block comes from the boot loader, so
 * it is checked like any untrusted input: every tag must lie inside the
 * block, be 8-byte aligned and at least 8 bytes long, strings must be
 * terminated inside their tag, and the block must end with an end tag.
 * Nothing is read outside [buf, buf + total_size).
 */
#include <mica/multiboot2.h>
#include <mica/printk.h>
#include <mica/string.h>

struct mb2_tag {
    uint32_t type;
    uint32_t size;
};

struct mb2_mmap_entry {
    uint64_t base;
    uint64_t len;
    uint32_t type;
    uint32_t reserved;
};

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/* A string payload must be NUL-terminated within its tag. */
static const char *tag_string(const uint8_t *p, size_t len)
{
    if (len == 0 || strnlen((const char *)p, len) == len)
        return NULL;
    return (const char *)p;
}

static int parse_mmap(const uint8_t *p, size_t len, struct mb2_info *info,
                      const char **why)
{
    if (len < 8) {
        *why = "memory map tag too short";
        return -1;
    }
    uint32_t esize = rd32(p);
    if (esize < sizeof(struct mb2_mmap_entry) || esize % 8) {
        *why = "memory map entry size is invalid";
        return -1;
    }
    for (size_t off = 8; off + esize <= len; off += esize) {
        struct mb2_mmap_entry e;

        memcpy(&e, p + off, sizeof(e));
        if (e.len == 0)
            continue;               /* empty regions carry nothing */
        if (info->nr_regions == MB2_MAX_REGIONS) {
            info->regions_dropped++;
            continue;
        }
        struct mb2_region *r = &info->regions[info->nr_regions++];
        r->base = e.base;
        /* Clamp a region that would wrap past the end of the address space. */
        r->len = e.base + e.len < e.base ? -e.base : e.len;
        r->type = e.type;
    }
    return 0;
}

static int parse_module(const uint8_t *p, size_t len, struct mb2_info *info,
                        const char **why)
{
    if (len < 9) {
        *why = "module tag too short";
        return -1;
    }
    const char *cmd = tag_string(p + 8, len - 8);
    if (!cmd) {
        *why = "module command line is not terminated";
        return -1;
    }
    uint32_t start = rd32(p), end = rd32(p + 4);
    if (end < start) {
        *why = "module ends before it starts";
        return -1;
    }
    if (info->nr_modules == MB2_MAX_MODULES) {
        info->modules_dropped++;
        return 0;
    }
    info->modules[info->nr_modules++] = (struct mb2_module){
        .start = start, .end = end, .cmdline = cmd,
    };
    return 0;
}

static int parse_tag(uint32_t type, const uint8_t *p, size_t len,
                     struct mb2_info *info, const char **why)
{
    switch (type) {
    case MB2_TAG_CMDLINE:
    case MB2_TAG_LOADER_NAME: {
        const char *s = tag_string(p, len);
        if (!s) {
            *why = type == MB2_TAG_CMDLINE ? "command line is not terminated"
                                           : "boot loader name is not terminated";
            return -1;
        }
        if (type == MB2_TAG_CMDLINE)
            info->cmdline = s;
        else
            info->loader_name = s;
        return 0;
    }
    case MB2_TAG_MODULE:
        return parse_module(p, len, info, why);
    case MB2_TAG_MMAP:
        return parse_mmap(p, len, info, why);
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW:
        /* Keep the newest: an ACPI 2.0+ RSDP wins over the 1.0 copy. */
        if (len >= 20 && (type == MB2_TAG_ACPI_NEW || !info->rsdp)) {
            info->rsdp = p;
            info->rsdp_len = len;
        }
        return 0;
    default:
        return 0;                   /* tags we do not use are skipped */
    }
}

int mb2_parse(const void *buf, size_t avail, struct mb2_info *info,
              const char **why)
{
    const uint8_t *base = buf;

    memset(info, 0, sizeof(*info));
    info->cmdline = "";
    info->loader_name = "";
    if (!buf || ((uintptr_t)buf & 7)) {
        *why = "information block is not 8-byte aligned";
        return -1;
    }
    if (avail < 16) {
        *why = "information block is truncated";
        return -1;
    }
    uint32_t total = rd32(base);
    if (total < 16 || total > avail) {
        *why = "information block size is invalid";
        return -1;
    }
    info->total_size = total;

    size_t off = 8;
    for (;;) {
        if (off + sizeof(struct mb2_tag) > total) {
            *why = "information block has no end tag";
            return -1;
        }
        uint32_t type = rd32(base + off), size = rd32(base + off + 4);
        if (size < sizeof(struct mb2_tag) || size > total - off) {
            *why = "a tag's size runs past the information block";
            return -1;
        }
        if (type == MB2_TAG_END)
            return 0;
        if (parse_tag(type, base + off + 8, size - 8, info, why) < 0)
            return -1;
        off += ALIGN_UP((size_t)size, 8);
    }
}

static bool overlaps(paddr_t a0, paddr_t a1, paddr_t b0, paddr_t b1)
{
    return a0 < b1 && b0 < a1;
}

int mb2_check_modules(const struct mb2_info *info, paddr_t img_start,
                      paddr_t img_end, paddr_t info_start, paddr_t info_end,
                      char *why, size_t why_len)
{
    for (unsigned int i = 0; i < info->nr_modules; i++) {
        const struct mb2_module *m = &info->modules[i];

        if (m->start == m->end)
            continue;               /* an empty module occupies nothing */
        if (overlaps(m->start, m->end, img_start, img_end)) {
            mica_snprintf(why, why_len, "module %u overlaps the hypervisor image", i);
            return -1;
        }
        if (overlaps(m->start, m->end, info_start, info_end)) {
            mica_snprintf(why, why_len, "module %u overlaps the boot information", i);
            return -1;
        }
        for (unsigned int j = 0; j < i; j++) {
            const struct mb2_module *o = &info->modules[j];
            if (o->start != o->end && overlaps(m->start, m->end, o->start, o->end)) {
                mica_snprintf(why, why_len, "modules %u and %u overlap", j, i);
                return -1;
            }
        }
    }
    return 0;
}

const char *mb2_region_type_name(uint32_t type)
{
    switch (type) {
    case MB2_MEM_AVAILABLE: return "usable";
    case MB2_MEM_RESERVED: return "reserved";
    case MB2_MEM_ACPI_RECLAIM: return "ACPI data";
    case MB2_MEM_NVS: return "ACPI NVS";
    case MB2_MEM_BAD: return "bad";
    default: return "unknown";
    }
}
