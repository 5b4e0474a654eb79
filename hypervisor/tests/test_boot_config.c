/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the boot configuration parser (common/boot_config.c).
 * Blobs are built with libfdt's sequential-write API, or compiled from the
 * example in docs/examples/ by dtc at build time, and then copied into a
 * heap buffer of exactly their size so ASan catches any read past the end.
 * Valid configs are cross-checked against libfdt's own reading; hostile
 * ones (every truncation, every corrupted byte, crafted headers and
 * tokens) must be refused or parsed without reading out of bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include <libfdt.h>

#include <mica/boot_config.h>
#include <mica/errno.h>
#include <mica/string.h>

#ifndef EXAMPLE_DTB_DIR
#error "EXAMPLE_DTB_DIR must name the folder of the compiled docs/examples"
#endif

/* ---- reports ---------------------------------------------------------- */

#define MAX_LINES 64
static char lines[MAX_LINES][256];
static unsigned int nr_lines;

static void report(const char *msg)
{
    assert_true(strlen(msg) < 192);
    for (const char *p = msg; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);     /* printable, one line */
    if (nr_lines < MAX_LINES)
        snprintf(lines[nr_lines++], sizeof(lines[0]), "%s", msg);
}

static bool reported(const char *line)
{
    for (unsigned int i = 0; i < nr_lines; i++)
        if (strcmp(lines[i], line) == 0)
            return true;
    return false;
}

static void dump_reports(void)
{
    for (unsigned int i = 0; i < nr_lines; i++)
        print_message("  report: %s\n", lines[i]);
}

#define assert_reported(l) do { if (!reported(l)) { dump_reports(); fail_msg("not reported: %s", l); } } while (0)

/* ---- building blobs --------------------------------------------------- */

static char fdtbuf[1 << 16];
#define CHK(x) assert_int_equal((x), 0)

static const char *const mods[] = { "linux", "initrd", "guest-linux", "config" };
static struct boot_config cfg;

/* Root with compatible, then an open /domains node. */
static void cfg_begin(void)
{
    CHK(fdt_create(fdtbuf, sizeof(fdtbuf)));
    CHK(fdt_finish_reservemap(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, ""));
    CHK(fdt_property_string(fdtbuf, "compatible", "mica,boot-config"));
    CHK(fdt_begin_node(fdtbuf, "domains"));
}

/* A domain with only the required properties. */
static void dom_min(const char *name, uint32_t kib, const char *kernel)
{
    CHK(fdt_begin_node(fdtbuf, name));
    CHK(fdt_property_u32(fdtbuf, "memory", kib));
    CHK(fdt_property_string(fdtbuf, "kernel", kernel));
    CHK(fdt_end_node(fdtbuf));
}

/* Finish the tree and copy it into an exact-size heap buffer. */
static uint8_t *blob_copy(const void *src, size_t *len)
{
    *len = fdt_totalsize(src);
    uint8_t *b = malloc(*len);
    memcpy(b, src, *len);
    return b;
}

static uint8_t *cfg_end_levels(unsigned int levels, size_t *len)
{
    for (unsigned int i = 0; i < levels; i++)
        CHK(fdt_end_node(fdtbuf));
    CHK(fdt_finish(fdtbuf));
    return blob_copy(fdtbuf, len);
}

static uint8_t *cfg_end(size_t *len)
{
    return cfg_end_levels(2, len);      /* /domains and the root */
}

static int parse(const uint8_t *b, size_t len)
{
    nr_lines = 0;
    return boot_config_parse(b, len, mods, ARRAY_SIZE(mods), &cfg, report);
}

static int parse_free(uint8_t *b, size_t len)
{
    int r = parse(b, len);
    free(b);
    return r;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    uint8_t *b = malloc((size_t)n);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

/* ---- cross-check with libfdt ------------------------------------------ */

static uint64_t libfdt_kib(const void *fdt, int node, const char *name)
{
    int len;
    const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

    if (!p)
        return 0;
    return len == 4 ? fdt32_to_cpu(p[0]) : (uint64_t)fdt32_to_cpu(p[0]) << 32 | fdt32_to_cpu(p[1]);
}

static int libfdt_module(const void *fdt, int node, const char *name)
{
    const char *s = fdt_getprop(fdt, node, name, NULL);

    for (unsigned int i = 0; s && i < ARRAY_SIZE(mods); i++)
        if (strcmp(mods[i], s) == 0)
            return (int)i;
    return -1;
}

/* Every ok domain as libfdt reads the same blob. */
static void cross_check(const void *fdt)
{
    int domains = fdt_path_offset(fdt, "/domains"), node, i = 0;

    assert_true(domains >= 0);
    fdt_for_each_subnode(node, fdt, domains) {
        const struct boot_domain *d = &cfg.dom[i++];
        int len;
        const fdt32_t *v;

        if (!d->ok)
            continue;
        assert_string_equal(d->name, fdt_get_name(fdt, node, NULL));
        assert_int_equal(d->memory_kib, libfdt_kib(fdt, node, "memory"));
        if (fdt_getprop(fdt, node, "max-memory", NULL))
            assert_int_equal(d->max_memory_kib, libfdt_kib(fdt, node, "max-memory"));
        v = fdt_getprop(fdt, node, "vcpus", &len);
        assert_int_equal(d->vcpus, v ? fdt32_to_cpu(*v) : 1);
        v = fdt_getprop(fdt, node, "weight", &len);
        assert_int_equal(d->weight, v ? fdt32_to_cpu(*v) : 0);
        v = fdt_getprop(fdt, node, "cap", &len);
        assert_int_equal(d->cap, v ? fdt32_to_cpu(*v) : 0);
        assert_int_equal(d->kernel_module, libfdt_module(fdt, node, "kernel"));
        assert_int_equal(d->ramdisk_module, libfdt_module(fdt, node, "ramdisk"));
        const char *s = fdt_getprop(fdt, node, "cmdline", NULL);
        assert_string_equal(d->cmdline, s ? s : "");
        assert_int_equal(d->privileged, fdt_getprop(fdt, node, "privileged", NULL) != NULL);
        s = fdt_getprop(fdt, node, "console", NULL);
        assert_int_equal(d->console_serial, !s || strcmp(s, "serial") == 0);
    }
    assert_int_equal(i, (int)cfg.nr);
}

/* ---- valid configs ---------------------------------------------------- */

static void docs_example(void **state)
{
    size_t len;
    uint8_t *b = read_file(EXAMPLE_DTB_DIR "/two-guests.dtb", &len);

    (void)state;
    assert_true(boot_config_is_fdt(b, len));
    assert_int_equal(fdt_check_full(b, len), 0);
    assert_int_equal(parse(b, len), 3);
    assert_int_equal(nr_lines, 0);
    assert_int_equal(cfg.nr, 3);

    const struct boot_domain *d = &cfg.dom[0];
    assert_string_equal(d->name, "dom0");
    assert_int_equal(d->memory_kib, 524288);
    assert_int_equal(d->max_memory_kib, 1048576);
    assert_int_equal(d->vcpus, 2);
    assert_int_equal(d->kernel_module, 0);
    assert_int_equal(d->ramdisk_module, 1);
    assert_string_equal(d->cmdline, "console=hvc0 earlyprintk=xen");
    assert_true(d->privileged);
    assert_int_equal(d->weight, 512);
    assert_true(d->console_serial);

    d = &cfg.dom[1];
    assert_string_equal(d->name, "web");
    assert_int_equal(d->memory_kib, 262144);        /* two cells */
    assert_int_equal(d->max_memory_kib, 262144);
    assert_int_equal(d->kernel_module, 2);
    assert_int_equal(d->cap, 50);
    assert_false(d->privileged);

    d = &cfg.dom[2];
    assert_string_equal(d->name, "batch");
    assert_int_equal(d->ramdisk_module, -1);
    assert_false(d->console_serial);
    for (unsigned int i = 0; i < cfg.nr; i++)
        assert_true(cfg.dom[i].ok);
    cross_check(b);
    free(b);
}

static void one_domain_defaults(void **state)
{
    size_t len;

    (void)state;
    cfg_begin();
    dom_min("solo", 65536, "linux");
    uint8_t *b = cfg_end(&len);
    assert_int_equal(parse(b, len), 1);
    assert_int_equal(nr_lines, 0);
    const struct boot_domain *d = &cfg.dom[0];
    assert_true(d->ok);
    assert_string_equal(d->name, "solo");
    assert_int_equal(d->memory_kib, 65536);
    assert_int_equal(d->max_memory_kib, 65536);
    assert_int_equal(d->vcpus, 1);
    assert_int_equal(d->kernel_module, 0);
    assert_int_equal(d->ramdisk_module, -1);
    assert_string_equal(d->cmdline, "");
    assert_false(d->privileged);
    assert_int_equal(d->weight, 0);
    assert_int_equal(d->cap, 0);
    assert_true(d->console_serial);
    cross_check(b);
    free(b);
}

static void all_properties(void **state)
{
    size_t len;

    (void)state;
    cfg_begin();
    CHK(fdt_begin_node(fdtbuf, "big-one_2.x"));
    CHK(fdt_property_u64(fdtbuf, "memory", 8ULL << 20));     /* 8 GiB, u64 */
    CHK(fdt_property_u64(fdtbuf, "max-memory", 16ULL << 20));
    CHK(fdt_property_u32(fdtbuf, "vcpus", 32));
    CHK(fdt_property_string(fdtbuf, "kernel", "guest-linux"));
    CHK(fdt_property_string(fdtbuf, "ramdisk", "initrd"));
    CHK(fdt_property_string(fdtbuf, "cmdline", "root=/dev/xvda ro"));
    CHK(fdt_property(fdtbuf, "privileged", NULL, 0));
    CHK(fdt_property_u32(fdtbuf, "weight", 65535));
    CHK(fdt_property_u32(fdtbuf, "cap", 100));
    CHK(fdt_property_u32(fdtbuf, "grant-frames", 8));
    CHK(fdt_property_string(fdtbuf, "console", "none"));
    CHK(fdt_end_node(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, "tiny"));
    CHK(fdt_property_u32(fdtbuf, "memory", 4));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property_u32(fdtbuf, "weight", 1));
    CHK(fdt_property_u32(fdtbuf, "cap", 0));
    CHK(fdt_property_string(fdtbuf, "console", "serial"));
    CHK(fdt_end_node(fdtbuf));
    uint8_t *b = cfg_end(&len);
    assert_int_equal(parse(b, len), 2);
    assert_int_equal(nr_lines, 0);
    const struct boot_domain *d = &cfg.dom[0];
    assert_string_equal(d->name, "big-one_2.x");
    assert_int_equal(d->memory_kib, 8ULL << 20);
    assert_int_equal(d->max_memory_kib, 16ULL << 20);
    assert_int_equal(d->vcpus, 32);
    assert_int_equal(d->kernel_module, 2);
    assert_int_equal(d->ramdisk_module, 1);
    assert_string_equal(d->cmdline, "root=/dev/xvda ro");
    assert_true(d->privileged);
    assert_int_equal(d->weight, 65535);
    assert_int_equal(d->cap, 100);
    assert_int_equal(d->grant_frames, 8);
    assert_false(d->console_serial);
    assert_int_equal(cfg.dom[1].grant_frames, 0);       /* default */
    assert_int_equal(cfg.dom[1].memory_kib, 4);
    assert_int_equal(cfg.dom[1].weight, 1);
    assert_true(cfg.dom[1].console_serial);
    cross_check(b);
    free(b);
}

static void memory_u32_and_u64(void **state)
{
    size_t len;

    (void)state;
    cfg_begin();
    dom_min("a", 0x100000, "linux");
    CHK(fdt_begin_node(fdtbuf, "b"));
    CHK(fdt_property_u64(fdtbuf, "memory", 0x100000));
    CHK(fdt_property_u32(fdtbuf, "max-memory", 0x200000));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_end_node(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, "c"));
    CHK(fdt_property_u64(fdtbuf, "memory", BOOT_MAX_MEMORY_KIB));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_end_node(fdtbuf));
    uint8_t *b = cfg_end(&len);
    assert_int_equal(parse(b, len), 3);
    assert_int_equal(cfg.dom[0].memory_kib, cfg.dom[1].memory_kib);
    assert_int_equal(cfg.dom[1].max_memory_kib, 0x200000);
    assert_int_equal(cfg.dom[2].memory_kib, BOOT_MAX_MEMORY_KIB);
    cross_check(b);
    free(b);
}

static void empty_domains_and_extras(void **state)
{
    size_t len;
    uint8_t *b;

    (void)state;
    /* No domains at all: usable, nothing to start. */
    cfg_begin();
    b = cfg_end(&len);
    assert_int_equal(parse_free(b, len), 0);
    assert_int_equal(cfg.nr, 0);
    assert_int_equal(nr_lines, 0);

    /* Known root properties, NOPs, a compatible list, an unknown root node. */
    CHK(fdt_create(fdtbuf, sizeof(fdtbuf)));
    CHK(fdt_finish_reservemap(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, ""));
    static const char compat[] = "acme,thing\0mica,boot-config";
    CHK(fdt_property(fdtbuf, "compatible", compat, sizeof(compat)));
    CHK(fdt_property_u32(fdtbuf, "#address-cells", 2));
    CHK(fdt_property_string(fdtbuf, "model", "test"));
    CHK(fdt_property_u32(fdtbuf, "colour", 3));
    CHK(fdt_begin_node(fdtbuf, "chosen"));
    CHK(fdt_end_node(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, "domains"));
    CHK(fdt_property_u32(fdtbuf, "x", 1));
    dom_min("a", 4096, "linux");
    CHK(fdt_end_node(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, "domains"));
    dom_min("b", 4096, "linux");
    b = cfg_end(&len);
    int r = parse(b, len);
    assert_int_equal(r, 1);
    assert_int_equal(cfg.nr, 1);
    assert_string_equal(cfg.dom[0].name, "a");
    assert_reported("root node: property 'colour': unknown property, ignored");
    assert_reported("node '/chosen': unknown node, ignored");
    assert_reported("node '/domains': property 'x': unknown property, ignored");
    assert_reported("node '/domains': given twice, the second is ignored");
    assert_int_equal(nr_lines, 4);
    free(b);
}

/* ---- errors name the node and property; the others still start -------- */

/* A config of "good1", the node built by body(), "good2". */
static void with_bad(void (*body)(void), int expect_ok)
{
    size_t len;

    cfg_begin();
    dom_min("good1", 4096, "linux");
    body();
    dom_min("good2", 8192, "guest-linux");
    uint8_t *b = cfg_end(&len);
    assert_int_equal(parse(b, len), expect_ok);
    assert_true(cfg.dom[0].ok);
    assert_true(cfg.dom[cfg.nr - 1].ok);
    assert_string_equal(cfg.dom[cfg.nr - 1].name, "good2");
    cross_check(b);
    free(b);
}

static void bad_begin(const char *name) { CHK(fdt_begin_node(fdtbuf, name)); }
static void bad_end(void) { CHK(fdt_end_node(fdtbuf)); }

static void b_missing_kernel(void)
{
    bad_begin("web");
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    bad_end();
}

static void b_missing_memory(void)
{
    bad_begin("x");
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    bad_end();
}

static void b_unknown_module(void)
{
    bad_begin("web");
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "vmlinux2"));
    CHK(fdt_property_string(fdtbuf, "ramdisk", ""));
    bad_end();
}

static void b_unknown_property(void)
{
    bad_begin("web");
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property_string(fdtbuf, "colour", "blue"));
    bad_end();
}

static void b_duplicate(void) { dom_min("good1", 4096, "linux"); }

static void b_ranges(void)
{
    bad_begin("r");
    CHK(fdt_property_u32(fdtbuf, "memory", 0));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property_u32(fdtbuf, "vcpus", 33));
    CHK(fdt_property_u32(fdtbuf, "weight", 65536));
    CHK(fdt_property_u32(fdtbuf, "cap", 101));
    CHK(fdt_property_string(fdtbuf, "console", "vga"));
    CHK(fdt_property_u32(fdtbuf, "privileged", 1));
    bad_end();
}

static void b_sizes(void)
{
    static const uint8_t two[2] = { 0, 1 }, twelve[12];
    bad_begin("s");
    CHK(fdt_property(fdtbuf, "memory", two, sizeof(two)));
    CHK(fdt_property(fdtbuf, "max-memory", twelve, sizeof(twelve)));
    CHK(fdt_property_u64(fdtbuf, "vcpus", 1));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property(fdtbuf, "cmdline", "abc", 3));           /* no NUL */
    CHK(fdt_property(fdtbuf, "ramdisk", "in\0itrd", 8));      /* two strings */
    CHK(fdt_property_u32(fdtbuf, "cap", 0));
    bad_end();
}

static void b_memory_values(void)
{
    bad_begin("m");
    CHK(fdt_property_u32(fdtbuf, "memory", 4097));
    CHK(fdt_property_u64(fdtbuf, "max-memory", BOOT_MAX_MEMORY_KIB + 4));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    bad_end();
}

static void b_max_below(void)
{
    bad_begin("m");
    CHK(fdt_property_u32(fdtbuf, "memory", 8192));
    CHK(fdt_property_u32(fdtbuf, "max-memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    bad_end();
}

static void b_twice_and_subnode(void)
{
    bad_begin("t");
    CHK(fdt_property_u32(fdtbuf, "memory", 8192));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_begin_node(fdtbuf, "disk"));
    CHK(fdt_property_u32(fdtbuf, "size", 1));
    CHK(fdt_end_node(fdtbuf));
    bad_end();
}

static void b_long_cmdline(void)
{
    static char s[BOOT_CMDLINE_MAX + 1];
    memset(s, 'a', BOOT_CMDLINE_MAX);
    bad_begin("c");
    CHK(fdt_property_u32(fdtbuf, "memory", 8192));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property_string(fdtbuf, "cmdline", s));
    bad_end();
}

static void b_names(void)
{
    dom_min("web@1", 4096, "linux");
    dom_min("abcdefghijabcdefghijabcdefghijab", 4096, "linux");    /* 32 */
    dom_min("abcdefghijabcdefghijabcdefghija", 4096, "linux");     /* 31: fine */
    dom_min("ta\tb", 4096, "linux");
}

static void errors_name_node_and_property(void **state)
{
    (void)state;
    with_bad(b_missing_kernel, 2);
    assert_reported("domain 'web': property 'kernel': missing");
    assert_int_equal(nr_lines, 1);
    assert_false(cfg.dom[1].ok);

    with_bad(b_missing_memory, 2);
    assert_reported("domain 'x': property 'memory': missing");
    assert_int_equal(nr_lines, 1);

    with_bad(b_unknown_module, 2);
    assert_reported("domain 'web': property 'kernel': no module named 'vmlinux2'");
    assert_reported("domain 'web': property 'ramdisk': must be a non-empty string");
    assert_int_equal(nr_lines, 2);

    with_bad(b_unknown_property, 2);
    assert_reported("domain 'web': property 'colour': unknown property");
    assert_int_equal(nr_lines, 1);

    with_bad(b_duplicate, 2);
    assert_reported("domain 'good1': duplicate domain name");
    assert_int_equal(nr_lines, 1);
    assert_false(cfg.dom[1].ok);

    with_bad(b_ranges, 2);
    assert_reported("domain 'r': property 'memory': 0 KiB is out of range 4..1073741824");
    assert_reported("domain 'r': property 'vcpus': 33 is out of range 1..32");
    assert_reported("domain 'r': property 'weight': 65536 is out of range 1..65535");
    assert_reported("domain 'r': property 'cap': 101 is out of range 0..100");
    assert_reported("domain 'r': property 'console': must be \"serial\" or \"none\"");
    assert_reported("domain 'r': property 'privileged': must be empty (write 'privileged;')");
    assert_int_equal(nr_lines, 6);

    with_bad(b_sizes, 2);
    assert_reported("domain 's': property 'memory': must be a u32 or u64 (4 or 8 bytes), is 2 bytes");
    assert_reported("domain 's': property 'max-memory': must be a u32 or u64 (4 or 8 bytes), is 12 bytes");
    assert_reported("domain 's': property 'vcpus': must be one u32 cell (4 bytes), is 8 bytes");
    assert_reported("domain 's': property 'cmdline': must be one string");
    assert_reported("domain 's': property 'ramdisk': must be a non-empty string");
    assert_int_equal(nr_lines, 5);

    with_bad(b_memory_values, 2);
    assert_reported("domain 'm': property 'memory': 4097 KiB is not a multiple of the 4 KiB page");
    assert_reported("domain 'm': property 'max-memory': 1073741828 KiB is out of range 4..1073741824");
    assert_int_equal(nr_lines, 2);

    with_bad(b_max_below, 2);
    assert_reported("domain 'm': property 'max-memory': 4096 KiB is less than memory (8192 KiB)");
    assert_int_equal(nr_lines, 1);

    with_bad(b_twice_and_subnode, 2);
    assert_reported("domain 't': property 'kernel': given twice");
    assert_reported("domain 't': node 'disk': unknown node");
    assert_int_equal(nr_lines, 2);

    with_bad(b_long_cmdline, 2);
    assert_reported("domain 'c': property 'cmdline': longer than 1023 characters");

    with_bad(b_names, 3);
    assert_reported("domain 'web@1': domain name may only hold letters, digits, '-', '_' and '.'");
    assert_reported("domain 'abcdefghijabcdefghijabcdefghijab': domain name longer than 31 characters");
    assert_reported("domain 'ta?b': domain name may only hold letters, digits, '-', '_' and '.'");
    assert_int_equal(nr_lines, 3);
    assert_true(cfg.dom[3].ok);
    assert_string_equal(cfg.dom[3].name, "abcdefghijabcdefghijabcdefghija");
}

static void module_lookup(void **state)
{
    size_t len;
    const char *const names[] = { NULL, "k", "rd", "k", "other" };

    (void)state;
    cfg_begin();
    dom_min("a", 4096, "rd");
    dom_min("b", 4096, "k");
    dom_min("c", 4096, "other");
    uint8_t *b = cfg_end(&len);
    nr_lines = 0;
    assert_int_equal(boot_config_parse(b, len, names, ARRAY_SIZE(names), &cfg, report), 2);
    assert_int_equal(cfg.dom[0].kernel_module, 2);
    assert_false(cfg.dom[1].ok);
    assert_reported("domain 'b': property 'kernel': modules 1 and 3 are both named 'k'");
    assert_int_equal(cfg.dom[2].kernel_module, 4);

    /* Without modules nothing matches; a NULL report is allowed. */
    assert_int_equal(boot_config_parse(b, len, NULL, 3, &cfg, NULL), 0);
    assert_int_equal(cfg.nr, 3);
    free(b);
}

static void privileged_rules(void **state)
{
    size_t len;

    (void)state;
    /* First and only: fine. */
    cfg_begin();
    CHK(fdt_begin_node(fdtbuf, "dom0"));
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property(fdtbuf, "privileged", NULL, 0));
    CHK(fdt_end_node(fdtbuf));
    dom_min("guest", 4096, "linux");
    CHK(fdt_begin_node(fdtbuf, "again"));
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property(fdtbuf, "privileged", NULL, 0));
    CHK(fdt_end_node(fdtbuf));
    uint8_t *b = cfg_end(&len);
    assert_int_equal(parse_free(b, len), 2);
    assert_true(cfg.dom[0].privileged && cfg.dom[0].ok);
    assert_false(cfg.dom[2].ok);
    assert_reported("domain 'again': property 'privileged': only one domain may be privileged ('dom0' is)");
    assert_int_equal(nr_lines, 1);

    /* Privileged but not first. */
    cfg_begin();
    dom_min("guest", 4096, "linux");
    CHK(fdt_begin_node(fdtbuf, "dom0"));
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property(fdtbuf, "privileged", NULL, 0));
    CHK(fdt_end_node(fdtbuf));
    b = cfg_end(&len);
    assert_int_equal(parse_free(b, len), 1);
    assert_reported("domain 'dom0': property 'privileged': the privileged domain must be the first node under /domains");
}

static void too_many_domains(void **state)
{
    size_t len;
    char name[16];

    (void)state;
    cfg_begin();
    for (unsigned int i = 0; i < BOOT_MAX_DOMAINS + 2; i++) {
        snprintf(name, sizeof(name), "d%u", i);
        dom_min(name, 4096, "linux");
    }
    uint8_t *b = cfg_end(&len);
    assert_int_equal(parse_free(b, len), BOOT_MAX_DOMAINS);
    assert_int_equal(cfg.nr, BOOT_MAX_DOMAINS);
    assert_reported("domain 'd16': more than 16 domains, ignored");
    assert_reported("domain 'd17': more than 16 domains, ignored");
    assert_int_equal(nr_lines, 2);
}

static void check_memory(void **state)
{
    size_t len;

    (void)state;
    cfg_begin();
    dom_min("a", 4096, "linux");
    dom_min("bad", 4096, "nope");
    dom_min("b", 8192, "linux");
    dom_min("c", 4096, "linux");
    uint8_t *b = cfg_end(&len);
    assert_int_equal(parse_free(b, len), 3);
    nr_lines = 0;
    assert_int_equal(boot_config_check_memory(&cfg, 10000, report), 2);
    assert_true(cfg.dom[0].ok);
    assert_false(cfg.dom[2].ok);
    assert_true(cfg.dom[3].ok);
    assert_reported("domain 'b': property 'memory': 8192 KiB is more than is free (5904 KiB)");
    assert_int_equal(nr_lines, 1);
}

/* ---- the root, the header and the structure --------------------------- */

static void root_rules(void **state)
{
    size_t len;
    uint8_t *b;

    (void)state;
    /* No compatible. */
    CHK(fdt_create(fdtbuf, sizeof(fdtbuf)));
    CHK(fdt_finish_reservemap(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, ""));
    CHK(fdt_begin_node(fdtbuf, "domains"));
    dom_min("a", 4096, "linux");
    b = cfg_end(&len);
    assert_int_equal(parse_free(b, len), -EINVAL);
    assert_int_equal(cfg.nr, 0);
    assert_reported("root node: property 'compatible': must list \"mica,boot-config\"");
    assert_int_equal(nr_lines, 1);

    /* Wrong compatible, unterminated compatible. */
    CHK(fdt_create(fdtbuf, sizeof(fdtbuf)));
    CHK(fdt_finish_reservemap(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, ""));
    CHK(fdt_property(fdtbuf, "compatible", "mica,boot-config", 16));
    b = cfg_end_levels(1, &len);
    assert_int_equal(parse_free(b, len), -EINVAL);
    assert_reported("root node: property 'compatible': must list \"mica,boot-config\"");

    /* No domains node. */
    CHK(fdt_create(fdtbuf, sizeof(fdtbuf)));
    CHK(fdt_finish_reservemap(fdtbuf));
    CHK(fdt_begin_node(fdtbuf, ""));
    CHK(fdt_property_string(fdtbuf, "compatible", "mica,boot-config"));
    b = cfg_end_levels(1, &len);
    assert_int_equal(parse_free(b, len), -EINVAL);
    assert_reported("root node: no 'domains' node");
    assert_int_equal(nr_lines, 1);
}

/* A valid blob of a few domains, in an exact-size buffer. */
static uint8_t *valid_blob(size_t *len)
{
    cfg_begin();
    CHK(fdt_begin_node(fdtbuf, "dom0"));
    CHK(fdt_property_u64(fdtbuf, "memory", 65536));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    CHK(fdt_property_string(fdtbuf, "ramdisk", "initrd"));
    CHK(fdt_property_string(fdtbuf, "cmdline", "console=hvc0"));
    CHK(fdt_property(fdtbuf, "privileged", NULL, 0));
    CHK(fdt_end_node(fdtbuf));
    dom_min("web", 8192, "guest-linux");
    CHK(fdt_begin_node(fdtbuf, "db"));
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "guest-linux"));
    CHK(fdt_property_u32(fdtbuf, "cap", 20));
    CHK(fdt_property_string(fdtbuf, "console", "none"));
    CHK(fdt_end_node(fdtbuf));
    return cfg_end(len);
}

enum { H_TOTAL = 4, H_OFF_ST = 8, H_OFF_STRS = 12, H_OFF_RSV = 16, H_VERSION = 20,
       H_LAST_COMP = 24, H_SIZE_STRS = 32, H_SIZE_ST = 36 };

/* Parse a copy of b with the u32 header field at off set to v. */
static int parse_patched(const uint8_t *b, size_t len, unsigned int off, uint32_t v)
{
    uint8_t *c = malloc(len);
    memcpy(c, b, len);
    put_be32(c + off, v);
    return parse_free(c, len);
}

static void bad_headers(void **state)
{
    size_t len;
    uint8_t *b = valid_blob(&len);

    (void)state;
    assert_int_equal(parse(b, len), 3);
    assert_int_equal(parse(b, 0), -EINVAL);
    assert_reported("header: shorter than an FDT header");
    assert_int_equal(boot_config_parse(NULL, 100, mods, 4, &cfg, report), -EINVAL);
    assert_false(boot_config_is_fdt(b, 3));
    assert_false(boot_config_is_fdt(NULL, 8));
    assert_true(boot_config_is_fdt(b, 4));

    assert_int_equal(parse_patched(b, len, 0, 0xd00dfeee), -EINVAL);
    assert_reported("header: bad magic (not a flattened device tree)");
    assert_int_equal(cfg.nr, 0);
    assert_int_equal(parse_patched(b, len, H_TOTAL, (uint32_t)len + 1), -EINVAL);
    assert_reported("header: totalsize is smaller than the header or larger than the module");
    assert_int_equal(parse_patched(b, len, H_TOTAL, 39), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_VERSION, 15), -EINVAL);
    assert_reported("header: unsupported version (16 and 17 are)");
    assert_int_equal(parse_patched(b, len, H_VERSION, 18), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_LAST_COMP, 17), -EINVAL);
    assert_reported("header: last_comp_version is newer than 16");
    /* Version 16: no size_dt_struct, the block runs to totalsize. */
    assert_int_equal(parse_patched(b, len, H_VERSION, 16), 3);

    assert_int_equal(parse_patched(b, len, H_OFF_ST, (uint32_t)len), -EINVAL);
    assert_reported("header: structure block is outside the blob or misaligned");
    assert_int_equal(parse_patched(b, len, H_OFF_ST, 0x3a), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_OFF_ST, 0), -EINVAL);   /* over the header */
    assert_int_equal(parse_patched(b, len, H_OFF_ST, 0xfffffffc), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_SIZE_ST, 0xffffffff), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_SIZE_ST, (uint32_t)len), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_OFF_STRS, 0xffffffff), -EINVAL);
    assert_reported("header: strings block is outside the blob");
    assert_int_equal(parse_patched(b, len, H_SIZE_STRS, 0xfffffff0), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_OFF_RSV, 0x2c), -EINVAL);
    assert_reported("header: memory reservation map is outside the blob or misaligned");
    assert_int_equal(parse_patched(b, len, H_OFF_RSV, (uint32_t)len - 8), -EINVAL);

    /* A short struct block ends before FDT_END; a short strings block
     * leaves property names unterminated or outside it. */
    uint32_t st = fdt_size_dt_struct(b), strs = fdt_size_dt_strings(b);
    char line[128];
    assert_int_equal(parse_patched(b, len, H_SIZE_ST, st - 4), -EINVAL);
    snprintf(line, sizeof(line), "structure: offset %#x: structure block ends without FDT_END", st - 4);
    assert_reported(line);
    assert_int_equal(parse_patched(b, len, H_SIZE_STRS, strs - 1), -EINVAL);
    assert_int_equal(parse_patched(b, len, H_SIZE_STRS, 0), -EINVAL);
    free(b);
}

/* Struct-block surgery: a hand-written structure block after a fixed header. */
static uint8_t *handmade(const uint32_t *words, unsigned int n, const char *strs,
                         size_t strs_len, size_t *len)
{
    size_t st_len = 4 * (size_t)n;
    *len = 56 + st_len + strs_len;
    uint8_t *b = calloc(1, *len);
    put_be32(b, 0xd00dfeed);
    put_be32(b + H_TOTAL, (uint32_t)*len);
    put_be32(b + H_OFF_ST, 56);
    put_be32(b + H_OFF_STRS, 56 + (uint32_t)st_len);
    put_be32(b + H_OFF_RSV, 40);
    put_be32(b + H_VERSION, 17);
    put_be32(b + H_LAST_COMP, 16);
    put_be32(b + H_SIZE_STRS, (uint32_t)strs_len);
    put_be32(b + H_SIZE_ST, (uint32_t)st_len);
    for (unsigned int i = 0; i < n; i++)
        put_be32(b + 56 + 4 * i, words[i]);
    memcpy(b + 56 + st_len, strs, strs_len);
    return b;
}

#define W4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static int hand_parse(const uint32_t *w, unsigned int n, const char *strs, size_t sl)
{
    size_t len;
    uint8_t *b = handmade(w, n, strs, sl, &len);
    return parse_free(b, len);
}

static void bad_structure(void **state)
{
    static const char strs[] = "compatible";
    (void)state;

    /* Root name "abcd" with no NUL inside the block. */
    const uint32_t unterminated_name[] = { 1, W4('a', 'b', 'c', 'd') };
    assert_int_equal(hand_parse(unterminated_name, 2, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x0: node name is not terminated");

    /* Property whose name offset lies past the strings block. */
    const uint32_t far_name[] = { 1, 0, 3, 0, 100, 2, 9 };
    assert_int_equal(hand_parse(far_name, 7, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x8: property name is outside the strings block or not terminated");
    /* ... or in it but not terminated. */
    assert_int_equal(hand_parse(far_name + 0, 7, strs, 4), -EINVAL);
    const uint32_t unterminated_prop_name[] = { 1, 0, 3, 0, 0, 2, 9 };
    assert_int_equal(hand_parse(unterminated_prop_name, 7, strs, sizeof(strs) - 1), -EINVAL);
    assert_reported("structure: offset 0x8: property name is outside the strings block or not terminated");

    /* Property value longer than the block; header cut short. */
    const uint32_t long_value[] = { 1, 0, 3, 0x100, 0, 2, 9 };
    assert_int_equal(hand_parse(long_value, 7, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x8: property value runs past the structure block");
    const uint32_t short_prop[] = { 1, 0, 3, 0 };
    assert_int_equal(hand_parse(short_prop, 4, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x8: property header runs past the structure block");

    const uint32_t unknown[] = { 1, 0, 7, 2, 9 };
    assert_int_equal(hand_parse(unknown, 5, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x8: unknown token");
    const uint32_t no_end[] = { 1, 0, 2 };
    assert_int_equal(hand_parse(no_end, 3, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0xc: structure block ends without FDT_END");
    const uint32_t end_inside[] = { 1, 0, 9 };
    assert_int_equal(hand_parse(end_inside, 3, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x8: FDT_END inside a node");
    const uint32_t extra_end_node[] = { 1, 0, 2, 2, 9 };
    assert_int_equal(hand_parse(extra_end_node, 5, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0xc: FDT_END_NODE outside any node");
    const uint32_t two_roots[] = { 1, 0, 2, 1, 0, 2, 9 };
    assert_int_equal(hand_parse(two_roots, 7, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0xc: a second root node");
    const uint32_t no_root[] = { 4, 9 };
    assert_int_equal(hand_parse(no_root, 2, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x4: no root node");
    const uint32_t prop_outside[] = { 3, 0, 0, 9 };
    assert_int_equal(hand_parse(prop_outside, 4, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x0: property outside any node");
    /* Root { child { } compatible = "" }: property after a subnode. */
    const uint32_t prop_after_child[] = { 1, 0, 1, W4('c', 0, 0, 0), 2, 3, 0, 0, 2, 9 };
    assert_int_equal(hand_parse(prop_after_child, 10, strs, sizeof(strs)), -EINVAL);
    assert_reported("structure: offset 0x14: property after a subnode");
    /* NOPs anywhere are fine; this one then lacks compatible. */
    const uint32_t nops[] = { 4, 1, 0, 4, 2, 4, 9 };
    assert_int_equal(hand_parse(nops, 7, strs, sizeof(strs)), -EINVAL);
    assert_reported("root node: property 'compatible': must list \"mica,boot-config\"");
}

static void deep_nesting_and_many_nodes(void **state)
{
    size_t len;

    (void)state;
    /* Root, domains, a domain, then nested nodes up to FDT_MAX_DEPTH: fine. */
    cfg_begin();
    CHK(fdt_begin_node(fdtbuf, "deep"));
    CHK(fdt_property_u32(fdtbuf, "memory", 4096));
    CHK(fdt_property_string(fdtbuf, "kernel", "linux"));
    for (unsigned int i = 3; i < FDT_MAX_DEPTH; i++)
        CHK(fdt_begin_node(fdtbuf, "n"));
    uint8_t *b = cfg_end_levels(FDT_MAX_DEPTH, &len);
    assert_int_equal(parse_free(b, len), 0);
    assert_reported("domain 'deep': node 'n': unknown node");

    /* One level more is refused as a whole. */
    cfg_begin();
    CHK(fdt_begin_node(fdtbuf, "deep"));
    for (unsigned int i = 3; i <= FDT_MAX_DEPTH; i++)
        CHK(fdt_begin_node(fdtbuf, "n"));
    b = cfg_end_levels(FDT_MAX_DEPTH + 1, &len);
    assert_int_equal(parse_free(b, len), -EINVAL);
    assert_int_equal(nr_lines, 1);
    assert_true(strstr(lines[0], "nodes nested too deeply") != NULL);

    /* Too many nodes. */
    cfg_begin();
    for (unsigned int i = 0; i < FDT_MAX_NODES; i++) {
        CHK(fdt_begin_node(fdtbuf, "x"));
        CHK(fdt_end_node(fdtbuf));
    }
    b = cfg_end(&len);
    assert_int_equal(parse_free(b, len), -EINVAL);
    assert_int_equal(nr_lines, 1);
    assert_true(strstr(lines[0], "too many nodes") != NULL);
}

/* Invariants of any successful parse of a blob of len bytes. */
static void check_result(int r, const uint8_t *b, size_t len)
{
    if (r < 0) {
        assert_int_equal(r, -EINVAL);
        assert_int_equal(cfg.nr, 0);
        assert_true(nr_lines >= 1);
        return;
    }
    assert_true(cfg.nr <= BOOT_MAX_DOMAINS);
    int ok = 0;
    for (unsigned int i = 0; i < cfg.nr; i++) {
        const struct boot_domain *d = &cfg.dom[i];
        assert_true(strlen(d->name) < BOOT_NAME_MAX);
        if (!d->ok)
            continue;
        ok++;
        assert_true(d->memory_kib > 0 && d->memory_kib <= d->max_memory_kib);
        assert_true(d->vcpus >= 1 && d->vcpus <= BOOT_MAX_VCPUS);
        assert_true(d->kernel_module >= 0 && d->kernel_module < (int)ARRAY_SIZE(mods));
        assert_true(d->ramdisk_module >= -1 && d->ramdisk_module < (int)ARRAY_SIZE(mods));
        assert_true(d->cap <= 100 && d->weight <= 65535);
        assert_true(!d->privileged || i == 0);
        if (*d->cmdline) {
            assert_true((const uint8_t *)d->cmdline >= b);
            assert_true((const uint8_t *)d->cmdline + strlen(d->cmdline) < b + len);
        }
    }
    assert_int_equal(r, ok);
}

static void truncations(const uint8_t *b, size_t len)
{
    for (size_t n = 0; n < len; n++) {
        /* As is: totalsize no longer fits. */
        uint8_t *c = malloc(n ? n : 1);
        memcpy(c, b, n);
        assert_int_equal(parse(c, n), -EINVAL);
        check_result(-EINVAL, c, n);
        /* With the header's sizes clamped to the bytes left, so the
         * blocks themselves end early. */
        if (n >= 40) {
            uint32_t st = fdt_off_dt_struct(b), strs = fdt_off_dt_strings(b);
            put_be32(c + H_TOTAL, (uint32_t)n);
            put_be32(c + H_SIZE_ST, (uint32_t)MIN((size_t)fdt_size_dt_struct(b), n > st ? n - st : 0));
            put_be32(c + H_SIZE_STRS, (uint32_t)MIN((size_t)fdt_size_dt_strings(b), n > strs ? n - strs : 0));
            int r = parse(c, n);
            check_result(r, c, n);
        }
        free(c);
    }
}

static void corruptions(const uint8_t *b, size_t len)
{
    static const uint8_t values[] = { 0x00, 0xff, 0x01, 0x80, 0x7f, 0x09, 0x02 };
    unsigned int accepted = 0, agreed = 0;

    for (size_t i = 0; i < len; i++) {
        for (unsigned int v = 0; v < ARRAY_SIZE(values); v++) {
            uint8_t *c = malloc(len);
            memcpy(c, b, len);
            c[i] = values[v];
            int r = parse(c, len);
            check_result(r, c, len);
            /* Where libfdt finds the blob sound, our structural checks must
             * too -- within the versions we take (libfdt reads 2..17). */
            if ((fdt_version(c) == 16 || fdt_version(c) == 17) &&
                fdt_last_comp_version(c) <= 16 && fdt_check_full(c, len) == 0) {
                agreed++;
                for (unsigned int k = 0; k < nr_lines; k++)
                    if ((strncmp(lines[k], "header:", 7) == 0 ||
                         strncmp(lines[k], "structure:", 10) == 0) &&
                        !strstr(lines[k], "no root node"))  /* libfdt takes an empty tree */
                        fail_msg("byte %zu = %#x: libfdt accepts, we say %s", i, values[v], lines[k]);
            }
            accepted += r >= 0;
            free(c);
        }
    }
    assert_true(accepted > 0 && agreed > 0);
}

/* The hostile-blob tests run over a libfdt-built blob and the dtc-built example. */
static void over_samples(void (*test)(const uint8_t *b, size_t len))
{
    for (unsigned int which = 0; which < 2; which++) {
        size_t len;
        uint8_t *b = which == 0 ? valid_blob(&len)
                                : read_file(EXAMPLE_DTB_DIR "/two-guests.dtb", &len);
        test(b, len);
        free(b);
    }
}

static void every_truncation(void **state)
{
    (void)state;
    over_samples(truncations);
}

static void every_corrupt_byte(void **state)
{
    (void)state;
    over_samples(corruptions);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(docs_example),
        cmocka_unit_test(one_domain_defaults),
        cmocka_unit_test(all_properties),
        cmocka_unit_test(memory_u32_and_u64),
        cmocka_unit_test(empty_domains_and_extras),
        cmocka_unit_test(errors_name_node_and_property),
        cmocka_unit_test(module_lookup),
        cmocka_unit_test(privileged_rules),
        cmocka_unit_test(too_many_domains),
        cmocka_unit_test(check_memory),
        cmocka_unit_test(root_rules),
        cmocka_unit_test(bad_headers),
        cmocka_unit_test(bad_structure),
        cmocka_unit_test(deep_nesting_and_many_nodes),
        cmocka_unit_test(every_truncation),
        cmocka_unit_test(every_corrupt_byte),
    };
    return cmocka_run_group_tests_name("hv-boot-config", tests, NULL, NULL);
}
