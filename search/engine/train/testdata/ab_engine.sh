#!/bin/sh
# A/B of BenchmarkEngine training between test binaries of search/engine/train,
# run alternately so that the machine's drift hits both alike, with the
# median of each binary's runs (this machine's two-worker figures spread by
# about 5% from run to run, so one run proves nothing).
#
#   git checkout OLD && go test -c -o /tmp/old.test ./search/engine/train
#   git checkout NEW && go test -c -o /tmp/new.test ./search/engine/train
#   search/engine/train/testdata/ab_engine.sh 2 4 /tmp/old.test /tmp/new.test
#
# Arguments: GOMAXPROCS, rounds, then the test binaries. BENCHTIME (default
# 4) sets -test.benchtime in training steps. Prints, per network and binary,
# the median and every run: images/s with GOMAXPROCS > 1, images per
# CPU-second with GOMAXPROCS=1.
set -eu
procs=$1
rounds=$2
shift 2
col=7 # images/s
if [ "$procs" = 1 ]; then col=5; fi # images/cpu-s
dir=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
r=0
while [ $r -lt "$rounds" ]; do
	for b in "$@"; do
		(cd "$dir" && GOMAXPROCS=$procs "$b" -test.run '^$' -test.bench 'Engine/.*/train' \
			-test.benchtime "${BENCHTIME:-4}x") | grep '^BenchmarkEngine' |
			awk -v b="$b" -v c=$col '{split($1, n, "/"); print n[2], b, $c}' >>"$out"
	done
	r=$((r + 1))
done
sort -k1,1 -k2,2 -s "$out" | awk '
function flush() {
	if (key == "") return
	m = (cnt % 2) ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
	printf "%s median %.1f:%s\n", key, m, runs
}
{
	k = $1 " " $2
	if (k != key) { flush(); key = k; cnt = 0; runs = "" }
	cnt++; v[cnt] = $3; runs = runs " " $3
	# insertion sort of the values seen so far
	for (i = cnt; i > 1 && v[i-1] > v[i]; i--) { t = v[i]; v[i] = v[i-1]; v[i-1] = t }
}
END { flush() }'
