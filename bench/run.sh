#!/bin/sh
# bench/run.sh [BUILD_DIR] [SECONDS] - AssumeRoleWithWebIdentity throughput.
#
# Starts BUILD_DIR/gateway/fedgate (default BUILD_DIR: build) on a free
# 127.0.0.1 port with a static JWKS (no network), mints distinct RS256 and
# ES256 ID tokens, drives POST / with wrk and bench/rotate.lua for SECONDS
# (default 10) three times per algorithm, measures OpenSSL's single-core
# verify rates in the same run, and prints a table. Exits non-zero if any
# request failed or a tool is missing. See bench/README.md.
#
# Environment: FEDGATE_BENCH_TOKENS_N (tokens per algorithm, default 1000),
# FEDGATE_BENCH_RUNS (default 3), FEDGATE_BENCH_KEEP=1 keeps the temp dir.
set -eu

build=${1:-build}
secs=${2:-10}
ntok=${FEDGATE_BENCH_TOKENS_N:-1000}
runs=${FEDGATE_BENCH_RUNS:-3}
for v in "$secs" "$ntok" "$runs"; do
	case $v in
	''|*[!0-9]*|0) echo "usage: $0 [BUILD_DIR] [SECONDS]" >&2; exit 2 ;;
	esac
done
if [ "$ntok" -lt 1000 ]; then
	echo "bench: need at least 1000 tokens per algorithm" >&2
	exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
PY=/usr/bin/python3	# Debian's, for python3-jwt and python3-cryptography

bin=$build/gateway/fedgate
[ -x "$bin" ] || bin=$src/$build/gateway/fedgate
if [ ! -x "$bin" ]; then
	echo "bench: no fedgate binary at $build/gateway/fedgate (build first)" >&2
	exit 2
fi
for tool in openssl wrk curl "$PY"; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "bench: $tool not found (apt-get install wrk curl openssl" \
		    "python3-jwt python3-cryptography)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fedgate-bench.XXXXXX")
pid=
cleanup() {
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
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	if [ -s "$tmp/fedgate.log" ]; then
		echo "bench: last lines of the fedgate log:" >&2
		tail -n 20 "$tmp/fedgate.log" >&2
	fi
	exit 1
}

# --- keys, JWKS, tokens -------------------------------------------------
issuer=https://bench.example
aud=bench-client
umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$tmp/rsa.pem" 2>/dev/null || die "RSA key generation failed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$tmp/ec.pem" 2>/dev/null || die "EC key generation failed"
"$PY" "$here/mint_tokens.py" jwks "$tmp/jwks.json" \
    bench-rsa="$tmp/rsa.pem" bench-ec="$tmp/ec.pem"
"$PY" "$here/mint_tokens.py" tokens --key "$tmp/rsa.pem" --kid bench-rsa \
    --alg RS256 --iss "$issuer" --aud "$aud" --count "$ntok" \
    --out "$tmp/tokens-RS256.txt"
"$PY" "$here/mint_tokens.py" tokens --key "$tmp/ec.pem" --kid bench-ec \
    --alg ES256 --iss "$issuer" --aud "$aud" --count "$ntok" \
    --out "$tmp/tokens-ES256.txt"

# --- config and server ---------------------------------------------------
port=$("$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
conf=$tmp/fedgate.yaml
cat >"$conf" <<EOF
listen: 127.0.0.1:$port
public_url: http://127.0.0.1:$port
account_id: "000000000000"
state_dir: $tmp/state
store: memory
clock_skew_seconds: 60
audit_log: off
providers:
  - name: bench
    type: oidc
    issuer: $issuer
    audiences: ["$aud"]
    jwks_file: $tmp/jwks.json
    algorithms: [RS256, ES256]
roles:
  - name: bench-role
    max_session_duration: 3600
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal:
            Federated: arn:aws:iam::000000000000:oidc-provider/bench.example
          Action: sts:AssumeRoleWithWebIdentity
          Condition:
            StringEquals:
              "bench.example:aud": $aud
EOF

"$bin" check -c "$conf" >"$tmp/check.log" 2>&1 ||
    { cat "$tmp/check.log" >&2; die "fedgate check rejected the bench config"; }
"$bin" serve -c "$conf" >"$tmp/fedgate.log" 2>&1 &
pid=$!
i=0
until curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null; do
	kill -0 "$pid" 2>/dev/null || { pid=; die "fedgate exited at start"; }
	i=$((i + 1))
	[ "$i" -lt 100 ] || die "fedgate not healthy after 10 s"
	sleep 0.1
done

# --- OpenSSL reference, measured now, with fedgate idle -------------------
# -mr prints "+F2:idx:bits:sign/s:verify/s" (RSA) and "+F4:..." (ECDSA);
# without -multi, openssl speed runs on one core.
openssl speed -seconds 3 -mr rsa2048 >"$tmp/speed-rsa.txt" 2>&1 ||
    die "openssl speed rsa2048 failed"
openssl speed -seconds 3 -mr ecdsap256 >"$tmp/speed-ec.txt" 2>&1 ||
    die "openssl speed ecdsap256 failed"
ref_RS256=$(awk -F: '/^\+F2:/ { printf "%.0f", $5 }' "$tmp/speed-rsa.txt")
ref_ES256=$(awk -F: '/^\+F4:/ { printf "%.0f", $5 }' "$tmp/speed-ec.txt")
if [ -z "$ref_RS256" ] || [ -z "$ref_ES256" ]; then
	die "could not parse openssl speed -mr output"
fi

# --- wrk runs --------------------------------------------------------------
# run_wrk ALG SECONDS OUTFILE: one wrk run; fails on any non-200 or socket
# error, printing the first bad response.
run_wrk() {
	FEDGATE_BENCH_TOKENS=$tmp/tokens-$1.txt \
	    wrk -t2 -c16 -d"$2"s -s "$here/rotate.lua" --latency \
	    "http://127.0.0.1:$port/" >"$3" 2>&1 ||
	    { cat "$3" >&2; die "wrk failed ($1)"; }
	_line=$(grep '^BENCH requests=' "$3") ||
	    { cat "$3" >&2; die "no BENCH line from rotate.lua ($1)"; }
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

for alg in RS256 ES256; do
	echo "bench: $alg warm-up (2 s), then $runs x ${secs} s" >&2
	run_wrk "$alg" 2 "$tmp/warm-$alg.txt"
	r=1
	while [ "$r" -le "$runs" ]; do
		run_wrk "$alg" "$secs" "$tmp/wrk-$alg-$r.txt"
		echo "bench: $alg run $r: $(field rps "$tmp/wrk-$alg-$r.txt") req/s" >&2
		r=$((r + 1))
	done
done

# --- report -------------------------------------------------------------------
cores=$(nproc)
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "fedgate AssumeRoleWithWebIdentity benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "host: $cores CPU core(s), ${model:-unknown CPU}; fedgate and wrk share them."
echo "note: on a shared/virtual host (such as the 2-core VM this was written"
echo "      on) neighbours make runs noisy; compare the spread of the runs."
echo "load: wrk -t2 -c16, $runs runs x ${secs} s per algorithm, $ntok distinct tokens each"
echo "reference: openssl speed -seconds 3 (single core, measured in this run)"
echo
printf '%-6s %10s %9s %9s %14s %7s  %s\n' alg "req/s" "p50 ms" "p99 ms" \
    "verify/s 1core" ratio "runs (req/s)"
for alg in RS256 ES256; do
	files=
	r=1
	while [ "$r" -le "$runs" ]; do
		files="$files $tmp/wrk-$alg-$r.txt"
		r=$((r + 1))
	done
	all=$(for f in $files; do field rps "$f"; done)
	rps=$(echo "$all" | median)
	p50=$(for f in $files; do field p50_us "$f"; done | median)
	p99=$(for f in $files; do field p99_us "$f"; done | median)
	case $alg in
	RS256) ref=$ref_RS256 ;;
	*) ref=$ref_ES256 ;;
	esac
	all=$(echo "$all" | tr '\n' ' ')
	awk -v a="$alg" -v rps="$rps" -v p50="$p50" -v p99="$p99" \
	    -v ref="$ref" -v all="$all" 'BEGIN {
	    printf "%-6s %10.0f %9.2f %9.2f %14.0f %7.2f  %s\n",
	        a, rps, p50 / 1000, p99 / 1000, ref, rps / ref, all }'
done
echo
echo "ratio = fedgate req/s (all cores, each request: 1 signature verify +"
echo "        1 AES-256-GCM seal + policy evaluation + HTTP) / OpenSSL"
echo "        verify/s on ONE core. See bench/README.md."
