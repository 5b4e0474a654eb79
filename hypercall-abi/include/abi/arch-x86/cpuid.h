/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's CPUID leaves as a PV guest sees them through the
 * forced-emulation prefix.  Linux 6.1 will not even map shared_info unless
 * leaf 0x40000000 carries the "XenVMMXenVMM" signature, so these values are
 * load-bearing, not cosmetic.
 */
#ifndef ABI_ARCH_X86_CPUID_H
#define ABI_ARCH_X86_CPUID_H

#define XEN_CPUID_FIRST_LEAF    0x40000000
#define XEN_CPUID_LEAF(i)       (XEN_CPUID_FIRST_LEAF + (i))

/* Leaf 0: eax = highest leaf, ebx:ecx:edx = "XenV" "MMXe" "nVMM". */
#define XEN_CPUID_SIGNATURE_EBX 0x566e6558
#define XEN_CPUID_SIGNATURE_ECX 0x65584d4d
#define XEN_CPUID_SIGNATURE_EDX 0x4d4d566e

/* Leaf 2 ecx: hypervisor features for PV guests. */
#define _XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD 0
#define XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD  (1u << 0)

/* Leaf 5 ebx[7:0]: machine address width in bits. */
#define XEN_CPUID_MACHINE_ADDRESS_WIDTH_MASK (0xffu << 0)

#define XEN_CPUID_MAX_NUM_LEAVES 5

#endif /* ABI_ARCH_X86_CPUID_H */
