#!/usr/bin/python3
"""Writes Lab 4's self-modifying guest: a Multiboot ELF32 kernel of 35 bytes.

    python3 docs/labs/smc_guest.py smc.elf

Paging stays off (bt-simple runs guests with paging off). The guest adds
`mov al, 5` into BL three times in a loop, then overwrites the 5 in that
instruction with 7, and runs the loop again: BL = 3*5 + 3*7 = 36 if the
monitor noticed the store, 30 if it kept running the stale translation.
It writes BL to the exit port 0xf4, so refvmm's exit status is
(36 << 1) | 1 = 73 when right. The Multiboot header asks for nothing
(flags 0x3: page-aligned modules, memory map); the loader uses the ELF
program header.
"""
import struct
import sys

BASE = 0x100000
IMM = BASE + 0x0d  # the immediate of "mov al, 5"

CODE = bytes([
    0x31, 0xdb,                     # 100000  xor ebx, ebx
    0xbe, 0x02, 0x00, 0x00, 0x00,   # 100002  mov esi, 2        two passes
    0xb9, 0x03, 0x00, 0x00, 0x00,   # 100007  mov ecx, 3        pass:
    0xb0, 0x05,                     # 10000c  mov al, 5         loop:
    0x00, 0xc3,                     # 10000e  add bl, al
    0x49,                           # 100010  dec ecx
    0x75, 0xf9,                     # 100011  jnz loop
]) + bytes([0xc6, 0x05]) + struct.pack('<I', IMM) + bytes([
    0x07,                           # 100013  mov byte [0x10000d], 7
    0x4e,                           # 10001a  dec esi
    0x75, 0xea,                     # 10001b  jnz pass
    0x88, 0xd8,                     # 10001d  mov al, bl
    0xe6, 0xf4,                     # 10001f  out 0xf4, al      exit port
    0xfa, 0xf4,                     # 100021  cli; hlt
])

DATA_OFF = 0x400


def elf(code):
    ehdr = struct.pack('<16sHHIIIIIHHHHHH',
                       b'\x7fELF\x01\x01\x01' + bytes(9),
                       2, 3, 1,            # ET_EXEC, EM_386, EV_CURRENT
                       BASE, 52, 0, 0,     # entry, phoff, shoff, flags
                       52, 32, 1, 0, 0, 0)  # sizes, one program header
    phdr = struct.pack('<8I', 1, DATA_OFF, BASE, BASE, len(code), 0x1000,
                       7, 4)               # PT_LOAD, RWX
    magic, flags = 0x1BADB002, 0x3
    mb = struct.pack('<3I', magic, flags, (-(magic + flags)) & 0xffffffff)
    img = bytearray(DATA_OFF + len(code))
    img[0:52] = ehdr
    img[52:84] = phdr
    img[0x200:0x20c] = mb
    img[DATA_OFF:] = code
    return bytes(img)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: smc_guest.py OUT.elf')
    with open(sys.argv[1], 'wb') as f:
        f.write(elf(CODE))
