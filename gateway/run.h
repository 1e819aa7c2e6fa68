/* gateway/run.h - the serve loop shared by `serve` and `dev` */
#ifndef GW_RUN_H
#define GW_RUN_H

struct gw_app;
struct gw_server;

#define GW_VERSION "0.1.0"

typedef void (*gw_ready_fn)(struct gw_app *app, struct gw_server *srv,
			    void *arg);

/**
 * Listen, prefetch provider keys, call on_ready (may be NULL), then wait
 * for SIGTERM/SIGINT and stop gracefully (in-flight requests finish).
 * Frees app. Returns the process exit status.
 */
int gw_run(struct gw_app *app, gw_ready_fn on_ready, void *arg);

#endif /* GW_RUN_H */
