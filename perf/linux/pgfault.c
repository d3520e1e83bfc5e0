/*
 * pgfault: demand-zero page faults. Anonymous memory is mapped in chunks,
 * each page is read (it must be zero) and written once, then the chunk is
 * unmapped; every first touch is a not-present fault that the kernel
 * fills with a zeroed frame. iterations counts pages.
 */
#include "result.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK_PAGES 256ul

int main(int argc, char **argv)
{
	unsigned long n = result__iterations(argc, argv, "pgfault", 10000);
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	uint64_t start = result__now_ns();

	for (unsigned long done = 0; done < n;) {
		unsigned long pages =
			n - done < CHUNK_PAGES ? n - done : CHUNK_PAGES;
		volatile uint32_t *p =
			mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			result__fail("pgfault", "mmap failed");
		for (unsigned long i = 0; i < pages; i++) {
			volatile uint32_t *w = p + i * page / sizeof(*p);

			if (*w != 0)
				result__fail("pgfault", "page not zero");
			*w = (uint32_t)(done + i) | 1;
			if (*w != ((uint32_t)(done + i) | 1))
				result__fail("pgfault", "write lost");
		}
		if (munmap((void *)p, pages * page) != 0)
			result__fail("pgfault", "munmap failed");
		done += pages;
	}
	result__print("pgfault", n, result__now_ns() - start);
	return 0;
}
