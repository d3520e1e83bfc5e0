/*
 * The version and commit come from a header the build writes at every
 * build (version.cmake), so a rebuild after a commit records the new one.
 */
#include "version.h"

#include "popek_version.h"

const char *popek_version(void)
{
	return POPEK_VERSION;
}

const char *popek_commit(void)
{
	return POPEK_COMMIT;
}
