/*
 * The translation log (translog.h), buffered: the monitor writes it at
 * most every 64 KiB and when the engine ends.
 */
#include <stdio.h>
#include <unistd.h>

#include "translog.h"

#define LINE_MAX_LEN (20 + 2 * 15 + 2)

void translog__flush(struct bt_vm *b)
{
	size_t off = 0;

	while (off < b->translog_len) {
		ssize_t w = write(b->translog_fd, b->translog_buf + off,
				  b->translog_len - off);

		if (w <= 0)
			break; /* a full disk loses log lines, not the run */
		off += (size_t)w;
	}
	b->translog_len = 0;
}

void translog__insn(struct bt_vm *b, const u8 *g, const struct bt_insn *in)
{
	enum bt_kind k = kind__of(g, in);
	char *p;

	b->st.kinds[k]++;
	if (b->translog_fd <= 2)
		return;
	if (b->translog_len + LINE_MAX_LEN > sizeof(b->translog_buf))
		translog__flush(b);
	p = b->translog_buf + b->translog_len;
	p += sprintf(p, "%s ", bt_kind_names[k]);
	for (u32 i = 0; i < in->len; i++)
		p += sprintf(p, "%02x", g[i]);
	*p++ = '\n';
	b->translog_len = (size_t)(p - b->translog_buf);
}
