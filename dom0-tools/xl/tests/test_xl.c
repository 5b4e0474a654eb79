/* SPDX-License-Identifier: MIT */
/*
 * xl and libmica against the fake hypervisor (fake_hv.c): each test runs
 * xl_main() on a command line and reads what a user would read -- Xen's
 * columns and formats, one-line errors, exit statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include <abi/sched.h>

#include "fake_hv.h"
#include "xl.h"

static char *out, *err;

/* Run "xl <args...>"; its stdout and stderr land in out and err. */
static int xl(const char *first, ...)
{
    char *argv[16] = { "xl" };
    int argc = 1;
    va_list ap;
    size_t no, ne;

    va_start(ap, first);
    for (const char *a = first; a && argc < 15; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    free(out), free(err);
    struct xl x = { .m = fake_open(), .out = open_memstream(&out, &no),
                    .err = open_memstream(&err, &ne) };
    int rc = xl_main(&x, argc, argv);
    fclose(x.out), fclose(x.err);
    mica_close(x.m);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    fake_reset();
    fake_add(0, "Domain-0", 131072, 2, MICA_DOMINF_running | MICA_DOMINF_privileged);
    fake_add(3, "guest", 16384, 1, MICA_DOMINF_blocked);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(out), free(err);
    out = err = NULL;
    return 0;
}

static void list_prints_xens_columns(void **state)
{
    (void)state;
    assert_int_equal(xl("list", NULL), 0);
    assert_string_equal(out,
        "Name                                        ID   Mem VCPUs\tState\tTime(s)\n"
        "Domain-0                                     0   512     2     r-----       1.5\n"
        "guest                                        3    64     1     -b----       6.0\n");
    assert_string_equal(err, "");
}

static void list_states_paused_shutdown_crashed_dying(void **state)
{
    (void)state;
    fake_add(4, "p", 256, 1, MICA_DOMINF_paused);
    fake_add(5, "s", 256, 1, MICA_DOMINF_shutdown)->shutdown_reason = SHUTDOWN_poweroff;
    fake_add(6, "c", 256, 1, MICA_DOMINF_shutdown)->shutdown_reason = SHUTDOWN_crash;
    fake_add(7, "d", 256, 0, MICA_DOMINF_dying);
    assert_int_equal(xl("list", "p", "s", "c", "d", NULL), 0);
    assert_non_null(strstr(out, "--p---"));
    assert_non_null(strstr(out, "---s--"));
    assert_non_null(strstr(out, "----c-"));
    assert_non_null(strstr(out, "-----d"));
}

static void list_long_is_json_with_xens_fields(void **state)
{
    (void)state;
    json_error_t e;

    assert_int_equal(xl("list", "-l", NULL), 0);
    json_t *j = json_loads(out, 0, &e);
    assert_non_null(j);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 2);
    json_t *g = json_array_get(j, 1);
    assert_int_equal(json_integer_value(json_object_get(g, "domid")), 3);
    json_t *c = json_object_get(g, "config");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "c_info"), "name")),
                        "guest");
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "c_info"), "type")),
                        "pv");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(c, "b_info"),
                                                        "target_memkb")), 65536);
    assert_int_equal(json_integer_value(json_object_get(g, "actual_memkb")), 65536);
    assert_string_equal(json_string_value(json_object_get(json_object_get(c, "c_info"), "uuid")),
                        "03040506-0708-090a-0b0c-0d0e0f101112");
    json_decref(j);
}

static void list_by_name_and_id_and_the_unknown(void **state)
{
    (void)state;
    assert_int_equal(xl("list", "guest", NULL), 0);
    assert_null(strstr(out, "Domain-0"));
    assert_non_null(strstr(out, "guest "));
    assert_int_equal(xl("list", "0", NULL), 0);
    assert_non_null(strstr(out, "Domain-0"));
    assert_int_equal(xl("list", "nosuch", NULL), 1);
    assert_string_equal(err, "xl: 'nosuch' is an invalid domain identifier\n");
    assert_int_equal(xl("list", "9", NULL), 1);
    assert_string_equal(err, "xl: domain 9 does not exist\n");
    assert_int_equal(xl("list", "-x", NULL), 1);
    assert_non_null(strstr(err, "unknown option '-x'"));
}

static void list_walks_more_domains_than_one_call_returns(void **state)
{
    (void)state;
    for (domid_t id = 10; id < 160; id++)
        fake_add(id, "many", 256, 1, 0);
    assert_int_equal(xl("list", NULL), 0);
    unsigned int lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 1 + 2 + 150);
    assert_non_null(strstr(out, "\nmany                                       159"));
}

static void domid_and_domname(void **state)
{
    (void)state;
    assert_int_equal(xl("domid", "guest", NULL), 0);
    assert_string_equal(out, "3\n");
    assert_int_equal(xl("domname", "3", NULL), 0);
    assert_string_equal(out, "guest\n");
    assert_int_equal(xl("domname", "4", NULL), 1);
    assert_string_equal(err, "xl: domain 4: ESRCH: no such domain\n");
    assert_int_equal(xl("domid", NULL), 1);
    assert_non_null(strstr(err, "Usage: xl domid <DomainName>"));
    assert_int_equal(xl("domname", "70000", NULL), 1);
    assert_non_null(strstr(err, "is not a domain id"));
}

static void pause_unpause_destroy(void **state)
{
    (void)state;
    assert_int_equal(xl("pause", "guest", NULL), 0);
    assert_int_equal(xl("list", "3", NULL), 0);
    assert_non_null(strstr(out, "-bp---"));
    assert_int_equal(xl("unpause", "3", NULL), 0);
    assert_int_equal(xl("list", "3", NULL), 0);
    assert_non_null(strstr(out, "-b----"));
    assert_int_equal(xl("destroy", "guest", NULL), 0);
    assert_int_equal(xl("list", NULL), 0);
    assert_null(strstr(out, "guest"));
    assert_int_equal(xl("destroy", "3", NULL), 1);
    assert_string_equal(err, "xl: destroy domain 3: ESRCH: no such domain\n");
    assert_int_equal(xl("pause", "0", NULL), 1);
    assert_string_equal(err, "xl: pause domain 0: EINVAL: invalid argument\n");
}

static void sched_credit2_shows_and_sets_weight_and_cap(void **state)
{
    (void)state;
    assert_int_equal(xl("sched-credit2", NULL), 0);
    assert_string_equal(out, "Cpupool Pool-0: [sched params unavailable]\n"
                             "Name                                ID Weight  Cap\n"
                             "Domain-0                             0    256    0\n"
                             "guest                                3    256    0\n");
    assert_int_equal(xl("sched-credit2", "-d", "guest", "-w", "512", NULL), 0);
    assert_int_equal(xl("sched-credit2", "-d", "3", "-c", "50", NULL), 0);
    assert_int_equal(xl("sched-credit2", "-d", "guest", NULL), 0);
    assert_string_equal(out, "Name                                ID Weight  Cap\n"
                             "guest                                3    512   50\n");
    assert_int_equal(fake.sched[3].weight, 512);     /* -c kept the weight */
    assert_int_equal(fake.sched[3].cap, 50);
    assert_int_equal(xl("sched-credit2", "-d", "guest", "-w", "0", NULL), 1);
    assert_string_equal(err, "xl: sched-credit2: weight '0' is out of range (1 to 65535)\n");
    assert_int_equal(xl("sched-credit2", "-d", "guest", "-c", "101", NULL), 1);
    assert_string_equal(err, "xl: sched-credit2: cap '101' is out of range (0 to 100)\n");
    assert_int_equal(xl("sched-credit2", "-d", "guest", "-w", "12x", NULL), 1);
    assert_int_equal(xl("sched-credit2", "-w", "300", NULL), 1);
    assert_string_equal(err, "Must specify a domain.\n");
    assert_int_equal(xl("sched-credit2", "-d", "nobody", NULL), 1);
    assert_int_equal(xl("sched-credit2", "-p", "Pool-1", NULL), 1);
    assert_string_equal(err, "unknown cpupool 'Pool-1'\n");
    assert_int_equal(xl("sched-credit2", "-s", "-r", "1000", NULL), 1);
    assert_int_equal(fake.sched[3].weight, 512);     /* nothing changed by the refusals */
    assert_int_equal(fake.sched[3].cap, 50);
}

static void rename_refuses_bad_and_taken_names(void **state)
{
    (void)state;
    setenv("XENSTORED_PATH", "/nonexistent/xenstored-socket", 1);
    assert_int_equal(xl("rename", "guest", "42", NULL), 1);
    assert_string_equal(err, "xl: rename: '42' is a number, which xl would read as a domain id\n");
    assert_int_equal(xl("rename", "guest", "", NULL), 1);
    assert_string_equal(err, "xl: rename: '' is empty\n");
    assert_int_equal(xl("rename", "guest", "0123456789abcdef0123456789abcdef", NULL), 1);
    assert_non_null(strstr(err, "is longer than 31 characters"));
    assert_int_equal(xl("rename", "guest", "Domain-0", NULL), 1);
    assert_string_equal(err, "xl: rename: domain 0 is already called 'Domain-0'\n");
    assert_int_equal(xl("rename", "ghost", "web", NULL), 1);
    assert_int_equal(xl("rename", "guest", NULL), 1);
    assert_non_null(strstr(err, "Usage: xl rename <Domain> <NewDomainName>"));
    /* Without xenstored nothing changes, not even the hypervisor's name. */
    assert_int_equal(xl("rename", "guest", "web", NULL), 1);
    assert_non_null(strstr(err, "xl: rename: cannot reach xenstored: "));
    assert_int_equal(xl("domname", "3", NULL), 0);
    assert_string_equal(out, "guest\n");
    unsetenv("XENSTORED_PATH");
}

static void vcpu_list(void **state)
{
    (void)state;
    assert_int_equal(xl("vcpu-list", NULL), 0);
    assert_non_null(strstr(out, "Name                                ID  VCPU   CPU State   Time(s) "
                                "Affinity (Hard / Soft)\n"));
    assert_non_null(strstr(out, "\nDomain-0                             0     0     0   r--         0.2"));
    assert_non_null(strstr(out, "\nDomain-0                             0     1     1   r--         0.5"));
    assert_non_null(strstr(out, "\nguest                                3     0     0   -b-         0.2"));
}

static void info_reports_the_host(void **state)
{
    (void)state;
    assert_int_equal(xl("info", NULL), 0);
    assert_non_null(strstr(out, "\nnr_cpus                : 2\n"));
    assert_non_null(strstr(out, "\ntotal_memory           : 2048\n"));
    assert_non_null(strstr(out, "\nfree_memory            : 1024\n"));
    assert_non_null(strstr(out, "\nxen_version            : 4.17.0-mica\n"));
    assert_non_null(strstr(out, "\nxen_caps               : xen-3.0-x86_64\n"));
    assert_non_null(strstr(out, "\ncpu_mhz                : 2605.656\n"));
}

static void dmesg_reads_the_whole_ring_and_clears_it(void **state)
{
    (void)state;
    for (size_t i = 0; i < 40000; i++)
        fake.console[i] = (char)('a' + i % 26);
    fake.console[39999] = '\n';
    fake.console_len = 40000;
    assert_int_equal(xl("dmesg", NULL), 0);
    assert_int_equal(strlen(out), 40000);
    assert_memory_equal(out, fake.console, 40000);
    assert_int_equal(xl("dmesg", "-c", NULL), 0);
    assert_int_equal(strlen(out), 40000);
    assert_int_equal(xl("dmesg", NULL), 0);
    assert_string_equal(out, "");
}

static void errors_are_one_line_with_the_xen_errno(void **state)
{
    (void)state;
    fake.interface_version = 1;
    assert_int_equal(xl("list", NULL), 1);
    assert_string_equal(err, "xl: listing domains: EACCES: control interface version mismatch\n");
    assert_int_equal(xl("info", NULL), 1);
    assert_string_equal(err, "xl: physinfo: EACCES: control interface version mismatch\n");
}

static void help_and_unknown_commands(void **state)
{
    (void)state;
    assert_int_equal(xl("help", NULL), 0);
    assert_non_null(strstr(out, " list                List information about all/some domains\n"));
    assert_int_equal(xl("frobnicate", NULL), 1);
    assert_string_equal(err, "xl: command not implemented: 'frobnicate'\n");
    assert_int_equal(xl(NULL), 1);
    assert_int_equal(xl("help", "pause", NULL), 0);
    assert_non_null(strstr(out, "Usage: xl pause <Domain>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_prints_xens_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(list_states_paused_shutdown_crashed_dying, setup, teardown),
        cmocka_unit_test_setup_teardown(list_long_is_json_with_xens_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(list_by_name_and_id_and_the_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(list_walks_more_domains_than_one_call_returns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(domid_and_domname, setup, teardown),
        cmocka_unit_test_setup_teardown(pause_unpause_destroy, setup, teardown),
        cmocka_unit_test_setup_teardown(vcpu_list, setup, teardown),
        cmocka_unit_test_setup_teardown(sched_credit2_shows_and_sets_weight_and_cap, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(rename_refuses_bad_and_taken_names, setup, teardown),
        cmocka_unit_test_setup_teardown(info_reports_the_host, setup, teardown),
        cmocka_unit_test_setup_teardown(dmesg_reads_the_whole_ring_and_clears_it, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_are_one_line_with_the_xen_errno, setup, teardown),
        cmocka_unit_test_setup_teardown(help_and_unknown_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
