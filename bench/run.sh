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
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_uints "$0 [BUILD_DIR] [SECONDS]" "$secs" "$ntok" "$runs"
if [ "$ntok" -lt 1000 ]; then
	echo "bench: need at least 1000 tokens per algorithm" >&2
	exit 2
fi
bench_init "$build" "wrk curl openssl python3-jwt python3-cryptography" \
    openssl wrk curl "$PY"

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
port=$(bench_free_port)
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

bench_serve "$conf" "$port"

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
# run_wrk ALG SECONDS OUTFILE: one wrk run over that algorithm's tokens.
run_wrk() {
	FEDGATE_BENCH_TOKENS=$tmp/tokens-$1.txt
	export FEDGATE_BENCH_TOKENS
	bench_wrk "$1" "$2" "$3" "$here/rotate.lua" "http://127.0.0.1:$port/"
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
echo
echo "fedgate AssumeRoleWithWebIdentity benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
bench_host
echo "note: on a shared/virtual host (such as the 2-core VM this was written"
echo "      on) neighbours make runs noisy; compare the spread of the runs."
echo "load: wrk -t2 -c16, $runs runs x ${secs} s per algorithm, $ntok distinct tokens each"
echo "reference: openssl speed -seconds 3 (single core, measured in this run)"
echo
printf '%-6s %10s %9s %9s %14s %7s  %s\n' alg "req/s" "p50 ms" "p99 ms" \
    "verify/s 1core" ratio "runs (req/s)"
for alg in RS256 ES256; do
	files=$(bench_files "$tmp/wrk-$alg" "$runs")
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
