/* gateway/metrics.h - process-wide counters, Prometheus text exposition
 *
 * Counters live for the whole process (a reload does not reset them) and
 * are C11 atomics, so the request path never takes a lock except the first
 * time a new label combination is seen. Label values come from fixed sets
 * (STS actions, wire codes, error reasons) or from configured provider
 * names; never from subjects, session names, addresses or ARNs. Each
 * labelled family holds at most GW_METRICS_MAX_SERIES combinations; any
 * further one is counted under label values "other".
 */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "gateway/http.h"

struct core_buf;
struct gw_app;

#define GW_METRICS_PATH "/metrics"
/* Exposition format 0.0.4 (Prometheus "text/plain; version=0.0.4"). */
#define GW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define GW_METRICS_MAX_SERIES 64	/* per labelled family */
#define GW_METRICS_MAX_LABEL 96		/* bytes of one label value */
#define GW_METRICS_N_BUCKETS 12		/* finite buckets (+Inf extra) */

/**
 * Register the JWKS fetch observer with federation/oidc. Call once before
 * the worker threads start (gw_run does); idempotent.
 */
void gw_metrics_init(void);

/** Monotonic clock in nanoseconds, for gw_metrics_http_request. */
uint64_t gw_metrics_now(void);

/**
 * One HTTP response queued: count it by status and observe the time since
 * started_ns (a gw_metrics_now() value) in the duration histogram.
 */
void gw_metrics_http_request(int status, uint64_t started_ns);

/**
 * Histogram bucket of a duration: the index of the first upper bound
 * (0.001 s ... 5 s) that is >= ns, or GW_METRICS_N_BUCKETS for +Inf.
 */
size_t gw_metrics_bucket(uint64_t ns);

/**
 * One STS request finished with code (CORE_OK: success). action is the
 * requested Action; anything but a known STS action counts as "other".
 */
void gw_metrics_sts_request(const char *action, enum core_code code);

/** Credentials were issued by action; provider is a configured name or
 * NULL (signed calls have none: label ""). */
void gw_metrics_credentials_issued(const char *action, const char *provider);

/**
 * An ID token or SAML response failed validation at the configured
 * provider (NULL: none matched; label ""), for err->reason. A reason of
 * "replay" also counts in fedgate_replay_rejections_total, so a caller
 * that reports the failure here must not also call
 * gw_metrics_replay_rejection for it.
 */
void gw_metrics_token_failure(const char *provider, const struct core_err *err);

/** A replayed assertion or token refused outside gw_metrics_token_failure. */
void gw_metrics_replay_rejection(void);

/** One JWKS fetch from provider (configured name) ended, ok 1 or 0. */
void gw_metrics_jwks_fetch(const char *provider, int ok);

/** One failed operation on the shared state store (memory or Redis). */
void gw_metrics_store_error(void);

/** Outcome of a configuration reload (ok 1 or 0). */
void gw_metrics_config_reload(int ok);

/**
 * Append every metric in exposition format 0.0.4 to b. app (may be NULL)
 * supplies the per-provider gauges (key age, certificate expiry) at now.
 */
void gw_metrics_render(struct core_buf *b, struct gw_app *app, int64_t now);

/** Append v as a label value: \ " and newline escaped (format 0.0.4). */
void gw_metrics_put_label(struct core_buf *b, const char *v);

/** GET /metrics: 200 with the exposition. Never fails. */
void gw_metrics_handle(struct gw_app *app, struct gw_resp *resp);

/** Zero every counter and forget label combinations (tests only; not
 * safe while other threads count). */
void gw_metrics_reset(void);

#endif /* GW_METRICS_H */
