/* SPDX-License-Identifier: MIT */
/*
 * The memory hypercalls: mmu_update, mmuext_op and update_va_mapping.
 * Decode each request from a checked copy, then hand it to the rules in
 * mm/pt.c.  Batches honour count and *pdone: when the work budget runs out
 * the call is continued with the requests left (count | MMU_UPDATE_PREEMPTED,
 * the done count parked in *pdone), exactly where it stopped.  Every call
 * drains the devalidation queue before it starts and before it returns,
 * so no request ever meets a table that is half torn down.
 */
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/hypercall.h>
#include <mica/mm.h>
#include <mica/pv.h>
#include <mica/string.h>

#define MMU_UPDATE_PREEMPTED 0x80000000U

static void flush_one(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* foreigndom: DOMID_SELF; or, for a privileged domain, DOMID_IO (mapping
 * I/O memory: the entries themselves are checked as always, I/O frames
 * only for privileged domains) or another live domain: mmu_update's new
 * L1 entries then map its frames and may set its M2P entries, mmuext_op
 * pins and unpins its tables (building that domain).  As in Xen, naming oneself by id is
 * -ESRCH.  Returns the owner of mapped frames (NULL: the caller's own). */
static int foreign_owner(const struct domain *d, domid_t id, const struct domain **owner)
{
    *owner = NULL;
    if (id == DOMID_SELF || (id == DOMID_IO && d->is_privileged))
        return 0;
    if (!d->is_privileged || id == d->domain_id ||
        !(*owner = domain_by_id(id)))
        return -ESRCH;
    return 0;
}

/* Start of a batch: resume the done count of a continued call. */
static int batch_start(uint64_t *count, uint64_t pdone, uint32_t *done)
{
    *done = 0;
    if (*count & MMU_UPDATE_PREEMPTED) {
        *count &= ~(uint64_t)MMU_UPDATE_PREEMPTED;
        if (pdone && copy_from_guest(done, pdone, sizeof(*done)))
            return -EFAULT;
    }
    return *count > (MMU_UPDATE_PREEMPTED - 1) ? -EINVAL : 0;
}

/* End of a batch (or of its share of the work): drain, then either finish
 * or ask to be continued from request i. */
static long batch_end(struct pt_ctx *c, long rc, uint64_t reqs, uint64_t i,
                      uint64_t count, size_t size, uint64_t pdone, uint32_t done)
{
    if (rc != -ERESTART) {
        int drc = pt_drain(c);
        if (drc == -ERESTART && rc == 0)
            rc = -ERESTART;     /* all requests done, the queue is not */
    }
    if (pdone)
        (void)copy_to_guest(pdone, &done, sizeof(done));
    if (rc == -ERESTART)
        return hypercall_continue(reqs + i * size, (count - i) | MMU_UPDATE_PREEMPTED);
    return rc;
}

static long mmu_update_one(struct pt_ctx *c, const void *p)
{
    const struct mmu_update *req = p;
    mfn_t mfn = req->ptr >> PAGE_SHIFT;

    switch (req->ptr & 7) {
    case MMU_NORMAL_PT_UPDATE:
        return pt_update_entry(c, req->ptr & ~7UL, req->val, false);
    case MMU_PT_UPDATE_PRESERVE_AD:
        return pt_update_entry(c, req->ptr & ~7UL, req->val, true);
    case MMU_MACHPHYS_UPDATE:
        if (!mfn_valid(mfn) ||
            mfn_to_page(mfn)->owner != (c->pg_owner ? c->pg_owner : c->d)->domain_id)
            return -EINVAL;
        machine_to_phys[mfn] = req->val;
        return 0;
    default:
        return -ENOSYS;
    }
}

/*
 * Run a batch of count `size`-byte requests at reqs (done count at pdone)
 * through one(): the common shape of mmu_update and mmuext_op.  Stops at the first error, which it returns; continues
 * itself (-ERESTART) when the budget runs out.
 */
static long mmu_batch(uint64_t reqs, uint64_t count, uint64_t pdone, domid_t foreigndom,
                      size_t size, long (*one)(struct pt_ctx *c, const void *req))
{
    struct domain *d = current->domain;
    struct pt_ctx c = { d, PT_BUDGET, NULL };
    uint64_t req[3];                /* the largest request: 24 bytes */
    uint32_t done;
    uint64_t i = 0;
    long rc;

    if ((rc = batch_start(&count, pdone, &done)))
        return rc;
    if ((rc = foreign_owner(d, foreigndom, &c.pg_owner)))
        return rc;
    rc = pt_drain(&c);
    for (; rc == 0 && i < count; i++) {
        if (c.budget-- <= 0) {
            rc = -ERESTART;
            break;
        }
        if (copy_from_guest(req, reqs + i * size, size)) {
            rc = -EFAULT;
            break;
        }
        if ((rc = one(&c, req)))
            break;
        done++;
    }
    return batch_end(&c, rc, reqs, i, count, size, pdone, done);
}

long do_mmu_update(uint64_t reqs, uint64_t count, uint64_t pdone, domid_t foreigndom)
{
    return mmu_batch(reqs, count, pdone, foreigndom, sizeof(struct mmu_update), mmu_update_one);
}

_Static_assert(sizeof(struct mmu_update) <= 24 && sizeof(struct mmuext_op) <= 24,
               "mmu_batch's request buffer");

/* A reference and an L4 type reference on mfn (INVALID_MFN: none). */
static long take_l4(struct pt_ctx *c, mfn_t mfn)
{
    if (mfn == INVALID_MFN)
        return 0;
    if (!mfn_valid(mfn) || !get_page(mfn_to_page(mfn), c->d))
        return -EINVAL;
    long rc = get_page_type(c, mfn_to_page(mfn), PGT_l4);
    if (rc)
        put_page(mfn_to_page(mfn));
    return rc;
}

static void drop_l4(struct pt_ctx *c, mfn_t mfn)
{
    if (mfn == INVALID_MFN)
        return;
    put_page_type(c, mfn_to_page(mfn));
    put_page(mfn_to_page(mfn));
}

/* Switch a base pointer: take the new L4 first (it may need validating,
 * which may be continued), then drop the old.  mfn is a validated L4 of
 * c->d or, where the caller allows it, INVALID_MFN for none: never loaded
 * into CR3 (a guest's ~0 is INVALID_MFN too, so only Mica may pass it).
 * The old tables' user translations are global: any change flushes them,
 * whether or not the new tables are loaded now (mm/tlb.c). */
static long new_baseptr(struct pt_ctx *c, mfn_t *slot, mfn_t mfn, bool load)
{
    if (mfn == *slot) {
        if (load)
            tlb_flush_all();
        return 0;
    }
    long rc = take_l4(c, mfn);
    if (rc)
        return rc;
    mfn_t old = *slot;
    *slot = mfn;
    if (load)
        write_cr3(mfn << PAGE_SHIFT);
    tlb_flush_all();
    drop_l4(c, old);
    return 0;
}

/* A down vCPU's base pointers (VCPUOP_initialise, and none on its way
 * out): both new tables are taken before either is installed, so a refusal
 * leaves v's as they were. */
long pv_vcpu_set_baseptrs(struct vcpu *v, mfn_t kernel, mfn_t user)
{
    struct pt_ctx c = { v->domain, PT_BUDGET, NULL };
    long rc = take_l4(&c, kernel);

    if (rc == 0 && (rc = take_l4(&c, user)))
        drop_l4(&c, kernel);
    if (rc == 0) {
        mfn_t old_kernel = v->guest_table, old_user = v->guest_table_user;
        v->guest_table = kernel;
        v->guest_table_user = user;
        if (kernel != old_kernel || user != old_user)
            tlb_flush_all();            /* see new_baseptr */
        drop_l4(&c, old_kernel);
        drop_l4(&c, old_user);
    }
    int drc = pt_drain(&c);
    return rc == 0 && drc == -ERESTART ? 0 : rc;
}

/* CLEAR_PAGE / COPY_PAGE: the destination must be one the guest could map
 * writable, the source one it owns. */
static long page_op(struct pt_ctx *c, mfn_t dst, mfn_t src, bool copy)
{
    if (!mfn_valid(dst) || (copy && !mfn_valid(src)))
        return -EINVAL;
    struct page_info *dp = mfn_to_page(dst);
    if (!get_page(dp, c->d))
        return -EINVAL;
    long rc = get_page_type(c, dp, PGT_writable);
    if (rc) {
        put_page(dp);
        return rc;
    }
    if (!copy) {
        memset(mm_map_frame(dst), 0, PAGE_SIZE);
    } else if (get_page(mfn_to_page(src), c->d)) {
        memcpy(mm_map_frame(dst), mm_map_frame(src), PAGE_SIZE);
        put_page(mfn_to_page(src));
    } else {
        rc = -EINVAL;
    }
    put_page_type(c, dp);
    put_page(dp);
    return rc;
}

/* A privileged builder pins (or unpins) the tables of the domain it builds,
 * as Xen's toolstack does before setvcpucontext: validated as that domain's
 * own, against its frames only.  No other op takes a foreign domain. */
static long mmuext_foreign(struct pt_ctx *c, const struct mmuext_op *op)
{
    struct pt_ctx fc = { domain_by_id(c->pg_owner->domain_id), c->budget, NULL };
    long rc;

    if (!fc.d)
        return -ESRCH;
    if ((rc = pt_drain(&fc)) == 0) {
        switch (op->cmd) {
        case MMUEXT_PIN_L1_TABLE:
        case MMUEXT_PIN_L2_TABLE:
        case MMUEXT_PIN_L3_TABLE:
        case MMUEXT_PIN_L4_TABLE:
            rc = pt_pin(&fc, op->arg1.mfn, (enum pgt)(op->cmd - MMUEXT_PIN_L1_TABLE + PGT_l1));
            break;
        case MMUEXT_UNPIN_TABLE:
            rc = pt_unpin(&fc, op->arg1.mfn);
            break;
        default:
            rc = -EINVAL;
        }
    }
    c->budget = fc.budget;
    return rc;
}

static long mmuext_one(struct pt_ctx *c, const void *p)
{
    const struct mmuext_op *op = p;
    struct vcpu *v = current;
    uint64_t mask;

    if (c->pg_owner)
        return mmuext_foreign(c, op);
    switch (op->cmd) {
    case MMUEXT_PIN_L1_TABLE:
    case MMUEXT_PIN_L2_TABLE:
    case MMUEXT_PIN_L3_TABLE:
    case MMUEXT_PIN_L4_TABLE:
        return pt_pin(c, op->arg1.mfn, (enum pgt)(op->cmd - MMUEXT_PIN_L1_TABLE + PGT_l1));
    case MMUEXT_UNPIN_TABLE:
        return pt_unpin(c, op->arg1.mfn);
    case MMUEXT_NEW_BASEPTR:
        /* A running vCPU always has kernel tables: no "none" here. */
        if (!mfn_valid(op->arg1.mfn))
            return -EINVAL;
        pv_ldt_drop(c, v);              /* re-made from the new tables on use */
        return new_baseptr(c, &v->guest_table, op->arg1.mfn, v->kernel_mode);
    case MMUEXT_NEW_USER_BASEPTR:
        /* 0 is none; any other frame must be a table of the guest's. */
        if (op->arg1.mfn && !mfn_valid(op->arg1.mfn))
            return -EINVAL;
        return new_baseptr(c, &v->guest_table_user,
                           op->arg1.mfn ? op->arg1.mfn : INVALID_MFN, !v->kernel_mode);
    case MMUEXT_TLB_FLUSH_MULTI:
    case MMUEXT_INVLPG_MULTI:
        /* One CPU: every mask means this one, but the mask must be readable. */
        if (copy_from_guest(&mask, (uint64_t)(uintptr_t)op->arg2.vcpumask.p, sizeof(mask)))
            return -EFAULT;
        /* fall through */
    case MMUEXT_TLB_FLUSH_LOCAL:
    case MMUEXT_TLB_FLUSH_ALL:
    case MMUEXT_INVLPG_LOCAL:
    case MMUEXT_INVLPG_ALL:
        if (op->cmd == MMUEXT_INVLPG_LOCAL || op->cmd == MMUEXT_INVLPG_MULTI ||
            op->cmd == MMUEXT_INVLPG_ALL)
            flush_one(op->arg1.linear_addr);
        else
            tlb_flush_all();
        return 0;
    case MMUEXT_SET_LDT:
        return pv_set_ldt(c, v, op->arg1.linear_addr, op->arg2.nr_ents);
    case MMUEXT_CLEAR_PAGE:
        return page_op(c, op->arg1.mfn, 0, false);
    case MMUEXT_COPY_PAGE:
        return page_op(c, op->arg1.mfn, op->arg2.src_mfn, true);
    default:
        return -ENOSYS;     /* incl. cache flushes and superpage marks */
    }
}

long do_mmuext_op(uint64_t ops, uint64_t count, uint64_t pdone, domid_t foreigndom)
{
    return mmu_batch(ops, count, pdone, foreigndom, sizeof(struct mmuext_op), mmuext_one);
}

long do_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags)
{
    struct pt_ctx c = { current->domain, PT_BUDGET, NULL };
    uint64_t mask;
    long rc;

    if ((rc = pt_drain(&c)))
        return rc;              /* -ERESTART: nothing done yet, same args */
    uint64_t maddr = l1e_maddr_of(current, va);
    if (!maddr)
        return -EINVAL;
    rc = pt_update_entry(&c, maddr, val, false);
    if (rc == 0 && (flags & ~(UVMF_FLUSHTYPE_MASK | UVMF_ALL)) &&
        copy_from_guest(&mask, flags & ~(UVMF_FLUSHTYPE_MASK | UVMF_ALL), sizeof(mask)))
        rc = -EFAULT;           /* a vcpumask pointer that cannot be read */
    if (rc == 0) {
        if ((flags & UVMF_FLUSHTYPE_MASK) == UVMF_TLB_FLUSH)
            tlb_flush_all();
        else if ((flags & UVMF_FLUSHTYPE_MASK) == UVMF_INVLPG)
            flush_one(va);
    }
    int drc = pt_drain(&c);
    return rc == 0 && drc == -ERESTART ? 0 : rc;
}
