/* gateway/metrics.c - counters and the Prometheus text exposition (0.0.4)
 *
 * Fixed label sets (HTTP status, STS action x wire code) are plain arrays
 * of atomics indexed directly. Families keyed by a configured provider
 * name are small append-only tables: a series, once published (release
 * store of the count), never changes its label values, so lookups scan
 * without a lock and only a new combination takes the family's mutex.
 * All counting is relaxed: a scrape needs no ordering between counters.
 */
#include "gateway/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "core/timeutil.h"
#include "federation/oidc.h"
#include "federation/saml.h"
#include "gateway/app.h"
#include "gateway/run.h"

#define RELAXED memory_order_relaxed
#define HTTP_CODE_MIN 100
#define HTTP_CODE_MAX 599
#define N_HTTP (HTTP_CODE_MAX - HTTP_CODE_MIN + 1)	/* + 1 slot "other" */
#define OTHER "other"

/* Upper bounds of the duration buckets; le="+Inf" follows. */
static const uint64_t bucket_ns[GW_METRICS_N_BUCKETS] = {
	1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
	100000000, 250000000, 500000000, 1000000000, 2500000000ULL,
	5000000000ULL,
};
static const char *const bucket_le[GW_METRICS_N_BUCKETS] = {
	"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5", "1", "2.5", "5",
};

/* The action label's values; anything else is "other". */
static const char *const sts_actions[] = {
	"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "AssumeRole",
	"GetCallerIdentity", "GetSessionToken", "DecodeAuthorizationMessage",
	"GetFederationToken", "GetAccessKeyInfo",
};
#define N_ACTIONS (sizeof(sts_actions) / sizeof(sts_actions[0]))

struct series {
	char v[2][GW_METRICS_MAX_LABEL];
	atomic_ullong n;
};

/* A counter with two labels, bounded to GW_METRICS_MAX_SERIES series. */
struct family {
	const char *name;
	const char *help;
	const char *label[2];
	pthread_mutex_t mu;		/* adding a series */
	atomic_size_t n;		/* published series */
	struct series s[GW_METRICS_MAX_SERIES];
	atomic_ullong other;		/* combinations beyond the bound */
};

/* Zero-initialised static atomics are valid (C11 7.17.2.1). */
static struct {
	atomic_ullong http[N_HTTP + 1];
	atomic_ullong bucket[GW_METRICS_N_BUCKETS + 1];
	atomic_ullong duration_ns;
	atomic_ullong sts[N_ACTIONS + 1][CORE_CODE_COUNT];
	atomic_ullong store_errors;
	atomic_ullong replays;
	atomic_ullong reload_failures;
	atomic_int last_reload_failed;
} m;

static struct family creds = {
	.name = "fedgate_credentials_issued_total",
	.help = "Temporary credentials issued, by STS action and provider.",
	.label = {"action", "provider"},
	.mu = PTHREAD_MUTEX_INITIALIZER,
};
static struct family token_failures = {
	.name = "fedgate_token_validation_failures_total",
	.help = "ID tokens and SAML responses refused, by provider and reason.",
	.label = {"provider", "reason"},
	.mu = PTHREAD_MUTEX_INITIALIZER,
};
static struct family jwks_fetches = {
	.name = "fedgate_jwks_fetch_total",
	.help = "Fetches of OIDC provider keys (discovery + JWKS), by result.",
	.label = {"provider", "result"},
	.mu = PTHREAD_MUTEX_INITIALIZER,
};

static struct family *const families[] = {
	&creds, &token_failures, &jwks_fetches,
};

/* ---- counting ---- */

static struct series *
fam_find(struct family *f, size_t n, const char *a, const char *b)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(f->s[i].v[0], a) == 0 &&
		    strcmp(f->s[i].v[1], b) == 0)
			return &f->s[i];
	return NULL;
}

static struct series *
fam_add(struct family *f, const char *a, const char *b)
{
	struct series *s;
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = atomic_load_explicit(&f->n, RELAXED);
	s = fam_find(f, n, a, b); /* another thread may have added it */
	if (s == NULL && n < GW_METRICS_MAX_SERIES) {
		s = &f->s[n];
		snprintf(s->v[0], sizeof(s->v[0]), "%s", a);
		snprintf(s->v[1], sizeof(s->v[1]), "%s", b);
		atomic_store_explicit(&s->n, 0, RELAXED);
		/* Readers that see n + 1 see the label values written above. */
		atomic_store_explicit(&f->n, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&f->mu);
	return s;
}

static void
fam_inc(struct family *f, const char *a, const char *b)
{
	struct series *s = NULL;

	a = a != NULL ? a : "";
	b = b != NULL ? b : "";
	/* Too long to store: counted, but not under a truncated name that
	 * could pass for another provider's. */
	if (strlen(a) < GW_METRICS_MAX_LABEL &&
	    strlen(b) < GW_METRICS_MAX_LABEL) {
		size_t n = atomic_load_explicit(&f->n, memory_order_acquire);

		s = fam_find(f, n, a, b);
		if (s == NULL)
			s = fam_add(f, a, b);
	}
	if (s != NULL)
		atomic_fetch_add_explicit(&s->n, 1, RELAXED);
	else
		atomic_fetch_add_explicit(&f->other, 1, RELAXED);
}

static size_t
action_index(const char *action)
{
	for (size_t i = 0; action != NULL && i < N_ACTIONS; i++)
		if (strcmp(action, sts_actions[i]) == 0)
			return i;
	return N_ACTIONS;
}

uint64_t
gw_metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

size_t
gw_metrics_bucket(uint64_t ns)
{
	size_t i = 0;

	/* le is inclusive: an observation equal to a bound belongs to it. */
	while (i < GW_METRICS_N_BUCKETS && ns > bucket_ns[i])
		i++;
	return i;
}

void
gw_metrics_http_request(int status, uint64_t started_ns)
{
	uint64_t now = gw_metrics_now();
	uint64_t d = started_ns != 0 && now > started_ns ? now - started_ns : 0;
	size_t slot = N_HTTP;

	if (status >= HTTP_CODE_MIN && status <= HTTP_CODE_MAX)
		slot = (size_t)(status - HTTP_CODE_MIN);
	atomic_fetch_add_explicit(&m.http[slot], 1, RELAXED);
	atomic_fetch_add_explicit(&m.bucket[gw_metrics_bucket(d)], 1, RELAXED);
	atomic_fetch_add_explicit(&m.duration_ns, d, RELAXED);
}

void
gw_metrics_sts_request(const char *action, enum core_code code)
{
	if ((unsigned)code >= CORE_CODE_COUNT)
		code = CORE_EINTERNAL;
	atomic_fetch_add_explicit(&m.sts[action_index(action)][code], 1,
				  RELAXED);
}

void
gw_metrics_credentials_issued(const char *action, const char *provider)
{
	size_t i = action_index(action);

	fam_inc(&creds, i < N_ACTIONS ? sts_actions[i] : OTHER, provider);
}

void
gw_metrics_token_failure(const char *provider, const struct core_err *err)
{
	const char *reason = err != NULL && err->reason != NULL ? err->reason
								: "unknown";

	fam_inc(&token_failures, provider, reason);
	if (strcmp(reason, "replay") == 0)
		gw_metrics_replay_rejection();
}

void
gw_metrics_replay_rejection(void)
{
	atomic_fetch_add_explicit(&m.replays, 1, RELAXED);
}

void
gw_metrics_jwks_fetch(const char *provider, int ok)
{
	fam_inc(&jwks_fetches, provider, ok ? "ok" : "error");
}

void
gw_metrics_store_error(void)
{
	atomic_fetch_add_explicit(&m.store_errors, 1, RELAXED);
}

void
gw_metrics_config_reload(int ok)
{
	atomic_store(&m.last_reload_failed, ok ? 0 : 1);
	if (!ok)
		atomic_fetch_add_explicit(&m.reload_failures, 1, RELAXED);
}

void
gw_metrics_init(void)
{
	fed_oidc_set_fetch_observer(gw_metrics_jwks_fetch);
}

void
gw_metrics_reset(void)
{
	memset(&m, 0, sizeof(m));
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		struct family *f = families[i];

		pthread_mutex_lock(&f->mu);
		atomic_store(&f->n, 0);
		atomic_store(&f->other, 0);
		pthread_mutex_unlock(&f->mu);
	}
}

/* ---- exposition ---- */

void
gw_metrics_put_label(struct core_buf *b, const char *v)
{
	for (; v != NULL && *v != '\0'; v++) {
		if (*v == '\\')
			core_buf_puts(b, "\\\\");
		else if (*v == '"')
			core_buf_puts(b, "\\\"");
		else if (*v == '\n')
			core_buf_puts(b, "\\n");
		else
			core_buf_append(b, v, 1);
	}
}

static void
put_header(struct core_buf *b, const char *name, const char *type,
	   const char *help)
{
	core_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			type);
}

/* name{l0="v0",l1="v1"} value; labels and values may be NULL (none). */
static void
put_sample(struct core_buf *b, const char *name, const char *const *labels,
	   const char *const *values, size_t n, unsigned long long v)
{
	core_buf_puts(b, name);
	for (size_t i = 0; i < n; i++) {
		core_buf_printf(b, "%s%s=\"", i == 0 ? "{" : ",", labels[i]);
		gw_metrics_put_label(b, values[i]);
		core_buf_puts(b, "\"");
	}
	core_buf_printf(b, "%s %llu\n", n > 0 ? "}" : "", v);
}

static void
render_family(struct core_buf *b, struct family *f)
{
	static const char *const other[2] = {OTHER, OTHER};
	size_t n = atomic_load_explicit(&f->n, memory_order_acquire);
	unsigned long long o = atomic_load_explicit(&f->other, RELAXED);

	put_header(b, f->name, "counter", f->help);
	for (size_t i = 0; i < n; i++) {
		const char *v[2] = {f->s[i].v[0], f->s[i].v[1]};

		put_sample(b, f->name, f->label, v, 2,
			   atomic_load_explicit(&f->s[i].n, RELAXED));
	}
	if (o > 0)
		put_sample(b, f->name, f->label, other, 2, o);
}

static void
render_http(struct core_buf *b)
{
	static const char *const lbl[1] = {"code"};
	static const char *const name = "fedgate_http_requests_total";

	put_header(b, name, "counter", "HTTP responses sent, by status code.");
	for (size_t i = 0; i <= N_HTTP; i++) {
		unsigned long long v;
		char code[8];
		const char *val[1] = {code};

		v = atomic_load_explicit(&m.http[i], RELAXED);
		if (v == 0)
			continue;
		if (i < N_HTTP)
			snprintf(code, sizeof(code), "%zu", i + HTTP_CODE_MIN);
		else
			snprintf(code, sizeof(code), "%s", OTHER);
		put_sample(b, name, lbl, val, 1, v);
	}
}

static void
render_histogram(struct core_buf *b)
{
	static const char *const name = "fedgate_http_request_duration_seconds";
	unsigned long long cum = 0;
	uint64_t sum = atomic_load_explicit(&m.duration_ns, RELAXED);

	put_header(b, name, "histogram", "Time from the first request "
		   "callback to the response being queued.");
	/* Buckets are stored per slot and summed here, so _count always
	 * equals the +Inf bucket. */
	for (size_t i = 0; i <= GW_METRICS_N_BUCKETS; i++) {
		const char *le = i < GW_METRICS_N_BUCKETS ? bucket_le[i]
							  : "+Inf";

		cum += atomic_load_explicit(&m.bucket[i], RELAXED);
		core_buf_printf(b, "%s_bucket{le=\"%s\"} %llu\n", name, le,
				cum);
	}
	core_buf_printf(b, "%s_sum %llu.%09llu\n%s_count %llu\n", name,
			(unsigned long long)(sum / 1000000000ULL),
			(unsigned long long)(sum % 1000000000ULL), name, cum);
}

static void
render_sts(struct core_buf *b)
{
	static const char *const lbl[3] = {"action", "result", "error_code"};
	static const char *const name = "fedgate_sts_requests_total";

	put_header(b, name, "counter", "STS API requests, by action, result "
		   "and AWS error code (empty on success).");
	for (size_t a = 0; a <= N_ACTIONS; a++) {
		for (size_t c = 0; c < CORE_CODE_COUNT; c++) {
			unsigned long long v =
			    atomic_load_explicit(&m.sts[a][c], RELAXED);
			const char *val[3];

			if (v == 0)
				continue;
			val[0] = a < N_ACTIONS ? sts_actions[a] : OTHER;
			val[1] = c == CORE_OK ? "ok" : "error";
			val[2] = c == CORE_OK ? ""
					      : core_code_sts((enum core_code)c);
			put_sample(b, name, lbl, val, 3, v);
		}
	}
}

/* Per-provider gauges of the running config: labels are provider names
 * the operator configured, bounded by the config itself. */
static void
render_idp(struct core_buf *b, struct gw_app *app, int64_t now)
{
	static const char *const lbl[1] = {"provider"};
	static const char *const age = "fedgate_idp_keys_age_seconds";
	static const char *const exp =
	    "fedgate_idp_certificate_expiry_timestamp_seconds";
	size_t n = app != NULL ? fed_oidc_set_count(app->oidc) : 0;

	put_header(b, age, "gauge", "Seconds since the OIDC provider's "
		   "current keys were loaded (absent: no keys).");
	for (size_t i = 0; i < n; i++) {
		int64_t at = fed_oidc_provider_keys_at(app->oidc, i);
		const char *val[1] = {fed_oidc_provider_name(app->oidc, i)};

		if (at > 0)
			put_sample(b, age, lbl, val, 1, (unsigned long long)
				   (now > at ? now - at : 0));
	}
	put_header(b, exp, "gauge", "Earliest notAfter (epoch seconds) of "
		   "the SAML IdP's signing certificates in its metadata.");
	n = app != NULL && app->saml != NULL ? fed_saml_idp_count(app->saml)
					     : 0;
	for (size_t i = 0; i < n; i++) {
		int64_t t = fed_saml_idp_cert_expiry(app->saml, i);
		const char *val[1] = {fed_saml_idp_name(app->saml, i)};

		if (t > 0)
			put_sample(b, exp, lbl, val, 1, (unsigned long long)t);
	}
}

static void
render_plain(struct core_buf *b, const char *name, const char *type,
	     const char *help, unsigned long long v)
{
	put_header(b, name, type, help);
	put_sample(b, name, NULL, NULL, 0, v);
}

void
gw_metrics_render(struct core_buf *b, struct gw_app *app, int64_t now)
{
	static const char *const ver[1] = {"version"};
	static const char *const ver_v[1] = {GW_VERSION};

	put_header(b, "fedgate_build_info", "gauge",
		   "Always 1; the version label names the running build.");
	put_sample(b, "fedgate_build_info", ver, ver_v, 1, 1);
	render_http(b);
	render_histogram(b);
	render_sts(b);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		render_family(b, families[i]);
	render_idp(b, app, now);
	render_plain(b, "fedgate_store_errors_total", "counter",
		     "Failed operations on the shared state store.",
		     atomic_load_explicit(&m.store_errors, RELAXED));
	render_plain(b, "fedgate_replay_rejections_total", "counter",
		     "Assertions or tokens refused as replays.",
		     atomic_load_explicit(&m.replays, RELAXED));
	render_plain(b, "fedgate_config_last_reload_successful", "gauge",
		     "1 if the last configuration reload succeeded (or none "
		     "was tried), else 0.",
		     atomic_load(&m.last_reload_failed) ? 0 : 1);
	render_plain(b, "fedgate_config_reload_failures_total", "counter",
		     "Configuration reloads that failed since start.",
		     atomic_load_explicit(&m.reload_failures, RELAXED));
}

void
gw_metrics_handle(struct gw_app *app, struct gw_resp *resp)
{
	core_buf_reset(&resp->body);
	gw_metrics_render(&resp->body, app, core_now());
	resp->status = 200;
	resp->content_type = GW_METRICS_CONTENT_TYPE;
}
