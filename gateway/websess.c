/* gateway/websess.c - sealed cookies for the login page (see websess.h) */
#include "gateway/websess.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <zlib.h>

#include "core/b64.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/secret.h"
#include "core/store.h"
#include "federation/replay.h"
#include "gateway/app.h"
#include "gateway/conf.h"

#define PLAIN_MAX (64 * 1024)		/* inflated JSON bound */
#define COOKIE_HEADER_MAX 16384

static const char *const purposes[] = {
	[GW_COOKIE_SESSION] = "fedgate-web-session-v1",
	[GW_COOKIE_FLOW] = "fedgate-web-flow-v1",
	[GW_COOKIE_CLI] = "fedgate-web-cli-v1",
};

static const char *const names[] = {
	[GW_COOKIE_SESSION] = "fedgate-session",
	[GW_COOKIE_FLOW] = "fedgate-flow",
	[GW_COOKIE_CLI] = "fedgate-cli",
};

int
gw_web_secure(const struct gw_app *app)
{
	return strncmp(app->conf->public_url, "https://", 8) == 0;
}

/* Over https the __Host- prefix pins the cookie to this exact origin. */
static void
cookie_name(const struct gw_app *app, enum gw_web_cookie kind, char *out,
	    size_t size)
{
	snprintf(out, size, "%s%s", gw_web_secure(app) ? "__Host-" : "",
		 names[kind]);
}

void
gw_web_random(char *out, size_t size, size_t n)
{
	uint8_t raw[64];
	char *s;

	if (n > sizeof(raw))
		n = sizeof(raw);
	core_random(raw, n);
	s = core_b64url_encode(raw, n);
	snprintf(out, size, "%s", s);
	free(s);
}

char *
gw_web_seal(const struct gw_app *app, enum gw_web_cookie kind, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	uLongf zlen;
	uint8_t *z;
	char *sealed = NULL;

	if (text == NULL)
		return NULL;
	zlen = compressBound(strlen(text));
	z = core_xmalloc(zlen);
	if (compress2(z, &zlen, (const Bytef *)text, strlen(text), 9) == Z_OK)
		sealed = core_seal(app->keyring, purposes[kind], z, zlen);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	OPENSSL_cleanse(z, zlen);
	free(z);
	if (sealed != NULL && strlen(sealed) > GW_WEB_COOKIE_MAX) {
		free(sealed);
		return NULL;
	}
	return sealed;
}

/* The value of cookie name in the Cookie header(s); NULL if absent. */
const char *
gw_cookie_find(const struct gw_req *req, const char *name, char *buf,
	       size_t size)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; i < req->n_headers; i++) {
		const char *p = req->headers[i].value, *end;

		if (strcasecmp(req->headers[i].name, "Cookie") != 0 ||
		    strlen(p) > COOKIE_HEADER_MAX)
			continue;
		while (*p != '\0') {
			while (*p == ' ' || *p == ';')
				p++;
			end = p + strcspn(p, ";");
			if ((size_t)(end - p) > nlen && p[nlen] == '=' &&
			    strncmp(p, name, nlen) == 0) {
				size_t vlen = (size_t)(end - p) - nlen - 1;

				if (vlen >= size)
					return NULL;
				memcpy(buf, p + nlen + 1, vlen);
				buf[vlen] = '\0';
				return buf;
			}
			p = end;
		}
	}
	return NULL;
}

json_t *
gw_web_open(const struct gw_app *app, enum gw_web_cookie kind,
	    const struct gw_req *req)
{
	char name[64], value[GW_WEB_COOKIE_MAX + 1];
	uint8_t *z, *plain;
	size_t zlen;
	uLongf plen = PLAIN_MAX;
	json_t *obj = NULL;

	cookie_name(app, kind, name, sizeof(name));
	if (gw_cookie_find(req, name, value, sizeof(value)) == NULL)
		return NULL;
	z = core_unseal(app->keyring, purposes[kind], value, strlen(value),
			&zlen);
	if (z == NULL)
		return NULL;
	plain = core_xmalloc(PLAIN_MAX + 1);
	/* Authenticated bytes, but bounded anyway: Z_BUF_ERROR past 64 KiB. */
	if (uncompress(plain, &plen, z, zlen) == Z_OK) {
		plain[plen] = '\0';
		obj = json_loadb((const char *)plain, plen,
				 JSON_REJECT_DUPLICATES, NULL);
		OPENSSL_cleanse(plain, plen);
	}
	free(plain);
	OPENSSL_cleanse(z, zlen);
	free(z);
	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	}
	return obj;
}

void
gw_web_set_cookie(const struct gw_app *app, struct gw_resp *resp,
		  enum gw_web_cookie kind, const char *value, int max_age)
{
	char name[64];
	const char *samesite = "Lax";
	char *h;

	cookie_name(app, kind, name, sizeof(name));
	/* The IdP POSTs the SAML response cross-site: a Lax flow cookie would
	 * not come with it. Over https it can be None (Secure required). */
	if (kind == GW_COOKIE_FLOW && gw_web_secure(app))
		samesite = "None";
	h = core_xasprintf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=%s%s",
			   name, value, max_age, samesite,
			   gw_web_secure(app) ? "; Secure" : "");
	gw_resp_header(resp, "Set-Cookie", h);
	free(h);
}

void
gw_web_clear_cookie(const struct gw_app *app, struct gw_resp *resp,
		    enum gw_web_cookie kind)
{
	gw_web_set_cookie(app, resp, kind, "", 0);
}

void
gw_websess_init(struct gw_websess *ws, const char *provider, int kind,
		const char *user, const char *identity, int64_t now)
{
	memset(ws, 0, sizeof(*ws));
	gw_web_random(ws->sid, sizeof(ws->sid), 16);
	gw_web_random(ws->csrf, sizeof(ws->csrf), 32);
	snprintf(ws->provider, sizeof(ws->provider), "%s", provider);
	ws->kind = kind;
	ws->login_at = now;
	ws->seen_at = now;
	ws->user = core_xstrdup(user);
	ws->identity = core_xstrdup(identity);
}

void
gw_websess_clear(struct gw_websess *ws)
{
	free(ws->user);
	if (ws->identity != NULL) {
		OPENSSL_cleanse(ws->identity, strlen(ws->identity));
		free(ws->identity);
	}
	OPENSSL_cleanse(ws, sizeof(*ws));
}

static int
copy_str(char *dst, size_t size, json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL || strlen(s) >= size)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
session_from_json(struct gw_websess *ws, json_t *o)
{
	json_t *kind = json_object_get(o, "k"), *iat = json_object_get(o, "iat");
	json_t *seen = json_object_get(o, "seen");
	const char *user = json_string_value(json_object_get(o, "u"));
	const char *id = json_string_value(json_object_get(o, "id"));

	memset(ws, 0, sizeof(*ws));
	if (copy_str(ws->sid, sizeof(ws->sid), o, "sid") == -1 ||
	    copy_str(ws->csrf, sizeof(ws->csrf), o, "csrf") == -1 ||
	    copy_str(ws->provider, sizeof(ws->provider), o, "p") == -1 ||
	    !json_is_integer(kind) || (json_integer_value(kind) !=
	    GW_LOGIN_OIDC && json_integer_value(kind) != GW_LOGIN_SAML) ||
	    !json_is_integer(iat) ||
	    !json_is_integer(seen) || user == NULL || id == NULL)
		return -1;
	ws->kind = (int)json_integer_value(kind);
	ws->login_at = json_integer_value(iat);
	ws->seen_at = json_integer_value(seen);
	ws->user = core_xstrdup(user);
	ws->identity = core_xstrdup(id);
	return 0;
}

/* Was this session ended by a logout (on any instance)? */
static int
session_ended(struct gw_app *app, const struct gw_websess *ws,
	      struct core_err *err)
{
	char buf[8];

	return core_store_get(fed_saml_replay_store(app->saml_replay),
			      "web_ended", ws->sid, buf, sizeof(buf), err);
}

int
gw_websess_read(struct gw_app *app, const struct gw_req *req,
		struct gw_websess *ws, int64_t now, struct core_err *err)
{
	const struct gw_web_conf *wc = &app->conf->web;
	json_t *o = gw_web_open(app, GW_COOKIE_SESSION, req);
	const char *why = NULL;
	char name[64], value[GW_WEB_COOKIE_MAX + 1];
	int r;

	memset(ws, 0, sizeof(*ws));
	cookie_name(app, GW_COOKIE_SESSION, name, sizeof(name));
	if (o == NULL)
		why = gw_cookie_find(req, name, value, sizeof(value)) != NULL &&
		      value[0] != '\0' ? "tampered" : "no_session";
	else if (session_from_json(ws, o) == -1)
		why = "tampered";
	else if (now >= ws->login_at + wc->session_lifetime ||
		 ws->login_at > now + app->conf->clock_skew_seconds)
		why = "expired";
	else if (now >= ws->seen_at + wc->idle_timeout)
		why = "idle";
	json_decref(o);
	if (why == NULL) {
		r = session_ended(app, ws, err);
		if (r == -1) {
			gw_websess_clear(ws);
			return -1;
		}
		if (r == 1)
			why = "ended";
	}
	if (why != NULL) {
		gw_websess_clear(ws);
		core_err_set(err, CORE_EACCESS, why, "No valid sign-in session");
		return 0;
	}
	ws->seen_at = now;
	return 1;
}

int
gw_websess_write(struct gw_app *app, struct gw_resp *resp,
		 const struct gw_websess *ws, int64_t now, struct core_err *err)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:s}",
			      "sid", ws->sid, "csrf", ws->csrf, "p",
			      ws->provider, "k", ws->kind, "iat",
			      (json_int_t)ws->login_at, "seen",
			      (json_int_t)now, "u", ws->user, "id",
			      ws->identity);
	char *v = o != NULL ? gw_web_seal(app, GW_COOKIE_SESSION, o) : NULL;
	int64_t left = ws->login_at + app->conf->web.session_lifetime - now;

	json_decref(o);
	if (v == NULL) {
		core_err_set(err, CORE_EVALIDATION, "identity_too_large",
			     "The identity provider sent more attributes than "
			     "fit in a browser session (about 4 KB); ask your "
			     "administrator to release fewer attributes to "
			     "fedgate");
		return -1;
	}
	gw_web_set_cookie(app, resp, GW_COOKIE_SESSION, v,
			  left > 0 ? (int)left : 0);
	free(v);
	return 0;
}

int
gw_websess_end(struct gw_app *app, const struct gw_websess *ws,
	       struct core_err *err)
{
	return core_store_set(fed_saml_replay_store(app->saml_replay),
			      "web_ended", ws->sid, "1",
			      ws->login_at + app->conf->web.session_lifetime +
			      app->conf->clock_skew_seconds, err);
}

int
gw_websess_csrf_ok(const struct gw_websess *ws, const char *token)
{
	if (token == NULL || ws->csrf[0] == '\0')
		return 0;
	return core_secret_eq(ws->csrf, strlen(ws->csrf), token,
			      strlen(token));
}

int
gw_web_use_once(struct gw_app *app, const char *what, const char *value,
		int64_t expires_at, struct core_err *err)
{
	char key[65];

	/* Hashed: the store holds no usable value, and keys stay short. */
	core_sha256_hex(value, strlen(value), key);
	return core_store_add_once(fed_saml_replay_store(app->saml_replay),
				   what, key, expires_at, err);
}
