/*
 * Page-table helpers for the three paging modes (SDM Vol. 3A, chapter 4):
 * 2-level (32-bit, 4 KiB and 4 MiB pages), PAE (3-level, 32-bit) and
 * 4-level (long mode). Entries are handled as u64 whatever their size.
 */
#ifndef GUEST_PAGING_H
#define GUEST_PAGING_H

#include "lib.h"

#define PT_P   (1ull << 0)
#define PT_RW  (1ull << 1)
#define PT_US  (1ull << 2)
#define PT_PWT (1ull << 3)
#define PT_PCD (1ull << 4)
#define PT_A   (1ull << 5)
#define PT_D   (1ull << 6)
#define PT_PS  (1ull << 7)
#define PT_G   (1ull << 8)
#define PT_NX  (1ull << 63)

enum pg_mode { PG_2LEVEL, PG_PAE, PG_4LEVEL };

struct pgtable {
	enum pg_mode mode;
	u64 root; /* physical address of the top table (what CR3 holds) */
};

/* Identity-mapped pool the tables and probes take pages from. */
void *alloc_page(void);
void free_all_pages_after(void *mark);

static inline int pg_levels(enum pg_mode m)
{
	return m == PG_2LEVEL ? 2 : m == PG_PAE ? 3 : 4;
}

/* Builds tables that identity-map [0, bytes) with 4 KiB pages and flags. */
void pg_identity(struct pgtable *pt, enum pg_mode mode, u64 bytes, u64 flags);
/*
 * The entry that maps va at level (1 = PTE, 2 = PDE, ...). With alloc,
 * missing tables are created (flags P|RW|US) and large pages split.
 * Returns NULL when a table is missing or a large page stops the walk.
 */
void *pg_entry(struct pgtable *pt, ulong va, int level, bool alloc);
u64 pg_read(struct pgtable *pt, void *entry);
void pg_write(struct pgtable *pt, void *entry, u64 value);
/* Maps the 4 KiB page at va to pa with flags (P added), then INVLPG. */
void pg_map(struct pgtable *pt, ulong va, u64 pa, u64 flags);
/* Clears the PTE for va, then INVLPG. */
void pg_unmap(struct pgtable *pt, ulong va);
u64 pg_get_pte(struct pgtable *pt, ulong va);
void pg_set_pte(struct pgtable *pt, ulong va, u64 pte);

/* Turns paging on with these tables (32-bit images: sets CR4.PAE as needed). */
void pg_enable(struct pgtable *pt);
/* 32-bit images only: back to linear = physical. */
void pg_disable(void);
void reload_cr3(void);

/* The tables the runtime runs under: boot tables in 64-bit images, NULL in
 * 32-bit. */
struct pgtable *pg_current(void);

#endif
