; SPDX-License-Identifier: MIT
;
; Entry of every test-kit kernel, its Xen ELF notes, the hypercall page and
; the boot stack.  The domain builder enters _start in ring 3 (CS 0xe033)
; with rsi = VA of start_info, rsp on a bootstrap stack inside its region and
; event upcalls masked.  We record what we were given (for the tests that
; check the entry state), switch to our own stack in .bss and call
; kit_main(start_info), which never returns.

bits 64
default rel

%define XEN_ELFNOTE_ENTRY               1
%define XEN_ELFNOTE_HYPERCALL_PAGE      2
%define XEN_ELFNOTE_VIRT_BASE           3
%define XEN_ELFNOTE_PADDR_OFFSET        4
%define XEN_ELFNOTE_XEN_VERSION         5
%define XEN_ELFNOTE_GUEST_OS            6
%define XEN_ELFNOTE_FEATURES            10
%define XEN_ELFNOTE_HV_START_LOW        12
%define XEN_ELFNOTE_SUPPORTED_FEATURES  17

%define VIRT_BASE               0xffffffff80000000
%define HYPERVISOR_VIRT_START   0xffff800000000000
%define XENFEAT_writable_page_tables 0

%define KIT_STACK_SIZE          16384

%define HYPERVISOR_sched_op     29
%define SCHEDOP_shutdown        2
%define SHUTDOWN_crash          3

; One ELF note owned by "Xen": XEN_NOTE type, desc-data...
%macro XEN_NOTE 2+
        align 4, db 0
        dd 4                            ; namesz: "Xen\0"
        dd %%desc_end - %%desc          ; descsz
        dd %1                           ; type
        db "Xen", 0
%%desc:
        %2
%%desc_end:
        align 4, db 0
%endmacro

section .note.Xen note alloc noexec nowrite align=4
        XEN_NOTE XEN_ELFNOTE_GUEST_OS,      db "mica-testkit", 0
        XEN_NOTE XEN_ELFNOTE_XEN_VERSION,   db "xen-3.0", 0
        XEN_NOTE XEN_ELFNOTE_VIRT_BASE,     dq VIRT_BASE
        XEN_NOTE XEN_ELFNOTE_PADDR_OFFSET,  dq 0
        XEN_NOTE XEN_ELFNOTE_ENTRY,         dq _start
        XEN_NOTE XEN_ELFNOTE_HYPERCALL_PAGE, dq hypercall_page
        XEN_NOTE XEN_ELFNOTE_FEATURES,      db "!writable_page_tables|pae_pgdir_above_4gb", 0
        XEN_NOTE XEN_ELFNOTE_HV_START_LOW,  dq HYPERVISOR_VIRT_START
        XEN_NOTE XEN_ELFNOTE_SUPPORTED_FEATURES, dd (1 << XENFEAT_writable_page_tables)

section .text.entry progbits alloc exec nowrite align=16
global _start
extern kit_main
_start:
        cld
        mov     [kit_entry_rsp], rsp
        mov     [kit_entry_rsi], rsi
        mov     word [kit_entry_cs], cs
        mov     word [kit_entry_ss], ss
        lea     rsp, [boot_stack_top]
        xor     ebp, ebp
        mov     rdi, rsi
        call    kit_main
        ; kit_main shuts the domain down; should it ever return, crash.
.dead:
        and     rsp, -16
        sub     rsp, 16
        mov     dword [rsp], SHUTDOWN_crash
        mov     eax, HYPERVISOR_sched_op
        mov     edi, SCHEDOP_shutdown
        mov     rsi, rsp
        syscall
        pause
        jmp     .dead

; unsigned int kit_hypercall_clobbers(unsigned long nr, unsigned long a1,
;                                     unsigned long a2, long *result)
; Issue hypercall nr(a1, a2) by `syscall` with known values in every
; register the ABI says the hypervisor preserves (rbx, rbp, r12-r15, rsp),
; store the result in *result and return a bit mask of the registers that
; came back changed: 1 rbx, 2 rbp, 4 r12, 8 r13, 16 r14, 32 r15, 64 rsp.
; rax, rcx and r11 are the syscall's; the argument registers may be
; clobbered (Xen's debug builds do), so they are not checked.
section .text
global kit_hypercall_clobbers
kit_hypercall_clobbers:
        push    rbx
        push    rbp
        push    r12
        push    r13
        push    r14
        push    r15
        push    rcx
        mov     rax, rdi
        mov     rdi, rsi
        mov     rsi, rdx
        mov     rbx, 0x1b1b1b1b1b1b1b1b
        mov     rbp, 0x2b2b2b2b2b2b2b2b
        mov     r12, 0x3c3c3c3c3c3c3c3c
        mov     r13, 0x4d4d4d4d4d4d4d4d
        mov     r14, 0x5e5e5e5e5e5e5e5e
        mov     r15, 0x6f6f6f6f6f6f6f6f
        mov     [clobber_rsp], rsp
        syscall
        xor     ecx, ecx
        mov     r11, 0x1b1b1b1b1b1b1b1b
        cmp     rbx, r11
        je      .rbp
        or      ecx, 1
.rbp:   mov     r11, 0x2b2b2b2b2b2b2b2b
        cmp     rbp, r11
        je      .r12
        or      ecx, 2
.r12:   mov     r11, 0x3c3c3c3c3c3c3c3c
        cmp     r12, r11
        je      .r13
        or      ecx, 4
.r13:   mov     r11, 0x4d4d4d4d4d4d4d4d
        cmp     r13, r11
        je      .r14
        or      ecx, 8
.r14:   mov     r11, 0x5e5e5e5e5e5e5e5e
        cmp     r14, r11
        je      .r15
        or      ecx, 16
.r15:   mov     r11, 0x6f6f6f6f6f6f6f6f
        cmp     r15, r11
        je      .rsp
        or      ecx, 32
.rsp:   cmp     rsp, [clobber_rsp]
        je      .done
        or      ecx, 64
        mov     rsp, [clobber_rsp]
.done:  pop     rdx
        mov     [rdx], rax
        mov     eax, ecx
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbp
        pop     rbx
        ret

; The hypercall page (HYPERCALL_PAGE note).  The builder fills it with one
; 32-byte stub per hypercall; the kit's wrappers do not depend on it (they
; issue `syscall` directly, as Linux 6.1 does).  int3 until filled, so a
; call into an unfilled page faults at once instead of running on.
section .text.hypercall_page progbits alloc exec nowrite align=4096
global hypercall_page
hypercall_page:
        times 4096 db 0xcc

section .data
global kit_entry_rsp, kit_entry_rsi, kit_entry_cs, kit_entry_ss
align 8
kit_entry_rsp:  dq 0
kit_entry_rsi:  dq 0
clobber_rsp:    dq 0
kit_entry_cs:   dw 0
kit_entry_ss:   dw 0

section .bss
global boot_stack, boot_stack_top
alignb 16
boot_stack:     resb KIT_STACK_SIZE
boot_stack_top:
