#!/bin/sh
# compare.sh POPEK RESULTS_SAME OUTDIR A-COMMAND -- B-COMMAND -- IMAGE...
# Runs `popek A-COMMAND... IMAGE... --json OUTDIR/a.json` and the same for
# B, then checks with results_same that both say the same thing about the
# images. A is the reference and must itself be clean (popek exit 0), so
# two runs broken the same way never pass; REF_BROKEN=1 (the deliberately
# broken selftest images) requires instead that A found unexpected results
# (exit 1). A command is either `run ARGS` or `ingest CAPTURE ARGS` (ingest
# takes no image list). Exits 77 with one line when a target is
# unavailable on this host (popek run exits 3 and says why).
set -u
popek=$1 same=$2 out=$3
shift 3
a="" b=""
while [ "$1" != "--" ]; do a="$a $1"; shift; done
shift
while [ "$1" != "--" ]; do b="$b $1"; shift; done
shift
mkdir -p "$out"
rm -f "$out/a.json" "$out/b.json"

run() { # json words...
	json=$1
	shift
	case $1 in
	ingest) "$popek" "$@" --json "$json" >"$json.log" 2>&1 ;;
	*) "$popek" "$@" --quiet --json "$json" $images >"$json.log" 2>&1 ;;
	esac
	st=$?
	if [ $st -eq 3 ]; then
		echo "not run: $(grep -m1 unavailable "$json.log" || tail -n1 "$json.log")"
		exit 77
	fi
	[ -f "$json" ] || { cat "$json.log"; echo "popek $* wrote no results"; exit 1; }
}
images="$*"
# shellcheck disable=SC2086
run "$out/a.json" $a
want=0
[ "${REF_BROKEN:-0}" = 1 ] && want=1
if [ $st -ne $want ]; then
	cat "$out/a.json.log"
	echo "the reference run (popek$a) exited $st, expected $want"
	exit 1
fi
# shellcheck disable=SC2086
run "$out/b.json" $b
exec "$same" "$out/a.json" "$out/b.json"
