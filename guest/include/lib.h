/* Freestanding helpers every guest file may use: types, string functions,
 * printf. */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef unsigned long ulong;

#define ARRAY_SIZE(a)  (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((typeof(x))(a)-1))
#define PAGE_SIZE      4096ul
#define __noreturn     __attribute__((noreturn))
#define __aligned(n)   __attribute__((aligned(n)))

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

/* printf-style formatting: %d %i %u %x %X %lx %llx %p %s %c %%, width and
 * 0-pad. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void puts_raw(const char *s);

/* Ends the run: prints "popek: exit N", writes N to port 0xf4, halts. */
void __noreturn guest_exit(int code);

#endif
