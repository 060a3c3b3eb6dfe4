#!/bin/sh
# tests/fuzz/run.sh BUILD SECONDS JOBS TARGET... - run libFuzzer targets
# (make fuzz).  Each runs for SECONDS (0: only its seed corpus), JOBS at
# a time, on BUILD/corpus/TARGET (new inputs, kept between runs) plus the
# seeds in tests/fuzz/corpus/TARGET (read, never written).  A crash, leak,
# UB report, timeout, out-of-memory or failed property check saves the
# input in BUILD/artifacts/TARGET/ (emptied first) and fails the run.
# Extra libFuzzer flags come from $FUZZ_ARGS.
set -u

[ $# -ge 3 ] || { echo "usage: $0 BUILD SECONDS JOBS TARGET..." >&2; exit 2; }
build=$1 secs=$2 jobs=$3
shift 3
case $secs in ''|*[!0-9]*) echo "FUZZ_SECONDS must be a number" >&2; exit 2;; esac
case $jobs in ''|*[!0-9]*|0) jobs=1;; esac

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# GLib's process-lifetime allocations, if any module reaches GLib.
supp="$(pwd)/tests/asan.supp"
export LSAN_OPTIONS="suppressions=$supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

mkdir -p "$build/logs"

run_one() {
	t=$1
	rm -rf "$build/artifacts/$t"	# what this run finds, only
	mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
	set -- -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
	    -artifact_prefix="$build/artifacts/$t/"
	if [ "$secs" = 0 ]; then
		set -- "$@" -runs=0
	else
		set -- "$@" -max_total_time="$secs"
	fi
	[ -f "tests/fuzz/$t.dict" ] && set -- "$@" -dict="tests/fuzz/$t.dict"
	# shellcheck disable=SC2086
	set -- "$@" ${FUZZ_ARGS:-} "$build/corpus/$t"
	[ -d "tests/fuzz/corpus/$t" ] && set -- "$@" "tests/fuzz/corpus/$t"
	"$build/$t" "$@" >"$build/logs/$t.log" 2>&1
	echo $? >"$build/logs/$t.rc"
}

start=$(date +%s)
n=0
for t in "$@"; do
	run_one "$t" &
	n=$((n + 1))
	if [ "$n" -ge "$jobs" ]; then
		wait
		n=0
	fi
done
wait

failed=""
for t in "$@"; do
	rc=$(cat "$build/logs/$t.rc" 2>/dev/null || echo 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$build/logs/$t.log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9/a-zA-Z]*' \
	    "$build/logs/$t.log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		printf 'fuzz: ok   %-14s %8s runs  %s\n' "$t" "${runs:-?}" "$cov"
	else
		printf 'fuzz: FAIL %-14s exit %s; log %s\n' "$t" "$rc" \
		    "$build/logs/$t.log"
		failed="$failed $t"
	fi
done
for t in $failed; do
	echo "==== $t (last lines of $build/logs/$t.log)"
	grep -v '^#[0-9]' "$build/logs/$t.log" | tail -n 40
	saved=$(find "$build/artifacts/$t" -type f | wc -l)
	echo "==== $saved input(s) saved in $build/artifacts/$t/, e.g.:"
	find "$build/artifacts/$t" -type f | head -n 3
done
echo "fuzz: $# targets, ${secs}s each, $jobs at a time, $(($(date +%s) - start))s"
[ -z "$failed" ] || { echo "fuzz: FAILED:$failed" >&2; exit 1; }
