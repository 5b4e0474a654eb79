; SPDX-License-Identifier: MIT
; Exception and interrupt entry.  One small stub per vector pushes a dummy
; error code where the CPU pushes none, then the vector number, so every
; entry reaches exception_handler() with the same struct cpu_regs layout
; (include/mica/x86.h).  The CPU has already aligned RSP to 16 bytes; the
; 22 quadwords on the stack keep it aligned for the C call.

bits 64
%include "regs.inc"
default rel
extern exception_handler
extern cpu_stack_top

; Vectors for which the CPU pushes an error code.
%macro has_errcode 1
  %if %1 == 8 || %1 == 10 || %1 == 11 || %1 == 12 || %1 == 13 || %1 == 14 || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
    %assign errcode 1
  %else
    %assign errcode 0
  %endif
%endmacro

section .text
align 16
common_entry:
        PUSH_GPRS
        cld
        mov     rdi, rsp
        call    exception_handler
        POP_GPRS
        add     rsp, 16                 ; vector and error code
global exception_iret_insn
exception_iret_insn:
        iretq

%assign i 0
%rep 256
align 16
entry_stub_ %+ i:
        has_errcode i
  %if errcode == 0
        push    0
  %endif
        push    i
  %if i == 1
        jmp     debug_entry
  %else
        jmp     common_entry
  %endif
%assign i i + 1
%endrep

; #DB arrives on its own IST stack (desc.c).  Taken in ring 0 it is handled
; there; taken in the guest, its frame (vector, error code and the CPU's
; five words) moves to where every other entry from the guest puts it, the
; top of the running vCPU's stack, so that the way back, which may switch
; vCPUs, never runs on the IST stack.
debug_entry:
        test    qword [rsp + 3 * 8], 3  ; CS
        jz      common_entry
        push    rax
        push    rcx
        mov     rax, [cpu_stack_top]
%assign k 0
%rep 7
        mov     rcx, [rsp + (2 + k) * 8]
        mov     [rax - (7 - k) * 8], rcx
%assign k k + 1
%endrep
        pop     rcx
        pop     rax
        mov     rsp, [cpu_stack_top]
        sub     rsp, 7 * 8
        jmp     common_entry

section .rodata
align 8
global entry_stubs
entry_stubs:
%assign i 0
%rep 256
        dq      entry_stub_ %+ i
%assign i i + 1
%endrep
