/* gateway/devidp_code.c - the dev issuer's authorization-code flow
 *
 * RFC 6749 §4.1 with PKCE (RFC 7636) for `fedgate dev`'s login page: a
 * sign-in form where any name works, one-time codes, and the token
 * endpoint. Separate from devidp.c (keys, discovery, minting) because it
 * is a protocol of its own with its own state (the code table).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "core/b64.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "federation/oidc_code.h"
#include "gateway/devidp_int.h"
#include "gateway/web_html.h"

void
gw_devidp_code_clear(struct dev_code *c)
{
	free(c->sub);
	free(c->email);
	free(c->nonce);
	free(c->challenge);
	free(c->redirect_uri);
	free(c->claims);
	OPENSSL_cleanse(c, sizeof(*c));
}

/* ---- authorization code flow: the sign-in page (GET/POST /authorize) ---- */

/* 1..max bytes, printable ASCII only (state, nonce, scope). */
static int
visible_ascii(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* 1..max bytes without control characters (UTF-8 passes). */
static int
no_controls(const char *s, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

/* RFC 7636 §4.1/§4.2 alphabet: unreserved characters, min..max long. */
static int
pkce_string(const char *s, size_t min, size_t max)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || strchr("-._~", c) != NULL))
			return 0;
	}
	return 1;
}

/* scope is space-separated; "openid" must be one of its tokens. */
static int
scope_has_openid(const char *scope)
{
	size_t n = strlen("openid");

	for (const char *p = scope; p != NULL && *p != '\0';) {
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, "openid", n) == 0)
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

static int
eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * The authorization request, checked on both GET and POST. NULL when it
 * is acceptable, else what is wrong (plain text). redirect_uri first:
 * until it is known to be ours nothing may send the browser anywhere.
 */
static const char *
authz_check(const struct gw_devidp *d, const struct gw_form *f)
{
	if (!eq(gw_form_get(f, "redirect_uri"), d->callback))
		return "redirect_uri must be exactly the gateway's "
		       "public_url + /oidc/callback\n";
	if (!eq(gw_form_get(f, "response_type"), "code"))
		return "response_type must be code\n";
	if (!eq(gw_form_get(f, "client_id"), GW_DEVIDP_AUDIENCE))
		return "client_id must be " GW_DEVIDP_AUDIENCE "\n";
	if (!visible_ascii(gw_form_get(f, "scope"), DEV_PARAM_MAX) ||
	    !scope_has_openid(gw_form_get(f, "scope")))
		return "scope must contain openid\n";
	if (!visible_ascii(gw_form_get(f, "state"), DEV_PARAM_MAX))
		return "state is required (printable ASCII, at most 512)\n";
	if (!visible_ascii(gw_form_get(f, "nonce"), DEV_PARAM_MAX))
		return "nonce is required (printable ASCII, at most 512)\n";
	if (!eq(gw_form_get(f, "code_challenge_method"), "S256") ||
	    !pkce_string(gw_form_get(f, "code_challenge"), FED_PKCE_LEN,
			 FED_PKCE_LEN))
		return "PKCE is required: code_challenge (43 characters) "
		       "with code_challenge_method=S256\n";
	return NULL;
}

static void
bad_request(struct gw_resp *resp, const char *why)
{
	gw_resp_text(resp, 400, "text/plain; charset=utf-8", why);
	gw_resp_header(resp, "Cache-Control", "no-store");
}

static void
put_esc(struct core_buf *b, const char *s)
{
	core_buf_put_xml(b, s != NULL ? s : "");
}

static void
hidden(struct core_buf *b, const struct gw_form *f, const char *name)
{
	core_buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	put_esc(b, gw_form_get(f, name));
	core_buf_puts(b, "\">\n");
}

/* The sign-in form: same stylesheet and CSP as the login pages. */
static void
render_signin(const struct gw_form *f, struct gw_resp *resp)
{
	static const char *const carried[] = {
		"response_type", "client_id", "redirect_uri", "scope",
		"state", "nonce", "code_challenge", "code_challenge_method",
	};
	struct core_buf *b = &resp->body;

	core_buf_reset(b);
	core_buf_puts(b,
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	    "<meta name=\"referrer\" content=\"no-referrer\">\n"
	    "<title>fedgate dev sign-in</title>\n"
	    "<link rel=\"stylesheet\" href=\"/static/fedgate.css\">\n"
	    "</head>\n<body>\n<main id=\"main\">\n"
	    "<div class=\"card narrow\">\n<h1>fedgate dev sign-in</h1>\n"
	    "<p class=\"lead\">Any name works; this issuer exists only in "
	    "dev mode.</p>\n"
	    "<form id=\"dev-signin\" method=\"post\" action=\"" GW_DEVIDP_PATH
	    "/authorize\">\n");
	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++)
		hidden(b, f, carried[i]);
	core_buf_puts(b,
	    "<p><label for=\"username\">User name (the <code>sub</code> "
	    "claim)</label><br>\n<input type=\"text\" id=\"username\" "
	    "name=\"username\" value=\"alice\" required maxlength=\"128\" "
	    "autofocus></p>\n"
	    "<p><label for=\"email\">Email (the session name)</label><br>\n"
	    "<input type=\"email\" id=\"email\" name=\"email\" "
	    "value=\"alice@example.test\" maxlength=\"254\"></p>\n"
	    "<p><label for=\"claims\">Extra claims (optional JSON object, "
	    "e.g. <code>{\"app\": \"photos\"}</code>)</label><br>\n"
	    "<textarea id=\"claims\" name=\"claims\" rows=\"3\" cols=\"40\">"
	    "</textarea></p>\n"
	    "<p class=\"actions\"><button type=\"submit\" class=\"btn\">"
	    "Sign in</button></p>\n</form>\n"
	    "<p class=\"hint\">Trust policies see the claims as "
	    "<code>127.0.0.1:PORT/dev/idp:&lt;claim&gt;</code>.</p>\n"
	    "</div>\n</main>\n</body>\n</html>\n");
	gw_html_headers(resp, NULL);
	resp->status = 200;
}

/* Claims the form must not set: they are the issuer's (or the fields'). */
static const char *const reserved_claims[] = {
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "nonce", "email",
	"email_verified",
};

/* Extra claims from the form: "" or a JSON object of at most 4 KiB. */
static const char *
extra_claims_check(const char *s)
{
	json_t *o;
	const char *why = NULL;

	if (s == NULL || s[strspn(s, " \t\r\n")] == '\0')
		return NULL;
	if (strlen(s) > DEV_EXTRA_CLAIMS_MAX)
		return "extra claims: at most 4 KiB\n";
	o = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		why = "extra claims must be a JSON object\n";
	for (size_t i = 0; why == NULL &&
	     i < sizeof(reserved_claims) / sizeof(reserved_claims[0]); i++)
		if (json_object_get(o, reserved_claims[i]) != NULL)
			why = "extra claims may not set iss, sub, aud, exp, "
			      "nbf, iat, jti, nonce, email or email_verified\n";
	json_decref(o);
	return why;
}

/* Drop expired codes (caller holds the lock). */
static void
codes_purge(struct gw_devidp *d, int64_t now)
{
	for (size_t i = 0; i < d->n_codes;) {
		if (d->codes[i].expires > now) {
			i++;
			continue;
		}
		gw_devidp_code_clear(&d->codes[i]);
		d->codes[i] = d->codes[--d->n_codes];
		memset(&d->codes[d->n_codes], 0, sizeof(d->codes[0]));
	}
}

/* Remember a new code; 0, or -1 when DEV_CODES_MAX are outstanding. */
static int
codes_add(struct gw_devidp *d, struct dev_code *c)
{
	int rc = -1;

	pthread_mutex_lock(&d->lock);
	codes_purge(d, core_now());
	if (d->n_codes < DEV_CODES_MAX) {
		d->codes[d->n_codes++] = *c;
		rc = 0;
	}
	pthread_mutex_unlock(&d->lock);
	if (rc == 0)
		memset(c, 0, sizeof(*c));
	return rc;
}

/*
 * Take the code out of the table, whatever the rest of the request says:
 * a code is good for one redemption attempt (RFC 6749 §4.1.2), so a
 * wrong verifier cannot be retried. 0 with *out filled, -1 unknown or
 * expired.
 */
static int
codes_take(struct gw_devidp *d, const char *code, struct dev_code *out)
{
	size_t n = strlen(code);
	int found = -1;

	pthread_mutex_lock(&d->lock);
	codes_purge(d, core_now());
	for (size_t i = 0; i < d->n_codes; i++)
		if (core_secret_eq(d->codes[i].code, DEV_CODE_LEN, code, n))
			found = (int)i;
	if (found >= 0) {
		*out = d->codes[found];
		d->codes[found] = d->codes[--d->n_codes];
		memset(&d->codes[d->n_codes], 0, sizeof(d->codes[0]));
	}
	pthread_mutex_unlock(&d->lock);
	return found >= 0 ? 0 : -1;
}

/* The form was submitted: issue a code and send the browser back. */
static void
authorize_post(struct gw_devidp *d, const struct gw_form *f,
	       struct gw_resp *resp)
{
	const char *user = gw_form_get(f, "username");
	const char *email = gw_form_get(f, "email");
	const char *claims = gw_form_get(f, "claims");
	const char *why = NULL;
	struct dev_code c = {0};
	uint8_t rnd[32];
	char *code;
	struct core_buf loc;

	if (!no_controls(user, DEV_NAME_MAX))
		why = "user name: 1 to 128 characters, no control characters\n";
	else if (email != NULL && email[0] != '\0' &&
		 !visible_ascii(email, DEV_EMAIL_MAX))
		why = "email: at most 254 printable ASCII characters\n";
	else
		why = extra_claims_check(claims);
	if (why != NULL) {
		bad_request(resp, why);
		return;
	}
	core_random(rnd, sizeof(rnd));
	code = core_b64url_encode(rnd, sizeof(rnd));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	memcpy(c.code, code, DEV_CODE_LEN);
	c.expires = core_now() + DEV_CODE_TTL;
	c.sub = core_xstrdup(user);
	c.email = email != NULL && email[0] != '\0' ? core_xstrdup(email) :
		  NULL;
	c.nonce = core_xstrdup(gw_form_get(f, "nonce"));
	c.challenge = core_xstrdup(gw_form_get(f, "code_challenge"));
	c.redirect_uri = core_xstrdup(gw_form_get(f, "redirect_uri"));
	c.claims = claims != NULL && claims[strspn(claims, " \t\r\n")] != '\0' ?
		   core_xstrdup(claims) : NULL;
	if (codes_add(d, &c) == -1) {
		gw_devidp_code_clear(&c);
		core_secret_free(code, strlen(code));
		gw_resp_text(resp, 503, "text/plain",
			     "too many sign-ins in progress; try again in a "
			     "minute\n");
		return;
	}
	/* RFC 6749 §4.1.2: code and state as query parameters. */
	core_buf_init(&loc, 0);
	core_buf_puts(&loc, d->callback);
	core_buf_puts(&loc, "?code=");
	core_buf_put_pct(&loc, code);
	core_buf_puts(&loc, "&state=");
	core_buf_put_pct(&loc, gw_form_get(f, "state"));
	core_secret_free(code, strlen(code));
	free(resp->location);
	resp->location = core_buf_steal(&loc);
	gw_resp_text(resp, 302, "text/plain", "");
	gw_resp_header(resp, "Cache-Control", "no-store");
}

void
gw_devidp_authorize(struct gw_devidp *d, const struct gw_req *req,
		 struct gw_resp *resp)
{
	const char *why = authz_check(d, &req->form);

	if (why != NULL)
		bad_request(resp, why);
	else if (strcmp(req->method, "GET") == 0)
		render_signin(&req->form, resp);
	else if (strcmp(req->method, "POST") == 0)
		authorize_post(d, &req->form, resp);
	else
		gw_resp_text(resp, 405, "text/plain", "GET or POST\n");
}

/* ---- authorization code flow: the token endpoint ---- */

static void
oauth_error(struct gw_resp *resp, int status, const char *error)
{
	char body[96];

	snprintf(body, sizeof(body), "{\"error\":\"%s\"}", error);
	gw_resp_text(resp, status, "application/json", body);
	gw_resp_header(resp, "Cache-Control", "no-store");
	if (status == 401)
		gw_resp_header(resp, "WWW-Authenticate",
			       "Basic realm=\"fedgate dev\"");
}

/*
 * Client authentication (RFC 6749 §2.3): a public client names itself in
 * the body; with Basic, the user part must be ours and any password goes.
 * Either way the client is fedgate-dev, or 0.
 */
static int
client_ok(const struct gw_req *req)
{
	const char *id = gw_form_get(&req->form, "client_id");
	const char *auth = gw_req_header(req, "Authorization");
	uint8_t *dec;
	size_t n = 0, idl = strlen(GW_DEVIDP_AUDIENCE);
	int ok;

	if (auth == NULL)
		return eq(id, GW_DEVIDP_AUDIENCE);
	if (strncasecmp(auth, "Basic ", 6) != 0 || strlen(auth) > 512)
		return 0;
	dec = core_b64_decode(auth + 6, strlen(auth + 6), &n);
	ok = dec != NULL && n > idl && memcmp(dec, GW_DEVIDP_AUDIENCE, idl) == 0
	     && dec[idl] == ':' && (id == NULL || eq(id, GW_DEVIDP_AUDIENCE));
	if (dec != NULL)
		core_secret_free(dec, n);
	return ok;
}

/* The ID token's claims: the form's extras, then ours on top. */
static char *
id_token_claims(const struct dev_code *c)
{
	json_t *o = c->claims != NULL ? json_loads(c->claims, 0, NULL) :
		    json_object();
	char *s;

	if (!json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "nonce", json_string(c->nonce));
	if (c->email != NULL) {
		json_object_set_new(o, "email", json_string(c->email));
		json_object_set_new(o, "email_verified", json_true());
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void
token_response(struct gw_devidp *d, const struct dev_code *c,
	       struct gw_resp *resp)
{
	char *claims = id_token_claims(c);
	char *idt = claims != NULL ? gw_devidp_mint(d, c->sub,
				     GW_DEVIDP_AUDIENCE, DEV_ID_TOKEN_TTL,
				     claims) : NULL;
	uint8_t rnd[32];
	char *at, *body;
	json_t *o;

	free(claims);
	if (idt == NULL) {
		oauth_error(resp, 500, "server_error");
		return;
	}
	core_random(rnd, sizeof(rnd));
	at = core_b64url_encode(rnd, sizeof(rnd));
	o = json_pack("{s:s, s:s, s:i, s:s}", "access_token", at,
		      "token_type", "Bearer", "expires_in", DEV_ID_TOKEN_TTL,
		      "id_token", idt);
	body = json_dumps(o, JSON_COMPACT);
	gw_resp_text(resp, 200, "application/json", body);
	/* RFC 6749 §5.1 */
	gw_resp_header(resp, "Cache-Control", "no-store");
	gw_resp_header(resp, "Pragma", "no-cache");
	json_decref(o);
	core_secret_free(body, strlen(body));
	core_secret_free(at, strlen(at));
	core_secret_free(idt, strlen(idt));
}

void
gw_devidp_code_token(struct gw_devidp *d, const struct gw_req *req,
		  struct gw_resp *resp)
{
	const struct gw_form *f = &req->form;
	const char *code = gw_form_get(f, "code");
	const char *redir = gw_form_get(f, "redirect_uri");
	const char *verifier = gw_form_get(f, "code_verifier");
	char want[FED_PKCE_LEN + 1];
	struct dev_code c = {0};

	if (strcmp(req->method, "POST") != 0)
		oauth_error(resp, 405, "invalid_request");
	else if (!eq(gw_form_get(f, "grant_type"), "authorization_code"))
		oauth_error(resp, 400, "unsupported_grant_type");
	else if (!client_ok(req))
		oauth_error(resp, 401, "invalid_client");
	else if (code == NULL || redir == NULL || verifier == NULL)
		oauth_error(resp, 400, "invalid_request");
	else if (strlen(code) > DEV_PARAM_MAX || codes_take(d, code, &c) == -1)
		oauth_error(resp, 400, "invalid_grant");
	else {
		/* RFC 7636 §4.6; a malformed verifier cannot match either. */
		if (pkce_string(verifier, 43, 128))
			fed_pkce_challenge(verifier, want);
		else
			memset(want, 0, sizeof(want));
		if (!eq(redir, c.redirect_uri) ||
		    !core_secret_eq(want, strlen(want), c.challenge,
				    strlen(c.challenge)))
			oauth_error(resp, 400, "invalid_grant");
		else
			token_response(d, &c, resp);
		gw_devidp_code_clear(&c);
	}
}
