#!/bin/sh
# bench/saml.sh [BUILD_DIR] [SECONDS] - AssumeRoleWithSAML throughput.
#
# Starts BUILD_DIR/gateway/fedgate (default BUILD_DIR: build) on a free
# 127.0.0.1 port with one SAML IdP (metadata_file, an RSA-2048 key made
# here) and one role that trusts it, mints distinct signed SAML responses
# (bench/saml_mint.py: ~6.5 KB, Assertion signed with RSA-SHA256, unique
# assertion IDs, so fedgate's replay protection stays on), drives POST /
# with wrk and bench/saml.lua for SECONDS (default 10) three times, each
# run with a fresh set no request repeats, measures raw xmlsec1-library
# verification of the same documents on one core before each run
# (bench/xmlsec_verify.c), and prints a table. Exits non-zero if any
# request failed, a response was sent twice, or a tool is missing. See
# bench/README.md.
#
# Environment: FEDGATE_BENCH_SAML_N (least responses per run, default
# 3000), FEDGATE_BENCH_RUNS (default 3), FEDGATE_BENCH_KEEP=1 keeps the
# temp dir.
set -eu

build=${1:-build}
secs=${2:-10}
nmin=${FEDGATE_BENCH_SAML_N:-3000}
runs=${FEDGATE_BENCH_RUNS:-3}
warm=2		# warm-up seconds
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_uints "$0 [BUILD_DIR] [SECONDS]" "$secs" "$nmin" "$runs"
if [ "$nmin" -lt 3000 ]; then
	echo "bench: need at least 3000 responses per run" >&2
	exit 2
fi
# Responses are valid for an hour from minting; a run starts right after.
if [ "$secs" -gt 1800 ]; then
	echo "bench: SECONDS at most 1800 (the responses expire after 1 h)" >&2
	exit 2
fi
bench_init "$build" \
    "wrk curl openssl gcc pkg-config libxmlsec1-dev python3-cryptography" \
    openssl wrk curl cc pkg-config "$PY"
pkg-config --exists xmlsec1-openssl ||
    { echo "bench: apt-get install libxmlsec1-dev" >&2; exit 2; }

# --- reference program, key, metadata -------------------------------------
# shellcheck disable=SC2046
cc -O2 -o "$tmp/xmlsec_verify" "$here/xmlsec_verify.c" \
    $(pkg-config --cflags --libs xmlsec1-openssl) ||
    die "building bench/xmlsec_verify.c failed"
acct=000000000000
idp=bench-idp
issuer=https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/
sp=urn:fedgate:sp
role_arn=arn:aws:iam::$acct:role/bench-saml
principal_arn=arn:aws:iam::$acct:saml-provider/$idp
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench-idp \
    -keyout "$tmp/idp.key" -out "$tmp/idp.crt" 2>/dev/null ||
    die "IdP key generation failed"
"$PY" "$here/saml_mint.py" metadata --cert "$tmp/idp.crt" \
    --entity-id "$issuer" --out "$tmp/idp-metadata.xml"

# --- config and server ---------------------------------------------------
port=$(bench_free_port)
acs=http://127.0.0.1:$port/saml/acs
conf=$tmp/fedgate.yaml
cat >"$conf" <<EOF
listen: 127.0.0.1:$port
public_url: http://127.0.0.1:$port
account_id: "$acct"
state_dir: $tmp/state
store: memory
clock_skew_seconds: 60
audit_log: off
providers:
  - name: $idp
    type: saml
    preset: entra
    metadata_file: $tmp/idp-metadata.xml
saml_sp:
  entity_id: $sp
roles:
  - name: bench-saml
    max_session_duration: 3600
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal:
            Federated: $principal_arn
          Action: sts:AssumeRoleWithSAML
          Condition:
            StringEquals:
              "SAML:aud": $acs
              "SAML:iss": $issuer
            ForAnyValue:StringEquals:
              "SAML:http://schemas.microsoft.com/identity/claims/tenantid": 9188040d-6c67-4c5b-b112-36a304b66dad
EOF
bench_serve "$conf" "$port"

# mint N FILE: N fresh responses (valid from now for 1 h), one per line.
mint() {
	"$PY" "$here/saml_mint.py" responses --key "$tmp/idp.key" \
	    --cert "$tmp/idp.crt" --issuer "$issuer" --audience "$sp" \
	    --recipient "$acs" --role-arn "$role_arn" \
	    --provider-arn "$principal_arn" --count "$1" --out "$2" \
	    2>"$tmp/mint.log" || { cat "$tmp/mint.log" >&2; die "minting failed"; }
	_n=$(wc -l <"$2")
	[ "$_n" -eq "$1" ] || die "minted $_n responses of $1"
}

# One request by hand first: a config or minting mistake shows its error.
mint 16 "$tmp/check.txt"
curl -sS -o "$tmp/check.xml" -w '%{http_code}' \
    --data "Action=AssumeRoleWithSAML&Version=2011-06-15&RoleArn=$role_arn&PrincipalArn=$principal_arn&SAMLAssertion=$(head -n 1 "$tmp/check.txt")" \
    "http://127.0.0.1:$port/" >"$tmp/check.code" || die "curl failed"
[ "$(cat "$tmp/check.code")" = 200 ] ||
    { cat "$tmp/check.xml" >&2; die "AssumeRoleWithSAML failed (HTTP $(cat "$tmp/check.code"))"; }
grep -q '<AccessKeyId>' "$tmp/check.xml" || die "no credentials in the response"

# cpu_ticks: fedgate's user + system CPU time so far, in clock ticks.
cpu_ticks() {
	# Fields after "(comm)": state is $1, utime $12, stime $13.
	sed 's/^.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }'
}
hz=$(getconf CLK_TCK)

# try_wrk LABEL SECONDS COUNT OUTFILE: mint COUNT responses, measure xmlsec
# on them (fedgate idle), then one checked wrk run (bench_wrk, in a
# subshell so that a failure returns here). Returns 3 if the only problem
# was running out of responses, and dies on anything else.
try_wrk() {
	FEDGATE_BENCH_SAML=$tmp/responses-$1.txt
	mint "$3" "$FEDGATE_BENCH_SAML"
	"$tmp/xmlsec_verify" "$tmp/idp.crt" "$FEDGATE_BENCH_SAML" 3 \
	    >"$tmp/xmlsec-$1.txt" || die "xmlsec_verify failed ($1)"
	_c0=$(cpu_ticks)
	if (bench_wrk "$1" "$2" "$4" "$here/saml.lua" \
	    "http://127.0.0.1:$port/") 2>"$tmp/wrk-err.txt"; then
		_reused=0
	else
		# Out of responses: reused ones, and the first failure was
		# fedgate refusing a replay (not some other error).
		_reused=$(sed -n 's/^BENCH .* reused=\([0-9]*\).*/\1/p' "$4")
		if [ "${_reused:-0}" = 0 ] ||
		    ! grep -qiE '^BENCH first_bad=.*(already used|replay)' "$4" ||
		    ! kill -0 "$pid" 2>/dev/null; then
			cat "$tmp/wrk-err.txt" >&2
			die "$1 failed"
		fi
	fi
	_c1=$(cpu_ticks)
	echo "BENCH cpu_ticks=$((_c1 - _c0))" >>"$4"
	# Raise the rate estimate to what this run reached.
	rate=$(awk -v a="$rate" -v b="$(field rps "$4")" \
	    'BEGIN { print (b + 0 > a + 0 ? b + 0 : a + 0) }')
	[ "$_reused" = 0 ] || return 3
}

# run_wrk LABEL SECONDS OUTFILE: try_wrk with enough responses for twice
# the highest rate seen so far; if they still ran out (wrk reports it, and
# fedgate answered a replay), once more with a fresh, larger set.
run_wrk() {
	_try=1
	while :; do
		count=$(awk -v r="$rate" -v s="$2" -v m="$nmin" 'BEGIN {
		    n = int(r * s * 2 / 1000 + 1) * 1000; print (n > m ? n : m) }')
		echo "bench: $1: minting $count responses" >&2
		_rc=0
		try_wrk "$1" "$2" "$count" "$3" || _rc=$?
		[ "$_rc" = 3 ] || break
		[ "$_try" -lt 3 ] || die "$1: ran out of responses 3 times"
		echo "bench: $1: ran out of responses at" \
		    "$(field rps "$3") req/s; again with a fresh, larger set" >&2
		_try=$((_try + 1))
	done
}
FEDGATE_BENCH_ROLE=$role_arn
FEDGATE_BENCH_PRINCIPAL=$principal_arn
FEDGATE_BENCH_THREADS=2		# bench_wrk runs wrk -t2
export FEDGATE_BENCH_SAML FEDGATE_BENCH_ROLE FEDGATE_BENCH_PRINCIPAL \
    FEDGATE_BENCH_THREADS

# The warm-up starts from a guess of 1,500 req/s (6,000 responses for 2 s);
# the runs are then sized from the highest rate reached since the warm-up.
echo "bench: warm-up (${warm} s), then $runs x ${secs} s" >&2
rate=1500
run_wrk warm "$warm" "$tmp/warm.txt"
rate=$(field rps "$tmp/warm.txt")
r=1
while [ "$r" -le "$runs" ]; do
	run_wrk "run-$r" "$secs" "$tmp/wrk-$r.txt"
	echo "bench: run $r: $(field rps "$tmp/wrk-$r.txt") req/s," \
	    "xmlsec $(sed -n 's/.* rate=\([0-9.]*\).*/\1/p' "$tmp/xmlsec-run-$r.txt") verify/s" >&2
	r=$((r + 1))
done

# --- report -------------------------------------------------------------------
files=$(bench_files "$tmp/wrk" "$runs")
all=$(for f in $files; do field rps "$f"; done)
rps=$(echo "$all" | median)
p50=$(for f in $files; do field p50_us "$f"; done | median)
p99=$(for f in $files; do field p99_us "$f"; done | median)
ref=$(r=1; while [ "$r" -le "$runs" ]; do
	sed -n 's/.* rate=\([0-9.]*\).*/\1/p' "$tmp/xmlsec-run-$r.txt"
	r=$((r + 1)); done | median)
# fedgate CPU per request (all its threads), median over the runs.
cpu_us=$(for f in $files; do
	awk -v hz="$hz" '/^BENCH requests=/ { sub(/.*requests=/, ""); n = $1 + 0 }
	    /^BENCH cpu_ticks=/ { sub(/.*cpu_ticks=/, ""); t = $1 + 0 }
	    END { printf "%.1f\n", t / hz * 1e6 / n }' "$f"; done | median)
size=$(head -n 1 "$tmp/responses-run-1.txt" | "$PY" -c 'import base64, sys, urllib.parse
v = sys.stdin.read().strip()
print(len(base64.b64decode(urllib.parse.unquote(v))), len(v))')
all=$(echo "$all" | tr '\n' ' ')

echo
echo "fedgate AssumeRoleWithSAML benchmark ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
bench_host
echo "note: on a shared/virtual host neighbours make runs noisy; compare the"
echo "      spread of the runs."
echo "load: wrk -t2 -c16, $runs runs x ${secs} s, a fresh set of responses per"
echo "      run (none sent twice; replay protection on), Assertion signed"
echo "      (RSA-SHA256, exc-c14n), $(echo "$size" | cut -d' ' -f1) bytes of XML," \
    "$(echo "$size" | cut -d' ' -f2) bytes as form value"
# lasso_log calls localtime() ~240 times per response; with TZ unset glibc
# stats /etc/localtime on every call, which costs fedgate about 40 % of
# its CPU time (bench/README.md). Say which case this run measured.
echo "env: TZ=${TZ-(unset)}"
echo "reference: bench/xmlsec_verify.c on each run's documents before the run"
echo "      (parse + ID + xmlSecDSigCtxVerify, key loaded once, one thread,"
echo "      >= 3 s CPU time)"
echo
printf '%-18s %8s %7s %7s %14s %6s %10s %10s  %s\n' action "req/s" "p50 ms" \
    "p99 ms" "xmlsec/s 1core" ratio "fg us/req" "xs us/doc" "runs (req/s)"
awk -v rps="$rps" -v p50="$p50" -v p99="$p99" -v ref="$ref" \
    -v cpu="$cpu_us" -v all="$all" 'BEGIN {
    printf "%-18s %8.0f %7.2f %7.2f %14.0f %6.3f %10.0f %10.0f  %s\n",
        "AssumeRoleWithSAML", rps, p50 / 1000, p99 / 1000, ref, rps / ref,
        cpu, 1e6 / ref, all }'
echo
echo "ratio     = fedgate req/s (2 worker cores shared with wrk; per request:"
echo "            HTTP + form, base64, lasso's parse and profile checks, the"
echo "            signature check, fedgate's own XML checks, replay store,"
echo "            trust policy, AES-256-GCM seal, XML response) / xmlsec"
echo "            verify/s on ONE core (signature check only)."
echo "fg us/req = fedgate CPU time (all threads, /proc) per request; divided"
echo "            by xs us/doc it gives the cost of a request in raw"
echo "            verifications. See bench/README.md."
