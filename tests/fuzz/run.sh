#!/bin/sh
# tests/fuzz/run.sh [SECONDS_EACH] - build the libFuzzer targets with clang,
# ASan and UBSan, and run each one for SECONDS_EACH (default 60) over a copy
# of its seed corpus. Prints "fuzz NAME: ok (N execs)" or "fuzz NAME: CRASH
# ARTEFACT" per target; exits 1 if any target crashed or failed to run.
#
# Environment: FUZZ_BUILD_DIR (default SRC/build-fuzz), CC (default clang).
# Outputs (grown corpus, artefacts, logs) go to FUZZ_BUILD_DIR/fuzz-out/NAME/.
# To grow the checked-in seeds, minimise first:
#   TARGET -merge=1 tests/fuzz/corpus/NAME FUZZ_BUILD_DIR/fuzz-out/NAME/corpus
set -eu

secs=${1:-60}
case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS_EACH]" >&2; exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
CC=${CC:-clang}
export CC

if ! "$CC" --version 2>/dev/null | grep -q clang; then
	echo "fuzz: $CC is not clang; libFuzzer needs clang" >&2
	exit 2
fi

if [ ! -f "$build/build.ninja" ]; then
	# Coverage instrumentation for every library (fuzzer-no-link), the
	# driver only in the targets (tests/fuzz/meson.build).
	meson setup "$build" "$src" -Dfuzzing=true \
	    -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized
else
	# meson.build tests fs.exists() at configure time: pick up targets
	# added since the last setup.
	meson setup --reconfigure "$build" "$src" >/dev/null
fi

# Targets are the fuzz_*.c files present; each must be listed in meson.build.
names=
for f in "$here"/fuzz_*.c; do
	[ -e "$f" ] || continue
	names="$names $(basename "$f" .c)"
done
if [ -z "$names" ]; then
	echo "fuzz: no tests/fuzz/fuzz_*.c targets" >&2
	exit 1
fi
targets=
for n in $names; do
	targets="$targets tests/fuzz/$n"
done
# shellcheck disable=SC2086
ninja -C "$build" $targets

# UBSan reports must stop the run so libFuzzer saves the input.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

# dict_for NAME OUT: concatenate the dictionaries that fit NAME into OUT
# (libFuzzer takes one -dict). sh has no locals: _-prefixed names only.
dict_for() {
	: >"$2"
	case $1 in
	fuzz_jwt) set -- "$2" jwt.dict json.dict ;;
	fuzz_policy) set -- "$2" policy.dict json.dict ;;
	fuzz_conf) set -- "$2" conf.dict policy.dict json.dict ;;
	fuzz_form) set -- "$2" form.dict ;;
	fuzz_login) set -- "$2" login.dict form.dict json.dict ;;
	*) set -- "$2" "${1#fuzz_}.dict" ;;
	esac
	_dict_out=$1
	shift
	for _d in "$@"; do
		if [ -f "$here/$_d" ]; then
			cat "$here/$_d" >>"$_dict_out"
		fi
	done
	[ -s "$_dict_out" ]
}

failed=0
for n in $names; do
	exe=$build/tests/fuzz/$n
	out=$build/fuzz-out/$n
	rm -rf "$out"
	mkdir -p "$out/corpus" "$out/artefacts"
	if [ -d "$here/corpus/$n" ]; then
		cp -R "$here/corpus/$n/." "$out/corpus/"
	fi
	set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$out/artefacts/"
	if dict_for "$n" "$out/all.dict"; then
		set -- "$@" -dict="$out/all.dict"
	fi
	rc=0
	"$exe" "$@" "$out/corpus" >"$out/log" 2>&1 || rc=$?
	art=$(find "$out/artefacts" -type f | head -n 1)
	if [ -n "$art" ]; then
		echo "fuzz $n: CRASH $art (log: $out/log)"
		tail -n 40 "$out/log" | sed 's/^/    /'
		failed=1
	elif [ "$rc" -ne 0 ]; then
		echo "fuzz $n: FAILED exit $rc (log: $out/log)"
		tail -n 20 "$out/log" | sed 's/^/    /'
		failed=1
	else
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		    "$out/log" | tail -n 1)
		echo "fuzz $n: ok (${execs:-?} execs)"
	fi
done
exit $failed
