/*
 * Fixed-width names used throughout refvmm, and the few helpers every file
 * wants. Guest physical addresses get their own type so host pointers and
 * guest addresses cannot be confused (the KVM selftests habit).
 */
#ifndef REFVMM_TYPES_H
#define REFVMM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

typedef u64 gpa_t; /* guest physical address */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KiB	      (1024ull)
#define MiB	      (1024ull * KiB)
#define GiB	      (1024ull * MiB)
#define NSEC_PER_SEC  1000000000ull

#endif
