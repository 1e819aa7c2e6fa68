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
 * Logs "listening on http://HOST:PORT" for each. NULL on failure.
 */
struct gw_server *gw_server_start(struct gw_app *app, struct core_err *err);

/** Actual port of listen address i. */
int gw_server_port(const struct gw_server *srv, size_t i);

/**
 * Stop accepting, let in-flight requests finish (up to timeout_s), stop.
 */
void gw_server_stop(struct gw_server *srv, int timeout_s);

#endif /* GW_SERVER_H */
