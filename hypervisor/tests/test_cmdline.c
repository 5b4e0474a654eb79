/* SPDX-License-Identifier: MIT */
/*
 * Host tests of the hypervisor command line: every option, sizes with and
 * without suffixes, bad values and unknown options (warned, never fatal),
 * and hostile strings (huge numbers, stray '=', long tokens, whitespace).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <mica/cmdline.h>
#include <mica/string.h>

static struct boot_options o;

static void defaults(void **state)
{
    (void)state;
    cmdline_parse("", &o);
    assert_true(o.console_serial);
    assert_int_equal(o.loglvl, LOG_INFO);
    assert_int_equal(o.mem_max, 0);
    assert_false(o.dom0_mem.set);
    assert_int_equal(o.debug_fault, DEBUG_FAULT_NONE);
    assert_int_equal(o.nr_warnings, 0);
    cmdline_parse(NULL, &o);
    assert_int_equal(o.nr_warnings, 0);
}

static void every_option(void **state)
{
    (void)state;
    cmdline_parse("console=none loglvl=debug mem=1G dom0_mem=512M,max:1G,min:256M "
                  "debug_fault=gp", &o);
    assert_int_equal(o.nr_warnings, 0);
    assert_false(o.console_serial);
    assert_int_equal(o.loglvl, LOG_DEBUG);
    assert_int_equal(o.mem_max, 1ULL << 30);
    assert_int_equal(o.dom0_mem.bytes, 512ULL << 20);
    assert_int_equal(o.dom0_mem_max.bytes, 1ULL << 30);
    assert_int_equal(o.dom0_mem_min.bytes, 256ULL << 20);
    assert_true(o.dom0_mem.set && o.dom0_mem_max.set && o.dom0_mem_min.set);
    assert_int_equal(o.debug_fault, DEBUG_FAULT_GP);
    /* Kept whole for XENVER_commandline. */
    assert_string_equal(cmdline_saved(), "console=none loglvl=debug mem=1G "
                        "dom0_mem=512M,max:1G,min:256M debug_fault=gp");
}

/* Xen's dom0_mem= amounts: negative (all available but), a share in
 * percent with an optional offset, and the junk that is refused. */
static void dom0_mem_forms(void **state)
{
    const uint64_t avail = 2000ULL << 20;
    (void)state;

    cmdline_parse("dom0_mem=-512M,max:25%,min:1G+10%", &o);
    assert_int_equal(o.nr_warnings, 0);
    assert_int_equal(dom0_size_resolve(&o.dom0_mem, avail), 1488ULL << 20);
    assert_int_equal(dom0_size_resolve(&o.dom0_mem_max, avail), 500ULL << 20);
    assert_int_equal(dom0_size_resolve(&o.dom0_mem_min, avail), 1224ULL << 20);
    cmdline_parse("dom0_mem=-3G", &o);
    assert_int_equal(dom0_size_resolve(&o.dom0_mem, avail), 0);     /* not below nothing */
    cmdline_parse("dom0_mem=-10%", &o);
    assert_int_equal(dom0_size_resolve(&o.dom0_mem, avail), 1800ULL << 20);
    const char *bad[] = { "dom0_mem=100%", "dom0_mem=%", "dom0_mem=1G+", "dom0_mem=1G+%",
                          "dom0_mem=+5%", "dom0_mem=-", "dom0_mem=5x%", "dom0_mem=1G+2G" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cmdline_parse(bad[i], &o);
        assert_int_equal(o.nr_warnings, 1);
        assert_false(o.dom0_mem.set);
    }
}

/* A line longer than Xen's 1024-byte xen_commandline_t is cut, terminated. */
static void saved_line_is_cut_to_xens_size(void **state)
{
    static char line[2000];
    (void)state;
    memset(line, 'x', sizeof(line) - 1);
    memcpy(line, "loglvl=info ", 12);
    cmdline_parse(line, &o);
    assert_int_equal(strlen(cmdline_saved()), CMDLINE_SAVED_LEN - 1);
    assert_memory_equal(cmdline_saved(), line, CMDLINE_SAVED_LEN - 1);
    cmdline_parse(NULL, &o);
    assert_string_equal(cmdline_saved(), "");
}

static void loglvl_forms(void **state)
{
    (void)state;
    const char *in[] = { "loglvl=err", "loglvl=warn", "loglvl=info", "loglvl=debug",
                         "loglvl=0", "loglvl=3", "loglvl=all" };
    const enum log_level want[] = { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG,
                                    LOG_ERR, LOG_DEBUG, LOG_DEBUG };
    for (unsigned int i = 0; i < ARRAY_SIZE(in); i++) {
        cmdline_parse(in[i], &o);
        assert_int_equal(o.loglvl, want[i]);
        assert_int_equal(o.nr_warnings, 0);
    }
}

static void sizes(void **state)
{
    (void)state;
    uint64_t v;

    assert_true(parse_size("4", 1, &v));
    assert_int_equal(v, 4096);                  /* bare number: KiB, as Xen */
    assert_true(parse_size("4096b", 5, &v));
    assert_int_equal(v, 4096);
    assert_true(parse_size("3k", 2, &v));
    assert_int_equal(v, 3072);
    assert_true(parse_size("2M", 2, &v));
    assert_int_equal(v, 2ULL << 20);
    assert_true(parse_size("2g", 2, &v));
    assert_int_equal(v, 2ULL << 30);
    assert_true(parse_size("1T", 2, &v));
    assert_int_equal(v, 1ULL << 40);
    assert_false(parse_size("", 0, &v));
    assert_false(parse_size("M", 1, &v));
    assert_false(parse_size("12Q", 3, &v));
    assert_false(parse_size("1MB", 3, &v));
    assert_false(parse_size("-1M", 3, &v));
    assert_false(parse_size("99999999999999999999", 20, &v));     /* overflow */
    assert_false(parse_size("17179869184T", 12, &v));              /* 2^34 TiB */
    assert_true(parse_size("16777215T", 9, &v));                   /* fits */
}

static void unknown_options_warn(void **state)
{
    (void)state;
    cmdline_parse("loglvl=warn frobnicate=1 noreboot mem=1G", &o);
    assert_int_equal(o.nr_warnings, 2);
    assert_string_equal(o.warnings[0], "unknown option 'frobnicate=1', ignored");
    assert_string_equal(o.warnings[1], "unknown option 'noreboot', ignored");
    /* The good options around them still apply. */
    assert_int_equal(o.loglvl, LOG_WARN);
    assert_int_equal(o.mem_max, 1ULL << 30);
}

static void bad_values_keep_defaults(void **state)
{
    (void)state;
    cmdline_parse("console=vga loglvl=9 mem=lots mem=1M dom0_mem=max: "
                  "debug_fault=boom loglvl", &o);
    assert_int_equal(o.nr_warnings, 7);
    assert_true(o.console_serial);
    assert_int_equal(o.loglvl, LOG_INFO);
    assert_int_equal(o.mem_max, 0);             /* 1M is too small to boot */
    assert_false(o.dom0_mem.set);
    assert_int_equal(o.debug_fault, DEBUG_FAULT_NONE);
    assert_string_equal(o.warnings[0], "bad value in option 'console=vga', ignored");
    assert_string_equal(o.warnings[6], "bad value in option 'loglvl', ignored");
}

static void whitespace_and_leading_path(void **state)
{
    (void)state;
    cmdline_parse("/boot/mica   \tloglvl=err\t  mem=2G  ", &o);
    assert_int_equal(o.nr_warnings, 0);
    assert_int_equal(o.loglvl, LOG_ERR);
    assert_int_equal(o.mem_max, 2ULL << 30);
    /* Only a leading path is skipped; one later is an unknown option. */
    cmdline_parse("loglvl=err /boot/mica", &o);
    assert_int_equal(o.nr_warnings, 1);
}

static void hostile_strings(void **state)
{
    (void)state;
    char longtok[4000];

    memset(longtok, 'x', sizeof(longtok) - 1);
    longtok[sizeof(longtok) - 1] = '\0';
    longtok[5] = '=';
    cmdline_parse(longtok, &o);
    assert_int_equal(o.nr_warnings, 1);
    assert_true(strlen(o.warnings[0]) < CMDLINE_WARNING_LEN);

    cmdline_parse("= == =x mem= =mem mem==1G", &o);
    assert_int_equal(o.mem_max, 0);
    assert_true(o.nr_warnings >= 5);

    /* More warnings than slots: counted, never overflowed. */
    cmdline_parse("a b c d e f g h i j k l", &o);
    assert_int_equal(o.nr_warnings, CMDLINE_MAX_WARNINGS);
    assert_int_equal(o.warnings_dropped, 12 - CMDLINE_MAX_WARNINGS);
}

static void last_one_wins(void **state)
{
    (void)state;
    cmdline_parse("loglvl=err loglvl=debug mem=1G mem=2G", &o);
    assert_int_equal(o.loglvl, LOG_DEBUG);
    assert_int_equal(o.mem_max, 2ULL << 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(every_option),
        cmocka_unit_test(saved_line_is_cut_to_xens_size),
        cmocka_unit_test(dom0_mem_forms),
        cmocka_unit_test(loglvl_forms),
        cmocka_unit_test(sizes),
        cmocka_unit_test(unknown_options_warn),
        cmocka_unit_test(bad_values_keep_defaults),
        cmocka_unit_test(whitespace_and_leading_path),
        cmocka_unit_test(hostile_strings),
        cmocka_unit_test(last_one_wins),
    };
    return cmocka_run_group_tests_name("hv-cmdline", tests, NULL, NULL);
}
