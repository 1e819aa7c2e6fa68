#!/bin/sh
# bench/authorize.sh [BUILD_DIR] [SECONDS] - SigV4 throughput: /authorize
# (nginx auth_request decisions) and GetCallerIdentity.
#
# Starts BUILD_DIR/gateway/fedgate (default BUILD_DIR: build) on a free
# 127.0.0.1 port with one IAM user (long-term key, secret_file 0600) and one
# role with an S3 policy; the user assumes the role with boto3. Before every
# wrk run, bench/sign_requests.py signs FEDGATE_BENCH_REQUESTS_N (default
# 2000) distinct requests with botocore's SigV4 signers and the session
# credentials: S3 PutObject requests replayed as GET /authorize with the
# headers nginx passes, and GetCallerIdentity POSTs. wrk (-t2 -c16) with
# bench/authorize.lua runs 3 x SECONDS (default 10) per endpoint; OpenSSL's
# single-core HMAC-SHA256 rate is measured in the same run. Exits non-zero
# if any request was not answered 200 or a tool is missing.
# See bench/README.md.
#
# Environment: FEDGATE_BENCH_REQUESTS_N (>= 2000), FEDGATE_BENCH_RUNS
# (default 3), FEDGATE_BENCH_KEEP=1 keeps the temp dir.
set -eu

build=${1:-build}
secs=${2:-10}
nreq=${FEDGATE_BENCH_REQUESTS_N:-2000}
runs=${FEDGATE_BENCH_RUNS:-3}
spread=240	# request dates spread over the last 240 s

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_uints "$0 [BUILD_DIR] [SECONDS]" "$secs" "$nreq" "$runs"
if [ "$nreq" -lt 2000 ]; then
	echo "bench: need at least 2000 requests per endpoint" >&2
	exit 2
fi
# Signed just before each run, a request is valid for 15 min minus its age.
if [ "$secs" -gt 600 ]; then
	echo "bench: SECONDS at most 600 (SigV4 requests expire after 15 min)" >&2
	exit 2
fi
bench_init "$build" "wrk curl openssl python3-boto3" openssl wrk curl "$PY"
"$PY" -c 'import boto3, botocore' 2>/dev/null ||
    { echo "bench: apt-get install python3-boto3" >&2; exit 2; }

# --- config and server ---------------------------------------------------
port=$(bench_free_port)
acct=000000000000
key_id=AKIABENCHUSER0000001
umask 077
openssl rand -hex 20 >"$tmp/user.secret"
conf=$tmp/fedgate.yaml
cat >"$conf" <<EOF
listen: 127.0.0.1:$port
public_url: http://127.0.0.1:$port
account_id: "$acct"
state_dir: $tmp/state
store: memory
clock_skew_seconds: 60
audit_log: off
users:
  - name: bench-user
    access_keys:
      - id: $key_id
        secret_file: $tmp/user.secret
    policies:
      assume:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: sts:AssumeRole
            Resource: arn:aws:iam::$acct:role/bench-uploader
roles:
  - name: bench-uploader
    max_session_duration: 3600
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: {AWS: "arn:aws:iam::$acct:user/bench-user"}
          Action: sts:AssumeRole
    policies:
      uploads:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: s3:PutObject
            Resource: "arn:aws:s3:::uploads/\${aws:userid}/*"
EOF
bench_serve "$conf" "$port"

"$PY" "$here/sign_requests.py" creds --endpoint "http://127.0.0.1:$port/" \
    --key-id "$key_id" --secret-file "$tmp/user.secret" \
    --role-arn "arn:aws:iam::$acct:role/bench-uploader" \
    --session-name bench-app --out "$tmp/creds.json" ||
    die "AssumeRole with the user's key failed"

# --- OpenSSL reference, measured now, with fedgate idle -------------------
# OpenSSL 3.0: -hmac DIGEST; -bytes 64 runs one block size; -mr prints
# "+F:n:hmac(sha256):BYTES_PER_SECOND". HMACs per second = that / 64.
# Each op is a full HMAC (key set-up, update, final), as SigV4's steps are.
openssl speed -seconds 3 -mr -bytes 64 -hmac sha256 >"$tmp/speed-hmac.txt" \
    2>&1 || die "openssl speed -hmac sha256 failed"
ref=$(awk -F: '/^\+F:/ { printf "%.0f", $4 / 64 }' "$tmp/speed-hmac.txt")
[ -n "$ref" ] || die "could not parse openssl speed -mr output"

# --- wrk runs --------------------------------------------------------------
# sign KIND FILE: fresh signatures (dates within the last $spread s), all
# distinct.
sign() {
	case $1 in
	authorize) _extra="--bucket uploads --host s3.bench.example" ;;
	*) _extra="--host 127.0.0.1:$port" ;;
	esac
	# shellcheck disable=SC2086
	"$PY" "$here/sign_requests.py" "$1" --creds "$tmp/creds.json" \
	    --count "$nreq" --spread "$spread" --out "$2" $_extra ||
	    die "signing $1 requests failed"
	_u=$(sort -u "$2" | wc -l)
	[ "$_u" -eq "$nreq" ] || die "$1: only $_u distinct requests of $nreq"
}

# run_wrk KIND SECONDS OUTFILE
run_wrk() {
	FEDGATE_BENCH_REQUESTS=$tmp/requests-$1.txt
	export FEDGATE_BENCH_REQUESTS
	sign "$1" "$FEDGATE_BENCH_REQUESTS"
	bench_wrk "$1" "$2" "$3" "$here/authorize.lua" "http://127.0.0.1:$port/"
}

for kind in authorize gci; do
	echo "bench: $kind warm-up (2 s), then $runs x ${secs} s" >&2
	run_wrk "$kind" 2 "$tmp/warm-$kind.txt"
	r=1
	while [ "$r" -le "$runs" ]; do
		run_wrk "$kind" "$secs" "$tmp/wrk-$kind-$r.txt"
		echo "bench: $kind run $r: $(field rps "$tmp/wrk-$kind-$r.txt") req/s" >&2
		r=$((r + 1))
	done
done

# --- report -------------------------------------------------------------------
echo
echo "fedgate SigV4 benchmark: /authorize and GetCallerIdentity ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
bench_host
echo "note: on a shared/virtual host neighbours make runs noisy; compare the"
echo "      spread of the runs."
echo "load: wrk -t2 -c16, $runs runs x ${secs} s per endpoint, $nreq distinct"
echo "      requests signed by botocore before each run"
echo "reference: openssl speed -seconds 3 -bytes 64 -hmac sha256 (single core,"
echo "      measured in this run)"
echo
printf '%-18s %9s %8s %8s %14s %7s  %s\n' endpoint "req/s" "p50 ms" \
    "p99 ms" "HMAC/s 1core" ratio "runs (req/s)"
for kind in authorize gci; do
	files=$(bench_files "$tmp/wrk-$kind" "$runs")
	all=$(for f in $files; do field rps "$f"; done)
	rps=$(echo "$all" | median)
	p50=$(for f in $files; do field p50_us "$f"; done | median)
	p99=$(for f in $files; do field p99_us "$f"; done | median)
	case $kind in
	authorize) label="/authorize (PUT)" ;;
	*) label=GetCallerIdentity ;;
	esac
	all=$(echo "$all" | tr '\n' ' ')
	awk -v a="$label" -v rps="$rps" -v p50="$p50" -v p99="$p99" \
	    -v ref="$ref" -v all="$all" 'BEGIN {
	    printf "%-18s %9.0f %8.2f %8.2f %14.0f %7.5f  %s\n",
	        a, rps, p50 / 1000, p99 / 1000, ref, rps / ref, all }'
done
echo
echo "ratio = fedgate req/s (all cores; each request: SigV4 canonical request"
echo "        + SHA-256s + 5 HMAC-SHA256, AES-256-GCM unseal of the session"
echo "        token + JSON parse, policy evaluation, HTTP) / OpenSSL"
echo "        HMAC-SHA256/s (64-byte input) on ONE core. See bench/README.md."
