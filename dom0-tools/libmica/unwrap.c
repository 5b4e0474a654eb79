/* SPDX-License-Identifier: MIT */
/*
 * Unwrapping a kernel file to its ELF image (image.h): bzImage payloads
 * and whole-file gzip, decompressed with the system's liblzma (the x86 BCJ
 * filter Linux uses is part of the xz stream), zlib and libzstd into a
 * buffer that grows up to MICA_KERNEL_MAX_BYTES and no further.  Linux
 * appends the decompressed size after a compressed payload, so each
 * decoder stops at the end of its first stream and ignores what follows.
 *
 * bzImage header fields (Linux Documentation/arch/x86/boot.rst, as facts):
 * setup_sects u8 at 0x1f1 (0 means 4), "HdrS" at 0x202, version u16 at
 * 0x206, payload_offset u32 at 0x248 and payload_length u32 at 0x24c
 * (protocol 2.08 on), both relative to the protected-mode code that starts
 * (setup_sects + 1) * 512 bytes into the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "image.h"

#define BZ_SETUP_SECTS    0x1f1
#define BZ_MAGIC          0x202
#define BZ_VERSION        0x206
#define BZ_PAYLOAD_OFFSET 0x248
#define BZ_PAYLOAD_LENGTH 0x24c
#define BZ_HEADER_END     0x250
#define BZ_MIN_VERSION    0x0208

static int refuse(char *why, size_t why_len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(char *why, size_t why_len, int err, const char *fmt, ...)
{
    va_list ap;

    if (why && why_len) {
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    errno = err;
    return -1;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- a growing output buffer ----------------------------------------------- */

struct out {
    uint8_t *buf;
    size_t len, cap;
};

/* Room for at least one more byte; false (errno ENOMEM or EFBIG) when the
 * cap is reached or memory is short. */
static bool grow(struct out *o, size_t hint)
{
    if (o->len < o->cap)
        return true;
    if (o->cap >= MICA_KERNEL_MAX_BYTES) {
        errno = EFBIG;
        return false;
    }
    size_t cap = o->cap ? o->cap * 2 : (hint < (1u << 20) ? (1u << 20) : hint);
    if (cap > MICA_KERNEL_MAX_BYTES)
        cap = MICA_KERNEL_MAX_BYTES;
    uint8_t *b = realloc(o->buf, cap);
    if (!b) {
        errno = ENOMEM;
        return false;
    }
    o->buf = b;
    o->cap = cap;
    return true;
}

static int out_fail(struct out *o, const char *kind, char *why, size_t why_len, int err,
                    const char *detail)
{
    free(o->buf);
    o->buf = NULL;
    if (err == EFBIG)
        return refuse(why, why_len, EINVAL, "kernel: %s data decompresses to more than 1 GiB",
                      kind);
    if (err == ENOMEM)
        return refuse(why, why_len, ENOMEM, "kernel: out of memory decompressing %s data", kind);
    return refuse(why, why_len, EINVAL, "kernel: corrupt %s data (%s)", kind, detail);
}

/* ---- the three decoders ------------------------------------------------------ */

static int unxz(const uint8_t *in, size_t len, struct out *o, char *why, size_t why_len)
{
    lzma_stream s = LZMA_STREAM_INIT;
    lzma_ret r;

    if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
        return refuse(why, why_len, ENOMEM, "kernel: cannot start the xz decoder");
    s.next_in = in;
    s.avail_in = len;
    do {
        if (!grow(o, len * 4)) {
            int e = errno;
            lzma_end(&s);
            return out_fail(o, "xz", why, why_len, e, "");
        }
        s.next_out = o->buf + o->len;
        s.avail_out = o->cap - o->len;
        r = lzma_code(&s, LZMA_FINISH);
        o->len = o->cap - s.avail_out;
    } while (r == LZMA_OK || (r == LZMA_BUF_ERROR && s.avail_out == 0));
    lzma_end(&s);
    if (r != LZMA_STREAM_END)
        return out_fail(o, "xz", why, why_len, r == LZMA_MEM_ERROR ? ENOMEM : EINVAL,
                        r == LZMA_BUF_ERROR ? "truncated" : "bad stream");
    return 0;
}

static int gunzip(const uint8_t *in, size_t len, struct out *o, char *why, size_t why_len)
{
    z_stream z = { 0 };
    int r;

    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)    /* 16: the gzip wrapper */
        return refuse(why, why_len, ENOMEM, "kernel: cannot start the gzip decoder");
    z.next_in = (Bytef *)in;
    do {
        /* avail_in is 32 bits: feed at most 1 GiB at a time. */
        if (z.avail_in == 0) {
            size_t used = (size_t)(z.next_in - in);
            size_t n = len - used;
            z.avail_in = n > (1u << 30) ? (1u << 30) : (uInt)n;
        }
        if (!grow(o, len * 4)) {
            int e = errno;
            inflateEnd(&z);
            return out_fail(o, "gzip", why, why_len, e, "");
        }
        size_t room = o->cap - o->len;
        z.next_out = o->buf + o->len;
        z.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        uInt before = z.avail_out;
        r = inflate(&z, Z_NO_FLUSH);
        o->len += before - z.avail_out;
        if (r == Z_BUF_ERROR && z.avail_in == 0 && (size_t)(z.next_in - in) == len)
            break;                  /* input ended inside the stream */
    } while (r == Z_OK || r == Z_BUF_ERROR);
    inflateEnd(&z);
    if (r != Z_STREAM_END)
        return out_fail(o, "gzip", why, why_len, r == Z_MEM_ERROR ? ENOMEM : EINVAL,
                        r == Z_BUF_ERROR ? "truncated" : "bad stream");
    return 0;
}

static int unzstd(const uint8_t *in, size_t len, struct out *o, char *why, size_t why_len)
{
    ZSTD_DStream *d = ZSTD_createDStream();
    ZSTD_inBuffer ib = { in, len, 0 };
    size_t r = 1;

    if (!d)
        return refuse(why, why_len, ENOMEM, "kernel: cannot start the zstd decoder");
    while (r != 0) {
        if (!grow(o, len * 4)) {
            int e = errno;
            ZSTD_freeDStream(d);
            return out_fail(o, "zstd", why, why_len, e, "");
        }
        ZSTD_outBuffer ob = { o->buf, o->cap, o->len };
        size_t before = ib.pos;
        r = ZSTD_decompressStream(d, &ob, &ib);
        o->len = ob.pos;
        if (ZSTD_isError(r)) {
            ZSTD_freeDStream(d);
            return out_fail(o, "zstd", why, why_len, EINVAL, ZSTD_getErrorName(r));
        }
        if (r != 0 && ib.pos == len && ib.pos == before && ob.pos < ob.size) {
            ZSTD_freeDStream(d);    /* no input left, no progress: cut short */
            return out_fail(o, "zstd", why, why_len, EINVAL, "truncated");
        }
    }
    ZSTD_freeDStream(d);
    return 0;
}

/* ---- formats ---------------------------------------------------------------------- */

static bool starts(const uint8_t *p, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(p, magic, n) == 0;
}

/* A compressed payload by its magic; the formats Xen's loader knows but
 * Mica's does not are named in the refusal. */
static int decompress(const uint8_t *p, size_t len, const char *where, struct out *o,
                      const char **fmt, char *why, size_t why_len)
{
    static const struct { const char *magic; size_t n; const char *name; } other[] = {
        { "BZh", 3, "bzip2" }, { "\x5d\x00", 2, "lzma" }, { "\x89LZO", 4, "lzo" },
        { "\x02\x21", 2, "lz4" },
    };

    if (starts(p, len, "\xfd" "7zXZ", 5)) {
        *fmt = "xz";
        return unxz(p, len, o, why, why_len);
    }
    if (starts(p, len, "\x1f\x8b", 2)) {
        *fmt = "gzip";
        return gunzip(p, len, o, why, why_len);
    }
    if (starts(p, len, "\x28\xb5\x2f\xfd", 4)) {
        *fmt = "zstd";
        return unzstd(p, len, o, why, why_len);
    }
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        if (starts(p, len, other[i].magic, other[i].n))
            return refuse(why, why_len, EINVAL, "kernel: %s is %s, not supported (xz, gzip "
                          "or zstd)", where, other[i].name);
    return refuse(why, why_len, EINVAL, "kernel: %s is in no known compression format", where);
}

static int bzimage_payload(const uint8_t *f, size_t len, const uint8_t **p, size_t *plen,
                           char *why, size_t why_len)
{
    if (len < BZ_HEADER_END)
        return refuse(why, why_len, EINVAL, "kernel: bzImage header is truncated");
    unsigned int version = f[BZ_VERSION] | f[BZ_VERSION + 1] << 8;
    if (version < BZ_MIN_VERSION)
        return refuse(why, why_len, EINVAL, "kernel: bzImage boot protocol %u.%02u is older "
                      "than 2.08 (no payload fields)", version >> 8, version & 0xff);
    uint64_t sects = f[BZ_SETUP_SECTS] ? f[BZ_SETUP_SECTS] : 4;
    uint64_t off = (sects + 1) * 512 + le32(f + BZ_PAYLOAD_OFFSET);
    uint64_t n = le32(f + BZ_PAYLOAD_LENGTH);
    if (off > len || n > len - off || n == 0)
        return refuse(why, why_len, EINVAL, "kernel: bzImage payload (%#llx bytes at %#llx) "
                      "lies outside the %zu-byte file", (unsigned long long)n,
                      (unsigned long long)off, len);
    *p = f + off;
    *plen = n;
    return 0;
}

int mica_kernel_unwrap(const uint8_t *f, size_t len, uint8_t **out, size_t *out_len,
                       const char **format, char *why, size_t why_len)
{
    struct out o = { 0 };
    const char *fmt = "";

    if (starts(f, len, "\177ELF", 4)) {
        if (!(o.buf = malloc(len ? len : 1)))
            return refuse(why, why_len, ENOMEM, "kernel: out of memory");
        memcpy(o.buf, f, len);
        o.len = len;
        *format = "ELF";
    } else if (len >= BZ_MAGIC + 4 && memcmp(f + BZ_MAGIC, "HdrS", 4) == 0) {
        const uint8_t *p = NULL;
        size_t plen = 0;
        if (bzimage_payload(f, len, &p, &plen, why, why_len) ||
            decompress(p, plen, "bzImage payload", &o, &fmt, why, why_len))
            return -1;
        *format = !strcmp(fmt, "xz") ? "bzImage (xz)" : !strcmp(fmt, "gzip") ?
                  "bzImage (gzip)" : "bzImage (zstd)";
    } else if (starts(f, len, "\x1f\x8b", 2)) {
        if (gunzip(f, len, &o, why, why_len))
            return -1;
        *format = "gzip";
    } else {
        return refuse(why, why_len, EINVAL, "kernel: not an ELF64 x86-64 image, a bzImage "
                      "or a gzip file");
    }
    *out = o.buf;
    *out_len = o.len;
    return 0;
}

int mica_read_file(const char *what, const char *path, size_t max, uint8_t **out,
                   size_t *len, char *why, size_t why_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t *buf = NULL;
    size_t have = 0;

    if (fd < 0 || fstat(fd, &st) < 0)
        goto fail;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    if ((uint64_t)st.st_size > max) {
        errno = EFBIG;
        goto fail;
    }
    if (!(buf = malloc(st.st_size ? (size_t)st.st_size : 1)))
        goto fail;
    while (have < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;        /* the file shrank under us */
            goto fail;
        }
        have += (size_t)n;
    }
    close(fd);
    *out = buf;
    *len = have;
    return 0;
fail:;
    int e = errno;
    free(buf);
    if (fd >= 0)
        close(fd);
    return refuse(why, why_len, e, "%s: %s: %s", what, path,
                  e == EFBIG ? "larger than allowed" : e == EINVAL ? "not a regular file"
                                                                   : strerror(e));
}
