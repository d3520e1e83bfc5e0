/* Writing benchmark parameters into a copy of a perf image (bench_image.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_image.h"

/* Layout of perf/bench.c's struct bench_params, little-endian. */
#define OFF_SELECT 16
#define OFF_SCALE  (OFF_SELECT + BENCH_SELECT_MAX)
#define OFF_REPS   (OFF_SCALE + 4)
#define OFF_ITERS  (OFF_REPS + 4)
#define PARAMS_LEN (OFF_ITERS + 4)

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int bench_patch(uint8_t *data, size_t len, const struct bench_params *p,
		const char *what, struct perr *e)
{
	size_t mlen = sizeof(BENCH_MAGIC) - 1, i, found = 0, at = 0;

	if (strlen(p->select) >= BENCH_SELECT_MAX)
		return perr_set(e, "bench: benchmark name '%s' too long",
				p->select);
	if (p->reps < 1 || p->reps > BENCH_MAX_REPS || p->scale_pct < 1 ||
	    p->scale_pct > BENCH_MAX_SCALE)
		return perr_set(e,
				"bench: bad parameters (scale %u%%, %u "
				"repetitions)",
				p->scale_pct, p->reps);
	for (i = 0; i + PARAMS_LEN <= len; i++)
		if (!memcmp(data + i, BENCH_MAGIC, mlen) &&
		    data[i + mlen] == 0) {
			found++;
			at = i;
		}
	if (found != 1)
		return perr_set(e,
				"%s: expected the benchmark parameter block "
				"('%s') once, found it %zu times (not a perf "
				"image?)",
				what, BENCH_MAGIC, found);
	memset(data + at + OFF_SELECT, 0, BENCH_SELECT_MAX);
	memcpy(data + at + OFF_SELECT, p->select, strlen(p->select));
	put_le32(data + at + OFF_SCALE, p->scale_pct);
	put_le32(data + at + OFF_REPS, p->reps);
	put_le32(data + at + OFF_ITERS, p->iters);
	return 0;
}

int bench_patch_file(const char *src, const char *dst,
		     const struct bench_params *p, struct perr *e)
{
	size_t len;
	char *data = read_whole_file(src, &len, e);
	FILE *f;
	int ret;

	if (!data)
		return -1;
	ret = bench_patch((uint8_t *)data, len, p, src, e);
	if (ret < 0)
		goto out;
	f = fopen(dst, "wb");
	if (!f || fwrite(data, 1, len, f) != len) {
		ret = perr_set(e, "cannot write %s: %s", dst, strerror(errno));
		if (f)
			fclose(f);
		goto out;
	}
	if (fclose(f) != 0)
		ret = perr_set(e, "cannot write %s: %s", dst, strerror(errno));
out:
	free(data);
	return ret;
}
