/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the daemon's pure parts, compiled from the real sources:
 * path rules, permission strings and decisions, the hash table, and the
 * store's transaction semantics driven through its C interface.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <abi/errno.h>

#include "domain.h"
#include "htab.h"
#include "path.h"
#include "perms.h"
#include "store.h"

static void test_path_canon(void **state)
{
    char out[PATH_BUF], big[4000];

    (void)state;
    assert_int_equal(path_canon(out, "/a/b", 3, 0, false), 0);
    assert_string_equal(out, "/a/b");
    assert_int_equal(path_canon(out, "x/y", 3, 0, false), 0);
    assert_string_equal(out, "/local/domain/3/x/y");
    assert_int_equal(path_canon(out, "/", 0, 0, false), 0);
    assert_int_equal(path_canon(out, "@releaseDomain", 0, 0, true), 0);
    assert_int_equal(path_canon(out, "@releaseDomain", 0, 0, false),
                     XEN_EINVAL);
    assert_int_equal(path_canon(out, "@foo", 0, 0, true), XEN_EINVAL);
    assert_int_equal(path_canon(out, "", 0, 0, false), XEN_EINVAL);
    assert_int_equal(path_canon(out, "/a//b", 0, 0, false), XEN_EINVAL);
    assert_int_equal(path_canon(out, "/a/", 0, 0, false), XEN_EINVAL);
    assert_int_equal(path_canon(out, "/a.b", 0, 0, false), XEN_EINVAL);
    memset(big, 'x', sizeof(big));
    big[0] = '/';
    big[3072] = '\0';
    assert_int_equal(path_canon(out, big, 0, 0, false), 0);
    big[3072] = 'x';
    big[3073] = '\0';
    assert_int_equal(path_canon(out, big, 0, 0, false), XEN_EINVAL);
    /* path-max counts only below /local/domain/<id>/ */
    assert_int_equal(path_canon(out, "abcd", 7, 4, false), 0);
    assert_int_equal(path_canon(out, "abcde", 7, 4, false), XEN_EINVAL);
    assert_int_equal(path_canon(out, "/abc", 7, 4, false), 0);
}

static void test_path_helpers(void **state)
{
    char out[PATH_BUF];

    (void)state;
    assert_true(path_is_below("/a", "/a"));
    assert_true(path_is_below("/a", "/a/b"));
    assert_false(path_is_below("/a", "/ab"));
    assert_true(path_is_below("/", "/x"));
    assert_false(path_is_below("/", "@releaseDomain"));
    path_parent(out, "/a/b/c");
    assert_string_equal(out, "/a/b");
    path_parent(out, "/a");
    assert_string_equal(out, "/");
    assert_string_equal(path_base("/a/b"), "b");
    assert_string_equal(path_strip_home("/local/domain/5/x/y", 5), "x/y");
    assert_string_equal(path_strip_home("/local/domain/50/x", 5),
                        "/local/domain/50/x");
}

static void test_perms(void **state)
{
    static const char wire[] = "n5\0r1\0b2\0w3";
    struct xs_perm p[8];
    char out[64];
    unsigned n;
    struct xs_who d1 = { .domid = 1 }, d2 = { .domid = 2 },
                  d3 = { .domid = 3 }, d4 = { .domid = 4 },
                  d5 = { .domid = 5 }, d9t5 = { .domid = 9,
                         .has_target = true, .target = 5 },
                  dom0 = { .domid = 0, .priv = true };

    (void)state;
    assert_int_equal(perms_parse(wire, sizeof(wire), p, 8, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(perms_format(p, n, out), sizeof(wire));
    assert_memory_equal(out, wire, sizeof(wire));
    assert_int_equal(perms_access(&d1, p, n), XS_PERM_READ);
    assert_int_equal(perms_access(&d2, p, n), XS_PERM_BOTH);
    assert_int_equal(perms_access(&d3, p, n), XS_PERM_WRITE);
    assert_int_equal(perms_access(&d4, p, n), XS_PERM_NONE);   /* default */
    assert_true(perms_access(&d5, p, n) & XS_PERM_OWNER);
    assert_true(perms_access(&d9t5, p, n) & XS_PERM_OWNER);
    assert_true(perms_access(&dom0, p, n) & XS_PERM_OWNER);
    assert_int_equal(perms_parse(wire, sizeof(wire), p, 3, &n), XEN_ENOSPC);
    assert_int_equal(perms_parse("x1", 3, p, 8, &n), XEN_EINVAL);
    assert_int_equal(perms_parse("r", 2, p, 8, &n), XEN_EINVAL);
    assert_int_equal(perms_parse("r70000", 7, p, 8, &n), XEN_EINVAL);
    assert_int_equal(perms_parse("r1", 2, p, 8, &n), XEN_EINVAL);  /* no NUL */
}

static void test_htab_many(void **state)
{
    struct htab t;
    struct hent *e = calloc(20000, sizeof(*e));
    char (*keys)[16] = calloc(20000, 16);
    int i;

    (void)state;
    htab_init(&t);
    for (i = 0; i < 20000; i++) {
        snprintf(keys[i], 16, "/k%d", i);
        e[i].key = keys[i];
        htab_insert(&t, &e[i]);
    }
    assert_true(t.nb >= 16384);
    for (i = 0; i < 20000; i += 7)
        assert_ptr_equal(htab_find(&t, keys[i]), &e[i]);
    for (i = 0; i < 20000; i += 2)
        htab_remove(&t, &e[i]);
    assert_int_equal(t.n, 10000);
    assert_null(htab_find(&t, "/k10"));
    assert_ptr_equal(htab_find(&t, "/k11"), &e[11]);
    htab_fini(&t);
    free(e);
    free(keys);
}

static const struct xs_who dom0 = { .priv = true };

static int setup(void **state)
{
    (void)state;
    store_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    store_fini();
    for (unsigned d = 0; d < 8; d++)
        assert_int_equal(domain_nodes(d), 0);   /* accounting balanced */
    return 0;
}

static void test_store_txn_conflict(void **state)
{
    struct op o = { .who = &dom0 };
    struct txn *t1 = txn_new(1), *t2 = txn_new(2);
    struct op o1 = { .who = &dom0, .t = t1 }, o2 = { .who = &dom0, .t = t2 };
    const struct node *n;

    (void)state;
    assert_int_equal(store_write(&o, "/x", "0", 1), 0);
    assert_int_equal(store_read(&o1, "/x", &n), 0);
    assert_int_equal(store_write(&o1, "/y", "1", 1), 0);
    assert_int_equal(store_write(&o2, "/x", "2", 1), 0);
    assert_int_equal(txn_commit(t2), 0);
    assert_int_equal(txn_commit(t1), XEN_EAGAIN);
    assert_int_equal(store_read(&o, "/y", &n), XEN_ENOENT);
    assert_int_equal(store_read(&o, "/x", &n), 0);
    assert_memory_equal(n->value, "2", 1);
    txn_free(t1);
    txn_free(t2);
}

static void test_store_txn_created_then_deleted_elsewhere(void **state)
{
    struct op o = { .who = &dom0 };
    struct txn *t = txn_new(1);
    struct op ot = { .who = &dom0, .t = t };

    (void)state;
    assert_int_equal(store_write(&ot, "/new/a", "1", 1), 0);
    assert_int_equal(store_write(&o, "/new", "", 0), 0);  /* races it */
    assert_int_equal(txn_commit(t), XEN_EAGAIN);
    txn_free(t);
}

static void test_store_node_accounting(void **state)
{
    struct xs_who d3 = { .domid = 3 };
    struct op o = { .who = &dom0 }, g = { .who = &d3 };
    struct xs_perm p = { .domid = 3, .mode = XS_PERM_NONE };
    struct txn *t = txn_new(1);
    struct op gt = { .who = &d3, .t = t };

    (void)state;
    assert_int_equal(store_mkdir(&o, "/local/domain/3"), 0);
    assert_int_equal(store_set_perms(&o, "/local/domain/3", &p, 1), 0);
    assert_int_equal(domain_nodes(3), 1);
    assert_int_equal(store_write(&g, "/local/domain/3/a/b", "", 0), 0);
    assert_int_equal(domain_nodes(3), 3);
    assert_int_equal(store_write(&gt, "/local/domain/3/c", "", 0), 0);
    assert_int_equal(domain_nodes(3), 3);           /* not yet committed */
    assert_int_equal(txn_commit(t), 0);
    txn_free(t);
    assert_int_equal(domain_nodes(3), 4);
    assert_int_equal(store_rm(&o, "/local/domain/3/a"), 0);
    assert_int_equal(domain_nodes(3), 2);
    store_forget_domain(3);
    assert_int_equal(domain_nodes(3), 0);
    {
        const struct node *n;
        assert_int_equal(store_read(&o, "/local/domain/3", &n), XEN_ENOENT);
    }
    /* Its home is gone and /local/domain is dom0's: EACCES, not ENOENT. */
    assert_int_equal(store_mkdir(&g, "/local/domain/3/x"), XEN_EACCES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_canon),
        cmocka_unit_test(test_path_helpers),
        cmocka_unit_test(test_perms),
        cmocka_unit_test(test_htab_many),
        cmocka_unit_test_setup_teardown(test_store_txn_conflict, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_store_txn_created_then_deleted_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_node_accounting, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
