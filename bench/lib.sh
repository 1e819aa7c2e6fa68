# bench/lib.sh - shell helpers shared by bench/run.sh and bench/authorize.sh.
#
# Sourced, not run. POSIX sh. The sourcing script sets `here` (the bench
# directory) first, then calls bench_init; everything else uses the
# variables bench_init sets: src, PY, bin, tmp, pid (fedgate, once started).
# Names prefixed bench_ are the interface; die, field and median keep the
# short names run.sh always had.

PY=/usr/bin/python3	# Debian's, for python3-jwt/-cryptography/-boto3

# bench_uints USAGE V...: every V must be a positive integer.
bench_uints() {
	_usage=$1
	shift
	for _v in "$@"; do
		case $_v in
		''|*[!0-9]*|0) echo "usage: $_usage" >&2; exit 2 ;;
		esac
	done
}

# bench_init BUILD_DIR HINT TOOL...: find fedgate, check the tools (HINT
# names the Debian packages to install), make the temporary directory and
# arrange for fedgate to be stopped and the directory removed on exit.
bench_init() {
	_build=$1
	_hint=$2
	shift 2
	src=$(cd "$here/.." && pwd)
	bin=$_build/gateway/fedgate
	[ -x "$bin" ] || bin=$src/$_build/gateway/fedgate
	if [ ! -x "$bin" ]; then
		echo "bench: no fedgate binary at $_build/gateway/fedgate" \
		    "(build first)" >&2
		exit 2
	fi
	for _tool in "$@"; do
		if ! command -v "$_tool" >/dev/null 2>&1; then
			echo "bench: $_tool not found (apt-get install $_hint)" >&2
			exit 2
		fi
	done
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/fedgate-bench.XXXXXX")
	pid=
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

bench_cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "${FEDGATE_BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

die() {
	echo "bench: $*" >&2
	if [ -s "$tmp/fedgate.log" ]; then
		echo "bench: last lines of the fedgate log:" >&2
		tail -n 20 "$tmp/fedgate.log" >&2
	fi
	exit 1
}

# bench_free_port: print a free TCP port on 127.0.0.1.
bench_free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# bench_serve CONF PORT: `fedgate check`, then `fedgate serve` in the
# background (pid in $pid, log in $tmp/fedgate.log); waits for /healthz.
bench_serve() {
	"$bin" check -c "$1" >"$tmp/check.log" 2>&1 ||
	    { cat "$tmp/check.log" >&2; die "fedgate check rejected the bench config"; }
	"$bin" serve -c "$1" >"$tmp/fedgate.log" 2>&1 &
	pid=$!
	_i=0
	until curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { pid=; die "fedgate exited at start"; }
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || die "fedgate not healthy after 10 s"
		sleep 0.1
	done
}

# bench_wrk LABEL SECONDS OUTFILE SCRIPT URL: one wrk run (-t2 -c16) with a
# Lua script that prints a "BENCH requests=..." line from done(); fails on
# any non-200, socket error or zero requests, showing the first bad
# response. The script's inputs come from exported environment variables.
bench_wrk() {
	wrk -t2 -c16 -d"$2"s -s "$4" --latency "$5" >"$3" 2>&1 ||
	    { cat "$3" >&2; die "wrk failed ($1)"; }
	_line=$(grep '^BENCH requests=' "$3") ||
	    { cat "$3" >&2; die "no BENCH line from $(basename "$4") ($1)"; }
	_bad=$(echo "$_line" | sed 's/.* non200=\([0-9]*\).*/\1/')
	_sock=$(echo "$_line" | sed 's/.* socket_errors=\([0-9]*\).*/\1/')
	_reqs=$(echo "$_line" | sed 's/^BENCH requests=\([0-9]*\).*/\1/')
	if [ "$_bad" != 0 ] || [ "$_sock" != 0 ] || [ "$_reqs" = 0 ]; then
		grep '^BENCH' "$3" >&2
		die "$1: $_reqs requests, $_bad non-200, $_sock socket errors"
	fi
	kill -0 "$pid" 2>/dev/null || { pid=; die "fedgate died during $1"; }
}

# field NAME FILE: value of NAME=... in the BENCH line.
field() {
	sed -n "s/^BENCH .* $1=\([0-9.]*\).*/\1/p" "$2"
}

# median: middle value of the numbers on stdin.
median() {
	sort -n | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2];
	    else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_files PREFIX RUNS: "PREFIX-1.txt PREFIX-2.txt ..."
bench_files() {
	_r=1
	_f=
	while [ "$_r" -le "$2" ]; do
		_f="$_f $1-$_r.txt"
		_r=$((_r + 1))
	done
	echo "$_f"
}

# bench_host: one line describing the machine.
bench_host() {
	_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	echo "host: $(nproc) CPU core(s), ${_model:-unknown CPU}; fedgate and wrk share them."
}
