/* SPDX-License-Identifier: MIT */
/* The drop-oldest console queue: order, wrap, drops and their count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

/* Everything queued, oldest first, consumed. */
static size_t drain(struct cbuf *b, char *out, size_t cap)
{
    size_t got = 0, n;
    const uint8_t *p;

    while (b->len) {
        p = cbuf_peek(b, &n);
        assert_true(n > 0 && got + n <= cap);
        memcpy(out + got, p, n);
        got += n;
        cbuf_consume(b, n);
    }
    return got;
}

static void test_order_and_wrap(void **state)
{
    struct cbuf b;
    char out[16];

    (void)state;
    assert_int_equal(cbuf_init(&b, 8), 0);
    cbuf_put(&b, "abcde", 5);
    cbuf_consume(&b, 3);            /* head moves: the next put wraps */
    cbuf_put(&b, "fghij", 5);
    assert_int_equal(b.len, 7);
    assert_int_equal(drain(&b, out, sizeof(out)), 7);
    assert_memory_equal(out, "defghij", 7);
    assert_int_equal(cbuf_take_dropped(&b), 0);
    cbuf_fini(&b);
}

static void test_drops_oldest(void **state)
{
    struct cbuf b;
    char out[16];

    (void)state;
    assert_int_equal(cbuf_init(&b, 8), 0);
    cbuf_put(&b, "012345", 6);
    cbuf_put(&b, "6789", 4);        /* two oldest go */
    assert_int_equal(cbuf_take_dropped(&b), 2);
    assert_int_equal(cbuf_take_dropped(&b), 0);
    assert_int_equal(drain(&b, out, sizeof(out)), 8);
    assert_memory_equal(out, "23456789", 8);
    cbuf_fini(&b);
}

static void test_larger_than_queue(void **state)
{
    struct cbuf b;
    char out[16];

    (void)state;
    assert_int_equal(cbuf_init(&b, 4), 0);
    cbuf_put(&b, "ab", 2);
    cbuf_put(&b, "cdefghij", 8);    /* keeps the newest 4: ghij */
    assert_int_equal(cbuf_take_dropped(&b), 6);
    assert_int_equal(drain(&b, out, sizeof(out)), 4);
    assert_memory_equal(out, "ghij", 4);
    cbuf_fini(&b);
}

static void test_zero_capacity_refused(void **state)
{
    struct cbuf b;

    (void)state;
    assert_int_equal(cbuf_init(&b, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_wrap),
        cmocka_unit_test(test_drops_oldest),
        cmocka_unit_test(test_larger_than_queue),
        cmocka_unit_test(test_zero_capacity_refused),
    };
    return cmocka_run_group_tests_name("consoled-unit", tests, NULL, NULL);
}
