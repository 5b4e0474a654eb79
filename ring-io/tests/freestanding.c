/* SPDX-License-Identifier: MIT */
/*
 * Every ring operation instantiated with no libc and no builtins, as the
 * hypervisor and tiny test kernels build it; the Makefile's freestanding
 * check then requires the object to reference no outside symbol.
 */
#include "test_types.h"
#include <ring_io/bytering.h>

bool fs_front(tblk_front_ring_t *f, tblk_sring_t *s, struct t_blk_req *q,
              struct t_blk_rsp *p);
bool fs_back(tblk_back_ring_t *b, tblk_sring_t *s, struct t_blk_req *q,
             struct t_blk_rsp *p);
size_t fs_bytes(struct bytering *w, struct bytering *r, uint8_t *buf,
                uint32_t *idx, char *data, size_t len);

bool fs_front(tblk_front_ring_t *f, tblk_sring_t *s, struct t_blk_req *q,
              struct t_blk_rsp *p)
{
    bool ok = ring_front_init(f, s, 4096);

    ok &= ring_front_put_request(f, q);
    ok &= ring_front_push(f);
    ok &= ring_front_get_response(f, p);
    ok &= ring_front_final_check(f);
    return ok && !ring_front_full(f) && !ring_broken(f);
}

bool fs_back(tblk_back_ring_t *b, tblk_sring_t *s, struct t_blk_req *q,
             struct t_blk_rsp *p)
{
    bool ok = ring_back_attach(b, s, s->rsp_prod, 8192);

    ok &= ring_back_get_request(b, q);
    ok &= ring_back_put_response(b, p);
    ok &= ring_back_push(b);
    ok &= ring_back_final_check(b);
    return ok && ring_back_unconsumed_requests(b) == 0;
}

size_t fs_bytes(struct bytering *w, struct bytering *r, uint8_t *buf,
                uint32_t *idx, char *data, size_t len)
{
    bytering_init_writer(w, buf, 1024, &idx[0], &idx[1]);
    bytering_init_reader(r, buf, 1024, &idx[0], &idx[1]);
    return bytering_write(w, data, len) + bytering_read(r, data, len) +
           bytering_space(w) + bytering_avail(r);
}
