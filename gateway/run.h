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
 * for signals: SIGHUP reloads conf_path (NULL: dev mode, whose embedded
 * config cannot be reloaded), as does a timer when a SAML provider has a
 * metadata_url; SIGTERM/SIGINT stop gracefully (in-flight requests
 * finish). Takes over the caller's reference to app. Returns the process
 * exit status.
 */
int gw_run(struct gw_app *app, const char *conf_path, gw_ready_fn on_ready,
	   void *arg);

#endif /* GW_RUN_H */
