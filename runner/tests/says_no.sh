#!/bin/sh
# A requires command that refuses (test_target.c, usability_by_command):
# output on both streams, the reason last.
echo "checking for the widget"
echo "says_no: this host lacks the widget" >&2
exit 4
