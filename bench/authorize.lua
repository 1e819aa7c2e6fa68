-- bench/authorize.lua - wrk script: replay pre-signed requests, a different
-- one on every request (bench/authorize.sh: /authorize and
-- GetCallerIdentity).
--
-- Environment:
--   FEDGATE_BENCH_REQUESTS  file written by bench/sign_requests.py (required):
--                           one request per line, tab-separated:
--                           METHOD, PATH, BODY, then "Name: value" headers
--
-- Each wrk thread has its own Lua state: it formats every request of the
-- file once, at init, and starts at its own offset, so threads do not send
-- the same request in lockstep. Every response other than 200 is counted;
-- done() prints one machine-readable line for bench/lib.sh (bench_wrk):
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N non200=N
--         socket_errors=N status_errors=N
-- and, after a failure, "BENCH first_bad=STATUS BODY".

local threads = {}

-- The shared response() and report: bench/report.lua next to this file.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")

function setup(thread)
	thread:set("thread_index", #threads)
	table.insert(threads, thread)
end

local function split_tabs(s)
	local out = {}
	for field in (s .. "\t"):gmatch("([^\t]*)\t") do
		out[#out + 1] = field
	end
	return out
end

local function parse_line(line, n)
	local f = split_tabs(line)
	if #f < 3 then
		error("authorize.lua: line " .. n .. ": fewer than 3 fields")
	end
	local headers = {}
	for i = 4, #f do
		local name, value = f[i]:match("^([^:]+): (.*)$")
		if name == nil then
			error("authorize.lua: line " .. n .. ": bad header field")
		end
		headers[name] = value
	end
	local body = nil
	if f[3] ~= "" then
		body = f[3]
	end
	-- wrk.format adds Content-Length for a body and keeps our Host.
	return wrk.format(f[1], f[2], headers, body)
end

local function load_requests(path)
	local f, err = io.open(path, "r")
	if f == nil then
		error("authorize.lua: cannot open request file: " .. tostring(err))
	end
	local list = {}
	local n = 0
	for line in f:lines() do
		n = n + 1
		if line ~= "" then
			list[#list + 1] = parse_line(line, n)
		end
	end
	f:close()
	if #list == 0 then
		error("authorize.lua: no requests in " .. path)
	end
	return list
end

function init(args)
	local path = os.getenv("FEDGATE_BENCH_REQUESTS")
	if path == nil or path == "" then
		error("authorize.lua: set FEDGATE_BENCH_REQUESTS to the request file")
	end
	reqs = load_requests(path)
	pos = (thread_index * 7919) % #reqs
end

function request()
	pos = pos % #reqs + 1
	return reqs[pos]
end

function done(summary, latency, requests)
	bench_report(threads, summary, latency)
end
