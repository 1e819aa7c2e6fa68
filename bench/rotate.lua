-- bench/rotate.lua - wrk script: AssumeRoleWithWebIdentity with a different
-- pre-minted token on every request.
--
-- Environment:
--   FEDGATE_BENCH_TOKENS  file with one token per line (required)
--   FEDGATE_BENCH_ROLE    role ARN (default arn:aws:iam::000000000000:role/bench-role)
--
-- Each wrk thread has its own Lua state: it loads the whole token file and
-- starts at its own offset, so threads do not send the same token in
-- lockstep. Every response other than 200 is counted; done() prints one
-- machine-readable line for bench/run.sh:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N non200=N
--         socket_errors=N first_bad=STATUS

local threads = {}

-- The shared response() and report: bench/report.lua next to this file.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

function setup(thread)
	thread:set("thread_index", #threads)
	table.insert(threads, thread)
end

local function load_tokens(path)
	local f, err = io.open(path, "r")
	if f == nil then
		error("rotate.lua: cannot open token file: " .. tostring(err))
	end
	local list = {}
	for line in f:lines() do
		if line ~= "" then
			list[#list + 1] = line
		end
	end
	f:close()
	if #list == 0 then
		error("rotate.lua: no tokens in " .. path)
	end
	return list
end

function init(args)
	local path = os.getenv("FEDGATE_BENCH_TOKENS")
	if path == nil or path == "" then
		error("rotate.lua: set FEDGATE_BENCH_TOKENS to the token file")
	end
	local role = os.getenv("FEDGATE_BENCH_ROLE") or
	    "arn:aws:iam::000000000000:role/bench-role"
	tokens = load_tokens(path)
	-- Tokens are base64url and '.', so they need no form escaping; the
	-- ARN's ':' and '/' are allowed unescaped in a form value too.
	prefix = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15" ..
	    "&RoleArn=" .. role ..
	    "&RoleSessionName=bench&WebIdentityToken="
	-- Spread the threads over the list.
	pos = (thread_index * 7919) % #tokens
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
	pos = pos % #tokens + 1
	return wrk.format(nil, "/", nil, prefix .. tokens[pos])
end

function done(summary, latency, requests)
	bench_report(threads, summary, latency)
end
