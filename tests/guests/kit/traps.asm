; SPDX-License-Identifier: MIT
;
; Exception entry for kit kernels (see traps.h).  The hypervisor enters a
; stub with rsp at a bounce frame, lowest address first:
;     rcx, r11, [error code], rip, cs | upcall mask << 32, rflags, rsp, ss
; and rcx/r11 holding whatever its SYSRET left there.  Each stub pushes
; whether its vector has an error code and the vector, the common code
; pushes the handler's own rflags and every general register, and calls
; kit_trap_dispatch (traps.c), which may rewrite the frame's rip.  Then, as
; Linux's xen_iret does: pop rcx and r11 from the frame, drop the error
; code, push flags 0, rcx, r11 and rax -- an iret_context ending in the
; frame's rip..ss -- and `syscall` with rax = __HYPERVISOR_iret.
;
; Also two probes the traps kernel needs registers it cannot name from C:
; kit_trap_regs_probe and kit_iret_probe.

bits 64
default rel

%define HYPERVISOR_iret 23

extern kit_trap_dispatch
extern kit_trap_resume

section .text

%macro STUB 1
kit_trap_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
        push    qword 1
%else
        push    qword 0
%endif
        push    qword %1
        jmp     kit_trap_common
%endmacro

%assign v 0
%rep 32
        STUB v
%assign v v + 1
%endrep

kit_trap_common:
        pushfq                          ; the handler's rflags, untouched so far
        push    rax
        push    rbx
        push    rcx
        push    rdx
        push    rsi
        push    rdi
        push    rbp
        push    r8
        push    r9
        push    r10
        push    r11
        push    r12
        push    r13
        push    r14
        push    r15
        cld
        mov     rdi, rsp
        mov     rbx, rsp
        and     rsp, -16
        call    kit_trap_dispatch
        mov     rsp, rbx
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     rbp
        pop     rdi
        pop     rsi
        pop     rdx
        pop     rcx
        pop     rbx
        pop     rax
        lea     rsp, [rsp + 8]          ; the handler's rflags
        cmp     qword [rsp + 8], 0      ; has an error code?
        lea     rsp, [rsp + 16]         ; vector, has-error (lea keeps the flags)
        pop     rcx
        pop     r11
        je      .iret
        lea     rsp, [rsp + 8]          ; the error code
.iret:  push    qword 0                 ; flags: not in a syscall
        push    rcx
        push    r11
        push    rax
        mov     eax, HYPERVISOR_iret
        syscall
        ud2                             ; HYPERVISOR_iret does not return here

section .rodata
global kit_trap_stubs
align 8
kit_trap_stubs:
%assign v 0
%rep 32
        dq      kit_trap_stub_ %+ v
%assign v v + 1
%endrep

section .text
; void kit_trap_regs_probe(uint64_t out[18])
global kit_trap_regs_probe, kit_trap_regs_probe_insn
kit_trap_regs_probe:
        push    rbx
        push    rbp
        push    r12
        push    r13
        push    r14
        push    r15
        push    rdi
        lea     rax, [regs_probe_resume]
        mov     [kit_trap_resume], rax
        mov     [probe_rsp], rsp
        mov     rax, 0x1010101010101010
        mov     rbx, 0x1111111111111111
        mov     rcx, 0x1212121212121212
        mov     rdx, 0x1313131313131313
        mov     rsi, 0x1414141414141414
        mov     rdi, 0x1515151515151515
        mov     rbp, 0x1616161616161616
        mov     r8,  0x1717171717171717
        mov     r9,  0x1818181818181818
        mov     r10, 0x1919191919191919
        mov     r11, 0x1a1a1a1a1a1a1a1a
        mov     r12, 0x1b1b1b1b1b1b1b1b
        mov     r13, 0x1c1c1c1c1c1c1c1c
        mov     r14, 0x1d1d1d1d1d1d1d1d
        mov     r15, 0x1e1e1e1e1e1e1e1e
        std
        stc
kit_trap_regs_probe_insn:
        ud2
regs_probe_resume:
        pushfq
        cld
        push    rdi
        mov     rdi, [rsp + 16]         ; out
        mov     [rdi + 0 * 8], rax
        mov     [rdi + 1 * 8], rbx
        mov     [rdi + 2 * 8], rcx
        mov     [rdi + 3 * 8], rdx
        mov     [rdi + 4 * 8], rsi
        pop     rax
        mov     [rdi + 5 * 8], rax
        mov     [rdi + 6 * 8], rbp
        mov     [rdi + 7 * 8], r8
        mov     [rdi + 8 * 8], r9
        mov     [rdi + 9 * 8], r10
        mov     [rdi + 10 * 8], r11
        mov     [rdi + 11 * 8], r12
        mov     [rdi + 12 * 8], r13
        mov     [rdi + 13 * 8], r14
        mov     [rdi + 14 * 8], r15
        pop     rax
        mov     [rdi + 16 * 8], rax     ; rflags
        mov     [rdi + 15 * 8], rsp
        mov     rax, [probe_rsp]
        mov     [rdi + 17 * 8], rax
        pop     rdi
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbp
        pop     rbx
        ret

; void kit_iret_probe(uint64_t flags, uint64_t rflags, uint64_t out[9],
;                     uint64_t cs, uint64_t ss)
global kit_iret_probe
kit_iret_probe:
        push    rbx
        push    rbp
        mov     rbx, rdx                ; out
        mov     rbp, rsp                ; the rsp to come back with
        lea     rax, [.back]
        mov     [rbx + 7 * 8], rbp
        mov     [rbx + 8 * 8], rax
        push    r8                      ; ss
        push    rbp                     ; rsp
        push    rsi                     ; rflags
        push    rcx                     ; cs
        push    rax                     ; rip
        push    rdi                     ; flags
        push    qword 0xc1              ; rcx
        push    qword 0xb1              ; r11
        push    qword 0xa1              ; rax
        mov     eax, HYPERVISOR_iret
        syscall
        ud2
.back:
        mov     [rbx + 0 * 8], rax
        mov     [rbx + 1 * 8], rcx
        mov     [rbx + 2 * 8], r11
        pushfq
        pop     qword [rbx + 3 * 8]
        cld
        xor     eax, eax
        mov     ax, cs
        mov     [rbx + 4 * 8], rax
        mov     ax, ss
        mov     [rbx + 5 * 8], rax
        mov     [rbx + 6 * 8], rsp
        mov     rsp, rbp
        pop     rbp
        pop     rbx
        ret

section .bss
align 8
probe_rsp:      resq 1
