/* SPDX-License-Identifier: MIT */
/*
 * Physical-device operations (hypercall 33, physdev_op(cmd, arg)).  Every
 * guest uses set_iopl (kernel port I/O) and set_iobitmap; the rest is dom0's
 * business: routing physical interrupts to it as PIRQ event channels and
 * reporting the PCI devices it finds.
 */
#ifndef ABI_PHYSDEV_H
#define ABI_PHYSDEV_H

#include <abi/xen.h>

#define PHYSDEVOP_IRQ_UNMASK_NOTIFY   4  /* no argument */
#define PHYSDEVOP_irq_status_query    5
#define PHYSDEVOP_set_iopl            6
#define PHYSDEVOP_set_iobitmap        7
#define PHYSDEVOP_apic_read           8
#define PHYSDEVOP_apic_write          9
#define PHYSDEVOP_alloc_irq_vector   10
#define PHYSDEVOP_free_irq_vector    11
#define PHYSDEVOP_eoi                12
#define PHYSDEVOP_map_pirq           13
#define PHYSDEVOP_unmap_pirq         14
#define PHYSDEVOP_manage_pci_add     15
#define PHYSDEVOP_manage_pci_remove  16
#define PHYSDEVOP_pirq_eoi_gmfn_v1   17
#define PHYSDEVOP_restore_msi        19
#define PHYSDEVOP_manage_pci_add_ext 20
#define PHYSDEVOP_setup_gsi          21
#define PHYSDEVOP_get_free_pirq      23
#define PHYSDEVOP_pci_mmcfg_reserved 24
#define PHYSDEVOP_pci_device_add     25
#define PHYSDEVOP_pci_device_remove  26
#define PHYSDEVOP_restore_msi_ext    27
#define PHYSDEVOP_pirq_eoi_gmfn_v2   28
#define PHYSDEVOP_dbgp_op            29
#define PHYSDEVOP_prepare_msix       30
#define PHYSDEVOP_release_msix       31
#define PHYSDEVOP_pirq_eoi_gmfn      PHYSDEVOP_pirq_eoi_gmfn_v2

struct physdev_eoi {
    uint32_t irq;               /* IN: pirq */
};
typedef struct physdev_eoi physdev_eoi_t;
DEFINE_XEN_GUEST_HANDLE(physdev_eoi_t);
_Static_assert(sizeof(struct physdev_eoi) == 4, "physdev_eoi");

/* A guest page holding a "needs EOI" bitmap, one bit per pirq. */
struct physdev_pirq_eoi_gmfn {
    xen_pfn_t gmfn;             /* IN */
};
typedef struct physdev_pirq_eoi_gmfn physdev_pirq_eoi_gmfn_t;
DEFINE_XEN_GUEST_HANDLE(physdev_pirq_eoi_gmfn_t);
_Static_assert(sizeof(struct physdev_pirq_eoi_gmfn) == 8, "physdev_pirq_eoi_gmfn");

struct physdev_irq_status_query {
    uint32_t irq;               /* IN */
    uint32_t flags;             /* OUT: XENIRQSTAT_* */
};
typedef struct physdev_irq_status_query physdev_irq_status_query_t;
DEFINE_XEN_GUEST_HANDLE(physdev_irq_status_query_t);
_Static_assert(sizeof(struct physdev_irq_status_query) == 8, "physdev_irq_status_query");

#define _XENIRQSTAT_needs_eoi (0)
#define XENIRQSTAT_needs_eoi  (1U << _XENIRQSTAT_needs_eoi)
#define _XENIRQSTAT_shared    (1)
#define XENIRQSTAT_shared     (1U << _XENIRQSTAT_shared)

/* Virtual IOPL: at >= the guest's privilege, in/out are emulated. */
struct physdev_set_iopl {
    uint32_t iopl;              /* IN: 0-3 */
};
typedef struct physdev_set_iopl physdev_set_iopl_t;
DEFINE_XEN_GUEST_HANDLE(physdev_set_iopl_t);
_Static_assert(sizeof(struct physdev_set_iopl) == 4, "physdev_set_iopl");

struct physdev_set_iobitmap {
    XEN_GUEST_HANDLE(uint8) bitmap; /* IN: TSS-style, 1 = denied */
    uint32_t nr_ports;          /* IN */
    uint8_t  _pad[4];           /* Xen: implicit padding */
};
typedef struct physdev_set_iobitmap physdev_set_iobitmap_t;
DEFINE_XEN_GUEST_HANDLE(physdev_set_iobitmap_t);
_Static_assert(sizeof(struct physdev_set_iobitmap) == 16, "physdev_set_iobitmap");

/* IO-APIC register access (dom0). */
struct physdev_apic {
    uint64_t apic_physbase;     /* IN */
    uint32_t reg;               /* IN */
    uint32_t value;             /* IN (write) / OUT (read) */
};
typedef struct physdev_apic physdev_apic_t;
DEFINE_XEN_GUEST_HANDLE(physdev_apic_t);
_Static_assert(sizeof(struct physdev_apic) == 16, "physdev_apic");

struct physdev_irq {
    uint32_t irq;               /* IN */
    uint32_t vector;            /* OUT */
};
typedef struct physdev_irq physdev_irq_t;
DEFINE_XEN_GUEST_HANDLE(physdev_irq_t);
_Static_assert(sizeof(struct physdev_irq) == 8, "physdev_irq");

#define MAP_PIRQ_TYPE_MSI       0x0
#define MAP_PIRQ_TYPE_GSI       0x1
#define MAP_PIRQ_TYPE_UNKNOWN   0x2
#define MAP_PIRQ_TYPE_MSI_SEG   0x3
#define MAP_PIRQ_TYPE_MULTI_MSI 0x4

struct physdev_map_pirq {
    domid_t  domid;             /* IN */
    uint8_t  _pad1[2];          /* Xen: implicit padding */
    int32_t  type;              /* IN: MAP_PIRQ_TYPE_* */
    int32_t  index;             /* IN: GSI, or MSI vector */
    int32_t  pirq;              /* IN: -1 = any; OUT: pirq */
    int32_t  bus;               /* IN: MSI; segment << 16 for MSI_SEG */
    int32_t  devfn;             /* IN: MSI */
    int32_t  entry_nr;          /* IN: MSI-X entry / MULTI_MSI count */
    uint8_t  _pad2[4];          /* Xen: implicit padding */
    uint64_t table_base;        /* IN: MSI-X table base */
};
typedef struct physdev_map_pirq physdev_map_pirq_t;
DEFINE_XEN_GUEST_HANDLE(physdev_map_pirq_t);
_Static_assert(sizeof(struct physdev_map_pirq) == 40, "physdev_map_pirq");

struct physdev_unmap_pirq {
    domid_t  domid;             /* IN */
    uint8_t  _pad[2];           /* Xen: implicit padding */
    int32_t  pirq;              /* IN */
};
typedef struct physdev_unmap_pirq physdev_unmap_pirq_t;
DEFINE_XEN_GUEST_HANDLE(physdev_unmap_pirq_t);
_Static_assert(sizeof(struct physdev_unmap_pirq) == 8, "physdev_unmap_pirq");

struct physdev_manage_pci {
    uint8_t bus;                /* IN */
    uint8_t devfn;              /* IN */
};
typedef struct physdev_manage_pci physdev_manage_pci_t;
DEFINE_XEN_GUEST_HANDLE(physdev_manage_pci_t);
_Static_assert(sizeof(struct physdev_manage_pci) == 2, "physdev_manage_pci");

struct physdev_restore_msi {
    uint8_t bus;                /* IN */
    uint8_t devfn;              /* IN */
};
typedef struct physdev_restore_msi physdev_restore_msi_t;
DEFINE_XEN_GUEST_HANDLE(physdev_restore_msi_t);
_Static_assert(sizeof(struct physdev_restore_msi) == 2, "physdev_restore_msi");

struct physdev_manage_pci_ext {
    uint8_t  bus;               /* IN */
    uint8_t  devfn;             /* IN */
    uint8_t  _pad1[2];          /* Xen: implicit padding */
    uint32_t is_extfn;          /* IN */
    uint32_t is_virtfn;         /* IN */
    struct {
        uint8_t bus;
        uint8_t devfn;
    } physfn;                   /* IN: for virtual functions */
    uint8_t  _pad2[2];          /* Xen: implicit padding */
};
typedef struct physdev_manage_pci_ext physdev_manage_pci_ext_t;
DEFINE_XEN_GUEST_HANDLE(physdev_manage_pci_ext_t);
_Static_assert(sizeof(struct physdev_manage_pci_ext) == 16, "physdev_manage_pci_ext");

/* Argument of the superseded hypercall 19 (cmd inside the struct). */
struct physdev_op {
    uint32_t cmd;               /* IN: PHYSDEVOP_* */
    uint8_t  _pad[4];           /* Xen: implicit padding */
    union {
        physdev_irq_status_query_t irq_status_query;
        physdev_set_iopl_t         set_iopl;
        physdev_set_iobitmap_t     set_iobitmap;
        physdev_apic_t             apic_op;
        physdev_irq_t              irq_op;
    } u;                        /* IN/OUT */
};
typedef struct physdev_op physdev_op_t;
DEFINE_XEN_GUEST_HANDLE(physdev_op_t);
_Static_assert(sizeof(struct physdev_op) == 24, "physdev_op");

struct physdev_setup_gsi {
    int32_t gsi;                /* IN */
    uint8_t triggering;         /* IN: 0 edge, 1 level */
    uint8_t polarity;           /* IN: 0 high, 1 low */
    uint8_t _pad[2];            /* Xen: implicit padding */
};
typedef struct physdev_setup_gsi physdev_setup_gsi_t;
DEFINE_XEN_GUEST_HANDLE(physdev_setup_gsi_t);
_Static_assert(sizeof(struct physdev_setup_gsi) == 8, "physdev_setup_gsi");

struct physdev_get_free_pirq {
    int32_t  type;              /* IN: MAP_PIRQ_TYPE_* */
    uint32_t pirq;              /* OUT */
};
typedef struct physdev_get_free_pirq physdev_get_free_pirq_t;
DEFINE_XEN_GUEST_HANDLE(physdev_get_free_pirq_t);
_Static_assert(sizeof(struct physdev_get_free_pirq) == 8, "physdev_get_free_pirq");

#define XEN_PCI_MMCFG_RESERVED 0x1

struct physdev_pci_mmcfg_reserved {
    uint64_t address;           /* IN: ECAM base */
    uint16_t segment;           /* IN */
    uint8_t  start_bus;         /* IN */
    uint8_t  end_bus;           /* IN */
    uint32_t flags;             /* IN: XEN_PCI_MMCFG_* */
};
typedef struct physdev_pci_mmcfg_reserved physdev_pci_mmcfg_reserved_t;
DEFINE_XEN_GUEST_HANDLE(physdev_pci_mmcfg_reserved_t);
_Static_assert(sizeof(struct physdev_pci_mmcfg_reserved) == 16,
               "physdev_pci_mmcfg_reserved");

#define XEN_PCI_DEV_EXTFN  0x1
#define XEN_PCI_DEV_VIRTFN 0x2
#define XEN_PCI_DEV_PXM    0x4

struct physdev_pci_device_add {
    uint16_t seg;               /* IN */
    uint8_t  bus;               /* IN */
    uint8_t  devfn;             /* IN */
    uint32_t flags;             /* IN: XEN_PCI_DEV_* */
    struct {
        uint8_t bus;
        uint8_t devfn;
    } physfn;                   /* IN: with XEN_PCI_DEV_VIRTFN */
    uint8_t  _pad[2];           /* Xen: implicit padding */
    uint32_t optarr[];          /* IN: optional data (PXM) */
};
typedef struct physdev_pci_device_add physdev_pci_device_add_t;
DEFINE_XEN_GUEST_HANDLE(physdev_pci_device_add_t);
_Static_assert(sizeof(struct physdev_pci_device_add) == 12, "physdev_pci_device_add");

struct physdev_pci_device {
    uint16_t seg;               /* IN */
    uint8_t  bus;               /* IN */
    uint8_t  devfn;             /* IN */
};
typedef struct physdev_pci_device physdev_pci_device_t;
DEFINE_XEN_GUEST_HANDLE(physdev_pci_device_t);
_Static_assert(sizeof(struct physdev_pci_device) == 4, "physdev_pci_device");

#define PHYSDEVOP_DBGP_RESET_PREPARE 1
#define PHYSDEVOP_DBGP_RESET_DONE    2
#define PHYSDEVOP_DBGP_BUS_UNKNOWN   0
#define PHYSDEVOP_DBGP_BUS_PCI       1

struct physdev_dbgp_op {
    uint8_t op;                 /* IN: PHYSDEVOP_DBGP_RESET_* */
    uint8_t bus;                /* IN: PHYSDEVOP_DBGP_BUS_* */
    union {
        physdev_pci_device_t pci;
    } u;                        /* IN */
};
typedef struct physdev_dbgp_op physdev_dbgp_op_t;
DEFINE_XEN_GUEST_HANDLE(physdev_dbgp_op_t);
_Static_assert(sizeof(struct physdev_dbgp_op) == 6, "physdev_dbgp_op");

#endif /* ABI_PHYSDEV_H */
