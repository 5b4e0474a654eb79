/* SPDX-License-Identifier: MIT */
/*
 * xl create: a guest from an xl.cfg file, as Xen's xl makes it.
 *
 *   1. the config (xl_cfg.c) and the kernel (libmica's image loader) are
 *      read and checked before anything exists, so most mistakes cost
 *      nothing;
 *   2. createdomain (paused), then libmica's builder fills it;
 *   3. its xenstore tree, XS_INTRODUCE (xl_xs.c), its disks' device
 *      trees and blkback (xl_block.c);
 *   4. unpause (unless -p), a monitor process for its on_* actions
 *      (xl_monitor.c), and with -c its console.
 *
 * Whatever fails after step 2 destroys the domain and removes its tree, so
 * nothing half-made is left and every frame goes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "build.h"
#include "image.h"
#include "xl.h"
#include "xl_block.h"
#include "xl_create.h"
#include "xl_net.h"
#include "xl_xs.h"

#define RAMDISK_MAX (512u << 20)

static double now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* What building a domain takes from free memory beyond its memory= */
#define BUILD_OVERHEAD_KIB (1u << 10)

int xl_create_domain(struct xl *x, const struct xl_domain_config *dc, bool paused, domid_t *out)
{
    struct mica_kernel kernel = { 0 };
    uint8_t *ramdisk = NULL;
    size_t ramdisk_len = 0;
    char why[256], uuid[37];
    uint8_t handle[16];
    domid_t id = DOMID_INVALID;
    struct xs_handle *h = NULL;
    int taken;

    if ((taken = xl_name_in_use(x, dc->name, DOMID_INVALID, NULL)) != 0) {
        if (taken > 0)
            fprintf(x->err, "xl: create: a domain named '%s' already exists\n", dc->name);
        return XL_FAIL;
    }
    for (unsigned int i = 0; i < dc->n_disks; i++)
        if (xl_block_check(&dc->disks[i], why, sizeof(why))) {
            fprintf(x->err, "xl: create %s: %s\n", dc->name, why);
            return XL_FAIL;
        }
    for (unsigned int i = 0; i < dc->n_vifs; i++)
        if (xl_net_check(&dc->vifs[i], why, sizeof(why))) {
            fprintf(x->err, "xl: create %s: %s\n", dc->name, why);
            return XL_FAIL;
        }
    if (!(h = xs_open(XS_OPEN_SOCKETONLY))) {
        fprintf(x->err, "xl: create %s: cannot reach xenstored: %s\n", dc->name,
                mica_strerror(errno));
        return XL_FAIL;
    }
    /* Room first: a refusal costs nothing, and dom0 gives what is missing
     * before the kernel is decompressed in its memory. */
    if (xl_make_room(x, h, dc->name, (dc->memory_mib << 10) + BUILD_OVERHEAD_KIB))
        goto fail;
    if (mica_kernel_load_file(dc->kernel, &kernel, why, sizeof(why))) {
        fprintf(x->err, "xl: create %s: %s\n", dc->name, why);
        goto fail;
    }
    if (dc->ramdisk && mica_read_file("ramdisk", dc->ramdisk, RAMDISK_MAX, &ramdisk,
                                      &ramdisk_len, why, sizeof(why))) {
        fprintf(x->err, "xl: create %s: %s\n", dc->name, why);
        goto fail;
    }

    if (dc->have_uuid)
        memcpy(handle, dc->uuid, 16);
    else
        xl_uuid_generate(handle);
    xl_uuid_str(handle, uuid);

    /* The limit is maxmem; the builder populates memory. */
    if (mica_domain_create(x->m, DOMID_INVALID, 0, dc->maxvcpus, dc->maxmem_mib << 8, handle,
                           dc->name, &id)) {
        snprintf(why, sizeof(why), "create domain '%s'", dc->name);
        xl_error(x, why, errno);
        goto fail;
    }

    struct mica_build_config bc = {
        .kernel = &kernel, .ramdisk = ramdisk, .ramdisk_len = ramdisk_len,
        .cmdline = dc->cmdline, .memory_kib = dc->memory_mib << 10,
        .maxmem_kib = dc->maxmem_mib << 10,
        .store_domid = 0, .console_domid = 0,
    };
    struct mica_build_result br;
    if (mica_build_pv(x->m, id, &bc, &br, why, sizeof(why))) {
        fprintf(x->err, "xl: create %s (domain %u): %s\n", dc->name, id, why);
        goto fail;
    }

    struct xl_xs_domain xd = {
        .domid = id, .name = dc->name, .uuid = uuid,
        .target_kib = dc->memory_mib << 10, .static_max_kib = dc->maxmem_mib << 10,
        .vcpus = dc->vcpus, .max_vcpus = dc->maxvcpus,
        .store_mfn = br.store_mfn, .store_port = br.store_port,
        .console_mfn = br.console_mfn, .console_port = br.console_port,
        .console_backend = 0, .kernel = dc->kernel, .ramdisk = dc->ramdisk,
        .cmdline = dc->cmdline, .start_time = now(),
    };
    if (xl_xs_make_domain(h, &xd, why, sizeof(why))) {
        fprintf(x->err, "xl: create %s (domain %u): %s\n", dc->name, id, why);
        goto fail;
    }
    /* Disks: both xenstore trees before the guest runs, and blkback. */
    for (unsigned int i = 0; i < dc->n_disks; i++)
        if (xl_block_add(h, id, &dc->disks[i], why, sizeof(why))) {
            fprintf(x->err, "xl: create %s (domain %u): %s\n", dc->name, id, why);
            goto fail;
        }
    if (dc->n_disks && xl_block_start_backend(why, sizeof(why))) {
        fprintf(x->err, "xl: create %s (domain %u): %s\n", dc->name, id, why);
        goto fail;
    }
    /* Networks: the same, and netback. */
    for (unsigned int i = 0; i < dc->n_vifs; i++)
        if (xl_net_add(h, id, &dc->vifs[i], why, sizeof(why))) {
            fprintf(x->err, "xl: create %s (domain %u): %s\n", dc->name, id, why);
            goto fail;
        }
    if (dc->n_vifs && xl_net_start_backend(why, sizeof(why))) {
        fprintf(x->err, "xl: create %s (domain %u): %s\n", dc->name, id, why);
        goto fail;
    }
    for (unsigned int i = 0; i < dc->n_vifs; i++)
        if (xl_net_wait_hotplug(h, id, dc->vifs[i].devid, why, sizeof(why))) {
            fprintf(x->err, "xl: create %s (domain %u): %s\n", dc->name, id, why);
            goto fail;
        }
    if (!paused && mica_domain_unpause(x->m, id)) {
        snprintf(why, sizeof(why), "unpause domain %u", id);
        xl_error(x, why, errno);
        goto fail;
    }
    xs_close(h);
    free(ramdisk);
    mica_kernel_free(&kernel);
    *out = id;
    return XL_OK;

fail:
    if (id != DOMID_INVALID) {
        if (mica_domain_destroy(x->m, id))
            fprintf(x->err, "xl: destroy of the half-made domain %u: %s\n", id,
                    mica_strerror(errno));
        if (h)
            xl_xs_forget_domain(h, id);
    }
    if (h)
        xs_close(h);
    free(ramdisk);
    mica_kernel_free(&kernel);
    return XL_FAIL;
}

/* The config: the file, then KEY=VALUE arguments as later lines. */
static int read_config(struct xl *x, const char *path, int nover, char **over,
                       struct xl_domain_config *dc)
{
    struct xl_cfg cfg;
    int rc = XL_FAIL;

    xl_cfg_init(&cfg);
    if (xl_cfg_parse_file(&cfg, path, x->err) == 0) {
        rc = XL_OK;
        for (int i = 0; i < nover && rc == XL_OK; i++)
            if (xl_cfg_parse_override(&cfg, over[i], i + 1, x->err))
                rc = XL_FAIL;
        if (rc == XL_OK && xl_cfg_domain(&cfg, dc, x->err))
            rc = XL_FAIL;
    }
    xl_cfg_free(&cfg);
    return rc;
}

int cmd_create(struct xl *x, int argc, char **argv)
{
    bool console = false, paused = false;
    const char *path = NULL;
    int c;

    optind = 1;
    while ((c = xl_getopt(x, argc, argv, "cpqf:")) != -1) {
        switch (c) {
        case 'c': console = true; break;
        case 'p': paused = true; break;
        case 'q': break;
        case 'f': path = optarg; break;
        default: return XL_FAIL;
        }
    }
    /* xl create [-f] FILE [KEY=VALUE...]: the first plain argument is the
     * file unless -f named it. */
    if (!path && optind < argc && !strchr(argv[optind], '='))
        path = argv[optind++];
    if (!path)
        return xl_usage(x, argv[0]);

    struct xl_domain_config dc;
    fprintf(x->err, "Parsing config from %s\n", path);
    if (read_config(x, path, argc - optind, argv + optind, &dc))
        return XL_FAIL;

    domid_t id;
    int rc = xl_create_domain(x, &dc, paused, &id);
    if (rc == XL_OK)
        rc = xl_monitor_start(x, &dc, id);
    xl_domain_config_free(&dc);
    if (rc == XL_OK && console)
        rc = xl_console_attach(x, id);
    return rc;
}
