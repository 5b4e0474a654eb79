/* SPDX-License-Identifier: MIT */
/*
 * A client connection, independent of how its bytes travel (Unix socket,
 * shared ring page, or memory in the fuzzer).  The transport moves bytes
 * into `in` and out of `out`; conn_process() cuts `in` into messages and
 * hands each to the request handlers.  Output is buffered per connection:
 * above CONN_OUT_SOFT the connection's requests are not read (back
 * pressure); above CONN_OUT_HARD (a client that never reads its watch
 * events) it is dropped, so one client can never stall or exhaust the
 * daemon.
 */
#ifndef XSD_CONN_H
#define XSD_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <abi/io/xs_wire.h>

#include "perms.h"

#define CONN_IN_CAP   (2 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX))
#define CONN_OUT_SOFT (64u * 1024)
#define CONN_OUT_HARD (16u * 1024 * 1024)

struct conn;
struct txn;
struct watch;

struct conn_transport {
    const char *name;
    void (*service)(struct conn *c);   /* move bytes both ways */
    void (*close)(struct conn *c);     /* release transport resources */
};

struct conn {
    struct conn *next, *prev;
    unsigned id;
    uint16_t domid;
    bool priv;
    bool dead;
    const struct conn_transport *tp;
    void *tp_data;
    struct txn *txns;
    unsigned ntxn;
    uint32_t next_txid;
    struct watch *watches;
    unsigned nwatch;
    size_t in_len;
    uint8_t *out;
    size_t out_off, out_len, out_cap;
    uint8_t in[CONN_IN_CAP];
};

struct conn *conn_new(uint16_t domid, bool priv,
                      const struct conn_transport *tp, void *tp_data);
/* Drop watches and transactions now; memory goes at the next conn_reap. */
void conn_kill(struct conn *c, const char *why);
void conn_reap(void);
void conn_kill_all(void);
struct conn *conn_first(void);
struct xs_who conn_who(const struct conn *c);

/* Handle every complete message in `in`; false on a framing error. */
bool conn_process(struct conn *c);
void conn_send(struct conn *c, uint32_t type, uint32_t req_id,
               uint32_t tx_id, const void *data, size_t len);

static inline size_t conn_out_pending(const struct conn *c)
{
    return c->out_len - c->out_off;
}

static inline bool conn_throttled(const struct conn *c)
{
    return conn_out_pending(c) > CONN_OUT_SOFT;
}

void conn_out_consumed(struct conn *c, size_t n);

#endif
