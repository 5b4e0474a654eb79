/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: arbitrary bytes as the request streams of two clients,
 * dom0 (privileged) and domain 1 (unprivileged), through the real framing
 * (conn_process) and handlers, on a store that starts from a small
 * toolstack-like tree.  Input: chunks of [selector u8][length u8][bytes];
 * the selector's low bit picks the client, bit 1 appends a tiny
 * well-formed header so deep states are reachable.  After every input the
 * store's invariants are checked and everything is freed (leaks fail).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "domain.h"
#include "log.h"
#include "store.h"

static void mem_service(struct conn *c)
{
    (void)c;
}

static const struct conn_transport mem_transport = {
    .name = "fuzz", .service = mem_service, .close = NULL,
};

static void seed_tree(void)
{
    static const struct xs_perm home[] = { { 0, XS_PERM_NONE },
                                           { 1, XS_PERM_READ } };
    static const struct xs_perm data[] = { { 1, XS_PERM_NONE } };
    struct xs_who dom0 = { .priv = true };
    struct op o = { .who = &dom0 };

    store_mkdir(&o, "/local/domain/1/data");
    store_set_perms(&o, "/local/domain/1", home, 2);
    store_set_perms(&o, "/local/domain/1/data", data, 1);
    store_write(&o, "/local/domain/2/x", "v", 1);
    domain_introduce(1, 0, 1);          /* no ring back end: record only */
}

static void feed(struct conn **slot, uint16_t domid, bool priv,
                 const uint8_t *p, size_t n)
{
    struct conn *c = *slot;

    while (n && !c->dead) {
        size_t k = sizeof(c->in) - c->in_len;
        if (k > n)
            k = n;
        memcpy(c->in + c->in_len, p, k);
        c->in_len += k;
        p += k;
        n -= k;
        if (!conn_process(c))
            conn_kill(c, "framing");
        conn_out_consumed(c, conn_out_pending(c));
        if (!k)
            break;              /* a full buffer of one partial message */
    }
    if (c->dead)
        *slot = conn_new(domid, priv, &mem_transport, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conn *cl[2];
    size_t off = 0;

    xs_log_to(NULL);
    store_init();
    seed_tree();
    cl[0] = conn_new(0, true, &mem_transport, NULL);
    cl[1] = conn_new(1, false, &mem_transport, NULL);
    while (off + 2 <= size) {
        uint8_t sel = data[off], len = data[off + 1];
        int who = sel & 1;

        off += 2;
        if (len > size - off)
            len = (uint8_t)(size - off);
        if (sel & 2) {
            struct xsd_sockmsg h = { .type = (uint32_t)(sel >> 3),
                                     .req_id = 1, .tx_id = (sel >> 2) & 1,
                                     .len = len };
            feed(&cl[who], (uint16_t)who, !who, (const uint8_t *)&h,
                 sizeof(h));
        }
        feed(&cl[who], (uint16_t)who, !who, data + off, len);
        off += len;
        for (struct conn *c = conn_first(); c; c = c->next)
            conn_out_consumed(c, conn_out_pending(c));
        conn_reap();
    }
    if (!store_check())
        abort();
    conn_kill_all();
    domain_fini();
    store_fini();
    return 0;
}
