/* gateway/ratelimit.c - token-bucket rate limits on the shared store */
#include "gateway/ratelimit.h"

#include <stdio.h>
#include <string.h>

#include "core/store.h"
#include "core/timeutil.h"
#include "federation/replay.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/conf.h"
#include "gateway/form.h"
#include "gateway/metrics.h"

#define RL_EVENT_MAX 64		/* audit event name taken from Action */

/* The app's shared store: the replay cache's, which reloads carry over. */
static struct core_store *
rl_store(struct gw_app *app)
{
	return app->saml_replay != NULL ?
	    fed_saml_replay_store(app->saml_replay) : NULL;
}

/*
 * "kind:key" with bytes a store key may not hold replaced: source
 * addresses and provider names are already safe, but the key must never
 * be refused (a refusal would read as a store error and disable the limit).
 */
static void
rl_key(char *buf, size_t size, const char *kind, const char *key)
{
	size_t i, n;

	snprintf(buf, size, "%s:%s", kind, key[0] != '\0' ? key : "-");
	n = strlen(buf);
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] <= 0x20 || buf[i] == 0x7f)
			buf[i] = '_';
}

int
gw_ratelimit_hit(struct core_store *s, const struct gw_rate_limit *lim,
		 const char *kind, const char *key, int64_t now_ms,
		 struct core_err *err)
{
	char k[CORE_STORE_MAX_KEY + 1];
	int allowed = 0;

	if (lim == NULL || lim->requests <= 0 || lim->per_seconds <= 0)
		return 1;
	rl_key(k, sizeof(k), kind, key);
	if (core_store_take_token(s, GW_RATELIMIT_NS, k, lim->requests,
				  lim->per_seconds, lim->burst > 0 ?
				  lim->burst : lim->requests, now_ms,
				  &allowed, err) == -1)
		return -1;
	if (allowed)
		return 1;
	core_err_set(err, CORE_ETHROTTLED, GW_RATELIMIT_REASON,
		     "Rate exceeded");
	return 0;
}

/* One check against app's store; a store failure allows (see header). */
static int
rl_check(struct gw_app *app, const struct gw_rate_limit *lim,
	 const char *kind, const char *key, struct core_err *err)
{
	struct core_store *s = rl_store(app);
	struct core_err serr = {0};
	int r;

	if (s == NULL || lim->requests <= 0)
		return 0;
	r = gw_ratelimit_hit(s, lim, kind, key, core_now_ms(), &serr);
	if (r == -1) {
		gw_metrics_store_error();
		return 0;
	}
	if (r == 0) {
		*err = serr;
		return -1;
	}
	return 0;
}

int
gw_ratelimit_provider(struct gw_app *app, const char *provider,
		      struct core_err *err)
{
	if (provider == NULL)
		return 0;
	return rl_check(app, &app->conf->rl_provider, "provider", provider,
			err);
}

/* An Action is client input: only a plain name becomes an audit event. */
static const char *
rl_event_name(const char *event)
{
	size_t i, n;

	if (event == NULL)
		return "Unknown";
	n = strlen(event);
	if (n == 0 || n > RL_EVENT_MAX)
		return "Unknown";
	for (i = 0; i < n; i++)
		if (!((event[i] >= 'A' && event[i] <= 'Z') ||
		      (event[i] >= 'a' && event[i] <= 'z') ||
		      (event[i] >= '0' && event[i] <= '9')))
			return "Unknown";
	return event;
}

int
gw_ratelimit_request(struct gw_app *app, const struct gw_req *req,
		     const char *event, struct gw_resp *resp)
{
	struct gw_audit_event ev = {0};
	struct core_err err = {0};
	int authorize = event != NULL && strcmp(event, "Authorize") == 0;

	if (rl_check(app, &app->conf->rl_source_ip, "ip", req->source_ip,
		     &err) == 0)
		return 0;
	gw_resp_error(resp, req, &err);
	if (authorize)
		gw_resp_header(resp, "X-Fedgate-Error-Code",
			       core_code_sts(err.code));
	/* /authorize is no STS action: it counts under action "other". */
	gw_metrics_sts_request(authorize ? NULL : event, err.code);
	ev.event_name = rl_event_name(event);
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	ev.err = &err;
	gw_audit_log(app->audit, &ev);
	return 1;
}
