/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for everything Mica reads from the boot loader: the
 * Multiboot2 information block (parsed, then its memory map and modules fed
 * to the memory-map arithmetic and the overlap check) and the command line.
 * Besides crashes and sanitizer reports it checks the invariants the rest
 * of the hypervisor relies on.
 */
#include <assert.h>
#include <stdlib.h>

#include <mica/cmdline.h>
#include <mica/frame_alloc.h>
#include <mica/multiboot2.h>
#include <mica/string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_memmap(const struct memmap *m, paddr_t cap)
{
    for (unsigned int i = 0; i < m->nr; i++) {
        assert(m->r[i].start < m->r[i].end);
        assert(IS_ALIGNED(m->r[i].start, PAGE_SIZE));
        assert(IS_ALIGNED(m->r[i].end, PAGE_SIZE));
        assert(!cap || m->r[i].end <= cap);
        if (i)
            assert(m->r[i - 1].end < m->r[i].start);
    }
}

static void fuzz_info(const uint8_t *data, size_t size)
{
    struct mb2_info info;
    const char *why;
    /* An exact-size, 8-aligned copy so ASan sees any overread. */
    uint8_t *buf = aligned_alloc(8, ALIGN_UP(size, 8) ? ALIGN_UP(size, 8) : 8);

    memcpy(buf, data, size);
    if (mb2_parse(buf, size, &info, &why) == 0) {
        assert(info.total_size <= size);
        assert(info.nr_regions <= MB2_MAX_REGIONS);
        assert(info.nr_modules <= MB2_MAX_MODULES);
        for (unsigned int i = 0; i < info.nr_modules; i++) {
            assert(info.modules[i].start <= info.modules[i].end);
            assert(strlen(info.modules[i].cmdline) < size);
        }
        struct range keep[MB2_MAX_MODULES + 1];
        unsigned int n = 0;
        keep[n++] = (struct range){ 0, MiB(1) };
        for (unsigned int i = 0; i < info.nr_modules; i++)
            keep[n++] = (struct range){ info.modules[i].start, info.modules[i].end };
        static struct memmap m;
        memmap_build(&m, info.regions, info.nr_regions, keep, n, GiB(64));
        check_memmap(&m, GiB(64));
        for (unsigned int i = 0; i < m.nr; i++)
            for (unsigned int k = 0; k < n; k++)
                assert(m.r[i].end <= keep[k].start || m.r[i].start >= keep[k].end ||
                       keep[k].start == keep[k].end);
        char msg[96];
        (void)mb2_check_modules(&info, 0x200000, 0x300000, 0x10000, 0x11000, msg, sizeof(msg));
    } else {
        assert(why && *why);
    }
    free(buf);
}

static void fuzz_cmdline(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    struct boot_options o;

    memcpy(s, data, size);
    s[size] = '\0';
    cmdline_parse(s, &o);
    assert(o.nr_warnings <= CMDLINE_MAX_WARNINGS);
    for (unsigned int i = 0; i < o.nr_warnings; i++)
        assert(strlen(o.warnings[i]) < CMDLINE_WARNING_LEN);
    assert(o.loglvl <= LOG_DEBUG);
    assert(!o.mem_max || o.mem_max >= MiB(16));
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_cmdline(data + 1, size - 1);
    else
        fuzz_info(data + 1, size - 1);
    return 0;
}
