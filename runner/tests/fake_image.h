/*
 * A fake image and target for runner unit tests that classify or
 * restart without booting anything: an image declaring given check ids,
 * a target parsed from text.
 */
#ifndef POPEK_RUNNER_TESTS_FAKE_IMAGE_H
#define POPEK_RUNNER_TESTS_FAKE_IMAGE_H

#include "elf_image.h"
#include "target.h"

/* @img gets name "img", path "/x/img.elf", width 32 and one declared
 * check per id of the NULL-terminated @ids ("desc of <id>"). */
void fake_image(struct image *img, const char *const *ids);

/* Parses @text as /t/fake.conf into @tgt; a parse error fails the test. */
void fake_target(struct target *tgt, const char *text);

#endif
