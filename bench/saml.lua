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

-- The shared response() and report: bench/report.lua next to this file.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

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

function done(summary, latency, requests)
	local bad, reuse, avail, first = 0, 0, 0, nil
	for _, t in ipairs(threads) do
		reuse = reuse + (t:get("reused") or 0)
		avail = avail + (t:get("available") or 0)
	end
	if #threads ~= tonumber(os.getenv("FEDGATE_BENCH_THREADS") or "2") then
		-- Shares would overlap or leave lines out: count it as failed.
		first = "FEDGATE_BENCH_THREADS does not match wrk -t " .. #threads
		bad = 1
	end
	bench_report(threads, summary, latency, bad, first,
		     string.format("reused=%d available=%d", reuse, avail))
end
