/* gateway/server.h - libmicrohttpd front end */
#ifndef GW_SERVER_H
#define GW_SERVER_H

#include "core/err.h"

struct gw_app;
struct gw_server;

#define GW_MAX_HEADER_BYTES (32 * 1024)	/* all request headers together */
#define GW_MAX_USER_AGENT 512		/* longer ones are cut for the audit log */
#define GW_MAX_QUERY_BYTES (32 * 1024)

/**
 * Bind every listen address of app->conf and start the worker pool.
 * Ports given as 0 are chosen by the kernel; gw_server_port() tells which.
 * Logs "listening on http://HOST:PORT" for each. The server takes its own
 * reference to app (the caller keeps its one). NULL on failure.
 */
struct gw_server *gw_server_start(struct gw_app *app, struct core_err *err);

/**
 * A reference to the current app; release it with gw_app_unref. Each
 * request holds one from its first line until it completes, so it runs
 * entirely on the config it started with. Thread-safe.
 */
struct gw_app *gw_server_app_acquire(struct gw_server *srv);

/**
 * Make app the current app for new requests (takes a reference of its
 * own) and drop the server's reference to the previous one, which is
 * freed when its last in-flight request completes. The listen sockets and
 * thread pool stay as they were started. Thread-safe.
 */
void gw_server_swap_app(struct gw_server *srv, struct gw_app *app);

/** Record the outcome of a reload (ok 1 or 0), for metrics. */
void gw_server_reload_done(struct gw_server *srv, int ok);

/** 1 if the last reload succeeded or none was tried yet, else 0. */
int gw_server_last_reload_ok(struct gw_server *srv);

/** Number of reloads that failed since start. */
unsigned long gw_server_reload_failures(struct gw_server *srv);

/** Actual port of listen address i. */
int gw_server_port(const struct gw_server *srv, size_t i);

/** Actual port of the metrics_listen address; -1 when there is none. */
int gw_server_metrics_port(const struct gw_server *srv);

/**
 * Stop accepting, let in-flight requests finish (up to timeout_s), stop.
 */
void gw_server_stop(struct gw_server *srv, int timeout_s);

#endif /* GW_SERVER_H */
