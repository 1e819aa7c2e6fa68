/* federation/oidc_code.c - OIDC authorization code flow with PKCE
 *
 * Builds the authorization request the browser is sent to (OIDC Core
 * §3.1.2.1, RFC 7636 §4.3), redeems the returned code on the back channel
 * (RFC 6749 §4.1.3, RFC 7636 §4.5) and carries a validated identity in and
 * out of JSON for the sealed web-session cookie. The ID token coming back
 * from the token endpoint is not trusted here: the caller hands it to
 * fed_oidc_verify like any other token.
 *
 * The code, the verifier, the client secret and the tokens are never
 * logged nor put into an error message; buffers holding them are wiped.
 */
#include "federation/oidc_code.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "federation/oidc.h"
#include "federation/oidc_int.h"

#define ENDPOINT_MAX 2048		/* longest endpoint URL accepted */
#define OAUTH_ERROR_MAX 200		/* "error" code echoed in err.msg */

/* Bounds of the identity JSON (what the gateway sealed itself). */
#define ID_JSON_MAX (256 * 1024)
#define ID_MAX_CLAIMS 1000
#define ID_MAX_VALUES 100
#define ID_STR_MAX (64 * 1024)
#define ID_JTI_HASH_MAX (sizeof(((struct fed_identity *)0)->jti_hash) - 1)
#define ID_FORMAT_VERSION 1

/* ---- endpoint URLs ------------------------------------------------ */

/*
 * https anywhere; plain http only to a loopback host (tests, sidecars).
 * No userinfo (a classic way to make "http://127.0.0.1@evil" look local),
 * no fragment (RFC 6749 §3.1, §3.2), no spaces or control characters.
 */
static int
endpoint_ok(const char *u)
{
	const char *h, *end, *port;
	size_t n;

	if (u == NULL || strlen(u) > ENDPOINT_MAX)
		return 0;
	for (const char *p = u; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == '#' || *p == '\\')
			return 0;
	if (strncmp(u, "https://", 8) == 0)
		h = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		h = u + 7;
	else
		return 0;
	end = h + strcspn(h, "/?");
	if (end == h || memchr(h, '@', (size_t)(end - h)) != NULL)
		return 0;
	if (h == u + 8)
		return 1;
	if (*h == '[') {
		port = memchr(h, ']', (size_t)(end - h));
		port = port != NULL ? port + 1 : end;
	} else {
		port = memchr(h, ':', (size_t)(end - h));
		port = port != NULL ? port : end;
	}
	if (!core_host_is_loopback(h, (size_t)(port - h)))
		return 0;
	if (port == end)
		return 1;
	n = (size_t)(end - port - 1);
	return *port == ':' && n > 0 && n <= 5 &&
	    strspn(port + 1, "0123456789") >= n;
}

/* ---- discovery ---------------------------------------------------- */

static void
discovery_fail(struct core_err *err, const char *reason, const char *what)
{
	core_err_set(err, CORE_EIDP_COMM, reason, "OIDC discovery failed: %s",
		     what);
}

/* OpenID Connect Discovery 1.0 §4.3: the issuer must be ours, exactly. */
int
fed_oidc_parse_discovery(const char *issuer, const char *body, size_t len,
			 struct fed_oidc_endpoints *out, struct core_err *err)
{
	json_t *doc = NULL;
	const char *iss, *az, *tok;
	int rc = -1;

	if (body != NULL && len > 0 && len <= FED_OIDC_MAX_DISCOVERY)
		doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(doc)) {
		log_warnx("%s: %s: not a JSON object", __func__, issuer);
		discovery_fail(err, "discovery_invalid",
			       "the discovery document is not a JSON object");
		goto out;
	}
	iss = json_string_value(json_object_get(doc, "issuer"));
	if (iss == NULL || strcmp(iss, issuer) != 0) {
		log_warnx("%s: %s: issuer mismatch", __func__, issuer);
		discovery_fail(err, "issuer_mismatch",
			       "the discovery document names another issuer");
		goto out;
	}
	az = json_string_value(json_object_get(doc, "authorization_endpoint"));
	tok = json_string_value(json_object_get(doc, "token_endpoint"));
	if (!endpoint_ok(az) || !endpoint_ok(tok)) {
		log_warnx("%s: %s: endpoints missing, or not https (http only "
			  "on loopback)", __func__, issuer);
		discovery_fail(err, "discovery_invalid", "authorization and "
			       "token endpoints must be https URLs");
		goto out;
	}
	out->authorization_endpoint = core_xstrdup(az);
	out->token_endpoint = core_xstrdup(tok);
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

int
fed_oidc_discover_endpoints(const char *issuer, int timeout_seconds,
			    struct fed_oidc_endpoints *out,
			    struct core_err *err)
{
	struct core_err ferr = {0};
	struct core_buf b;
	char *url;
	size_t ilen;
	int rc;

	if (!endpoint_ok(issuer)) {
		discovery_fail(err, "discovery_invalid",
			       "the issuer is not an https URL");
		return -1;
	}
	/* §4.1: the well-known path follows the issuer minus a final '/'. */
	ilen = strlen(issuer);
	if (ilen > 0 && issuer[ilen - 1] == '/')
		ilen--;
	url = core_xasprintf("%.*s/.well-known/openid-configuration",
			     (int)ilen, issuer);
	if (fed_fetch_url(url, timeout_seconds, FED_OIDC_MAX_DISCOVERY, &b,
			  NULL, &ferr) == -1) {
		discovery_fail(err, "idp_unreachable",
			       "the identity provider is unreachable");
		free(url);
		return -1;
	}
	rc = fed_oidc_parse_discovery(issuer, b.data, b.len, out, err);
	core_buf_reset(&b);
	free(url);
	return rc;
}

void
fed_oidc_endpoints_clear(struct fed_oidc_endpoints *e)
{
	if (e == NULL)
		return;
	free(e->authorization_endpoint);
	free(e->token_endpoint);
	e->authorization_endpoint = NULL;
	e->token_endpoint = NULL;
}

/* ---- PKCE (RFC 7636) ---------------------------------------------- */

void
fed_pkce_verifier(char out[FED_PKCE_LEN + 1])
{
	uint8_t rnd[32];
	char *s;

	/* §4.1 + §7.1: 32 random octets, base64url = 43 characters. */
	core_random(rnd, sizeof(rnd));
	s = core_b64url_encode(rnd, sizeof(rnd));
	memcpy(out, s, FED_PKCE_LEN);
	out[FED_PKCE_LEN] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	core_secret_free(s, FED_PKCE_LEN + 1);
}

void
fed_pkce_challenge(const char *verifier, char out[FED_PKCE_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *s;

	/* §4.2: S256, BASE64URL-ENCODE(SHA256(ASCII(code_verifier))). */
	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	s = core_b64url_encode(md, sizeof(md));
	memcpy(out, s, FED_PKCE_LEN);
	out[FED_PKCE_LEN] = '\0';
	free(s);
}

/* ---- authorization request ---------------------------------------- */

/*
 * RFC 3986 §2.3 unreserved characters pass, every other octet becomes %XX
 * (§2.1). form: application/x-www-form-urlencoded, where a space is '+'.
 */
static void
put_escaped(struct core_buf *b, const char *s, int form)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			(void)core_buf_append(b, s, 1);
		} else if (form && c == ' ') {
			(void)core_buf_append(b, "+", 1);
		} else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 0xf];
			(void)core_buf_append(b, e, 3);
		}
	}
}

static void
put_param(struct core_buf *b, char *sep, const char *name, const char *value,
	  int form)
{
	if (*sep != '\0')
		(void)core_buf_append(b, sep, 1);
	put_escaped(b, name, form);
	(void)core_buf_append(b, "=", 1);
	put_escaped(b, value, form);
	*sep = '&';
}

static int
has_scope(const char *scope, const char *want)
{
	size_t wl = strlen(want);

	for (const char *p = scope; *p != '\0';) {
		size_t n = strcspn(p, " ");

		if (n == wl && strncmp(p, want, n) == 0)
			return 1;
		p += n;
		p += strspn(p, " ");
	}
	return 0;
}

static int
authz_request_ok(const struct fed_oidc_authz_request *r)
{
	const char *req[] = {r->client_id, r->redirect_uri, r->scope,
			     r->state, r->nonce, r->code_challenge};

	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (req[i] == NULL || req[i][0] == '\0')
			return 0;
	/* OIDC Core §3.1.2.1: without "openid" this is plain OAuth. */
	return endpoint_ok(r->authorization_endpoint) &&
	    has_scope(r->scope, "openid");
}

char *
fed_oidc_authorize_url(const struct fed_oidc_authz_request *r)
{
	const char *ep = r->authorization_endpoint;
	struct core_buf b;
	char sep = '?';
	size_t n;

	if (!authz_request_ok(r))
		return NULL;
	core_buf_init(&b, 0);
	(void)core_buf_puts(&b, ep);
	/* RFC 6749 §3.1: an endpoint's own query component is kept. */
	n = strlen(ep);
	if (strchr(ep, '?') != NULL)
		sep = ep[n - 1] == '?' || ep[n - 1] == '&' ? '\0' : '&';
	put_param(&b, &sep, "response_type", "code", 0);
	put_param(&b, &sep, "client_id", r->client_id, 0);
	put_param(&b, &sep, "redirect_uri", r->redirect_uri, 0);
	put_param(&b, &sep, "scope", r->scope, 0);
	put_param(&b, &sep, "state", r->state, 0);
	put_param(&b, &sep, "nonce", r->nonce, 0);
	put_param(&b, &sep, "code_challenge", r->code_challenge, 0);
	put_param(&b, &sep, "code_challenge_method", "S256", 0);
	if (r->hosted_domain != NULL)
		put_param(&b, &sep, "hd", r->hosted_domain, 0);
	return core_buf_steal(&b);
}

/* ---- code exchange ------------------------------------------------ */

/* RFC 6749 §5.2: error is %x20-21 / %x23-5B / %x5D-7E; others become '?'. */
static void
oauth_error_text(const char *in, char out[OAUTH_ERROR_MAX + 1])
{
	size_t i;

	for (i = 0; i < OAUTH_ERROR_MAX && in[i] != '\0'; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' ?
		    (char)c : '?';
	}
	out[i] = '\0';
}

/* RFC 6749 §5.1 (200 + id_token) and §5.2 (4xx + error). */
int
fed_oidc_parse_token_response(const char *body, size_t len, long status,
			      char **id_token, struct core_err *err)
{
	char code[OAUTH_ERROR_MAX + 1];
	json_t *doc = NULL;
	const char *s;
	int rc = -1;

	if (body != NULL && len > 0 && len <= FED_OIDC_MAX_TOKEN_RESPONSE)
		doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	s = json_string_value(json_object_get(doc, "error"));
	if (status >= 400 && status < 500 && json_is_object(doc) && s != NULL) {
		oauth_error_text(s, code);
		log_warnx("%s: token endpoint refused the code: HTTP %ld, "
			  "error %s", __func__, status, code);
		core_err_set(err, CORE_EIDP_REJECTED, "idp_rejected",
			     "Identity provider refused the authorization "
			     "code: %s", code);
		goto out;
	}
	if (status != 200) {
		log_warnx("%s: token endpoint answered HTTP %ld", __func__,
			  status);
		core_err_set(err, CORE_EIDP_COMM, "idp_unreachable",
			     "Identity provider token endpoint failed (HTTP "
			     "%ld)", status);
		goto out;
	}
	s = json_string_value(json_object_get(doc, "id_token"));
	if (!json_is_object(doc) || s == NULL || s[0] == '\0') {
		log_warnx("%s: token response is %s", __func__,
			  json_is_object(doc) ? "without an id_token" :
			  "not a JSON object");
		core_err_set(err, CORE_EIDP_COMM, "idp_bad_response",
			     "Identity provider token response has no ID "
			     "token");
		goto out;
	}
	*id_token = core_xstrdup(s);
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

static int
exchange_ok(const struct fed_oidc_code_exchange *x)
{
	const char *req[] = {x->client_id, x->code, x->redirect_uri,
			     x->code_verifier};

	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (req[i] == NULL || req[i][0] == '\0')
			return 0;
	return endpoint_ok(x->token_endpoint);
}

static char *
form_escaped(const char *s)
{
	struct core_buf b;

	core_buf_init(&b, 0);
	put_escaped(&b, s, 1);
	return core_buf_steal(&b);
}

static void
wipe_free(char *s)
{
	if (s != NULL)
		core_secret_free(s, strlen(s));
}

int
fed_oidc_exchange_code(const struct fed_oidc_code_exchange *x,
		       char **id_token, struct core_err *err)
{
	struct core_buf form, resp;
	char *user = NULL, *pass = NULL, sep = '\0';
	long status = 0;
	int rc;

	if (!exchange_ok(x)) {
		log_warnx("%s: token endpoint not https (http only on "
			  "loopback), or a parameter is missing", __func__);
		core_err_set(err, CORE_EIDP_COMM, "idp_config",
			     "Identity provider token endpoint is not usable");
		return -1;
	}
	core_buf_init(&form, 0);
	put_param(&form, &sep, "grant_type", "authorization_code", 1);
	put_param(&form, &sep, "code", x->code, 1);
	put_param(&form, &sep, "redirect_uri", x->redirect_uri, 1);
	put_param(&form, &sep, "code_verifier", x->code_verifier, 1);
	if (x->client_secret == NULL) {
		/* §2.3.1: a public client names itself in the body. */
		put_param(&form, &sep, "client_id", x->client_id, 1);
	} else {
		/* §2.3.1: client_secret_basic, both parts form-urlencoded
		 * before they are joined and base64-encoded. */
		user = form_escaped(x->client_id);
		pass = form_escaped(x->client_secret);
	}
	rc = fed_fetch_post_form(x->token_endpoint, form.data, user, pass,
				 x->timeout_seconds,
				 FED_OIDC_MAX_TOKEN_RESPONSE, &resp, &status,
				 err);
	if (rc == 0) {
		rc = fed_oidc_parse_token_response(resp.data, resp.len, status,
						   id_token, err);
		core_buf_wipe(&resp);
	}
	core_buf_wipe(&form);
	wipe_free(user);
	wipe_free(pass);
	return rc;
}

/* ---- identity ----------------------------------------------------- */

const char *
fed_identity_claim(const struct fed_identity *id, const char *claim)
{
	size_t plen;

	if (id == NULL || claim == NULL || id->provider_id == NULL)
		return NULL;
	plen = strlen(id->provider_id);
	for (size_t i = 0; i < id->n_claims; i++) {
		const struct fed_claim_kv *kv = &id->claims[i];

		if (kv->key == NULL || kv->n_values == 0 ||
		    strncmp(kv->key, id->provider_id, plen) != 0 ||
		    kv->key[plen] != ':' ||
		    strcmp(kv->key + plen + 1, claim) != 0)
			continue;
		return kv->values[0];
	}
	return NULL;
}

/*
 * JSON form, version 1:
 * {"v":1,"provider_name":s|null,"issuer":s,"provider_id":s,"subject":s,
 *  "audience":s|null,"source_identity":s|null,"exp":i,"iat":i,
 *  "jti_hash":s,"claims":[{"k":s,"v":[s...],"m":b}...],
 *  "tags":[{"k":s,"v":s,"t":b}...]}
 * Every member is required; nothing else is accepted.
 */

static int
put_str(json_t *o, const char *key, const char *s, int nullable)
{
	if (s == NULL)
		return nullable ? json_object_set_new(o, key, json_null()) : -1;
	if (strlen(s) > ID_STR_MAX)
		return -1;
	/* json_string refuses invalid UTF-8; set_new then fails too. */
	return json_object_set_new(o, key, json_string(s));
}

static json_t *
claim_to_json(const struct fed_claim_kv *kv)
{
	json_t *o = json_object(), *vals = json_array();
	int bad = kv->n_values > ID_MAX_VALUES;

	for (size_t j = 0; !bad && j < kv->n_values; j++)
		bad = kv->values[j] == NULL ||
		    strlen(kv->values[j]) > ID_STR_MAX ||
		    json_array_append_new(vals,
					  json_string(kv->values[j])) != 0;
	bad = bad || put_str(o, "k", kv->key, 0) != 0 ||
	    json_object_set(o, "v", vals) != 0 ||
	    json_object_set_new(o, "m", json_boolean(kv->multi)) != 0;
	json_decref(vals);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
tag_to_json(const struct fed_tag *t)
{
	json_t *o = json_object();

	if (put_str(o, "k", t->key, 0) != 0 ||
	    put_str(o, "v", t->value, 0) != 0 ||
	    json_object_set_new(o, "t", json_boolean(t->transitive)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
lists_to_json(json_t *o, const struct fed_identity *id)
{
	json_t *claims = json_array(), *tags = json_array();
	int bad = id->n_claims > ID_MAX_CLAIMS || id->n_tags > FED_TAGS_MAX;

	for (size_t i = 0; !bad && i < id->n_claims; i++)
		bad = json_array_append_new(claims,
		    claim_to_json(&id->claims[i])) != 0;
	for (size_t i = 0; !bad && i < id->n_tags; i++)
		bad = json_array_append_new(tags,
		    tag_to_json(&id->tags[i])) != 0;
	bad = bad || json_object_set(o, "claims", claims) != 0 ||
	    json_object_set(o, "tags", tags) != 0;
	json_decref(claims);
	json_decref(tags);
	return bad ? -1 : 0;
}

char *
fed_identity_to_json(const struct fed_identity *id)
{
	json_t *o;
	char *s = NULL;

	if (id == NULL || strnlen(id->jti_hash, sizeof(id->jti_hash)) >
	    ID_JTI_HASH_MAX)
		return NULL;
	o = json_object();
	if (json_object_set_new(o, "v", json_integer(ID_FORMAT_VERSION)) ||
	    put_str(o, "provider_name", id->provider_name, 1) ||
	    put_str(o, "issuer", id->issuer, 0) ||
	    put_str(o, "provider_id", id->provider_id, 0) ||
	    put_str(o, "subject", id->subject, 0) ||
	    put_str(o, "audience", id->audience, 1) ||
	    put_str(o, "source_identity", id->source_identity, 1) ||
	    json_object_set_new(o, "exp", json_integer(id->exp)) ||
	    json_object_set_new(o, "iat", json_integer(id->iat)) ||
	    put_str(o, "jti_hash", id->jti_hash, 0) ||
	    lists_to_json(o, id) != 0)
		goto out;
	s = json_dumps(o, JSON_COMPACT);
	/* What from_json would refuse is not written in the first place. */
	if (s != NULL && strlen(s) > ID_JSON_MAX) {
		free(s);
		s = NULL;
	}
out:
	json_decref(o);
	return s;
}

/* Exactly the members in names[] (n of them), no more, no fewer. */
static int
members_exact(const json_t *o, const char *const *names, size_t n)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(o) || json_object_size(o) != n)
		return -1;
	json_object_foreach((json_t *)o, k, v) {
		(void)v;
		for (i = 0; i < n && strcmp(k, names[i]) != 0; i++)
			;
		if (i == n)
			return -1;
	}
	return 0;
}

/* A bounded string without NULs; NULL (ok) for JSON null if nullable. */
static int
get_str(const json_t *v, int nullable, char **out)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (nullable && json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (s == NULL || n > ID_STR_MAX || strlen(s) != n)
		return -1;
	*out = core_xstrdup(s);
	return 0;
}

static int
claim_from_json(struct fed_identity *id, const json_t *o)
{
	static const char *const names[] = {"k", "v", "m"};
	const json_t *vals = json_object_get(o, "v"),
	    *m = json_object_get(o, "m");
	struct fed_claim_kv *kv = &id->claims[id->n_claims];
	size_t n = json_array_size(vals);

	if (members_exact(o, names, 3) == -1 || !json_is_array(vals) ||
	    n > ID_MAX_VALUES || !json_is_boolean(m))
		return -1;
	if (get_str(json_object_get(o, "k"), 0, &kv->key) == -1)
		return -1;
	/* Counted in now so that fed_identity_free releases what follows. */
	id->n_claims++;
	kv->multi = json_is_true(m);
	kv->values = core_xcalloc(n > 0 ? n : 1, sizeof(*kv->values));
	for (size_t j = 0; j < n; j++) {
		if (get_str(json_array_get(vals, j), 0,
			    &kv->values[kv->n_values]) == -1)
			return -1;
		kv->n_values++;
	}
	return 0;
}

static int
tag_from_json(struct fed_identity *id, const json_t *o)
{
	static const char *const names[] = {"k", "v", "t"};
	const json_t *t = json_object_get(o, "t");
	struct fed_tag *tag = &id->tags[id->n_tags];

	if (members_exact(o, names, 3) == -1 || !json_is_boolean(t))
		return -1;
	if (get_str(json_object_get(o, "k"), 0, &tag->key) == -1)
		return -1;
	id->n_tags++;
	tag->transitive = json_is_true(t);
	return get_str(json_object_get(o, "v"), 0, &tag->value);
}

static int
lists_from_json(struct fed_identity *id, const json_t *doc)
{
	const json_t *claims = json_object_get(doc, "claims"),
	    *tags = json_object_get(doc, "tags");
	size_t nc = json_array_size(claims), nt = json_array_size(tags);

	if (!json_is_array(claims) || nc > ID_MAX_CLAIMS ||
	    !json_is_array(tags) || nt > FED_TAGS_MAX)
		return -1;
	id->claims = core_xcalloc(nc > 0 ? nc : 1, sizeof(*id->claims));
	for (size_t i = 0; i < nc; i++)
		if (claim_from_json(id, json_array_get(claims, i)) == -1)
			return -1;
	id->tags = core_xcalloc(nt > 0 ? nt : 1, sizeof(*id->tags));
	for (size_t i = 0; i < nt; i++)
		if (tag_from_json(id, json_array_get(tags, i)) == -1)
			return -1;
	return 0;
}

static int
identity_from_doc(struct fed_identity *id, const json_t *doc)
{
	static const char *const names[] = {
		"v", "provider_name", "issuer", "provider_id", "subject",
		"audience", "source_identity", "exp", "iat", "jti_hash",
		"claims", "tags"};
	const json_t *v = json_object_get(doc, "v"),
	    *exp = json_object_get(doc, "exp"),
	    *iat = json_object_get(doc, "iat"),
	    *jh = json_object_get(doc, "jti_hash");
	const char *jhs = json_string_value(jh);

	if (members_exact(doc, names, sizeof(names) / sizeof(names[0])) ||
	    !json_is_integer(v) || json_integer_value(v) != ID_FORMAT_VERSION ||
	    !json_is_integer(exp) || !json_is_integer(iat) || jhs == NULL ||
	    json_string_length(jh) > ID_JTI_HASH_MAX ||
	    strlen(jhs) != json_string_length(jh))
		return -1;
	for (const char *p = jhs; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return -1;
	id->exp = json_integer_value(exp);
	id->iat = json_integer_value(iat);
	memcpy(id->jti_hash, jhs, strlen(jhs) + 1);
	if (get_str(json_object_get(doc, "provider_name"), 1,
		    &id->provider_name) ||
	    get_str(json_object_get(doc, "issuer"), 0, &id->issuer) ||
	    get_str(json_object_get(doc, "provider_id"), 0,
		    &id->provider_id) ||
	    get_str(json_object_get(doc, "subject"), 0, &id->subject) ||
	    get_str(json_object_get(doc, "audience"), 1, &id->audience) ||
	    get_str(json_object_get(doc, "source_identity"), 1,
		    &id->source_identity))
		return -1;
	return lists_from_json(id, doc);
}

struct fed_identity *
fed_identity_from_json(const char *json, size_t len, struct core_err *err)
{
	struct fed_identity *id = NULL;
	json_t *doc = NULL;

	if (json != NULL && len > 0 && len <= ID_JSON_MAX)
		doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(doc)) {
		id = core_xcalloc(1, sizeof(*id));
		if (identity_from_doc(id, doc) == -1) {
			fed_identity_free(id);
			id = NULL;
		}
	}
	json_decref(doc);
	if (id == NULL)
		core_err_set(err, CORE_EINTERNAL, "session_invalid",
			     "Stored identity is not readable");
	return id;
}
