#!/bin/sh
# bench/soak.sh [BUILD_DIR] [SECONDS] [RATE] - fixed-rate soak test.
#
# Starts BUILD_DIR/gateway/fedgate (default BUILD_DIR: build) as bench/run.sh
# does (static JWKS, no network) but with audit_log written to a file, then
# sends AssumeRoleWithWebIdentity at a FIXED rate of RATE requests per second
# (default 200) for SECONDS (default 600), rotating over 1,000 distinct RS256
# tokens. Every second it samples fedgate's VmRSS (/proc/PID/status) into a
# CSV. At the end it prints RSS at start/end/max, the requests sent and the
# errors (non-200 answers and socket errors), and exits 1 if there was any
# error, fedgate died, or the rate was not held (achieved under 98 % of
# RATE, or more than 2 % of the requests over a second behind schedule).
#
# The load generator is a small Python program (standard library only):
# wrk has no fixed-rate mode and wrk2 is not in Debian. It schedules request
# i at start + i / RATE (absolute times, so a late request does not shift
# the ones after it) over 4 keep-alive connections.
#
# Environment: FEDGATE_SOAK_CSV (CSV output, default
# ${TMPDIR:-/tmp}/fedgate-soak-rss.csv), FEDGATE_BENCH_KEEP=1 keeps the
# temporary directory (config, fedgate and audit logs).
set -eu

build=${1:-build}
secs=${2:-600}
rate=${3:-200}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bench_uints "$0 [BUILD_DIR] [SECONDS] [RATE]" "$secs" "$rate"
csv=${FEDGATE_SOAK_CSV:-${TMPDIR:-/tmp}/fedgate-soak-rss.csv}
bench_init "$build" "curl openssl python3-jwt python3-cryptography" \
    openssl curl "$PY"

# --- key, JWKS, tokens (valid for the whole run plus an hour) ------------
issuer=https://bench.example
aud=bench-client
umask 077
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$tmp/rsa.pem" 2>/dev/null || die "RSA key generation failed"
"$PY" "$here/mint_tokens.py" jwks "$tmp/jwks.json" bench-rsa="$tmp/rsa.pem"
"$PY" "$here/mint_tokens.py" tokens --key "$tmp/rsa.pem" --kid bench-rsa \
    --alg RS256 --iss "$issuer" --aud "$aud" --count 1000 \
    --ttl $((secs + 3600)) --out "$tmp/tokens.txt"

# --- config and server ------------------------------------------------------
port=$(bench_free_port)
conf=$tmp/fedgate.yaml
cat >"$conf" <<EOF
listen: 127.0.0.1:$port
public_url: http://127.0.0.1:$port
account_id: "000000000000"
state_dir: $tmp/state
store: memory
clock_skew_seconds: 60
audit_log: $tmp/audit.log
providers:
  - name: bench
    type: oidc
    issuer: $issuer
    audiences: ["$aud"]
    jwks_file: $tmp/jwks.json
    algorithms: [RS256]
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

# --- fixed-rate load and RSS sampling ---------------------------------------
cat >"$tmp/load.py" <<'EOF'
import http.client, sys, threading, time

port, secs, rate, pid, tokfile, csvpath = sys.argv[1:7]
port, secs, rate = int(port), int(secs), int(rate)
tokens = [l.strip() for l in open(tokfile) if l.strip()]
prefix = ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
          "&RoleArn=arn:aws:iam::000000000000:role/bench-role"
          "&RoleSessionName=soak&WebIdentityToken=")
hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
NCONN = 4
lock = threading.Lock()
st = {"ok": 0, "bad": 0, "sock": 0, "late": 0, "first_bad": ""}
start = time.monotonic() + 0.5
end = start + secs
total = secs * rate

def rss_kb():
    try:
        with open("/proc/%s/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1

def worker(k):
    conn = None
    i = k
    while i < total:
        due = start + i / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        elif now - due > 1.0:
            with lock:
                st["late"] += 1
        body = prefix + tokens[i % len(tokens)]
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port,
                                                  timeout=10)
            conn.request("POST", "/", body, hdrs)
            r = conn.getresponse()
            data = r.read()
            with lock:
                if r.status == 200:
                    st["ok"] += 1
                else:
                    st["bad"] += 1
                    if not st["first_bad"]:
                        st["first_bad"] = "%d %s" % (r.status, data[:300])
        except (OSError, http.client.HTTPException) as e:
            with lock:
                st["sock"] += 1
                if not st["first_bad"]:
                    st["first_bad"] = "socket: %r" % e
            if conn is not None:
                conn.close()
            conn = None
        i += NCONN

threads = [threading.Thread(target=worker, args=(k,), daemon=True)
           for k in range(NCONN)]
for t in threads:
    t.start()
samples = []
with open(csvpath, "w") as out:
    out.write("elapsed_s,rss_kb,requests_ok,requests_bad,socket_errors\n")
    n = 0
    while True:
        due = start + n
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        r = rss_kb()
        with lock:
            ok, bad, sock = st["ok"], st["bad"], st["sock"]
        out.write("%d,%d,%d,%d,%d\n" % (n, r, ok, bad, sock))
        out.flush()
        if r >= 0:
            samples.append(r)
        alive = any(t.is_alive() for t in threads)
        if r < 0 or (not alive and time.monotonic() >= end):
            break
        n += 1
for t in threads:
    t.join(15)
wall = time.monotonic() - start
print("SOAK requests=%d ok=%d non200=%d socket_errors=%d late=%d "
      "wall_s=%.1f rate=%.1f rss_start_kb=%d rss_end_kb=%d rss_max_kb=%d "
      "samples=%d" % (st["ok"] + st["bad"] + st["sock"], st["ok"], st["bad"],
      st["sock"], st["late"], wall, (st["ok"] + st["bad"]) / wall,
      samples[0] if samples else -1, samples[-1] if samples else -1,
      max(samples) if samples else -1, len(samples)))
if st["first_bad"]:
    print("SOAK first_bad=" + st["first_bad"])
EOF

echo "soak: $rate req/s for $secs s against fedgate pid $pid; RSS CSV: $csv" >&2
"$PY" "$tmp/load.py" "$port" "$secs" "$rate" "$pid" "$tmp/tokens.txt" \
    "$csv" >"$tmp/soak.txt" || die "load generator failed"
line=$(grep '^SOAK requests=' "$tmp/soak.txt") || die "no SOAK line"
kill -0 "$pid" 2>/dev/null || { pid=; die "fedgate died during the soak"; }

get() {
	echo "$line" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"
}
reqs=$(echo "$line" | sed 's/^SOAK requests=\([0-9]*\).*/\1/')
bad=$(get non200)
sock=$(get socket_errors)
audit=$(wc -l <"$tmp/audit.log")

echo
echo "fedgate soak test ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
echo "host: $(nproc) CPU core(s); fedgate and the load generator share them"
echo "load: AssumeRoleWithWebIdentity RS256, target $rate req/s for $secs s," \
    "4 keep-alive connections, 1000 distinct tokens"
echo "requests: $reqs sent, $(get ok) ok, $bad non-200, $sock socket errors," \
    "achieved $(get rate) req/s ($(get late) requests > 1 s late)"
echo "audit log: $audit lines"
awk -v s="$(get rss_start_kb)" -v e="$(get rss_end_kb)" \
    -v m="$(get rss_max_kb)" -v n="$(get samples)" 'BEGIN {
    printf "RSS (VmRSS): start %.1f MiB, end %.1f MiB, max %.1f MiB" \
        " (%d samples, 1/s)\n", s / 1024, e / 1024, m / 1024, n }'
echo "CSV: $csv"
grep '^SOAK first_bad=' "$tmp/soak.txt" >&2 || true
if [ "$bad" != 0 ] || [ "$sock" != 0 ]; then
	die "$bad non-200 answers, $sock socket errors"
fi
if [ "$reqs" -lt $((secs * rate)) ]; then
	die "only $reqs of $((secs * rate)) requests sent"
fi
if [ "$(get late)" -gt $((secs * rate / 50)) ] ||
    awk -v a="$(get rate)" -v r="$rate" 'BEGIN { exit !(a < r * 0.98) }'; then
	die "target $rate req/s not held: $(get rate) req/s, $(get late) late"
fi
