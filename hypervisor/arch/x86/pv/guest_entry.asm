; SPDX-License-Identifier: MIT
; Entering and leaving a PV guest, and copying to and from its memory.
;
; The guest kernel runs in ring 3 and makes hypercalls with `syscall`, which
; does not switch stacks: syscall_entry saves the guest's RSP, loads the
; hypervisor stack and builds the same struct cpu_regs frame the exception
; stubs build (vector = TRAP_SYSCALL), so every way in ends with one frame
; at the top of the stack.  Interrupts stay off (SFMASK clears IF).
; guest_exit restores a frame and returns with SYSRET when the frame came
; from `syscall` and its RIP is canonical, else with IRETQ: SYSRET to a
; non-canonical RIP would fault in ring 0 on the guest's stack.

bits 64
%include "regs.inc"
default rel

%define TRAP_SYSCALL 0x100
%define FLAT_KERNEL_CS 0xe033
%define FLAT_KERNEL_SS 0xe02b

extern hypercall_entry
extern compat_syscall_entry
extern cpu_stack_top

section .bss
align 8
syscall_saved_rsp: resq 1

section .text
; Build a struct cpu_regs frame on the hypervisor stack from SYSCALL state
; (RCX = guest RIP, R11 = guest RFLAGS, RSP = guest RSP) and call %1.
%macro SYSCALL_FRAME 2
        mov     [syscall_saved_rsp], rsp
        mov     rsp, [cpu_stack_top]    ; the running vCPU's own stack
        push    FLAT_KERNEL_SS
        push    qword [syscall_saved_rsp]
        push    r11                     ; guest RFLAGS
        push    FLAT_KERNEL_CS
        push    rcx                     ; guest RIP
        push    0                       ; error code
        push    %2                      ; vector
        PUSH_GPRS
        cld
        xor     ebp, ebp                ; the backtrace ends here
        mov     rdi, rsp
        call    %1                      ; never returns: ends in guest_exit
%endmacro

global syscall_entry
syscall_entry:
        SYSCALL_FRAME hypercall_entry, TRAP_SYSCALL

; SYSCALL from 32-bit compatibility mode: Mica runs no 32-bit guests, so
; it is the guest's invalid opcode (vector 6), never a jump to nowhere.
global cstar_entry
cstar_entry:
        SYSCALL_FRAME compat_syscall_entry, 6

; guest_exit(struct cpu_regs *frame): leave for the guest.  The frame must
; be the one at the top of the stack (or anywhere: we switch to it).
global guest_exit
guest_exit:
        mov     rsp, rdi
        cmp     qword [rsp + 15 * 8], TRAP_SYSCALL
        jne     .iret
        ; SYSRET only to a canonical RIP: bits 63:47 all equal.
        mov     rax, [rsp + 17 * 8]
        sar     rax, 47
        inc     rax
        cmp     rax, 1
        ja      .iret
        POP_GPRS
        mov     rcx, [rsp + 2 * 8]      ; RIP
        mov     r11, [rsp + 4 * 8]      ; RFLAGS
        mov     rsp, [rsp + 5 * 8]      ; guest RSP, last
        o64 sysret
.iret:
        POP_GPRS
        add     rsp, 16                 ; vector and error code
global guest_iret_insn
guest_iret_insn:
        iretq

; size_t copy_guest_raw(void *dst, const void *src, size_t n): returns the
; number of bytes NOT copied.  A fault on the copy (the guest gave a bad or
; read-only address) resumes at .fault (the exception table), with RCX the
; bytes left.
global copy_guest_raw
copy_guest_raw:
        mov     rcx, rdx
.copy:  rep movsb
        xor     eax, eax
        ret
.fault: mov     rax, rcx                ; bytes left
        ret
        EX_TABLE copy_guest_raw.copy, copy_guest_raw.fault

; void load_user_gs_sel(uint16_t sel): load the guest user-mode %gs from a
; selector, as SEGBASE_GS_USER_SEL asks: with the user GS base active
; (swapgs), load %gs, swap back.  A selector the CPU refuses (#GP, #NP, or
; a #PF on an LDT page that cannot be mapped) resumes at .fault, which
; loads the null selector instead (Xen returns no error either).
global load_user_gs_sel
load_user_gs_sel:
        swapgs
.load:  mov     gs, di
.done:  swapgs
        ret
.fault: xor     eax, eax
        mov     gs, ax
        jmp     .done
        EX_TABLE load_user_gs_sel.load, load_user_gs_sel.fault

; void load_data_sel(unsigned int which, uint16_t sel): load DS, ES, FS or
; GS (which = 0..3) with a vCPU's saved selector at a context switch.  A
; selector the CPU refuses now (its descriptor changed, or sits in an LDT
; page that cannot be mapped) faults on one of the loads, which resume at
; .fault: null is loaded instead.
global load_data_sel
load_data_sel:
        cmp     edi, 1
        jb      .ds
        je      .es
        cmp     edi, 2
        je      .fs
.gs:    mov     gs, si
        ret
.ds:    mov     ds, si
        ret
.es:    mov     es, si
        ret
.fs:    mov     fs, si
        ret
.fault: xor     esi, esi
        jmp     load_data_sel
        EX_TABLE load_data_sel.gs, load_data_sel.fault
        EX_TABLE load_data_sel.ds, load_data_sel.fault
        EX_TABLE load_data_sel.es, load_data_sel.fault
        EX_TABLE load_data_sel.fs, load_data_sel.fault
