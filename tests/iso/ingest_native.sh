#!/bin/sh
# ingest_native.sh POPEK CAPTURE IMAGES OUTDIR
# A capture ingested with no target file (the default, `native`): its host
# class is the capture's CPU with backend `native`, no known infidelity
# applies (so QEMU's three LOCK MOV / ES-limit fails are plain fails and
# popek exits 1), and `popek report` shows the native column.
set -u
popek=$1 capture=$2 images=$3 out=$4
mkdir -p "$out"
rm -f "$out/native.json"
"$popek" ingest "$capture" --images "$images" --json "$out/native.json" >"$out/ingest.log" 2>&1
st=$?
cat "$out/ingest.log"
[ $st -eq 1 ] || { echo "ingest exited $st, expected 1 (3 fails)"; exit 1; }
grep -q '"host_class": "AuthenticAMD-15-107/native"' "$out/native.json" ||
	{ echo "no AuthenticAMD-15-107/native host class in the results"; exit 1; }
grep -Eq '^native +AuthenticAMD-15-107/native +28 +3 +0 +0 +0 +0 +0 +2 +0' "$out/ingest.log" ||
	{ echo "summary is not 28 pass, 3 fail for the 2 images"; exit 1; }
"$popek" report "$out/native.json" >"$out/report.log" 2>&1
grep -q 'AuthenticAMD-15-107/native' "$out/report.log" ||
	{ cat "$out/report.log"; echo "report shows no native column"; exit 1; }
echo "ingest: native host class, 28 pass, 3 fail, shown by popek report"
