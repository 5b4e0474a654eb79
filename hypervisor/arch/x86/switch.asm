; SPDX-License-Identifier: MIT
; Switching between hypervisor stacks: each vCPU (and each CPU's idle loop)
; has its own, so a vCPU that blocks inside a hypercall keeps its place
; there while another runs.

bits 64
default rel
extern vcpu_first_run

section .text
; void switch_stack(uint64_t *save_rsp, uint64_t new_rsp): save the
; callee-saved registers and RSP of the running context, resume the one
; whose RSP is new_rsp (saved the same way, or prepared by
; vcpu_stack_init) at its own switch_stack return.
global switch_stack
switch_stack:
        push    rbp
        push    rbx
        push    r12
        push    r13
        push    r14
        push    r15
        mov     [rdi], rsp
        mov     rsp, rsi
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbx
        pop     rbp
        ret

; A new vCPU's first switch "returns" here with its struct vcpu in r12.
global vcpu_stack_entry
vcpu_stack_entry:
        mov     rdi, r12
        xor     ebp, ebp                ; the backtrace ends here
        call    vcpu_first_run          ; never returns
        ud2
