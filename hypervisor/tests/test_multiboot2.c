/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the Multiboot2 parser: well-formed blocks as GRUB builds
 * them, and every kind of malformed block we can think of.  Each block is
 * built in a heap buffer of exactly its size, so ASan catches any read past
 * the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include <mica/multiboot2.h>
#include <mica/string.h>

/* A little builder for information blocks. */
struct mb {
    uint8_t buf[4096];
    size_t len;
};

static void mb_begin(struct mb *m)
{
    memset(m, 0, sizeof(*m));
    m->len = 8;
}

static void *mb_tag(struct mb *m, uint32_t type, uint32_t size)
{
    uint8_t *t = m->buf + m->len;
    memcpy(t, &type, 4);
    memcpy(t + 4, &size, 4);
    m->len += (size + 7) & ~7u;
    return t + 8;
}

static void mb_string(struct mb *m, uint32_t type, const char *s)
{
    char *p = mb_tag(m, type, 8 + (uint32_t)strlen(s) + 1);
    strcpy(p, s);
}

static void mb_module(struct mb *m, uint32_t start, uint32_t end, const char *cmd)
{
    uint8_t *p = mb_tag(m, MB2_TAG_MODULE, 16 + (uint32_t)strlen(cmd) + 1);
    memcpy(p, &start, 4);
    memcpy(p + 4, &end, 4);
    strcpy((char *)p + 8, cmd);
}

struct e { uint64_t base, len; uint32_t type, rsvd; };

static void mb_mmap(struct mb *m, const struct e *ents, unsigned int n, uint32_t esize)
{
    uint8_t *p = mb_tag(m, MB2_TAG_MMAP, 16 + n * esize);
    uint32_t ver = 0;
    memcpy(p, &esize, 4);
    memcpy(p + 4, &ver, 4);
    for (unsigned int i = 0; i < n; i++)
        memcpy(p + 8 + i * esize, &ents[i], sizeof(ents[i]));
}

/* Finish with an end tag and copy into an exact-size, 8-aligned heap buffer. */
static void *mb_end(struct mb *m, size_t *len)
{
    mb_tag(m, MB2_TAG_END, 8);
    uint32_t total = (uint32_t)m->len;
    memcpy(m->buf, &total, 4);
    void *out = aligned_alloc(8, (m->len + 7) & ~7u);
    memcpy(out, m->buf, m->len);
    *len = m->len;
    return out;
}

static struct mb2_info info;

static void well_formed_grub_block(void **state)
{
    (void)state;
    struct mb m;
    size_t len;
    const char *why = NULL;
    struct e map[] = {
        { 0, 0x9fc00, MB2_MEM_AVAILABLE, 0 },
        { 0x100000, 0x7fee0000, MB2_MEM_AVAILABLE, 0 },
        { 0xfffc0000, 0x40000, MB2_MEM_RESERVED, 0 },
    };

    mb_begin(&m);
    mb_string(&m, MB2_TAG_CMDLINE, "loglvl=debug mem=1G");
    mb_string(&m, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    mb_module(&m, 0x300000, 0x400000, "vmlinuz console=hvc0");
    mb_module(&m, 0x400000, 0x480000, "initrd");
    mb_mmap(&m, map, 3, 24);
    void *b = mb_end(&m, &len);

    assert_int_equal(mb2_parse(b, len, &info, &why), 0);
    assert_string_equal(info.cmdline, "loglvl=debug mem=1G");
    assert_string_equal(info.loader_name, "GRUB 2.06");
    assert_int_equal(info.nr_modules, 2);
    assert_int_equal(info.modules[0].start, 0x300000);
    assert_int_equal(info.modules[0].end, 0x400000);
    assert_string_equal(info.modules[0].cmdline, "vmlinuz console=hvc0");
    assert_string_equal(info.modules[1].cmdline, "initrd");
    assert_int_equal(info.nr_regions, 3);
    assert_int_equal(info.regions[1].base, 0x100000);
    assert_int_equal(info.regions[1].len, 0x7fee0000);
    assert_int_equal(info.regions[2].type, MB2_MEM_RESERVED);
    assert_int_equal(info.total_size, len);
    free(b);
}

static void no_modules_no_cmdline(void **state)
{
    (void)state;
    struct mb m;
    size_t len;
    const char *why;

    mb_begin(&m);
    void *b = mb_end(&m, &len);
    assert_int_equal(mb2_parse(b, len, &info, &why), 0);
    assert_int_equal(info.nr_modules, 0);
    assert_string_equal(info.cmdline, "");
    assert_string_equal(info.loader_name, "");
    assert_int_equal(info.nr_regions, 0);
    free(b);
}

static void expect_error(void *b, size_t len, const char *reason)
{
    const char *why = NULL;

    assert_int_equal(mb2_parse(b, len, &info, &why), -1);
    assert_non_null(why);
    assert_non_null(strstr(why, reason));
}

static void truncated_block(void **state)
{
    (void)state;
    struct mb m;
    size_t len;

    mb_begin(&m);
    mb_string(&m, MB2_TAG_CMDLINE, "hello");
    void *b = mb_end(&m, &len);
    /* The header claims more than the caller can give. */
    expect_error(b, len - 8, "size is invalid");
    /* Too short to hold even the header and an end tag. */
    expect_error(b, 12, "truncated");
    free(b);
}

static void missing_end_tag(void **state)
{
    (void)state;
    struct mb m;
    size_t len;

    mb_begin(&m);
    mb_string(&m, MB2_TAG_CMDLINE, "x");
    void *b = mb_end(&m, &len);
    /* Shrink total_size to drop the end tag but keep the data. */
    uint32_t total = (uint32_t)len - 8;
    memcpy(b, &total, 4);
    expect_error(b, len, "no end tag");
    free(b);
}

static void tag_size_past_end(void **state)
{
    (void)state;
    struct mb m;
    size_t len;

    mb_begin(&m);
    uint8_t *p = mb_tag(&m, 21, 16);
    (void)p;
    void *b = mb_end(&m, &len);
    uint32_t huge = 4096;
    memcpy((uint8_t *)b + 12, &huge, 4);
    expect_error(b, len, "runs past");
    free(b);
}

static void tag_size_too_small(void **state)
{
    (void)state;
    struct mb m;
    size_t len;

    mb_begin(&m);
    mb_tag(&m, 21, 16);
    void *b = mb_end(&m, &len);
    uint32_t tiny = 4;      /* smaller than a tag header: would loop forever */
    memcpy((uint8_t *)b + 12, &tiny, 4);
    expect_error(b, len, "runs past");
    free(b);
}

static void misaligned_block(void **state)
{
    (void)state;
    struct mb m;
    size_t len;
    const char *why;

    mb_begin(&m);
    void *b = mb_end(&m, &len);
    uint8_t *raw = malloc(len + 1);
    memcpy(raw + 1, b, len);
    assert_int_equal(mb2_parse(raw + 1, len, &info, &why), -1);
    assert_non_null(strstr(why, "aligned"));
    assert_int_equal(mb2_parse(NULL, len, &info, &why), -1);
    free(raw);
    free(b);
}

static void unterminated_strings(void **state)
{
    (void)state;
    struct mb m;
    size_t len;

    mb_begin(&m);
    char *s = mb_tag(&m, MB2_TAG_CMDLINE, 8 + 8);
    memcpy(s, "ABCDEFGH", 8);                   /* no NUL inside the tag */
    void *b = mb_end(&m, &len);
    expect_error(b, len, "command line is not terminated");
    free(b);

    mb_begin(&m);
    uint8_t *p = mb_tag(&m, MB2_TAG_MODULE, 16 + 8);
    memset(p, 0, 8);
    memcpy(p + 8, "modmodmo", 8);
    b = mb_end(&m, &len);
    expect_error(b, len, "module command line");
    free(b);

    mb_begin(&m);
    s = mb_tag(&m, MB2_TAG_LOADER_NAME, 8);     /* empty payload */
    (void)s;
    b = mb_end(&m, &len);
    expect_error(b, len, "boot loader name");
    free(b);
}

static void bad_module(void **state)
{
    (void)state;
    struct mb m;
    size_t len;

    mb_begin(&m);
    mb_module(&m, 0x500000, 0x400000, "backwards");
    void *b = mb_end(&m, &len);
    expect_error(b, len, "ends before it starts");
    free(b);

    mb_begin(&m);
    mb_tag(&m, MB2_TAG_MODULE, 8 + 4);          /* no room for start/end */
    b = mb_end(&m, &len);
    expect_error(b, len, "module tag too short");
    free(b);
}

static void too_many_modules(void **state)
{
    (void)state;
    struct mb m;
    size_t len;
    const char *why;

    mb_begin(&m);
    for (unsigned int i = 0; i < MB2_MAX_MODULES + 3; i++)
        mb_module(&m, 0x100000 * (i + 4), 0x100000 * (i + 4) + 10, "m");
    void *b = mb_end(&m, &len);
    assert_int_equal(mb2_parse(b, len, &info, &why), 0);
    assert_int_equal(info.nr_modules, MB2_MAX_MODULES);
    assert_int_equal(info.modules_dropped, 3);
    free(b);
}

static void mmap_bad_entry_size(void **state)
{
    (void)state;
    struct mb m;
    size_t len;
    struct e map[] = { { 0x100000, 0x100000, 1, 0 } };

    mb_begin(&m);
    mb_mmap(&m, map, 1, 20);            /* smaller than an entry */
    void *b = mb_end(&m, &len);
    expect_error(b, len, "entry size");
    free(b);

    mb_begin(&m);
    mb_tag(&m, MB2_TAG_MMAP, 12);       /* no room for entry_size/version */
    b = mb_end(&m, &len);
    expect_error(b, len, "memory map tag too short");
    free(b);
}

static void mmap_zero_length_and_wrapping(void **state)
{
    (void)state;
    struct mb m;
    size_t len;
    const char *why;
    struct e map[] = {
        { 0x100000, 0, MB2_MEM_AVAILABLE, 0 },                  /* empty: dropped */
        { 0xfffffffffffff000ULL, 0x10000, MB2_MEM_AVAILABLE, 0 }, /* wraps: clamped */
        { 0x200000, 0x1000, MB2_MEM_AVAILABLE, 0 },
    };

    mb_begin(&m);
    mb_mmap(&m, map, 3, 32);            /* larger entries than we know: fine */
    void *b = mb_end(&m, &len);
    assert_int_equal(mb2_parse(b, len, &info, &why), 0);
    assert_int_equal(info.nr_regions, 2);
    assert_int_equal(info.regions[0].base + info.regions[0].len, 0);
    assert_int_equal(info.regions[1].base, 0x200000);
    free(b);
}

static void acpi_rsdp_prefers_new(void **state)
{
    (void)state;
    struct mb m;
    size_t len;
    const char *why;

    mb_begin(&m);
    uint8_t *old = mb_tag(&m, MB2_TAG_ACPI_OLD, 8 + 20);
    memcpy(old, "RSD PTR ", 8);
    uint8_t *nw = mb_tag(&m, MB2_TAG_ACPI_NEW, 8 + 36);
    memcpy(nw, "RSD PTR ", 8);
    nw[15] = 2;
    void *b = mb_end(&m, &len);
    assert_int_equal(mb2_parse(b, len, &info, &why), 0);
    assert_int_equal(info.rsdp_len, 36);
    assert_int_equal(((const uint8_t *)info.rsdp)[15], 2);
    free(b);
}

static void modules_overlapping(void **state)
{
    (void)state;
    char why[96];

    memset(&info, 0, sizeof(info));
    info.nr_modules = 2;
    info.modules[0] = (struct mb2_module){ 0x300000, 0x400000, "a" };
    info.modules[1] = (struct mb2_module){ 0x400000, 0x500000, "b" };
    assert_int_equal(mb2_check_modules(&info, 0x200000, 0x300000, 0x10000, 0x11000,
                                       why, sizeof(why)), 0);

    /* A module over the hypervisor image. */
    assert_int_equal(mb2_check_modules(&info, 0x200000, 0x300001, 0x10000, 0x11000,
                                       why, sizeof(why)), -1);
    assert_string_equal(why, "module 0 overlaps the hypervisor image");

    /* A module over the boot information. */
    assert_int_equal(mb2_check_modules(&info, 0x200000, 0x300000, 0x4ff000, 0x500100,
                                       why, sizeof(why)), -1);
    assert_string_equal(why, "module 1 overlaps the boot information");

    /* Two modules over each other. */
    info.modules[1].start = 0x3fffff;
    assert_int_equal(mb2_check_modules(&info, 0x200000, 0x300000, 0x10000, 0x11000,
                                       why, sizeof(why)), -1);
    assert_string_equal(why, "modules 0 and 1 overlap");

    /* An empty module occupies nothing, even "inside" the image. */
    info.nr_modules = 1;
    info.modules[0] = (struct mb2_module){ 0x250000, 0x250000, "empty" };
    assert_int_equal(mb2_check_modules(&info, 0x200000, 0x300000, 0x10000, 0x11000,
                                       why, sizeof(why)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(well_formed_grub_block),
        cmocka_unit_test(no_modules_no_cmdline),
        cmocka_unit_test(truncated_block),
        cmocka_unit_test(missing_end_tag),
        cmocka_unit_test(tag_size_past_end),
        cmocka_unit_test(tag_size_too_small),
        cmocka_unit_test(misaligned_block),
        cmocka_unit_test(unterminated_strings),
        cmocka_unit_test(bad_module),
        cmocka_unit_test(too_many_modules),
        cmocka_unit_test(mmap_bad_entry_size),
        cmocka_unit_test(mmap_zero_length_and_wrapping),
        cmocka_unit_test(acpi_rsdp_prefers_new),
        cmocka_unit_test(modules_overlapping),
    };
    return cmocka_run_group_tests_name("hv-multiboot2", tests, NULL, NULL);
}
