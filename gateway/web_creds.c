/* gateway/web_creds.c - after sign-in: role picker, credentials, CLI, logout
 *
 * Every page here needs a valid web session; every POST its CSRF token.
 * Credentials are issued by web_issue.c with the STS API's decisions and
 * shown only to this browser (no-store), or sealed for the `fedgate login`
 * CLI and handed over through its loopback redirect: the code in that URL
 * opens only with the verifier the CLI kept, once, within two minutes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "core/b64.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "federation/mint.h"
#include "gateway/app.h"
#include "gateway/audit.h"
#include "gateway/conf.h"
#include "gateway/login_int.h"
#include "gateway/metrics.h"
#include "gateway/ratelimit.h"
#include "gateway/web_html.h"
#include "gateway/web_issue.h"
#include "gateway/websess.h"

#define CLI_CODE_PURPOSE "fedgate-cli-code-v1"
#define CLI_CODE_SECONDS 120
#define CLI_CODE_MAX 8192
#define DEFAULT_DURATION 3600

/* A signed-in request: session + identity, or a response already made. */
struct web_call {
	struct gw_websess ws;
	struct gw_web_identity wi;
	int have_ws;
};

static void
call_clear(struct web_call *c)
{
	gw_web_identity_clear(&c->wi);
	if (c->have_ws)
		gw_websess_clear(&c->ws);
}

/*
 * Load the session. Not signed in: GET goes to /login, POST gets a 401
 * page. 0 ok; -1 when resp is already the answer.
 */
static int
need_session(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
	     struct web_call *c)
{
	struct core_err err = {0};
	int r = gw_websess_read(app, req, &c->ws, core_now(), &err);

	memset(&c->wi, 0, sizeof(c->wi));
	c->have_ws = 0;		/* call_clear reads it on every path */
	if (r == -1) {
		gw_login_error(app, resp, NULL, 503, "ServiceUnavailable",
			       "Temporarily unavailable",
			       "fedgate cannot check your session right now. "
			       "Try again in a minute.");
		return -1;
	}
	if (r == 0) {
		if (strcmp(err.reason, "no_session") != 0)
			gw_web_clear_cookie(app, resp, GW_COOKIE_SESSION);
		if (strcmp(req->method, "GET") == 0)
			gw_login_redirect(resp, "/login");
		else
			gw_login_error(app, resp, NULL, 401,
				       strcmp(err.reason, "no_session") == 0 ?
				       "NotSignedIn" : "SessionExpired",
				       "Please sign in again",
				       "Your sign-in session has ended or is "
				       "not valid. Sign in again to continue.");
		return -1;
	}
	c->have_ws = 1;
	if (gw_web_identity_load(&c->wi, &c->ws, &err) == -1) {
		gw_login_error(app, resp, NULL, 401, "SessionExpired",
			       "Please sign in again",
			       "Your sign-in session cannot be read any more. "
			       "Sign in again to continue.");
		return -1;
	}
	return 0;
}

/* The form's CSRF token must match the session's. */
static int
need_csrf(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
	  const struct gw_websess *ws, const char *event)
{
	const char *t = gw_form_get(&req->form, "csrf");
	struct core_err err = {0};

	if (t != NULL && gw_websess_csrf_ok(ws, t))
		return 0;
	core_err_set(&err, CORE_EACCESS, t == NULL ? "csrf_missing" :
		     "csrf_invalid", "CSRF token missing or wrong");
	gw_login_audit(app, req, event, ws, NULL, &err);
	gw_login_error(app, resp, ws, t == NULL ? 400 : 403,
		       t == NULL ? "MissingCSRFToken" : "InvalidCSRFToken",
		       "This form has expired",
		       "The page you submitted is stale or did not come from "
		       "fedgate. Go back, reload the page and try again.");
	return -1;
}

static void
role_choice(const struct gw_app *app, const struct gw_web_role *wr,
	    struct gw_role_choice *rc)
{
	const char *slash = strstr(wr->role->arn, ":role/");

	rc->role_arn = wr->role->arn;
	rc->role_name = slash != NULL ? slash + 6 : wr->role->name;
	rc->account_id = wr->role->account_id;
	rc->account_name = gw_conf_account_name(app->conf,
						wr->role->account_id);
	rc->max_duration = wr->max_duration;
}

/* The CLI hand-off waiting in this browser, if any (unexpired). */
static json_t *
pending_cli(struct gw_app *app, const struct gw_req *req)
{
	json_t *o = gw_web_open(app, GW_COOKIE_CLI, req);

	if (o != NULL && json_integer_value(json_object_get(o, "exp")) <
			 core_now()) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int
default_duration(int max)
{
	return max < DEFAULT_DURATION ? max : DEFAULT_DURATION;
}

/* ---- issuing ---- */

struct issued {
	struct fed_session s;
	char *token;
};

static void
issued_clear(struct issued *is)
{
	if (is->s.access_key_id != NULL) {
		struct fed_session *heap = core_xmalloc(sizeof(*heap));

		*heap = is->s;		/* fed_session_free wipes the secret */
		fed_session_free(heap);
	}
	if (is->token != NULL)
		core_secret_free(is->token, strlen(is->token));
	memset(is, 0, sizeof(*is));
}

static void
audit_issue(struct gw_app *app, const struct gw_req *req,
	    const struct web_call *c, const char *role_arn, int duration,
	    const struct issued *is, const struct core_err *err)
{
	struct gw_audit_event ev = {0};
	char assumed[256];

	ev.event_name = gw_login_action(c->ws.kind);
	ev.request_id = req->request_id;
	ev.source_ip = req->source_ip;
	ev.user_agent = req->user_agent;
	ev.time = core_now();
	ev.identity_type = gw_login_identity_type(c->ws.kind);
	ev.user_name = c->ws.user;
	ev.identity_provider = c->ws.provider;
	ev.token_hash = c->ws.sid;
	ev.role_arn = role_arn;
	ev.duration_seconds = duration;
	if (err->code != CORE_OK) {
		ev.err = err;
	} else {
		snprintf(assumed, sizeof(assumed), "%s:%s", is->s.role_id,
			 is->s.session_name);
		ev.role_session_name = is->s.session_name;
		ev.access_key_id = is->s.access_key_id;
		ev.expiration = is->s.expires_at;
		ev.assumed_role_id = assumed;
		ev.assumed_role_arn = is->s.assumed_role_arn;
		ev.provider = is->s.federated_provider;
	}
	gw_audit_log(app->audit, &ev);
}

/* Role choice + issue, both audited. 0, or -1 with the error page made. */
static int
issue(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
      const struct web_call *c, const char *role_arn, int duration,
      struct issued *is)
{
	struct core_err err = {0};
	int rc;

	gw_login_audit(app, req, "WebRoleSelected", &c->ws, role_arn, NULL);
	rc = gw_web_issue(app, req, &c->wi, role_arn, duration, &is->s,
			  &is->token, &err);
	audit_issue(app, req, c, role_arn, duration, is, &err);
	gw_metrics_sts_request(gw_login_action(c->ws.kind), err.code);
	if (rc == 0) {
		gw_metrics_credentials_issued(gw_login_action(c->ws.kind),
					      c->ws.provider);
		return 0;
	}
	if (err.code == CORE_EACCESS)
		gw_login_error(app, resp, &c->ws, 403, "AccessDenied",
			       "This role is not available to you",
			       "The role's trust policy does not admit your "
			       "sign-in. Choose one of the roles listed for "
			       "you.");
	else
		gw_login_error(app, resp, &c->ws, 400, "ValidationError",
			       "These credentials cannot be issued", err.msg);
	return -1;
}

static void
render_credentials(struct gw_app *app, struct gw_resp *resp,
		   const struct web_call *c, const struct issued *is,
		   int duration)
{
	struct gw_cred_view v = {0};
	struct gw_page pg;

	gw_login_page(app, &c->ws, &pg);
	v.role_arn = is->s.role_arn;
	v.account_id = is->s.account;
	v.account_name = gw_conf_account_name(app->conf, is->s.account);
	v.access_key_id = is->s.access_key_id;
	v.secret_access_key = is->s.secret_access_key;
	v.session_token = is->token;
	v.expiration = is->s.expires_at;
	v.duration = duration;
	v.now = core_now();
	core_buf_reset(&resp->body);
	gw_html_credentials(&resp->body, &pg, &v);
	gw_html_headers(resp, NULL);
	resp->status = 200;
}

/* ---- GET /roles ---- */

static void
cli_confirm(struct gw_app *app, struct gw_resp *resp, const struct web_call *c,
	    const struct gw_web_role *roles, size_t n, json_t *cli)
{
	const char *want = json_string_value(json_object_get(cli, "role"));
	int dur = (int)json_integer_value(json_object_get(cli, "dur"));
	struct gw_role_choice rc = {0};
	struct gw_page pg;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(roles[i].role->arn, want) != 0)
			continue;
		role_choice(app, &roles[i], &rc);
		if (dur == 0 || dur > roles[i].max_duration)
			dur = default_duration(roles[i].max_duration);
		gw_login_page(app, &c->ws, &pg);
		gw_html_cli_confirm(&resp->body, &pg, &rc, dur,
				    (int)json_integer_value(json_object_get(
				    cli, "port")));
		gw_html_headers(resp, "http://127.0.0.1:*");
		resp->status = 200;
		return;
	}
	gw_login_error(app, resp, &c->ws, 403, "AccessDenied",
		       "The role fedgate login asked for is not available",
		       "The role given to fedgate login --role does not admit "
		       "your sign-in. Run fedgate login without --role to "
		       "see the roles you can use.");
}

static void
picker(struct gw_app *app, struct gw_resp *resp, const struct web_call *c,
       const struct gw_web_role *roles, size_t n, int cli)
{
	struct gw_role_choice *rcs = core_xcalloc(n + 1, sizeof(*rcs));
	struct gw_page pg;

	for (size_t i = 0; i < n; i++)
		role_choice(app, &roles[i], &rcs[i]);
	gw_login_page(app, &c->ws, &pg);
	gw_html_roles(&resp->body, &pg, rcs, n, cli);
	gw_html_headers(resp, cli ? "http://127.0.0.1:*" : NULL);
	resp->status = 200;
	free(rcs);
}

void
gw_web_roles(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	struct gw_web_role *roles;
	struct web_call c;
	struct core_err err = {0};
	struct issued is = {0};
	json_t *cli;
	size_t n;

	if (need_session(app, req, resp, &c) == -1) {
		call_clear(&c);
		return;
	}
	roles = core_xcalloc(GW_WEB_MAX_ROLES, sizeof(*roles));
	n = gw_web_admitted_roles(app, req, &c.wi, roles, GW_WEB_MAX_ROLES);
	cli = pending_cli(app, req);
	if (cli != NULL && json_string_value(json_object_get(cli, "role")))
		cli_confirm(app, resp, &c, roles, n, cli);
	else if (cli == NULL && n == 1) {
		/* One role: nothing to pick. */
		int d = default_duration(roles[0].max_duration);

		if (issue(app, req, resp, &c, roles[0].role->arn, d, &is) == 0)
			render_credentials(app, resp, &c, &is, d);
	} else
		picker(app, resp, &c, roles, n, cli != NULL);
	/* Sliding idle timeout: every page view renews the cookie. */
	if (resp->status < 400)
		gw_websess_write(app, resp, &c.ws, core_now(), &err);
	json_decref(cli);
	issued_clear(&is);
	free(roles);
	call_clear(&c);
}

/* ---- POST /credentials ---- */

static void
confirm_role(struct gw_app *app, struct gw_req *req, struct gw_resp *resp,
	     const struct web_call *c, const char *role, int duration,
	     json_t *cli)
{
	struct gw_web_role *roles = core_xcalloc(GW_WEB_MAX_ROLES,
						 sizeof(*roles));
	size_t n = gw_web_admitted_roles(app, req, &c->wi, roles,
					 GW_WEB_MAX_ROLES);

	json_object_set_new(cli, "role", json_string(role));
	json_object_set_new(cli, "dur", json_integer(duration));
	cli_confirm(app, resp, c, roles, n, cli);
	free(roles);
}

/*
 * Seal the credentials for the CLI: bound to its challenge, valid two
 * minutes, with a random id for single use.
 */
static char *
cli_code(struct gw_app *app, const struct issued *is, json_t *cli)
{
	char exp[32], jti[32];
	json_t *o;
	char *text, *code;

	core_time_iso8601(is->s.expires_at, exp, sizeof(exp));
	gw_web_random(jti, sizeof(jti), 16);
	o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "jti", jti, "ch",
		      json_string_value(json_object_get(cli, "ch")), "exp",
		      (json_int_t)(core_now() + CLI_CODE_SECONDS), "ak",
		      is->s.access_key_id, "sk", is->s.secret_access_key, "st",
		      is->token, "x", exp);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (text == NULL)
		return NULL;
	code = core_seal(app->keyring, CLI_CODE_PURPOSE, (uint8_t *)text,
			 strlen(text));
	core_secret_free(text, strlen(text));
	return code;
}

static void
send_to_cli(struct gw_app *app, struct gw_resp *resp, const struct issued *is,
	    json_t *cli)
{
	char *code = cli_code(app, is, cli);
	char *url;

	if (code == NULL) {
		gw_login_error(app, resp, NULL, 500, "InternalFailure",
			       "Something went wrong", "Try again.");
		return;
	}
	/* base64url: safe in a query as is. */
	url = core_xasprintf("http://127.0.0.1:%d/callback?code=%s&state=%s",
			     (int)json_integer_value(json_object_get(cli, "port")),
			     code, json_string_value(json_object_get(cli, "state")));
	gw_login_redirect(resp, url);
	gw_web_clear_cookie(app, resp, GW_COOKIE_CLI);
	core_secret_free(code, strlen(code));
	core_secret_free(url, strlen(url));
}

void
gw_web_credentials(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	const char *role = gw_form_get(&req->form, "role_arn");
	const char *dur = gw_form_get(&req->form, "duration");
	int want_cli = gw_form_get(&req->form, "cli") != NULL;
	struct web_call c;
	struct issued is = {0};
	struct core_err err = {0};
	json_t *cli = NULL;
	char *end = NULL;
	long d = dur != NULL ? strtol(dur, &end, 10) : DEFAULT_DURATION;

	if (need_session(app, req, resp, &c) == -1 ||
	    need_csrf(app, req, resp, &c.ws, "WebRoleSelected") == -1)
		goto out;
	if (role == NULL || (end != NULL && *end != '\0') || d < 900 ||
	    d > 43200) {
		gw_login_error(app, resp, &c.ws, 400, "InvalidRequest",
			       "Choose a role and a duration",
			       "The form was incomplete. Go back to the role "
			       "list and try again.");
		goto out;
	}
	cli = pending_cli(app, req);
	if (cli != NULL && !want_cli) {
		/* Picked from the list during a CLI hand-off: confirm first
		 * (only that page may send the browser to 127.0.0.1). */
		confirm_role(app, req, resp, &c, role, (int)d, cli);
		goto out;
	}
	if (want_cli && cli == NULL) {
		gw_login_error(app, resp, &c.ws, 400, "InvalidRequest",
			       "The fedgate command is no longer waiting",
			       "Run fedgate login again in your terminal.");
		goto out;
	}
	if (issue(app, req, resp, &c, role, (int)d, &is) == -1)
		goto out;
	if (cli != NULL)
		send_to_cli(app, resp, &is, cli);
	else
		render_credentials(app, resp, &c, &is, (int)d);
	gw_websess_write(app, resp, &c.ws, core_now(), &err);
out:
	json_decref(cli);
	issued_clear(&is);
	call_clear(&c);
}

/* ---- POST /logout ---- */

void
gw_web_logout(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	struct web_call c;
	struct core_err err = {0};
	struct gw_page pg;

	memset(&c, 0, sizeof(c));
	if (gw_websess_read(app, req, &c.ws, core_now(), &err) == 1) {
		c.have_ws = 1;
		if (need_csrf(app, req, resp, &c.ws, "WebLogout") == -1)
			goto out;
		/* Recorded, so a copy of the cookie is dead everywhere too. */
		if (gw_websess_end(app, &c.ws, &err) == -1) {
			gw_login_error(app, resp, &c.ws, 503,
				       "ServiceUnavailable",
				       "Sign-out could not be completed",
				       "fedgate cannot record your sign-out "
				       "right now. Try again in a minute.");
			goto out;
		}
		gw_login_audit(app, req, "WebLogout", &c.ws, NULL, NULL);
	}
	gw_web_clear_cookie(app, resp, GW_COOKIE_SESSION);
	gw_web_clear_cookie(app, resp, GW_COOKIE_CLI);
	gw_login_page(app, NULL, &pg);
	gw_html_signed_out(&resp->body, &pg);
	gw_html_headers(resp, NULL);
	resp->status = 200;
out:
	call_clear(&c);
}

/* ---- POST /login/cli/redeem ---- */

static void
json_error(struct gw_resp *resp, int status, const char *code,
	   const char *message)
{
	core_buf_reset(&resp->body);
	core_buf_puts(&resp->body, "{\"Error\":{\"Code\":\"");
	core_buf_put_json(&resp->body, code);
	core_buf_puts(&resp->body, "\",\"Message\":\"");
	core_buf_put_json(&resp->body, message);
	core_buf_puts(&resp->body, "\"}}\n");
	resp->status = status;
	resp->content_type = "application/json";
	gw_resp_header(resp, "Cache-Control", "no-store");
}

/* Open and check a CLI code against its verifier. NULL: resp is the error. */
static json_t *
redeem_open(struct gw_app *app, const char *code, const char *verifier,
	    struct gw_resp *resp)
{
	uint8_t md[32];
	char *ch;
	uint8_t *plain = NULL;
	size_t n = 0;
	json_t *o = NULL;
	const char *want;
	int ok;

	if (code != NULL && strlen(code) <= CLI_CODE_MAX)
		plain = core_unseal(app->keyring, CLI_CODE_PURPOSE, code,
				    strlen(code), &n);
	if (plain != NULL)
		o = json_loadb((const char *)plain, n, JSON_REJECT_DUPLICATES,
			       NULL);
	if (plain != NULL)
		core_secret_free(plain, n);
	want = json_string_value(json_object_get(o, "ch"));
	if (o == NULL || want == NULL || verifier == NULL ||
	    strlen(verifier) < 43 || strlen(verifier) > 128 ||
	    json_integer_value(json_object_get(o, "exp")) < core_now()) {
		json_decref(o);
		json_error(resp, 400, "InvalidGrant", "The code is invalid "
			   "or expired; run fedgate login again");
		return NULL;
	}
	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	ch = core_b64url_encode(md, sizeof(md));
	ok = core_secret_eq(ch, strlen(ch), want, strlen(want));
	free(ch);
	if (!ok) {
		json_decref(o);
		json_error(resp, 400, "InvalidGrant", "The code verifier "
			   "does not match");
		return NULL;
	}
	return o;
}

void
gw_web_cli_redeem(struct gw_app *app, struct gw_req *req, struct gw_resp *resp)
{
	json_t *o;
	struct core_err err = {0};
	int r;

	if (gw_ratelimit_request(app, req, "LoginRedeem", resp) != 0)
		return;
	o = redeem_open(app, gw_form_get(&req->form, "code"),
			gw_form_get(&req->form, "code_verifier"), resp);
	if (o == NULL)
		return;
	r = gw_web_use_once(app, "web_cli_code",
			    json_string_value(json_object_get(o, "jti")),
			    json_integer_value(json_object_get(o, "exp")) + 60,
			    &err);
	if (r == 1) {
		core_buf_reset(&resp->body);
		core_buf_puts(&resp->body, "{\"Version\":1,\"AccessKeyId\":\"");
		core_buf_put_json(&resp->body, json_string_value(json_object_get(o, "ak")));
		core_buf_puts(&resp->body, "\",\"SecretAccessKey\":\"");
		core_buf_put_json(&resp->body, json_string_value(json_object_get(o, "sk")));
		core_buf_puts(&resp->body, "\",\"SessionToken\":\"");
		core_buf_put_json(&resp->body, json_string_value(json_object_get(o, "st")));
		core_buf_puts(&resp->body, "\",\"Expiration\":\"");
		core_buf_put_json(&resp->body, json_string_value(json_object_get(o, "x")));
		core_buf_puts(&resp->body, "\"}\n");
		resp->status = 200;
		resp->content_type = "application/json";
		gw_resp_header(resp, "Cache-Control", "no-store");
	} else if (r == 0) {
		json_error(resp, 400, "InvalidGrant", "The code was already used");
	} else {
		json_error(resp, 503, "ServiceUnavailable", "Try again later");
	}
	json_decref(o);
}
