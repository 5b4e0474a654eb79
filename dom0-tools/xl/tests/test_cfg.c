/* SPDX-License-Identifier: MIT */
/*
 * The xl.cfg parser (xl_cfg*.c): the grammar of xl.cfg(5), the typed PV
 * domain with xl's defaults, disk and vif specs, and the one-line messages
 * a user reads for every mistake (file, line, key).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "xl_cfg.h"

static char *err;               /* what the last call printed */
static struct xl_cfg cfg;
static struct xl_domain_config dc;

static int setup(void **state)
{
    (void)state;
    xl_cfg_init(&cfg);
    memset(&dc, 0, sizeof(dc));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    free(err);
    err = NULL;
    return 0;
}

/* Parse `text` as "t.cfg" into cfg; its messages land in err. */
static int parse(const char *text)
{
    size_t n;
    FILE *f;
    int rc;

    free(err);
    f = open_memstream(&err, &n);
    rc = xl_cfg_parse_string(&cfg, "t.cfg", text, strlen(text), f);
    fclose(f);
    return rc;
}

static int override(const char *arg, int pos)
{
    size_t n;
    FILE *f;
    int rc;

    free(err);
    f = open_memstream(&err, &n);
    rc = xl_cfg_parse_override(&cfg, arg, pos, f);
    fclose(f);
    return rc;
}

/* Parse `text` and build the domain from it. */
static int domain(const char *text)
{
    size_t n;
    FILE *f;
    int rc = parse(text);

    if (rc)
        return rc;
    free(err);
    f = open_memstream(&err, &n);
    rc = xl_cfg_domain(&cfg, &dc, f);
    fclose(f);
    return rc;
}

static const struct xl_cfg_value *val(const char *key)
{
    const struct xl_cfg_setting *s = xl_cfg_find(&cfg, key);

    assert_non_null(s);
    return &s->value;
}

#define MIN "name = \"g\"\nkernel = \"/k\"\n"

/* ---- The grammar ---- */

static void comments_quotes_and_separators(void **state)
{
    (void)state;
    assert_int_equal(parse("# a comment\n"
                           "\n"
                           "a = \"double\"   # after a value\n"
                           "b='single'; c = 42 ;d=0x1f\r\n"
                           "e = \"has # inside\"\n"
                           "  f_2 = -3"), 0);
    assert_string_equal(err, "");
    assert_int_equal(cfg.n, 6);
    assert_int_equal(val("a")->kind, XL_CFG_STRING);
    assert_string_equal(val("a")->text, "double");
    assert_string_equal(val("b")->text, "single");
    assert_int_equal(val("c")->kind, XL_CFG_NUMBER);
    assert_string_equal(val("c")->text, "42");
    assert_string_equal(val("d")->text, "0x1f");
    assert_string_equal(val("e")->text, "has # inside");
    assert_string_equal(val("f_2")->text, "-3");
    assert_int_equal(xl_cfg_find(&cfg, "b")->line, 4);
    assert_int_equal(xl_cfg_find(&cfg, "d")->line, 4);
    assert_int_equal(xl_cfg_find(&cfg, "f_2")->line, 6);
    assert_null(xl_cfg_find(&cfg, "g"));
}

static void escapes(void **state)
{
    (void)state;
    assert_int_equal(parse("a = \"q\\\"s\\'b\\\\n\\nt\\t\"\n"
                           "b = 'it\\'s'\n"
                           "c = \"\\x41\\102\\7\"\n"), 0);
    assert_string_equal(val("a")->text, "q\"s'b\\n\nt\t");
    assert_string_equal(val("b")->text, "it's");
    assert_string_equal(val("c")->text, "AB\a");

    assert_int_equal(parse("x = \"a\\qb\"\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:1: unknown escape after backslash (near '\"a\\q')\n");
    assert_int_equal(parse("x = \"\\x4\"\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:1: \\x needs two hex digits (near '\"\\x4')\n");
    assert_int_equal(parse("x = \"a\\0\"\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:1: a string may not contain a NUL (near '\"a\\0')\n");
    assert_int_equal(parse("x = \"\\777\"\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:1: octal escape is more than 0377 (near '\"\\777')\n");
}

static void lists_span_lines(void **state)
{
    (void)state;
    assert_int_equal(parse("disk = [\n"
                           "    'a,,xvda',   # the root\n"
                           "\n"
                           "    \"b,,xvdb\",\n"
                           "]\n"
                           "n = [ 1, [ 'x', [] ], ]\n"
                           "e = []\n"
                           "after = 1\n"), 0);
    const struct xl_cfg_value *d = val("disk");
    assert_int_equal(d->kind, XL_CFG_LIST);
    assert_int_equal(d->n, 2);
    assert_string_equal(d->items[0].text, "a,,xvda");
    assert_int_equal(d->items[0].line, 2);
    assert_string_equal(d->items[1].text, "b,,xvdb");
    assert_int_equal(d->items[1].line, 4);
    const struct xl_cfg_value *n = val("n");
    assert_int_equal(n->n, 2);
    assert_int_equal(n->items[1].kind, XL_CFG_LIST);
    assert_string_equal(n->items[1].items[0].text, "x");
    assert_int_equal(n->items[1].items[1].n, 0);
    assert_int_equal(val("e")->n, 0);
    assert_int_equal(xl_cfg_find(&cfg, "after")->line, 8);
}

static void last_wins_and_plus_equals(void **state)
{
    (void)state;
    assert_int_equal(parse("memory = 128\nmemory = 256\n"
                           "extra = \"a\"\nextra += \" b\"\n"
                           "disk = ['x']\ndisk += ['y', 'z']\n"
                           "fresh += 'new'\n"), 0);
    assert_string_equal(val("memory")->text, "256");
    assert_int_equal(xl_cfg_find(&cfg, "memory")->line, 2);
    assert_string_equal(val("extra")->text, "a b");
    assert_int_equal(val("disk")->n, 3);
    assert_string_equal(val("disk")->items[0].text, "x");
    assert_string_equal(val("disk")->items[2].text, "z");
    assert_string_equal(val("fresh")->text, "new");

    assert_int_equal(parse("s = 'a'\ns += ['b']\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:2: s: += adds a string to a string or a list to a list "
                             "(near 'end of line')\n");
}

static void overrides_come_after_the_file(void **state)
{
    (void)state;
    assert_int_equal(parse("memory = 128\nvcpus = 1\n"), 0);
    assert_int_equal(override("memory=512", 1), 0);
    assert_int_equal(override("extra='console=hvc0'; vcpus = 2", 2), 0);
    assert_string_equal(val("memory")->text, "512");
    assert_string_equal(xl_cfg_find(&cfg, "memory")->source, "command line");
    assert_string_equal(val("vcpus")->text, "2");
    assert_string_equal(val("extra")->text, "console=hvc0");

    /* A bad override is reported where it was given and adds nothing. */
    unsigned int before = cfg.n;
    assert_int_equal(override("name='x'; memory=", 3), -EINVAL);
    assert_string_equal(err, "command line:3: expected a value (near 'end of file')\n");
    assert_int_equal(cfg.n, before);
    assert_null(xl_cfg_find(&cfg, "name"));
}

/* Each syntax error: one line, its line number and the token. */
static void syntax_errors(void **state)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "a 1\n", "t.cfg:1: expected '=' after the key (near '1')\n" },
        { "\nname = debian\n", "t.cfg:2: expected a value (strings need quotes) (near 'debian')\n" },
        { "a = 'open\nb = 1\n", "t.cfg:1: unterminated string (near ''open')\n" },
        { "a = \"open", "t.cfg:1: unterminated string (near '\"open')\n" },
        { "a = 1 2\n", "t.cfg:1: expected the end of the setting (near '2')\n" },
        { "a = [ 1 2 ]\n", "t.cfg:1: expected ',' or ']' in a list (near '2')\n" },
        { "a = [ 1,\n 2\n", "t.cfg:3: expected ',' or ']' in a list (near 'end of file')\n" },
        { "a = [ , ]\n", "t.cfg:1: expected a value (near ',')\n" },
        { "@ = 1\n", "t.cfg:1: expected a setting KEY = VALUE (near '@')\n" },
        { "= 1\n", "t.cfg:1: expected a setting KEY = VALUE (near '=')\n" },
        { "1 = 1\n", "t.cfg:1: expected a setting KEY = VALUE (near '1')\n" },
        { "a = [[[[[[[[[1]]]]]]]]]\n", "t.cfg:1: lists nested more than 8 deep (near '[')\n" },
        { "a = \n", "t.cfg:1: expected a value (near 'end of line')\n" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].text), -EINVAL);
        assert_string_equal(err, cases[i].msg);
        assert_int_equal(cfg.n, 0);
    }
}

static void hostile_bytes(void **state)
{
    static const char nul[] = "a = 1\nb\0 = 2\n";
    static const char in_string[] = "a = 'x\0y'\n";
    size_t n;
    FILE *f;
    (void)state;

    free(err);
    f = open_memstream(&err, &n);
    assert_int_equal(xl_cfg_parse_string(&cfg, "t.cfg", nul, sizeof(nul) - 1, f), -EINVAL);
    assert_int_equal(xl_cfg_parse_string(&cfg, "t.cfg", in_string, sizeof(in_string) - 1, f),
                     -EINVAL);
    fclose(f);
    assert_string_equal(err, "t.cfg:2: expected '=' after the key (near '?')\n"
                             "t.cfg:1: a string may not contain a NUL (near ''x')\n");
    assert_int_equal(cfg.n, 0);
    /* Control characters in a message are shown as '?'. */
    assert_int_equal(parse("\x1b[2J = 1\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:1: expected a setting KEY = VALUE (near '?')\n");
}

static void files(void **state)
{
    char path[] = "/tmp/test_cfg_XXXXXX";
    int fd = mkstemp(path);
    size_t n;
    FILE *f;
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, MIN "memory = 64\n", strlen(MIN) + 12), (ssize_t)strlen(MIN) + 12);
    close(fd);
    free(err);
    f = open_memstream(&err, &n);
    assert_int_equal(xl_cfg_parse_file(&cfg, path, f), 0);
    assert_int_equal(xl_cfg_parse_file(&cfg, "/nonexistent/x.cfg", f), -ENOENT);
    fclose(f);
    assert_string_equal(err, "/nonexistent/x.cfg: cannot open: ENOENT: no such entry\n");
    assert_string_equal(xl_cfg_find(&cfg, "memory")->source, path);

    /* A file over the limit is refused whole. */
    fd = open(path, O_WRONLY | O_TRUNC);
    char *big = malloc(XL_CFG_MAX_BYTES + 2);
    memset(big, '\n', XL_CFG_MAX_BYTES + 2);
    assert_int_equal(write(fd, big, XL_CFG_MAX_BYTES + 2), XL_CFG_MAX_BYTES + 2);
    close(fd);
    free(big);
    free(err);
    f = open_memstream(&err, &n);
    assert_int_equal(xl_cfg_parse_file(&cfg, path, f), -EFBIG);
    fclose(f);
    if (!strstr(err, ": larger than 1048576 bytes: EFBIG"))
        fail_msg("%s", err);
    unlink(path);
}

static void limits(void **state)
{
    size_t n = XL_CFG_MAX_SETTINGS + 1;
    char *text = malloc(n * 4 + 1);
    (void)state;

    for (size_t i = 0; i < n; i++)
        memcpy(text + i * 4, "a=1\n", 4);
    text[n * 4] = '\0';
    assert_int_equal(parse(text), -EINVAL);
    assert_string_equal(err, "t.cfg:4097: more than 4096 settings (near 'end of line')\n");
    assert_int_equal(cfg.n, 0);
    text[(n - 1) * 4] = '\0';
    assert_int_equal(parse(text), 0);
    assert_int_equal(cfg.n, XL_CFG_MAX_SETTINGS);
    free(text);
}

/* Mangled configs: whatever the bytes, the parser and the domain builder
 * either succeed or print exactly one error line (warnings aside), and
 * ASan/UBSan see nothing wrong. */
static void mangled_configs(void **state)
{
    static const char base[] =
        "name = \"debian\"\nkernel = '/boot/vmlinuz'\nmemory = 256\n"
        "disk = [ 'phy:/dev/vg/root,xvda,w', ]\nvif = [ 'mac=00:16:3e:00:00:01' ]\n"
        "extra = \"console=hvc0 \\x41\"\nuuid = '12345678-9abc-def0-1234-56789abcdef0'\n";
    static const char alphabet[] = "\"'[],;=#\\\n x0a-+:/\t\0\xff";
    char text[sizeof(base)];
    unsigned int seed = 12345, failed = 0;
    (void)state;

    for (int round = 0; round < 3000; round++) {
        memcpy(text, base, sizeof(base));
        for (int k = 0; k < 1 + round % 4; k++) {
            seed = seed * 1103515245 + 12345;
            size_t at = (seed >> 8) % (sizeof(base) - 1);
            seed = seed * 1103515245 + 12345;
            text[at] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
        }
        size_t n;
        FILE *f = open_memstream(&err, &n);
        int rc = xl_cfg_parse_string(&cfg, "m.cfg", text, sizeof(base) - 1, f);
        if (!rc)
            rc = xl_cfg_domain(&cfg, &dc, f);
        fclose(f);
        assert_true(rc == 0 || rc == -EINVAL);
        size_t errors = 0;
        for (char *line = err; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
            errors += strncmp(strchr(line, ' ') ? strchr(line, ' ') + 1 : line, "warning:", 8) != 0;
        assert_int_equal(errors, rc ? 1 : 0);
        failed += rc != 0;
        xl_domain_config_free(&dc);
        xl_cfg_free(&cfg);
        free(err);
        err = NULL;
    }
    /* Both outcomes were exercised. */
    assert_in_range(failed, 300, 2950);
}

/* ---- The domain ---- */

static void debian_example(void **state)
{
    (void)state;
    assert_int_equal(domain("name = \"debian\"\n"
                            "type = \"pv\"\n"
                            "kernel = \"/boot/vmlinuz\"\n"
                            "ramdisk = \"/boot/initrd-guest.gz\"\n"
                            "extra = \"console=hvc0\"\n"
                            "memory = 256\n"
                            "vcpus = 1\n"
                            "on_poweroff = \"destroy\"\n"
                            "on_reboot = \"restart\"\n"
                            "on_crash = \"destroy\"\n"), 0);
    assert_string_equal(err, "");
    assert_string_equal(dc.name, "debian");
    assert_string_equal(dc.kernel, "/boot/vmlinuz");
    assert_string_equal(dc.ramdisk, "/boot/initrd-guest.gz");
    assert_string_equal(dc.cmdline, "console=hvc0");
    assert_int_equal(dc.memory_mib, 256);
    assert_int_equal(dc.maxmem_mib, 256);
    assert_int_equal(dc.vcpus, 1);
    assert_int_equal(dc.maxvcpus, 1);
    assert_int_equal(dc.on_poweroff, XL_ACTION_DESTROY);
    assert_int_equal(dc.on_reboot, XL_ACTION_RESTART);
    assert_int_equal(dc.on_crash, XL_ACTION_DESTROY);
    assert_false(dc.have_uuid);
    assert_int_equal(dc.n_disks, 0);
    assert_int_equal(dc.n_vifs, 0);
}

static void defaults(void **state)
{
    (void)state;
    assert_int_equal(domain(MIN), 0);
    assert_string_equal(err, "");
    assert_int_equal(dc.memory_mib, 32);
    assert_int_equal(dc.maxmem_mib, 32);
    assert_int_equal(dc.vcpus, 1);
    assert_int_equal(dc.maxvcpus, 1);
    assert_null(dc.ramdisk);
    assert_string_equal(dc.cmdline, "");
    assert_int_equal(dc.on_poweroff, XL_ACTION_DESTROY);
    assert_int_equal(dc.on_reboot, XL_ACTION_RESTART);
    assert_int_equal(dc.on_crash, XL_ACTION_DESTROY);
    assert_string_equal(xl_action_name(dc.on_reboot), "restart");
}

static void sizes_and_numbers(void **state)
{
    (void)state;
    assert_int_equal(domain(MIN "memory = 0x100\nmaxmem = 0400\nvcpus = 2\nmaxvcpus = 32\n"), 0);
    assert_int_equal(dc.memory_mib, 256);
    assert_int_equal(dc.maxmem_mib, 256);       /* octal 0400 */
    assert_int_equal(dc.vcpus, 2);
    assert_int_equal(dc.maxvcpus, 32);
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    /* A quoted number is a number, as in libxlutil. */
    assert_int_equal(domain(MIN "memory = '512'\n"), 0);
    assert_int_equal(dc.memory_mib, 512);
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    assert_int_equal(domain(MIN "vcpus = 4\n"), 0);
    assert_int_equal(dc.maxvcpus, 4);
}

/* Every error in a typed value: file, line, key, what is wrong. */
static void value_errors(void **state)
{
    static const struct { const char *text, *msg; } cases[] = {
        { MIN "memory = 'lots'\n", "t.cfg:3: memory: 'lots' is not a number of MiB\n" },
        { MIN "memory = 12abc\n", "t.cfg:3: memory: '12abc' is not a number of MiB\n" },
        { MIN "memory = -5\n", "t.cfg:3: memory: '-5' is not a number of MiB\n" },
        { MIN "memory = 0\n", "t.cfg:3: memory: 0 MiB is out of range (1 to 4194304)\n" },
        { MIN "memory = 99999999999999999999\n",
          "t.cfg:3: memory: '99999999999999999999' is not a number of MiB\n" },
        { MIN "memory = 256\nmaxmem = 128\n",
          "t.cfg:4: maxmem: 128 MiB is less than memory (256 MiB)\n" },
        { MIN "vcpus = 33\n", "t.cfg:3: vcpus: 33 vCPUs is out of range (1 to 32)\n" },
        { MIN "vcpus = 0\n", "t.cfg:3: vcpus: 0 vCPUs is out of range (1 to 32)\n" },
        { MIN "vcpus = 4\nmaxvcpus = 2\n", "t.cfg:4: maxvcpus: 2 is less than vcpus (4)\n" },
        { MIN "memory = [1]\n", "t.cfg:3: memory: expected a single value, not a list\n" },
        { "kernel = '/k'\n", "t.cfg: name: missing (every domain needs a name=)\n" },
        { "name = ''\nkernel = '/k'\n", "t.cfg:1: name: empty\n" },
        { "name = 'abcdefghijklmnopqrstuvwxyz012345'\nkernel = '/k'\n",
          "t.cfg:1: name: 'abcdefghijklmnopqrstuvwxyz012345' is longer than 31 characters\n" },
        { "name = 'a\\tb'\nkernel = '/k'\n",
          "t.cfg:1: name: 'a?b' has a character that is not printable ASCII\n" },
        { "name = '42'\nkernel = '/k'\n",
          "t.cfg:1: name: '42' is a number, which xl would read as a domain id\n" },
        { "name = 'g'\n", "t.cfg: kernel: missing (a PV guest boots the kernel= it is given)\n" },
        { "name = 'g'\nkernel = ''\n",
          "t.cfg:2: kernel: missing (a PV guest boots the kernel= it is given)\n" },
        { MIN "type = 'hvm'\n", "t.cfg:3: type: hvm guests are not supported by Mica (PV only)\n" },
        { MIN "type = 'pvh'\n", "t.cfg:3: type: pvh guests are not supported by Mica (PV only)\n" },
        { MIN "type = 'xx'\n", "t.cfg:3: type: 'xx' is not pv, pvh or hvm\n" },
        { MIN "builder = 'hvm'\n",
          "t.cfg:3: builder: HVM guests are not supported by Mica (PV only)\n" },
        { MIN "on_crash = 'explode'\n",
          "t.cfg:3: on_crash: 'explode' is not an action (destroy, restart, rename-restart, "
          "preserve, coredump-destroy, coredump-restart or soft-reset)\n" },
        { MIN "uuid = '1234'\n",
          "t.cfg:3: uuid: '1234' is not a UUID like 12345678-9abc-def0-1234-56789abcdef0\n" },
        { MIN "uuid = '12345678-9abc-def0-1234-56789abcdef01'\n",
          "t.cfg:3: uuid: '12345678-9abc-def0-1234-56789abcdef01' is not a UUID like "
          "12345678-9abc-def0-1234-56789abcdef0\n" },
        { MIN "uuid = '12345678-9abc-def0-1234_56789abcdef0'\n",
          "t.cfg:3: uuid: '12345678-9abc-def0-1234_56789abcdef0' is not a UUID like "
          "12345678-9abc-def0-1234-56789abcdef0\n" },
        { MIN "bootloader = 'pygrub'\n",
          "t.cfg:3: bootloader: bootloader is not supported: give kernel=\n" },
        { MIN "pci = ['01:00.0']\n", "t.cfg:3: pci: PCI passthrough is not supported by Mica\n" },
        { MIN "e820_host = 1\n",
          "t.cfg:3: e820_host: the host's memory map is not given to guests by Mica\n" },
        { MIN "disk = '/d,,xvda'\n", "t.cfg:3: disk: expected a list [ '...', ... ]\n" },
        { MIN "vif = [ 1 ]\n", "t.cfg:3: vif: item 1 is not a quoted string\n" },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(domain(cases[i].text), -EINVAL);
        assert_string_equal(err, cases[i].msg);
        xl_domain_config_free(&dc);
        xl_cfg_free(&cfg);
    }
}

static void unknown_and_ignored_keys(void **state)
{
    (void)state;
    assert_int_equal(domain(MIN "foo = 1\ncpus = 'all'\nacpi = 1\nfoo = 2\n"
                            "bootloader = ''\npci = []\ne820_host = 0\n"), 0);
    assert_string_equal(err, "t.cfg:4: warning: cpus is not supported by Mica, ignored\n"
                             "t.cfg:5: warning: acpi applies to HVM guests only, ignored\n"
                             "t.cfg:6: warning: unknown key 'foo' ignored\n");
}

static void command_lines(void **state)
{
    (void)state;
    assert_int_equal(domain(MIN "root = '/dev/xvda1 ro'\nextra = 'console=hvc0'\n"), 0);
    assert_string_equal(dc.cmdline, "root=/dev/xvda1 ro console=hvc0");
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    assert_int_equal(domain(MIN "root = '/dev/xvda1'\n"), 0);
    assert_string_equal(dc.cmdline, "root=/dev/xvda1");
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    assert_int_equal(domain(MIN "root = 'r'\ncmdline = 'quiet'\nextra = 'x'\n"), 0);
    assert_string_equal(dc.cmdline, "quiet");
    assert_string_equal(err, "t.cfg:4: warning: root= and extra= ignored in favour of cmdline=\n");
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);

    /* start_info holds 1024 bytes with the NUL. */
    char text[1200];
    snprintf(text, sizeof(text), MIN "extra = '%01023d'\n", 0);
    assert_int_equal(domain(text), 0);
    assert_int_equal(strlen(dc.cmdline), 1023);
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    snprintf(text, sizeof(text), MIN "extra = '%01024d'\n", 0);
    assert_int_equal(domain(text), -EINVAL);
    assert_string_equal(err, "t.cfg:3: extra: the command line is 1024 bytes; "
                             "the guest takes at most 1023\n");
}

static void uuid(void **state)
{
    static const uint8_t want[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                                      0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0 };
    (void)state;
    assert_int_equal(domain(MIN "uuid = '12345678-9ABC-def0-1234-56789abcdef0'\n"), 0);
    assert_true(dc.have_uuid);
    assert_memory_equal(dc.uuid, want, 16);
}

/* ---- Devices ---- */

static void vdev_numbers(void **state)
{
    static const struct { const char *vdev; uint32_t devid; } ok[] = {
        { "xvda", 51712 }, { "xvdb", 51728 }, { "xvda1", 51713 }, { "xvdp15", 51967 },
        { "xvdq", (1u << 28) | (16 << 8) }, { "xvda16", (1u << 28) | 16 },
        { "xvdaa", (1u << 28) | (26 << 8) }, { "xvdtq37", (1u << 28) | (536 << 8) | 37 },
        { "d0", 51712 }, { "d1p2", 51730 }, { "d536p37", (1u << 28) | (536 << 8) | 37 },
        { "sda", 2048 }, { "sdb3", 2067 }, { "hda", 768 }, { "hdb", 832 }, { "hdc2", 5634 },
        { "hdd", 5696 }, { "51712", 51712 }, { "0xca00", 51712 },
    };
    static const char *const bad[] = {
        "", "xvd", "xvdA", "xvda01", "xvda256", "sdq", "hde", "hda64", "d", "dp1", "d01",
        "d1p", "vda", "0", "536870912", "xvda-1", "12abc",
    };
    uint32_t devid;
    (void)state;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        devid = 0;
        assert_int_equal(xl_vdev_to_devid(ok[i].vdev, &devid), 0);
        assert_int_equal(devid, ok[i].devid);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(xl_vdev_to_devid(bad[i], &devid), -EINVAL);
}

static int disk(const char *spec, struct xl_disk *d)
{
    size_t n;
    FILE *f;
    int rc;

    free(err);
    f = open_memstream(&err, &n);
    rc = xl_cfg_disk(spec, "t.cfg:9", d, f);
    fclose(f);
    return rc;
}

static void disk_specs(void **state)
{
    /* xl-disk-configuration(5)'s equivalent forms, and xend's. */
    static const char *const same[] = {
        "/dev/vg/guest-volume,,xvda",
        "/dev/vg/guest-volume,raw,xvda,rw",
        "format=raw, vdev=xvda, access=rw, target=/dev/vg/guest-volume",
        "raw:/dev/vg/guest-volume,xvda,w",
        "phy:/dev/vg/guest-volume,xvda,w",
        "tap:aio:/dev/vg/guest-volume,xvda,w",
        "vdev=xvda,target=/dev/vg/guest-volume",
    };
    struct xl_disk d;
    (void)state;

    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        int rc = disk(same[i], &d);
        if (rc)
            fprintf(stderr, "%s: %s", same[i], err);
        assert_int_equal(rc, 0);
        assert_string_equal(d.spec, same[i]);
        assert_string_equal(d.target, "/dev/vg/guest-volume");
        assert_string_equal(d.vdev, "xvda");
        assert_int_equal(d.devid, 51712);
        assert_int_equal(d.format, XL_DISK_FORMAT_RAW);
        assert_true(d.readwrite);
        assert_false(d.cdrom);
        xl_disk_free(&d);
    }

    assert_int_equal(disk("/root/image.iso,,xvdb,cdrom", &d), 0);
    assert_true(d.cdrom);
    assert_false(d.readwrite);          /* a cdrom is read-only unless told */
    assert_int_equal(d.devid, 51728);
    xl_disk_free(&d);
    assert_int_equal(disk("/img,,xvdb,ro,backend=0,backendtype=qdisk,discard,trusted", &d), 0);
    assert_false(d.readwrite);
    assert_string_equal(d.backend, "0");
    assert_string_equal(d.backendtype, "qdisk");
    assert_int_equal(d.discard, 1);
    assert_int_equal(d.trusted, 1);
    xl_disk_free(&d);
    assert_int_equal(disk(",,hdc,cdrom", &d), 0);
    assert_string_equal(d.target, "");
    assert_int_equal(d.format, XL_DISK_FORMAT_EMPTY);
    xl_disk_free(&d);
    assert_int_equal(disk(",hdc:cdrom,r", &d), 0);
    assert_true(d.cdrom);
    assert_string_equal(d.vdev, "hdc");
    xl_disk_free(&d);
    assert_int_equal(disk("vdev=xvdc, target=/a,b c,", &d), 0);
    assert_string_equal(d.target, "/a,b c");
    xl_disk_free(&d);
    assert_int_equal(disk("iscsi:iqn.x,xvdd,w", &d), 0);
    assert_string_equal(d.script, "block-iscsi");
    assert_string_equal(d.target, "iqn.x");
    xl_disk_free(&d);
}

static void disk_errors(void **state)
{
    static const struct { const char *spec, *msg; } cases[] = {
        { "/d.img,xvda,w", "t.cfg:9: disk: 'xvda' is in the format field (write 'TARGET,,xvda' or "
                           "'TARGET,raw,xvda')\n" },
        { "/d.img", "t.cfg:9: disk: no vdev in '/d.img' (give e.g. ',,xvda' or vdev=xvda)\n" },
        { "/d.img,,vda", "t.cfg:9: disk: 'vda' is not a vdev name (xvda, xvdb2, d0p1, sda, hda "
                         "or a number)\n" },
        { ",,xvda", "t.cfg:9: disk: no target in ',,xvda' (only a cdrom may be empty)\n" },
        { "/d,,xvda,rw,extra", "t.cfg:9: disk: too many positional parameters at 'extra'\n" },
        { "/d,,xvda,rwx", "t.cfg:9: disk: unknown access 'rwx' (r, ro, w or rw)\n" },
        { "/d,vmdk,xvda", "t.cfg:9: disk: unknown format 'vmdk' (raw, qcow, qcow2, vhd, qed or "
                          "empty)\n" },
        { "/d,,xvda,mode=w", "t.cfg:9: disk: unknown parameter 'mode'\n" },
        { "/d,,xvda,devtype=floppy", "t.cfg:9: disk: unknown devtype 'floppy' (cdrom or disk)\n" },
        { "vdev=xvda,vdev=xvdb,target=/d", "t.cfg:9: disk: vdev given twice ('xvdb')\n" },
        { "foo:/d,xvda,w", "t.cfg:9: disk: unknown prefix 'foo:'\n" },
        { "/d,,xvda,colo", "t.cfg:9: disk: 'colo' is not supported by Mica\n" },
        { "/d,raw,xvda,format=qcow2", "t.cfg:9: disk: format given twice\n" },
    };
    struct xl_disk d;
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(disk(cases[i].spec, &d), -EINVAL);
        assert_string_equal(err, cases[i].msg);
        xl_disk_free(&d);
    }
}

static void disks_in_a_domain(void **state)
{
    (void)state;
    assert_int_equal(domain(MIN "disk = [ 'phy:/dev/vg/root,xvda1,w',\n"
                            "         '/srv/data.img,,xvdb' ]\n"), 0);
    assert_int_equal(dc.n_disks, 2);
    assert_int_equal(dc.disks[0].devid, 51713);
    assert_int_equal(dc.disks[0].line, 3);
    assert_string_equal(dc.disks[1].target, "/srv/data.img");
    assert_int_equal(dc.disks[1].devid, 51728);
    assert_int_equal(dc.disks[1].line, 4);
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);

    assert_int_equal(domain(MIN "disk = [ '/a,,xvda',\n '/b,,xvdb,access=x' ]\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:4: disk: unknown access 'x' (r, ro, w or rw)\n");
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    assert_int_equal(domain(MIN "disk = [ '/a,,xvda', '/b,,51712' ]\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:3: disk: vdev '51712' is the same device as 'xvda'\n");
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    assert_int_equal(domain(MIN "disk = [ '/a,qcow2,xvda' ]\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:3: disk: '/a,qcow2,xvda': only raw images are supported "
                             "by Mica\n");
    xl_domain_config_free(&dc);
    xl_cfg_free(&cfg);
    assert_int_equal(domain(MIN "disk = [ '/a,,xvda,backend=dd' ]\n"), -EINVAL);
    assert_string_equal(err, "t.cfg:3: disk: '/a,,xvda,backend=dd': back ends run in dom0 only "
                             "on Mica\n");
}

static void vifs(void **state)
{
    static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x74, 0x3d, 0x76 };
    (void)state;
    assert_int_equal(domain(MIN "vif = [ 'mac=00:16:3E:74:3d:76, bridge=xenbr0,ip=10.0.0.2',\n"
                            " '', 'vifname=v1,script=vif-route,rate=10Mb/s@20ms,mtu=9000',\n"
                            " 'devid=7,type=vif,model=e1000,untrusted' ]\n"), 0);
    assert_int_equal(dc.n_vifs, 4);
    assert_true(dc.vifs[0].have_mac);
    assert_memory_equal(dc.vifs[0].mac, mac, 6);
    assert_string_equal(dc.vifs[0].bridge, "xenbr0");
    assert_string_equal(dc.vifs[0].ip, "10.0.0.2");
    assert_int_equal(dc.vifs[0].devid, 0);
    assert_int_equal(dc.vifs[0].mtu, 0);
    assert_int_equal(dc.vifs[0].trusted, -1);
    assert_false(dc.vifs[1].have_mac);      /* '': every default */
    assert_null(dc.vifs[1].bridge);
    assert_int_equal(dc.vifs[1].devid, 1);
    assert_int_equal(dc.vifs[1].line, 4);
    assert_string_equal(dc.vifs[2].spec, "vifname=v1,script=vif-route,rate=10Mb/s@20ms,mtu=9000");
    assert_string_equal(dc.vifs[2].vifname, "v1");
    assert_string_equal(dc.vifs[2].script, "vif-route");
    assert_string_equal(dc.vifs[2].rate, "10Mb/s@20ms");
    assert_int_equal(dc.vifs[2].mtu, 9000);
    assert_int_equal(dc.vifs[2].devid, 2);
    assert_int_equal(dc.vifs[3].devid, 7);
    assert_int_equal(dc.vifs[3].trusted, 0);
    assert_string_equal(dc.vifs[3].type, "vif");
    assert_string_equal(dc.vifs[3].model, "e1000");
}

static void vif_errors(void **state)
{
    static const struct { const char *text, *msg; } cases[] = {
        { "vif = [ 'mac=00:16:3e:74:3d' ]\n", "t.cfg:3: vif: mac '00:16:3e:74:3d' is not six hex "
                                             "pairs like 00:16:3e:12:34:56\n" },
        { "vif = [ 'mac=00:16:3e:74:3d:7g' ]\n", "t.cfg:3: vif: mac '00:16:3e:74:3d:7g' is not "
                                                "six hex pairs like 00:16:3e:12:34:56\n" },
        { "vif = [ 'mtu=20' ]\n", "t.cfg:3: vif: mtu '20' is not a number from 68 to 65535\n" },
        { "vif = [ 'rate=fast' ]\n", "t.cfg:3: vif: rate 'fast' is not like 10Mb/s or "
                                    "1MB/s@20ms\n" },
        { "vif = [ 'colour=blue' ]\n", "t.cfg:3: vif: unknown parameter 'colour'\n" },
        { "vif = [ 'bridge' ]\n", "t.cfg:3: vif: 'bridge' is not KEY=VALUE\n" },
        { "vif = [ 'type=tap' ]\n", "t.cfg:3: vif: type 'tap' is not vif or ioemu\n" },
        { "vif = [ 'devid=1', '' ]\n", "t.cfg:3: vif: devid 1 is used twice\n" },
        { "vif = [\n'',\n'accel=x' ]\n", "t.cfg:5: vif: 'accel' is not supported by Mica\n" },
    };
    char text[200];
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), MIN "%s", cases[i].text);
        assert_int_equal(domain(text), -EINVAL);
        assert_string_equal(err, cases[i].msg);
        xl_domain_config_free(&dc);
        xl_cfg_free(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(comments_quotes_and_separators, setup, teardown),
        cmocka_unit_test_setup_teardown(escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(lists_span_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(last_wins_and_plus_equals, setup, teardown),
        cmocka_unit_test_setup_teardown(overrides_come_after_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(hostile_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(files, setup, teardown),
        cmocka_unit_test_setup_teardown(limits, setup, teardown),
        cmocka_unit_test_setup_teardown(mangled_configs, setup, teardown),
        cmocka_unit_test_setup_teardown(debian_example, setup, teardown),
        cmocka_unit_test_setup_teardown(defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(sizes_and_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(value_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_and_ignored_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(command_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(uuid, setup, teardown),
        cmocka_unit_test_setup_teardown(vdev_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(disk_specs, setup, teardown),
        cmocka_unit_test_setup_teardown(disk_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(disks_in_a_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(vifs, setup, teardown),
        cmocka_unit_test_setup_teardown(vif_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
