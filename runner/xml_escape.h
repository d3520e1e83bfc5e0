/* Escaping for the XML and HTML the runner writes. */
#ifndef POPEK_RUNNER_XML_ESCAPE_H
#define POPEK_RUNNER_XML_ESCAPE_H

#include <stdio.h>

/*
 * Write s with &<>"' escaped. Control characters that XML 1.0 cannot hold
 * (the serial port can produce anything) become U+FFFD.
 */
void xml_escape(FILE *f, const char *s);

#endif
