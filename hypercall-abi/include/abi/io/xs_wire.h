/* SPDX-License-Identifier: MIT */
/*
 * Xenstore wire protocol: every message is a 16-byte xsd_sockmsg header
 * followed by `len` payload bytes (NUL-separated strings), carried either
 * over a Unix socket or over the shared ring page below.  Errors travel as
 * an XS_ERROR reply whose payload is an errno name from xsd_errors.
 */
#ifndef ABI_IO_XS_WIRE_H
#define ABI_IO_XS_WIRE_H

#include <stdint.h>
#include <abi/errno.h>

enum xsd_sockmsg_type {
    XS_CONTROL,                 /* 0: also known as XS_DEBUG */
    XS_DIRECTORY,
    XS_READ,
    XS_GET_PERMS,
    XS_WATCH,
    XS_UNWATCH,
    XS_TRANSACTION_START,
    XS_TRANSACTION_END,
    XS_INTRODUCE,
    XS_RELEASE,
    XS_GET_DOMAIN_PATH,
    XS_WRITE,
    XS_MKDIR,
    XS_RM,
    XS_SET_PERMS,
    XS_WATCH_EVENT,
    XS_ERROR,
    XS_IS_DOMAIN_INTRODUCED,
    XS_RESUME,
    XS_SET_TARGET,
    /* 20 was XS_RESTRICT, now unused */
    XS_RESET_WATCHES = XS_SET_TARGET + 2,
    XS_DIRECTORY_PART,
    XS_TYPE_COUNT,              /* number of valid types */
    XS_INVALID = 0xffff,        /* never sent; pins the enum's width */
};
#define XS_DEBUG XS_CONTROL

/* Legacy XS_WRITE mode strings. */
#define XS_WRITE_NONE        "NONE"
#define XS_WRITE_CREATE      "CREATE"
#define XS_WRITE_CREATE_EXCL "CREATE|EXCL"

/* Errno name <-> number, for XS_ERROR payloads. */
struct xsd_errors {
    int32_t errnum;
    uint8_t _pad[4];            /* Xen: implicit padding */
    const char *errstring;
};
_Static_assert(sizeof(struct xsd_errors) == 16, "xsd_errors");

/* The errors a xenstore server may send, in Xen's order (first = default). */
static const struct xsd_errors xsd_errors[] __attribute__((unused)) = {
    { .errnum = XEN_EINVAL,    .errstring = "EINVAL" },
    { .errnum = XEN_EACCES,    .errstring = "EACCES" },
    { .errnum = XEN_EEXIST,    .errstring = "EEXIST" },
    { .errnum = XEN_EISDIR,    .errstring = "EISDIR" },
    { .errnum = XEN_ENOENT,    .errstring = "ENOENT" },
    { .errnum = XEN_ENOMEM,    .errstring = "ENOMEM" },
    { .errnum = XEN_ENOSPC,    .errstring = "ENOSPC" },
    { .errnum = XEN_EIO,       .errstring = "EIO" },
    { .errnum = XEN_ENOTEMPTY, .errstring = "ENOTEMPTY" },
    { .errnum = XEN_ENOSYS,    .errstring = "ENOSYS" },
    { .errnum = XEN_EROFS,     .errstring = "EROFS" },
    { .errnum = XEN_EBUSY,     .errstring = "EBUSY" },
    { .errnum = XEN_EAGAIN,    .errstring = "EAGAIN" },
    { .errnum = XEN_EISCONN,   .errstring = "EISCONN" },
    { .errnum = XEN_E2BIG,     .errstring = "E2BIG" },
    { .errnum = XEN_EPERM,     .errstring = "EPERM" },
};

struct xsd_sockmsg {
    uint32_t type;              /* enum xsd_sockmsg_type */
    uint32_t req_id;            /* echoed in the reply */
    uint32_t tx_id;             /* transaction, 0 = none */
    uint32_t len;               /* payload bytes, <= XENSTORE_PAYLOAD_MAX */
};
_Static_assert(sizeof(struct xsd_sockmsg) == 16, "xsd_sockmsg");

/* Payload layout of XS_WATCH_EVENT: path, then token. */
enum xs_watch_type {
    XS_WATCH_PATH = 0,
    XS_WATCH_TOKEN,
};

/* Shared ring page (start_info.store_mfn). */
#define XENSTORE_RING_SIZE 1024
typedef uint32_t XENSTORE_RING_IDX;
#define MASK_XENSTORE_IDX(idx) ((idx) & (XENSTORE_RING_SIZE - 1))

struct xenstore_domain_interface {
    char req[XENSTORE_RING_SIZE];   /* guest -> server */
    char rsp[XENSTORE_RING_SIZE];   /* server -> guest */
    XENSTORE_RING_IDX req_cons, req_prod;
    XENSTORE_RING_IDX rsp_cons, rsp_prod;
    uint32_t server_features;   /* OUT (server): XENSTORE_SERVER_FEATURE_* */
    uint32_t connection;        /* XENSTORE_CONNECTED / _RECONNECT */
    uint32_t error;             /* OUT (server): XENSTORE_ERROR_* */
};
_Static_assert(sizeof(struct xenstore_domain_interface) == 2076,
               "xenstore_domain_interface");

#define XENSTORE_PAYLOAD_MAX  4096
#define XENSTORE_ABS_PATH_MAX 3072
#define XENSTORE_REL_PATH_MAX 2048

#define XENSTORE_SERVER_FEATURE_RECONNECTION 1
#define XENSTORE_SERVER_FEATURE_ERROR        2

#define XENSTORE_CONNECTED 0
#define XENSTORE_RECONNECT 1

#define XENSTORE_ERROR_NONE    0
#define XENSTORE_ERROR_COMM    1
#define XENSTORE_ERROR_RINGIDX 2
#define XENSTORE_ERROR_PROTO   3

#endif /* ABI_IO_XS_WIRE_H */
