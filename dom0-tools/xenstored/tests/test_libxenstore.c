/* SPDX-License-Identifier: MIT */
/*
 * Xen's own client library (Debian's libxenstore) against our daemon: the
 * strongest evidence that real Xen tools and libxl will work with it.
 * Run through tests/run-with-daemon, which sets XENSTORED_PATH.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <xenstore.h>

static struct xs_handle *xs_h;

static int setup(void **state)
{
    (void)state;
    alarm(60);              /* a hung read_watch must fail, not hang */
    xs_h = xs_open(XS_OPEN_SOCKETONLY);
    return xs_h ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    xs_close(xs_h);
    return 0;
}

static void test_read_write_rm(void **state)
{
    unsigned int len;
    char *v;

    (void)state;
    assert_true(xs_write(xs_h, XBT_NULL, "/lx/a/b", "hello", 5));
    v = xs_read(xs_h, XBT_NULL, "/lx/a/b", &len);
    assert_non_null(v);
    assert_int_equal(len, 5);
    assert_string_equal(v, "hello");      /* libxenstore adds the NUL */
    free(v);
    assert_true(xs_mkdir(xs_h, XBT_NULL, "/lx/dir"));
    assert_true(xs_rm(xs_h, XBT_NULL, "/lx/a"));
    assert_null(xs_read(xs_h, XBT_NULL, "/lx/a/b", &len));
    assert_int_equal(errno, ENOENT);
    assert_false(xs_write(xs_h, XBT_NULL, "/bad//path", "x", 1));
    assert_int_equal(errno, EINVAL);
}

static void test_directory_small_and_huge(void **state)
{
    char path[64], **list;
    unsigned int n, i;
    xs_transaction_t t = xs_transaction_start(xs_h);

    (void)state;
    for (i = 0; i < 400; i++) {
        snprintf(path, sizeof(path), "/lxd/entry-with-long-name-%04u", i);
        assert_true(xs_write(xs_h, t, path, "", 0));
    }
    assert_true(xs_transaction_end(xs_h, t, false));
    /* > 4096 bytes of names: libxenstore falls back to DIRECTORY_PART. */
    list = xs_directory(xs_h, XBT_NULL, "/lxd", &n);
    assert_non_null(list);
    assert_int_equal(n, 400);
    assert_string_equal(list[0], "entry-with-long-name-0000");
    assert_string_equal(list[399], "entry-with-long-name-0399");
    free(list);
}

static void test_permissions(void **state)
{
    struct xs_permissions set[2] = {
        { .id = 3, .perms = XS_PERM_NONE },
        { .id = 5, .perms = XS_PERM_READ },
    }, *got;
    unsigned int n;

    (void)state;
    assert_true(xs_write(xs_h, XBT_NULL, "/lxp", "", 0));
    assert_true(xs_set_permissions(xs_h, XBT_NULL, "/lxp", set, 2));
    got = xs_get_permissions(xs_h, XBT_NULL, "/lxp", &n);
    assert_non_null(got);
    assert_int_equal(n, 2);
    assert_int_equal(got[0].id, 3);
    assert_int_equal(got[1].id, 5);
    assert_int_equal(got[1].perms, XS_PERM_READ);
    free(got);
}

static void test_transaction_conflict(void **state)
{
    struct xs_handle *other = xs_open(XS_OPEN_SOCKETONLY);
    xs_transaction_t t;
    unsigned int len;
    char *v;

    (void)state;
    assert_non_null(other);
    assert_true(xs_write(xs_h, XBT_NULL, "/lxt", "0", 1));
    t = xs_transaction_start(xs_h);
    assert_int_not_equal(t, XBT_NULL);
    v = xs_read(xs_h, t, "/lxt", &len);
    free(v);
    assert_true(xs_write(xs_h, t, "/lxt", "1", 1));
    assert_true(xs_write(other, XBT_NULL, "/lxt", "2", 1));
    assert_false(xs_transaction_end(xs_h, t, false));
    assert_int_equal(errno, EAGAIN);
    v = xs_read(xs_h, XBT_NULL, "/lxt", &len);
    assert_string_equal(v, "2");
    free(v);
    t = xs_transaction_start(xs_h);
    assert_true(xs_write(xs_h, t, "/lxt", "3", 1));
    assert_true(xs_transaction_end(xs_h, t, false));
    xs_close(other);
}

static void test_watch(void **state)
{
    struct xs_handle *w = xs_open(XS_OPEN_SOCKETONLY);
    unsigned int n;
    char **ev;

    (void)state;
    assert_true(xs_watch(w, "/lxw", "tok"));
    ev = xs_read_watch(w, &n);              /* the immediate event */
    assert_non_null(ev);
    assert_string_equal(ev[XS_WATCH_PATH], "/lxw");
    assert_string_equal(ev[XS_WATCH_TOKEN], "tok");
    free(ev);
    assert_true(xs_write(xs_h, XBT_NULL, "/lxw/child", "x", 1));
    ev = xs_read_watch(w, &n);
    assert_non_null(ev);
    assert_string_equal(ev[XS_WATCH_PATH], "/lxw/child");
    free(ev);
    assert_true(xs_unwatch(w, "/lxw", "tok"));
    xs_close(w);
}

static void test_domain_calls(void **state)
{
    char *p;

    (void)state;
    p = xs_get_domain_path(xs_h, 7);
    assert_string_equal(p, "/local/domain/7");
    free(p);
    assert_true(xs_is_domain_introduced(xs_h, 0));
    assert_false(xs_is_domain_introduced(xs_h, 42));
    /* No ring back end in this run: INTRODUCE records the domain only. */
    assert_true(xs_introduce_domain(xs_h, 42, 1234, 9));
    assert_true(xs_is_domain_introduced(xs_h, 42));
    assert_true(xs_release_domain(xs_h, 42));
    assert_false(xs_is_domain_introduced(xs_h, 42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_write_rm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_small_and_huge, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transaction_conflict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_domain_calls, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
