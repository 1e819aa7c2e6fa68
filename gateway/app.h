/* gateway/app.h - the running gateway: config, keys, providers, routes */
#ifndef GW_APP_H
#define GW_APP_H

#include <stdatomic.h>
#include <stdint.h>

#include "gateway/http.h"

struct gw_conf;
struct fed_oidc_set;
struct core_keyring;
struct gw_audit;
struct gw_devidp;
struct fed_saml;
struct fed_saml_replay;
struct gw_login;

/*
 * Immutable once published to the server, and reference-counted so that a
 * reload can swap in a successor while requests still running on this one
 * finish on the config they started with (see gw_server_app_acquire).
 */
struct gw_app {
	struct gw_conf *conf;
	struct fed_oidc_set *oidc;
	struct core_keyring *keyring;
	struct gw_audit *audit;
	struct gw_devidp *devidp;	/* dev mode only, else NULL */
	struct fed_saml *saml;		/* NULL when no SAML provider is configured */
	struct fed_saml_replay *saml_replay;
	struct gw_login *login;		/* login page state; NULL without logins */
	int64_t started_at;
	int metadata_refresh_seconds;	/* min refresh_seconds of SAML
					   metadata_url providers; 0: none */
	atomic_int refs;
	int state_moved;		/* saml_replay and devidp belong to a
					   successor (gw_app_inherit) */
};

/**
 * Build the app from a loaded config: key ring from state_dir (created on
 * first start), provider set (keys prefetched later), audit sink.
 * Takes ownership of conf. NULL with a logged reason on failure.
 */
struct gw_app *gw_app_new(struct gw_conf *conf);

/** Free now, whatever the reference count (construction failures). */
void gw_app_free(struct gw_app *app);

/**
 * A new app starts with one reference, its creator's. gw_app_ref adds one
 * and returns app; gw_app_unref drops one and frees the app with the last.
 * Both are thread-safe; NULL is a no-op.
 */
struct gw_app *gw_app_ref(struct gw_app *app);
void gw_app_unref(struct gw_app *app);

/**
 * Hand the state that must outlive a reload from old to its successor app
 * (not yet published): the SAML replay store, so an assertion accepted
 * before the reload is still refused after it, and the dev IdP with its
 * signing key. old keeps using them until its last request is done, but
 * no longer frees them.
 */
void gw_app_inherit(struct gw_app *app, struct gw_app *old);

/** Route one complete request. Never fails: errors become responses. */
void gw_app_handle(struct gw_app *app, struct gw_req *req, struct gw_resp *resp);

#endif /* GW_APP_H */
