-- bench/report.lua - shared by the wrk scripts (rotate.lua, authorize.lua,
-- saml.lua): count answers other than 200 per thread and print the one
-- machine-readable line bench/lib.sh parses:
--   BENCH requests=N duration_us=N rps=F p50_us=N p99_us=N non200=N
--         socket_errors=N status_errors=N [EXTRA]
-- and, after a failure, "BENCH first_bad=STATUS CODE BODY".
-- Load it with bench_load_report() below from the calling script.

non200 = 0
first_bad = ""

function response(status, headers, body)
	if status ~= 200 then
		non200 = non200 + 1
		if first_bad == "" then
			-- Error bodies are AWS XML/JSON and never echo tokens,
			-- assertions or credentials; X-Fedgate-Error-Code says
			-- which check failed.
			first_bad = tostring(status) .. " " ..
			    tostring(headers["X-Fedgate-Error-Code"] or "") .. " " ..
			    string.sub(string.gsub(body or "", "%s+", " "), 1, 300)
		end
	end
end

-- threads: the wrk thread objects collected in setup(); extra_bad and
-- extra_first let a script add its own failures; extra: more "k=v" fields.
function bench_report(threads, summary, latency, extra_bad, extra_first, extra)
	local bad, first = extra_bad or 0, extra_first or ""
	for _, t in ipairs(threads) do
		bad = bad + (t:get("non200") or 0)
		local fb = t:get("first_bad")
		if first == "" and fb ~= nil and fb ~= "" then
			first = fb
		end
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
	    "non200=%d socket_errors=%d status_errors=%d%s\n",
	    summary.requests, summary.duration, rps,
	    latency:percentile(50), latency:percentile(99),
	    bad, sockerr, e.status, extra and (" " .. extra) or ""))
	if first ~= "" then
		io.write("BENCH first_bad=" .. first .. "\n")
	end
end
