/* SPDX-License-Identifier: MIT */
/*
 * Devices and their xenbus state machine (see be_dev.h).  Everything is
 * decided from what xenstore says now: every watch event re-reads the
 * device's keys and moves it one step, so a lost, doubled or spurious
 * event costs nothing, and a restarted process takes devices up where
 * xenstore says they are.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <xenstore.h>

#include "be_dev.h"
#include "be_log.h"
#include "be_loop.h"
#include "be_watch.h"

/* enum xenbus_state (abi/io/xenbus.h; not included: libxenstore's headers
 * define the same names). */
enum { ST_UNKNOWN, ST_INITIALISING, ST_INITWAIT, ST_INITIALISED, ST_CONNECTED,
       ST_CLOSING, ST_CLOSED, ST_MAX = 8 };

#define DOMID_FIRST_RESERVED 0x7FF0u

struct be_ctx be;

static const struct be_type *type;
static struct be_dev *devs;
static struct be_watch *wh;
static struct pollable watch_p;
static char base[64];           /* /local/domain/<self>/backend/<type> */

bool be_parse_uint(const char *s, uint64_t max, uint64_t *v)
{
    uint64_t x = 0;

    if (!s || !*s || strlen(s) > 20)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    if (x > max)
        return false;
    *v = x;
    return true;
}

char *be_read(const struct be_dev *d, bool front, const char *key)
{
    char path[160];
    unsigned len;

    if (front && !d->fe_path[0])
        return NULL;
    snprintf(path, sizeof(path), "%s/%s", front ? d->fe_path : d->be_path, key);
    return xs_read(be.xs, XBT_NULL, path, &len);
}

int be_read_uint(const struct be_dev *d, bool front, const char *key, uint64_t max, uint64_t *v)
{
    char *s = be_read(d, front, key);
    bool ok = be_parse_uint(s, max, v);

    free(s);
    return ok ? 0 : -1;
}

/*
 * One key of ours, in a transaction that first reads our directory: the
 * toolstack may remove the device at any moment, and a plain write after
 * that would make the directory again (xenstore creates missing parents)
 * and leave a stray back-end node behind.  The read makes the commit fail
 * (EAGAIN) if the directory changed under us; then we look again.
 */
int be_write(const struct be_dev *d, const char *key, const char *fmt, ...)
{
    char path[160], val[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s/%s", d->be_path, key);
    if (n < 0 || (size_t)n >= sizeof(val)) {
        be_log("%s: value for %s too long", d->name, key);
        return -1;
    }
    for (unsigned attempt = 0; attempt < 16; attempt++) {
        xs_transaction_t t = xs_transaction_start(be.xs);
        unsigned len;
        char *dir;

        if (t == XBT_NULL)
            break;
        if (!(dir = xs_read(be.xs, t, d->be_path, &len))) {
            xs_transaction_end(be.xs, t, true);
            errno = ENOENT;     /* removed: nothing to write into */
            return -1;
        }
        free(dir);
        if (!xs_write(be.xs, t, path, val, (unsigned)n)) {
            int e = errno;
            xs_transaction_end(be.xs, t, true);
            errno = e;
            break;
        }
        if (xs_transaction_end(be.xs, t, false))
            return 0;
        if (errno != EAGAIN)
            break;
    }
    be_log("%s: cannot write %s: %s", d->name, key, strerror(errno));
    return -1;
}

static void set_state(struct be_dev *d, unsigned from, unsigned to)
{
    if (!be_write(d, "state", "%u", to))
        be_log("%s: state %u -> %u", d->name, from, to);
}

static void fe_watch_path(const struct be_dev *d, char *buf, size_t len)
{
    snprintf(buf, len, "%s/state", d->fe_path);
}

static void fe_token(const struct be_dev *d, char *buf, size_t len)
{
    snprintf(buf, len, "fe/%u/%u", d->fe_domid, d->devid);
}

/*
 * The front end's directory, from our `frontend` key.  The toolstack
 * writes it, but it must still name the guest the directory is for:
 * anything else would let one guest's device be served from another's
 * keys.
 */
static bool learn_frontend(struct be_dev *d)
{
    char want[96], path[128], tok[32];
    char *fe = be_read(d, false, "frontend");
    uint64_t id;
    bool ok;

    snprintf(want, sizeof(want), "/local/domain/%u/device/%s/%u", d->fe_domid, type->name,
             d->devid);
    ok = fe && !strcmp(fe, want) && !be_read_uint(d, false, "frontend-id", UINT16_MAX, &id) &&
         id == d->fe_domid;
    free(fe);
    if (!ok)
        return false;
    snprintf(d->fe_path, sizeof(d->fe_path), "%s", want);
    fe_watch_path(d, path, sizeof(path));
    fe_token(d, tok, sizeof(tok));
    if (be_watch_add(wh, path, tok))
        be_log("%s: cannot watch %s: %s", d->name, path, strerror(errno));
    else
        d->watching_fe = true;
    return true;
}

static void disconnect(struct be_dev *d)
{
    if (d->connected) {
        type->disconnect(d);
        d->connected = false;
        be_log("%s: disconnected", d->name);
    }
}

static void release(struct be_dev *d)
{
    disconnect(d);
    if (d->set_up) {
        type->release(d);
        d->set_up = false;
    }
}

static bool ensure_setup(struct be_dev *d)
{
    if (!d->set_up && type->setup(d) == 0)
        d->set_up = true;
    return d->set_up;
}

/* One step of the machine, from what xenstore says now. */
static void eval(struct be_dev *d)
{
    uint64_t be_state = ST_UNKNOWN, fe_state = ST_UNKNOWN, online = 1;
    unsigned len;
    char *dir = xs_read(be.xs, XBT_NULL, d->be_path, &len);

    if (!dir) {                 /* our directory is gone */
        d->seen = false;
        return;
    }
    free(dir);
    if (!d->fe_path[0] && !learn_frontend(d))
        return;                 /* not (yet) a complete device */
    be_read_uint(d, false, "state", ST_MAX, &be_state);
    be_read_uint(d, false, "online", 1, &online);
    if (be_read_uint(d, true, "state", ST_MAX, &fe_state))
        fe_state = ST_UNKNOWN;  /* the front end's directory is gone */

    switch (fe_state) {
    case ST_INITIALISING:
    case ST_INITWAIT:
        disconnect(d);          /* a front end that started over */
        if ((be_state == ST_INITIALISING || be_state == ST_UNKNOWN ||
             (be_state == ST_CLOSED && online)) && ensure_setup(d))
            set_state(d, (unsigned)be_state, ST_INITWAIT);
        else if (be_state == ST_INITIALISING && !d->set_up)
            set_state(d, (unsigned)be_state, ST_CLOSED);
        break;
    case ST_INITIALISED:
    case ST_CONNECTED:
        if (d->connected || be_state >= ST_CLOSING || !ensure_setup(d))
            break;
        if (type->connect(d)) {
            set_state(d, (unsigned)be_state, ST_CLOSING);
            break;
        }
        d->connected = true;
        be_log("%s: connected", d->name);
        if (be_state != ST_CONNECTED)
            set_state(d, (unsigned)be_state, ST_CONNECTED);
        break;
    case ST_CLOSING:
        disconnect(d);
        if (be_state != ST_CLOSING && be_state != ST_CLOSED)
            set_state(d, (unsigned)be_state, ST_CLOSING);
        break;
    default:                    /* closed, gone, or nonsense */
        disconnect(d);
        if (be_state != ST_CLOSED)
            set_state(d, (unsigned)be_state, ST_CLOSED);
        if (!online || fe_state == ST_UNKNOWN)
            release(d);         /* the toolstack removes the device next */
        break;
    }
}

static struct be_dev *find(unsigned fe, unsigned id)
{
    for (struct be_dev *d = devs; d; d = d->next)
        if (d->fe_domid == fe && d->devid == id)
            return d;
    return NULL;
}

static struct be_dev *find_or_add(unsigned fe, unsigned id)
{
    struct be_dev *d = find(fe, id);

    if (d)
        return d;
    if (!(d = calloc(1, sizeof(*d)))) {
        be_log("%s-%u-%u: out of memory", type->name, fe, id);
        return NULL;
    }
    d->type = type;
    d->fe_domid = fe;
    d->devid = id;
    snprintf(d->be_path, sizeof(d->be_path), "%s/%u/%u", base, fe, id);
    snprintf(d->name, sizeof(d->name), "%s-%u-%u", type->name, fe, id);
    d->seen = true;
    d->next = devs;
    devs = d;
    be_log("%s: new device", d->name);
    return d;
}

static void forget(struct be_dev **dp)
{
    struct be_dev *d = *dp;

    *dp = d->next;
    release(d);
    if (d->watching_fe) {
        char path[128], tok[32];
        fe_watch_path(d, path, sizeof(path));
        fe_token(d, tok, sizeof(tok));
        be_watch_del(wh, path, tok);
    }
    be_log("%s: removed", d->name);
    free(d);
}

static void forget_unseen(void)
{
    for (struct be_dev **dp = &devs; *dp;) {
        if (!(*dp)->seen)
            forget(dp);
        else
            dp = &(*dp)->next;
    }
}

/* List backend/<type>/<fe>/<id>: evaluate each, forget the vanished. */
static void scan(void)
{
    unsigned nf = 0;
    char **fes = xs_directory(be.xs, XBT_NULL, base, &nf);
    struct be_dev *d;

    for (d = devs; d; d = d->next)
        d->seen = false;
    for (unsigned i = 0; fes && i < nf; i++) {
        uint64_t fe;
        char path[96];
        unsigned ni = 0;
        char **ids;

        if (!be_parse_uint(fes[i], DOMID_FIRST_RESERVED - 1, &fe))
            continue;
        snprintf(path, sizeof(path), "%s/%s", base, fes[i]);
        ids = xs_directory(be.xs, XBT_NULL, path, &ni);
        for (unsigned j = 0; ids && j < ni; j++) {
            uint64_t id;
            if (!be_parse_uint(ids[j], UINT32_MAX, &id) ||
                !(d = find_or_add((unsigned)fe, (unsigned)id)))
                continue;
            d->seen = true;
            eval(d);
        }
        free(ids);
    }
    free(fes);
    forget_unseen();
}

/* "<fe>/<id>[/key]" -> fe, id and the key ("" for the directory). */
static bool parse_rel(const char *rel, unsigned *fe, unsigned *id, const char **key)
{
    char a[8], b[12];
    size_t i = 0, j = 0;
    uint64_t x, y;

    for (; rel[i] && rel[i] != '/' && i < sizeof(a) - 1; i++)
        a[i] = rel[i];
    a[i] = '\0';
    if (rel[i] != '/')
        return false;
    rel += i + 1;
    for (; rel[j] && rel[j] != '/' && j < sizeof(b) - 1; j++)
        b[j] = rel[j];
    b[j] = '\0';
    if (rel[j] && rel[j] != '/')
        return false;
    if (!be_parse_uint(a, DOMID_FIRST_RESERVED - 1, &x) || !be_parse_uint(b, UINT32_MAX, &y))
        return false;
    *fe = (unsigned)x;
    *id = (unsigned)y;
    *key = rel[j] ? rel + j + 1 : "";
    return true;
}

static void on_event(const char *path, const char *token)
{
    size_t lb = strlen(base);
    unsigned fe, id;
    const char *key;
    struct be_dev *d;

    if (!strncmp(token, "fe/", 3)) {
        if (parse_rel(token + 3, &fe, &id, &key) && (d = find(fe, id))) {
            eval(d);
            if (!d->seen)
                forget_unseen();
        }
        return;
    }
    if (strncmp(path, base, lb) || (path[lb] && path[lb] != '/'))
        return;
    if (!path[lb] || !parse_rel(path + lb + 1, &fe, &id, &key)) {
        scan();                 /* the whole tree, or a guest's, changed */
        return;
    }
    /* Our own writes (sectors, feature-*) come back too: only the keys
     * that move the machine are worth a look. */
    if (*key && strcmp(key, "state") && strcmp(key, "online") && strcmp(key, "frontend") &&
        strcmp(key, "frontend-id"))
        return;
    if (!(d = find(fe, id))) {
        char dir[96];
        unsigned len;
        char *v;

        /* Removing a directory fires once per node in it: a device we
         * have already forgotten is not made again for each. */
        snprintf(dir, sizeof(dir), "%s/%u/%u", base, fe, id);
        if (!(v = xs_read(be.xs, XBT_NULL, dir, &len)))
            return;
        free(v);
    }
    if ((d = find_or_add(fe, id))) {
        d->seen = true;
        eval(d);
        if (!d->seen)
            forget_unseen();
    }
}

static void watch_ready(struct pollable *p, uint32_t events)
{
    (void)events;
    if (be_watch_read(wh, on_event)) {
        /* Connected devices keep working; no new ones can be learnt. */
        be_log("lost the xenstore watch connection: %s (serving the devices already "
               "connected)", strerror(errno));
        be_loop_del(p);
    }
}

int be_dev_init(const struct be_type *t)
{
    type = t;
    snprintf(base, sizeof(base), "/local/domain/%u/backend/%s", be.self, t->name);
    if (!(wh = be_watch_open())) {
        be_log("cannot reach xenstored for watches: %s", strerror(errno));
        return -1;
    }
    watch_p.fd = be_watch_fd(wh);
    watch_p.ready = watch_ready;
    /* The watch's first event lists what is already there: devices of an
     * earlier run of this daemon are taken up from there. */
    if (be_loop_add(&watch_p, EPOLLIN) || be_watch_add(wh, base, "be")) {
        be_log("cannot watch %s: %s", base, strerror(errno));
        return -1;
    }
    return 0;
}

void be_dev_fini(void)
{
    while (devs) {
        struct be_dev *d = devs;
        devs = d->next;
        release(d);
        free(d);
    }
    if (wh) {
        be_loop_del(&watch_p);
        be_watch_close(wh);
        wh = NULL;
    }
}
