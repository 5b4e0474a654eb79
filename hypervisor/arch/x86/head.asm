; SPDX-License-Identifier: MIT
; Multiboot2 header and the 32-bit entry: GRUB jumps here in protected mode
; with paging off.  We check for long mode, build just enough page tables to
; run at our link address (identity + direct map of the first 4 GiB, and the
; image at 0xffff82d040000000), enable long mode and jump to start_mica() in
; C.  Everything here runs at its physical address: the section is linked
; with VMA == LMA (see linker.ld).  The C side replaces these tables with
; its own as soon as it knows the memory map.

%define MB2_MAGIC        0xe85250d6
%define MB2_ARCH_I386    0
%define MB2_BOOT_MAGIC   0x36d76289

%define VIRT_BASE        0xffff82d040000000
%define PHYS_BASE        0x200000

%define PTE_P            0x001
%define PTE_W            0x002
%define PTE_PS           0x080

%define COM1             0x3f8
%define BOOT_STACK_SIZE  16384

extern start_mica
extern __stack_chk_guard
extern _image_phys_end

section .boot.mb2 progbits alloc noexec nowrite align=8
mb2_header:
        dd MB2_MAGIC
        dd MB2_ARCH_I386
        dd mb2_header_end - mb2_header
        dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
        ; module alignment tag: modules start on page boundaries
        align 8
        dw 6, 0
        dd 8
        ; end tag
        align 8
        dw 0, 0
        dd 8
mb2_header_end:

section .boot.text progbits alloc exec nowrite align=16
bits 32
global mb2_entry
mb2_entry:
        cli
        cld
        mov     esp, boot_stack32_top
        mov     edi, eax                ; multiboot2 magic
        mov     esi, ebx                ; physical address of the info block

        ; Long mode needs CPUID leaf 0x80000001 EDX bit 29.
        mov     eax, 0x80000000
        cpuid
        cmp     eax, 0x80000001
        jb      .no_long_mode
        mov     eax, 0x80000001
        cpuid
        test    edx, 1 << 29
        jz      .no_long_mode

        ; PML4[0] and PML4[262] -> PDPT covering 0..4 GiB (identity and direct
        ; map); PML4[261] -> PDPT whose entry 321 maps the image.
        mov     eax, boot_pdpt_low
        or      eax, PTE_P | PTE_W
        mov     [boot_pml4 + 0 * 8], eax
        mov     [boot_pml4 + 262 * 8], eax
        mov     eax, boot_pdpt_image
        or      eax, PTE_P | PTE_W
        mov     [boot_pml4 + 261 * 8], eax
        mov     eax, boot_pd_image
        or      eax, PTE_P | PTE_W
        mov     [boot_pdpt_image + 321 * 8], eax

        ; 4 page directories of 2 MiB pages = 4 GiB.
        xor     ecx, ecx
.fill_low:
        mov     eax, ecx
        shl     eax, 21
        or      eax, PTE_P | PTE_W | PTE_PS
        mov     edx, ecx
        shr     edx, 9                  ; high dword of the physical address
        mov     [boot_pd_low + ecx * 8], eax
        mov     [boot_pd_low + ecx * 8 + 4], edx
        inc     ecx
        cmp     ecx, 4 * 512
        jb      .fill_low
        xor     ecx, ecx
.fill_pdpt:
        mov     eax, ecx
        shl     eax, 12
        add     eax, boot_pd_low
        or      eax, PTE_P | PTE_W
        mov     [boot_pdpt_low + ecx * 8], eax
        inc     ecx
        cmp     ecx, 4
        jb      .fill_pdpt

        ; The image: 2 MiB pages from PHYS_BASE up to the end of the image.
        xor     ecx, ecx
        mov     ebx, PHYS_BASE
.fill_image:
        mov     eax, ebx
        or      eax, PTE_P | PTE_W | PTE_PS
        mov     [boot_pd_image + ecx * 8], eax
        inc     ecx
        add     ebx, 0x200000
        cmp     ebx, _image_phys_end
        jb      .fill_image

        ; PAE, then EFER.LME, then paging.
        mov     eax, cr4
        or      eax, 1 << 5
        mov     cr4, eax
        mov     eax, boot_pml4
        mov     cr3, eax
        mov     ecx, 0xc0000080
        rdmsr
        or      eax, 1 << 8
        wrmsr
        mov     eax, cr0
        or      eax, (1 << 31) | (1 << 16) | 1  ; PG, WP, PE
        mov     cr0, eax

        lgdt    [boot_gdt_ptr]
        jmp     0x08:long_mode64

.no_long_mode:
        mov     esi, msg_no_long_mode
        call    early_puts32
.halt32:
        hlt
        jmp     .halt32

; Write the NUL-terminated string at esi to COM1 at 115200 8N1.
early_puts32:
        mov     dx, COM1 + 1
        xor     al, al
        out     dx, al                  ; no interrupts
        mov     dx, COM1 + 3
        mov     al, 0x80
        out     dx, al                  ; DLAB
        mov     dx, COM1
        mov     al, 1
        out     dx, al                  ; divisor 1 = 115200
        mov     dx, COM1 + 1
        xor     al, al
        out     dx, al
        mov     dx, COM1 + 3
        mov     al, 3
        out     dx, al                  ; 8N1
.next:
        lodsb
        test    al, al
        jz      .done
        mov     ah, al
        mov     dx, COM1 + 5
.wait:
        in      al, dx
        test    al, 0x20
        jz      .wait
        mov     dx, COM1
        mov     al, ah
        out     dx, al
        jmp     .next
.done:
        ret

bits 64
long_mode64:
        xor     eax, eax
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     fs, ax
        mov     gs, ax
        mov     rax, high64
        jmp     rax

section .text
high64:
        lea     rsp, [rel boot_stack_top]
        xor     ebp, ebp                ; ends the backtrace chain
        ; A stack-protector canary that differs from boot to boot; it must
        ; be set before the first protected function returns.
        rdtsc
        shl     rdx, 32
        or      rax, rdx
        mov     rcx, 0x9e3779b97f4a7c15
        imul    rax, rcx
        mov     [rel __stack_chk_guard], rax
        ; start_mica(magic, info_phys); the upper halves of the registers
        ; are undefined after the switch from 32-bit mode.
        mov     edi, edi
        mov     esi, esi
        call    start_mica
.hang:
        cli
        hlt
        jmp     .hang

section .boot.data progbits alloc noexec write align=16
boot_gdt:
        dq 0
        dq 0x00af9a000000ffff           ; 0x08: 64-bit ring-0 code
boot_gdt_ptr:
        dw $ - boot_gdt - 1
        dd boot_gdt
msg_no_long_mode:
        db "Mica: this CPU has no 64-bit long mode; Mica needs an x86-64 CPU.", 13, 10, 0

section .boot.bss nobits alloc noexec write align=4096
boot_pml4:       resb 4096
boot_pdpt_low:   resb 4096
boot_pdpt_image: resb 4096
boot_pd_image:   resb 4096
boot_pd_low:     resb 4 * 4096
                 resb 1024
boot_stack32_top:

section .bss nobits alloc noexec write align=16
global boot_stack_bottom
boot_stack_bottom:
        resb BOOT_STACK_SIZE
global boot_stack_top
boot_stack_top:
