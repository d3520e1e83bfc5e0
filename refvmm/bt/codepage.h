/*
 * Code pages (codepage.c): the guest pages that hold translated
 * instructions, write-protected (traced) with a snapshot of their bytes,
 * so that a write to translated code is seen (smc.c decides what it
 * means). Pages shared with hot data are not protected: their blocks
 * check themselves instead.
 */
#ifndef REFVMM_BT_CODEPAGE_H
#define REFVMM_BT_CODEPAGE_H

#include "vm.h"

/* The code page of guest page @pfn, or NULL. */
struct bt_codepage *codepage__find(const struct bt_vm *b, u32 pfn);
/* Translated code covers @len bytes at linear @lin: protect their pages,
 * snapshot each the first time. */
void codepage__note(struct bt_vm *b, u32 lin, u32 len);
/* What the host mapping of guest page @pfn must allow now: read-only
 * while it holds translations, less for a data breakpoint; with paging
 * the shadow traces it instead. */
void codepage__protect(const struct bt_vm *b, u32 pfn);
/* Is @lin on a page whose guest stores fault as code-page writes? */
bool codepage__protected(const struct bt_vm *b, u32 lin);
/* Do the translated bytes of @p differ from its snapshot now? */
bool codepage__changed(const struct bt_vm *b, const struct bt_codepage *p);
/* Is @lin on a page whose blocks check themselves (never protected)? */
bool codepage__selfcheck(const struct bt_vm *b, u32 lin);
/* The cache is flushed: no code pages any more, every page open again
 * (but for data breakpoints). */
void codepage__forget_all(struct bt_vm *b);

#endif
