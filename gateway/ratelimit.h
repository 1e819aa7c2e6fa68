/* gateway/ratelimit.h - request rate limits per source IP and per provider
 *
 * Token buckets (core_store_take_token): {requests, per_seconds, burst}
 * is a bucket of burst tokens (default: requests), refilled continuously
 * at requests per per_seconds; each request takes one. Unlike fixed
 * windows there is no edge where twice the limit passes in a moment.
 * With a Redis store every instance shares the buckets (one atomic Lua
 * script per check), so a limit holds for the whole fleet. Over the limit the request gets STS's Throttling (400, "Rate
 * exceeded"), which the AWS SDKs retry with backoff. A store that cannot
 * count lets the request through: a limit protects capacity, not
 * security, so availability wins over accounting (the failure is counted
 * in fedgate_store_errors_total).
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stdint.h>

#include "core/err.h"
#include "gateway/http.h"

struct core_store;
struct gw_app;
struct gw_rate_limit;

#define GW_RATELIMIT_NS "ratelimit"		/* store namespace */
#define GW_RATELIMIT_REASON "rate_limited"	/* err->reason, audit */

/**
 * Take one token for kind:key ("ip", "provider") from lim's bucket at
 * now_ms (milliseconds since the epoch).
 * 1: allowed. 0: over the limit, err CORE_ETHROTTLED "rate_limited".
 * -1: the store failed (err from the store); the caller decides.
 * A lim with requests 0 (no limit) allows without touching the store.
 */
int gw_ratelimit_hit(struct core_store *s, const struct gw_rate_limit *lim,
		     const char *kind, const char *key, int64_t now_ms,
		     struct core_err *err);

/**
 * The per-provider limit of app's config for provider (a configured name;
 * NULL allows). 0: allowed (also when the store failed: counted as a
 * store error). -1: throttled, err set.
 */
int gw_ratelimit_provider(struct gw_app *app, const char *provider,
			  struct core_err *err);

/**
 * The per-source-IP limit, for an STS call (event: its Action, may be
 * NULL) or /authorize (event "Authorize"). 0: go on. 1: throttled: resp
 * holds the Throttling error, and the refusal is audited and counted.
 */
int gw_ratelimit_request(struct gw_app *app, const struct gw_req *req,
			 const char *event, struct gw_resp *resp);

#endif /* GW_RATELIMIT_H */
