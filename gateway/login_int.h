/* gateway/login_int.h - shared by login.c and web_creds.c */
#ifndef GW_LOGIN_INT_H
#define GW_LOGIN_INT_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "federation/oidc_code.h"
#include "gateway/http.h"
#include "gateway/web_html.h"

struct gw_app;
struct gw_websess;
struct gw_login_provider;

/* Discovered authorization/token endpoints, per login provider. */
struct login_endpoints {
	struct fed_oidc_endpoints ep;
	int64_t fetched_at;
	int fetching;			/* one refetch at a time */
};

struct gw_login {
	pthread_mutex_t lock;
	struct login_endpoints *eps;	/* parallel to conf->logins */
	size_t n;
};

/* Page basics for the signed-in (ws may be NULL) browser. */
void gw_login_page(const struct gw_app *app, const struct gw_websess *ws,
		   struct gw_page *pg);

/**
 * An HTML error page: status, title and message in plain words, code
 * (AWS-style) in small print. Never echoes request values.
 */
void gw_login_error(struct gw_app *app, struct gw_resp *resp,
		    const struct gw_websess *ws, int status, const char *code,
		    const char *title, const char *message);

/** 303 See Other to a path of this site (or an absolute URL). */
void gw_login_redirect(struct gw_resp *resp, const char *where);

/** The STS action a sign-in of this kind is judged as (audit, metrics). */
const char *gw_login_action(int kind);
/** Its audit identity type: "SAMLUser" or "WebIdentityUser". */
const char *gw_login_identity_type(int kind);

/** One audit line for a login-page event (WebLogin, WebLogout, ...). */
void gw_login_audit(struct gw_app *app, const struct gw_req *req,
		    const char *event, const struct gw_websess *ws,
		    const char *role_arn, const struct core_err *err);

/* ---- the sign-in flows (login.c) ---- */

/** Seal flow (consumed) into the flow cookie, valid GW_WEB_FLOW_SECONDS. */
void gw_login_set_flow(struct gw_app *app, struct gw_resp *resp, json_t *flow);

/** The flow cookie if it is unexpired and of this kind (caller decrefs). */
json_t *gw_login_open_flow(struct gw_app *app, const struct gw_req *req,
			   int kind);

/** Does flow's string member key equal value (constant time)? */
int gw_login_flow_eq(json_t *flow, const char *key, const char *value);

/**
 * A validated identity becomes a web session: cookie set, flow cookie
 * cleared, audited, 303 to /roles. Takes identity (JSON, may be NULL:
 * refused as too large).
 */
void gw_login_signed_in(struct gw_app *app, struct gw_req *req,
			struct gw_resp *resp, const char *provider, int kind,
			const char *user, char *identity);

/** A failed way back: audit the reason, page saying what to do. */
void gw_login_failed(struct gw_app *app, struct gw_req *req,
		     struct gw_resp *resp, int status,
		     const struct core_err *err, const char *code,
		     const char *message);

/* login_oidc.c */
void gw_login_start_oidc(struct gw_app *app, struct gw_resp *resp,
			 const struct gw_login_provider *lp);
void gw_login_oidc_callback(struct gw_app *app, struct gw_req *req,
			    struct gw_resp *resp);

/* login_saml.c */
void gw_login_start_saml(struct gw_app *app, struct gw_resp *resp,
			 const struct gw_login_provider *lp);
void gw_login_saml_acs(struct gw_app *app, struct gw_req *req,
		       struct gw_resp *resp);

/* web_creds.c */
void gw_web_roles(struct gw_app *app, struct gw_req *req, struct gw_resp *resp);
void gw_web_credentials(struct gw_app *app, struct gw_req *req,
			struct gw_resp *resp);
void gw_web_logout(struct gw_app *app, struct gw_req *req, struct gw_resp *resp);
void gw_web_cli_redeem(struct gw_app *app, struct gw_req *req,
		       struct gw_resp *resp);

#endif /* GW_LOGIN_INT_H */
