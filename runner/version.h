/*
 * The popek that is running: its version (the CMake project's) and the
 * commit it was built from, so every results file says what wrote it.
 */
#ifndef POPEK_RUNNER_VERSION_H
#define POPEK_RUNNER_VERSION_H

const char *popek_version(void);
/* `git describe --always --dirty` of the source tree at build time, or
 * "unknown" when it was not built from a git checkout. */
const char *popek_commit(void);

#endif
