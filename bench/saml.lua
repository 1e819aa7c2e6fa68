-- bench/saml.lua - wrk script: AssumeRoleWithSAML with a different signed
-- SAML response on every request, none sent twice (bench/saml.sh).
--
-- Environment:
--   FEDGATE_BENCH_SAML       file written by bench/saml_mint.py (required):
--                            one percent-encoded base64 response per line
--   FEDGATE_BENCH_ROLE       RoleArn (required)
--   FEDGATE_BENCH_PRINCIPAL  PrincipalArn (required)
--   FEDGATE_BENCH_THREADS    wrk's -t (default 2, as bench/lib.sh runs it)
--
-- fedgate accepts an assertion ID once (replay protection stays on), so
-- thread i takes lines i+1, i+1+T, i+1+2T, ... of the file and the threads
-- never share a response. A thread that reaches the end of its share
-- starts over (fedgate then answers InvalidIdentityToken, a failure) and
-- counts the reuse. done() prints one machine-readable line for
-- bench/lib.sh (bench_wrk) and bench/saml.sh:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N non200=N
--         socket_errors=N status_errors=N reused=N available=N
-- and, after a failure, "BENCH first_bad=STATUS CODE BODY".

local threads = {}

function setup(thread)
	thread:set("thread_index", #threads)
	table.insert(threads, thread)
end

local function need(name)
	local v = os.getenv(name)
	if v == nil or v == "" then
		error("saml.lua: set " .. name)
	end
	return v
end

-- This thread's share of the file: every nthreads-th line.
local function load_share(path, index, nthreads)
	local f, err = io.open(path, "r")
	if f == nil then
		error("saml.lua: cannot open response file: " .. tostring(err))
	end
	local list = {}
	local n = 0
	for line in f:lines() do
		if line ~= "" then
			if n % nthreads == index then
				list[#list + 1] = line
			end
			n = n + 1
		end
	end
	f:close()
	if #list == 0 then
		error("saml.lua: no responses for thread " .. index .. " in " .. path)
	end
	return list
end

function init(args)
	local path = need("FEDGATE_BENCH_SAML")
	-- ARNs (':' and '/') need no escaping in a form value.
	prefix = "Action=AssumeRoleWithSAML&Version=2011-06-15" ..
	    "&RoleArn=" .. need("FEDGATE_BENCH_ROLE") ..
	    "&PrincipalArn=" .. need("FEDGATE_BENCH_PRINCIPAL") ..
	    "&SAMLAssertion="
	nthreads = tonumber(os.getenv("FEDGATE_BENCH_THREADS") or "2")
	responses = load_share(path, thread_index, nthreads)
	available = #responses
	pos = 0
	reused = 0
	non200 = 0
	first_bad = ""
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
	if pos == #responses then
		pos = 0
	end
	pos = pos + 1
	if sent_all then
		reused = reused + 1
	elseif pos == #responses then
		sent_all = true
	end
	return wrk.format(nil, "/", nil, prefix .. responses[pos])
end

function response(status, headers, body)
	if status ~= 200 then
		non200 = non200 + 1
		if first_bad == "" then
			-- Error bodies are AWS XML and never echo the assertion;
			-- X-Fedgate-Error-Code says which check failed.
			first_bad = tostring(status) .. " " ..
			    tostring(headers["X-Fedgate-Error-Code"] or "") .. " " ..
			    string.sub(string.gsub(body or "", "%s+", " "), 1, 300)
		end
	end
end

function done(summary, latency, requests)
	local bad, reuse, avail = 0, 0, 0
	local first = ""
	for _, t in ipairs(threads) do
		bad = bad + (t:get("non200") or 0)
		reuse = reuse + (t:get("reused") or 0)
		avail = avail + (t:get("available") or 0)
		local fb = t:get("first_bad")
		if first == "" and fb ~= nil and fb ~= "" then
			first = fb
		end
	end
	if #threads ~= tonumber(os.getenv("FEDGATE_BENCH_THREADS") or "2") then
		-- Shares would overlap or leave lines out: count it as failed.
		first = "FEDGATE_BENCH_THREADS does not match wrk -t " .. #threads
		bad = bad + 1
	end
	local e = summary.errors
	local sockerr = e.connect + e.read + e.write + e.timeout
	local secs = summary.duration / 1e6
	local rps = 0
	if secs > 0 then
		rps = summary.requests / secs
	end
	io.write(string.format(
	    "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d " ..
	    "non200=%d socket_errors=%d status_errors=%d reused=%d " ..
	    "available=%d\n",
	    summary.requests, summary.duration, rps,
	    latency:percentile(50), latency:percentile(99),
	    bad, sockerr, e.status, reuse, avail))
	if first ~= "" then
		io.write("BENCH first_bad=" .. first .. "\n")
	end
end
