/*
 * Reads port 0x99, which no device claims (all ones), and exits with
 * the value read: 0xff, status 0xff. --trace io names the port.
 */
#include "guest.h"

	in $0x99, %al
	out %al, $DEBUG_EXIT
