/* gateway/app.h - the running gateway: config, keys, providers, routes */
#ifndef GW_APP_H
#define GW_APP_H

#include <stdint.h>

#include "gateway/http.h"

struct gw_conf;
struct fed_oidc_set;
struct core_keyring;
struct gw_audit;
struct gw_devidp;
struct fed_saml;
struct fed_saml_replay;

struct gw_app {
	struct gw_conf *conf;
	struct fed_oidc_set *oidc;
	struct core_keyring *keyring;
	struct gw_audit *audit;
	struct gw_devidp *devidp;	/* dev mode only, else NULL */
	struct fed_saml *saml;		/* NULL when no SAML provider is configured */
	struct fed_saml_replay *saml_replay;
	int64_t started_at;
};

/**
 * Build the app from a loaded config: key ring from state_dir (created on
 * first start), provider set (keys prefetched later), audit sink.
 * Takes ownership of conf. NULL with a logged reason on failure.
 */
struct gw_app *gw_app_new(struct gw_conf *conf);
void gw_app_free(struct gw_app *app);

/** Route one complete request. Never fails: errors become responses. */
void gw_app_handle(struct gw_app *app, struct gw_req *req, struct gw_resp *resp);

#endif /* GW_APP_H */
