/* gateway/login.c - the login page: routes, /login, the sign-in flows'
 * shared half (flow cookie, the new web session); the protocol halves are
 * login_oidc.c and login_saml.c
 *
 * A sign-in starts at GET /login/<provider>: fedgate seals what it must
 * check on the way back (OIDC state, nonce, PKCE verifier; SAML request ID
 * and RelayState) into a short-lived flow cookie bound to this browser,
 * and sends the browser to the IdP. The way back (POST /saml/acs, GET
 * /oidc/callback) must match that cookie, is single use, and validates
 * the token or assertion with the STS API's own validators. Only then is
 * a web session cookie set.
 */
#include "gateway/login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "federation/oidc_code.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/conf.h"
#include "gateway/login_int.h"
#include "gateway/ratelimit.h"
#include "gateway/web_html.h"
#include "gateway/websess.h"

#define CLI_STATE_MAX 128

struct gw_login *
gw_login_new(const struct gw_conf *conf)
{
	struct gw_login *l;

	if (conf->n_logins == 0)
		return NULL;
	l = core_xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->eps = core_xcalloc(conf->n_logins, sizeof(*l->eps));
	l->n = conf->n_logins;
	return l;
}

void
gw_login_free(struct gw_login *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		fed_oidc_endpoints_clear(&l->eps[i].ep);
	free(l->eps);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* ---- shared page helpers (login_int.h) ---- */

void
gw_login_page(const struct gw_app *app, const struct gw_websess *ws,
	      struct gw_page *pg)
{
	const struct gw_login_provider *lp = NULL;

	memset(pg, 0, sizeof(*pg));
	pg->title = app->conf->web.title;
	if (ws == NULL)
		return;
	lp = gw_conf_find_login(app->conf, ws->provider);
	pg->user = ws->user;
	pg->provider = lp != NULL ? lp->display_name : ws->provider;
	pg->csrf = ws->csrf;
}

void
gw_login_error(struct gw_app *app, struct gw_resp *resp,
	       const struct gw_websess *ws, int status, const char *code,
	       const char *title, const char *message)
{
	struct gw_page pg;

	gw_login_page(app, ws, &pg);
	core_buf_reset(&resp->body);
	gw_html_error(&resp->body, &pg, title, message, code);
	gw_html_headers(resp, NULL);
	resp->status = status;
}

void
gw_login_redirect(struct gw_resp *resp, const char *where)
{
	free(resp->location);
	resp->location = core_xstrdup(where);
	resp->status = 303;
	resp->content_type = "text/plain";
	core_buf_reset(&resp->body);
	gw_resp_header(resp, "Cache-Control", "no-store");
}

const char *
gw_login_action(int kind)
{
	return kind == GW_LOGIN_SAML ? "AssumeRoleWithSAML" :
	       "AssumeRoleWithWebIdentity";
}

const char *
gw_login_identity_type(int kind)
{
	return kind == GW_LOGIN_SAML ? "SAMLUser" : "WebIdentityUser";
}

void
gw_login_audit(struct gw_app *app, const struct gw_req *req,
	       const char *event, const struct gw_websess *ws,
	       const char *role_arn, const struct core_err *err)
{
	struct gw_audit_event ev = {0};

	ev.event_name = event;
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	ev.role_arn = role_arn;
	if (ws != NULL) {
		ev.identity_type = gw_login_identity_type(ws->kind);
		ev.user_name = ws->user;
		ev.identity_provider = ws->provider;
		ev.token_hash = ws->sid;	/* correlates a browser's events */
	}
	if (err != NULL && err->code != CORE_OK)
		ev.err = err;
	gw_audit_log(app->audit, &ev);
}

/* ---- GET /login ---- */

static int
b64url_token(const char *s, size_t min, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static long
int_param(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || strlen(s) > 6)
		return -1;
	v = strtol(s, &end, 10);
	return *end != '\0' || v < lo || v > hi ? -1 : v;
}

/*
 * `fedgate login` sent the browser here: remember its loopback port, state
 * and challenge (and wanted role/duration) for after the sign-in. -1 with
 * an error page on bad values; 0 when there is no hand-off or it is kept.
 */
static int
remember_cli(struct gw_app *app, const struct gw_req *req,
	     struct gw_resp *resp)
{
	const struct gw_form *f = &req->form;
	const char *port = gw_form_get(f, "cli_port");
	const char *role = gw_form_get(f, "role");
	const char *dur = gw_form_get(f, "duration");
	long p, d = 0;
	json_t *o;
	char *v;

	if (port == NULL)
		return 0;
	p = int_param(port, 1024, 65535);
	if (dur != NULL)
		d = int_param(dur, 900, 43200);
	if (p < 0 || d < 0 ||
	    !b64url_token(gw_form_get(f, "cli_state"), 16, CLI_STATE_MAX) ||
	    !b64url_token(gw_form_get(f, "cli_challenge"), 43, 43) ||
	    (role != NULL && strlen(role) > 2048)) {
		gw_login_error(app, resp, NULL, 400, "InvalidRequest",
			       "This sign-in link is not valid",
			       "The link that fedgate login opened is "
			       "incomplete or damaged. Run fedgate login "
			       "again.");
		return -1;
	}
	o = json_pack("{s:I, s:s, s:s, s:s?, s:I, s:I}", "port",
		      (json_int_t)p, "state", gw_form_get(f, "cli_state"),
		      "ch", gw_form_get(f, "cli_challenge"), "role", role,
		      "dur", (json_int_t)d, "exp",
		      (json_int_t)(core_now() + GW_WEB_CLI_SECONDS));
	v = o != NULL ? gw_web_seal(app, GW_COOKIE_CLI, o) : NULL;
	json_decref(o);
	if (v != NULL)
		gw_web_set_cookie(app, resp, GW_COOKIE_CLI, v,
				  GW_WEB_CLI_SECONDS);
	free(v);
	return 0;
}

static void
login_page(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	const struct gw_conf *c = app->conf;
	struct gw_login_button *btns;
	struct gw_websess ws;
	struct core_err err = {0};
	struct gw_page pg;
	int cli = gw_form_get(&req->form, "cli_port") != NULL;

	if (remember_cli(app, req, resp) == -1)
		return;
	if (gw_websess_read(app, req, &ws, core_now(), &err) == 1) {
		gw_websess_clear(&ws);
		gw_login_redirect(resp, "/roles");
		return;
	}
	btns = core_xcalloc(c->n_logins, sizeof(*btns));
	for (size_t i = 0; i < c->n_logins; i++) {
		btns[i].name = c->logins[i].name;
		btns[i].display_name = c->logins[i].display_name;
		btns[i].initials = c->logins[i].initials;
		btns[i].kind = c->logins[i].kind == GW_LOGIN_SAML ? "SAML" :
			       "OpenID Connect";
	}
	gw_login_page(app, NULL, &pg);
	gw_html_login(&resp->body, &pg, btns, c->n_logins,
		      cli ? "Sign in to send temporary credentials to the "
			    "fedgate command on your computer." : NULL);
	free(btns);
	gw_html_headers(resp, NULL);
	resp->status = 200;
}

/* ---- GET /login/<provider> ---- */

void
gw_login_set_flow(struct gw_app *app, struct gw_resp *resp, json_t *flow)
{
	char *v;

	json_object_set_new(flow, "exp",
			    json_integer(core_now() + GW_WEB_FLOW_SECONDS));
	v = gw_web_seal(app, GW_COOKIE_FLOW, flow);
	if (v != NULL)
		gw_web_set_cookie(app, resp, GW_COOKIE_FLOW, v,
				  GW_WEB_FLOW_SECONDS);
	free(v);
	json_decref(flow);
}

static void
start_login(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	const char *name = req->path + strlen("/login/");
	const struct gw_login_provider *lp = gw_conf_find_login(app->conf, name);

	if (lp == NULL) {
		gw_login_error(app, resp, NULL, 404, "NotFound",
			       "No such sign-in option",
			       "Choose one of the options on the sign-in "
			       "page.");
		return;
	}
	if (lp->kind == GW_LOGIN_OIDC)
		gw_login_start_oidc(app, resp, lp);
	else
		gw_login_start_saml(app, resp, lp);
}

/* ---- the way back: a validated identity becomes a web session ---- */

void
gw_login_signed_in(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
	  const char *provider, int kind, const char *user, char *identity)
{
	struct gw_websess ws;
	struct core_err err = {0};

	/* NULL: the identity has more than the session format holds. */
	if (identity == NULL) {
		core_err_set(&err, CORE_EVALIDATION, "identity_too_large",
			     "The identity provider sent more claims or "
			     "attributes than a browser session can hold");
		gw_login_audit(app, req, "WebLogin", NULL, NULL, &err);
		gw_login_error(app, resp, NULL, 400, "IdentityTooLarge",
			       "Your sign-in is too large for a browser "
			       "session", err.msg);
		return;
	}
	gw_websess_init(&ws, provider, kind, user, identity, core_now());
	free(identity);
	if (gw_websess_write(app, resp, &ws, core_now(), &err) == -1) {
		gw_login_audit(app, req, "WebLogin", &ws, NULL, &err);
		gw_login_error(app, resp, NULL, 400, "IdentityTooLarge",
			       "Your sign-in is too large for a browser "
			       "session", err.msg);
		gw_websess_clear(&ws);
		return;
	}
	gw_web_clear_cookie(app, resp, GW_COOKIE_FLOW);
	gw_login_audit(app, req, "WebLogin", &ws, NULL, NULL);
	gw_login_redirect(resp, "/roles");
	gw_websess_clear(&ws);
}

/* A failed way back: audit the reason, show a page that says what to do. */
void
gw_login_failed(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
	     int status, const struct core_err *err, const char *code,
	     const char *message)
{
	gw_login_audit(app, req, "WebLogin", NULL, NULL, err);
	gw_login_error(app, resp, NULL, status, code, "Sign-in failed",
		       message);
}

int
gw_login_flow_eq(json_t *flow, const char *key, const char *value)
{
	const char *s = json_string_value(json_object_get(flow, key));

	return s != NULL && value != NULL &&
	       core_secret_eq(s, strlen(s), value, strlen(value));
}

/* The flow cookie, if it is unexpired and of this kind. */
json_t *
gw_login_open_flow(struct gw_app *app, const struct gw_req *req, int kind)
{
	json_t *f = gw_web_open(app, GW_COOKIE_FLOW, req);

	if (f != NULL &&
	    (json_integer_value(json_object_get(f, "k")) != kind ||
	     json_integer_value(json_object_get(f, "exp")) < core_now())) {
		json_decref(f);
		f = NULL;
	}
	return f;
}

/* The user declined to send credentials to the CLI: forget the hand-off
 * (the CLI times out on its own), back to the ordinary role list. */
static void
cancel_cli(struct gw_app *app, struct gw_resp *resp)
{
	gw_login_redirect(resp, "/roles");
	gw_web_clear_cookie(app, resp, GW_COOKIE_CLI);
}

/* ---- router ---- */

/*
 * The per-source-IP limit of the STS API also covers the sign-in steps
 * that make fedgate work (AuthnRequest signing, assertion validation,
 * token endpoint calls). 1: throttled, resp is a page saying so.
 */
static int
throttled(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	if (gw_ratelimit_request(app, req, "WebLogin", resp) == 0)
		return 0;
	gw_login_error(app, resp, NULL, 429, "Throttling",
		       "Too many sign-in attempts",
		       "Too many requests came from your address. Wait a "
		       "minute and try again.");
	return 1;
}

static int
is(const struct gw_req *req, const char *method, const char *path)
{
	return strcmp(req->method, method) == 0 && strcmp(req->path, path) == 0;
}

int
gw_login_route(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	if (app->login == NULL)
		return 0;
	if (strncmp(req->path, "/static/", 8) == 0 &&
	    strcmp(req->method, "GET") == 0)
		return gw_html_static(req->path, resp);
	if (is(req, "GET", "/login"))
		login_page(app, req, resp);
	else if (is(req, "POST", "/login/cli/redeem"))
		gw_web_cli_redeem(app, req, resp);
	else if (is(req, "GET", "/login/cli/cancel"))
		cancel_cli(app, resp);
	else if (strncmp(req->path, "/login/", 7) == 0 &&
		 strcmp(req->method, "GET") == 0) {
		if (!throttled(app, req, resp))
			start_login(app, req, resp);
	} else if (is(req, "POST", "/saml/acs")) {
		if (!throttled(app, req, resp))
			gw_login_saml_acs(app, req, resp);
	} else if (is(req, "GET", "/oidc/callback")) {
		if (!throttled(app, req, resp))
			gw_login_oidc_callback(app, req, resp);
	}
	else if (is(req, "GET", "/roles"))
		gw_web_roles(app, req, resp);
	else if (is(req, "POST", "/credentials"))
		gw_web_credentials(app, req, resp);
	else if (is(req, "POST", "/logout"))
		gw_web_logout(app, req, resp);
	else if (is(req, "GET", "/credentials") || is(req, "GET", "/logout"))
		/* A reload or a bookmark: issuing and signing out are POSTs. */
		gw_login_redirect(resp, "/roles");
	else
		return 0;
	return 1;
}
