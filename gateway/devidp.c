/* gateway/devidp.c - development OIDC issuer
 *
 * Discovery, JWKS and a minting endpoint for the printed aws/curl lines;
 * the authorization-code flow with PKCE (RFC 6749 §4.1, RFC 7636) that
 * lets `fedgate dev` show the login page end to end is devidp_code.c. Anyone may sign
 * in as anyone: dev mode listens on loopback only. What is still checked
 * is what a real IdP checks, so the gateway's client is exercised
 * honestly: one client_id, one exact redirect_uri (no open redirect),
 * S256 only, codes single use and short-lived.
 */
#include "gateway/devidp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/b64.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/timeutil.h"
#include "gateway/devidp_int.h"

#define DEV_TTL_DEFAULT 3600
#define DEV_TTL_MAX 86400
#define DEV_CLAIMS_MAX 8192

static char *
bn_param_b64url(EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;
	unsigned char *buf;
	char *out;
	int n;

	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
		fatalx("devidp: cannot read RSA %s", name);
	n = BN_num_bytes(bn);
	buf = core_xmalloc((size_t)n);
	BN_bn2bin(bn, buf);
	out = core_b64url_encode(buf, (size_t)n);
	free(buf);
	BN_free(bn);
	return out;
}

static void
render_documents(struct gw_devidp *d)
{
	char *n = bn_param_b64url(d->key, OSSL_PKEY_PARAM_RSA_N);
	char *e = bn_param_b64url(d->key, OSSL_PKEY_PARAM_RSA_E);
	char hash[65];
	json_t *jwks, *disc;

	core_sha256_hex(n, strlen(n), hash);
	snprintf(d->kid, sizeof(d->kid), "dev-%.8s", hash);
	jwks = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}", "keys",
			 "kty", "RSA", "kid", d->kid, "use", "sig", "alg",
			 "RS256", "n", n, "e", e);
	disc = json_pack("{s:s, s:s+, s:s+, s:s+, s:[s], s:[s, s], s:[s],"
			 " s:[s], s:[s], s:[s, s]}", "issuer",
			 d->issuer, "jwks_uri", d->issuer, "/jwks",
			 "authorization_endpoint", d->issuer, "/authorize",
			 "token_endpoint", d->issuer, "/oauth/token",
			 "id_token_signing_alg_values_supported", "RS256",
			 "response_types_supported", "code", "id_token",
			 "subject_types_supported", "public",
			 "code_challenge_methods_supported", "S256",
			 "grant_types_supported", "authorization_code",
			 "token_endpoint_auth_methods_supported", "none",
			 "client_secret_basic");
	d->jwks = json_dumps(jwks, JSON_COMPACT);
	d->discovery = json_dumps(disc, JSON_INDENT(2));
	json_decref(jwks);
	json_decref(disc);
	free(n);
	free(e);
}

struct gw_devidp *
gw_devidp_new(const char *public_url)
{
	struct gw_devidp *d = core_xcalloc(1, sizeof(*d));
	size_t ul = strlen(public_url);

	d->key = EVP_RSA_gen(2048);
	if (d->key == NULL)
		fatalx("devidp: RSA key generation failed");
	/* A trailing slash in public_url must not double the separator. */
	while (ul > 0 && public_url[ul - 1] == '/')
		ul--;
	d->issuer = core_xasprintf("%.*s" GW_DEVIDP_PATH, (int)ul, public_url);
	d->callback = core_xasprintf("%.*s/oidc/callback", (int)ul, public_url);
	pthread_mutex_init(&d->lock, NULL);
	d->codes = core_xcalloc(DEV_CODES_MAX, sizeof(*d->codes));
	render_documents(d);
	return d;
}

void
gw_devidp_free(struct gw_devidp *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n_codes; i++)
		gw_devidp_code_clear(&d->codes[i]);
	free(d->codes);
	pthread_mutex_destroy(&d->lock);
	EVP_PKEY_free(d->key);
	free(d->issuer);
	free(d->callback);
	free(d->jwks);
	free(d->discovery);
	free(d);
}

static char *
sign_rs256(EVP_PKEY *key, const char *input)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t siglen = sizeof(sig);
	char *out = NULL;

	if (md != NULL &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input,
			   strlen(input)) == 1)
		out = core_b64url_encode(sig, siglen);
	EVP_MD_CTX_free(md);
	return out;
}

static json_t *
build_payload(struct gw_devidp *d, const char *sub, const char *aud, int ttl,
	      const char *claims_json)
{
	int64_t now = core_now();
	uint8_t rnd[12];
	char *jti;
	json_t *claims = NULL, *p;

	if (claims_json != NULL && claims_json[0] != '\0') {
		if (strlen(claims_json) > DEV_CLAIMS_MAX)
			return NULL;
		claims = json_loads(claims_json, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(claims)) {
			json_decref(claims);
			return NULL;
		}
	}
	core_random(rnd, sizeof(rnd));
	jti = core_b64url_encode(rnd, sizeof(rnd));
	p = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", d->issuer,
		      "sub", sub, "aud", aud, "iat", (json_int_t)now, "nbf",
		      (json_int_t)now, "exp", (json_int_t)(now + ttl), "jti", jti);
	free(jti);
	if (p != NULL && claims != NULL)
		json_object_update(p, claims);
	json_decref(claims);
	return p;
}

char *
gw_devidp_mint(struct gw_devidp *d, const char *sub, const char *aud, int ttl,
	       const char *claims_json)
{
	json_t *hdr, *payload;
	char *h, *pl, *hb, *pb, *input, *sig, *tok = NULL;

	payload = build_payload(d, sub, aud, ttl, claims_json);
	if (payload == NULL)
		return NULL;
	hdr = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid",
			d->kid);
	h = json_dumps(hdr, JSON_COMPACT);
	pl = json_dumps(payload, JSON_COMPACT);
	hb = core_b64url_encode((const uint8_t *)h, strlen(h));
	pb = core_b64url_encode((const uint8_t *)pl, strlen(pl));
	input = core_xasprintf("%s.%s", hb, pb);
	sig = sign_rs256(d->key, input);
	if (sig != NULL)
		tok = core_xasprintf("%s.%s", input, sig);
	free(h), free(pl), free(hb), free(pb), free(input), free(sig);
	json_decref(hdr);
	json_decref(payload);
	return tok;
}

static void
handle_token(struct gw_devidp *d, const struct gw_req *req,
	     struct gw_resp *resp)
{
	const char *sub = gw_form_get(&req->form, "sub");
	const char *aud = gw_form_get(&req->form, "aud");
	const char *ttls = gw_form_get(&req->form, "ttl");
	long ttl = DEV_TTL_DEFAULT;
	char *tok, *end = NULL;

	if (sub == NULL || sub[0] == '\0')
		sub = "dev-user";
	if (aud == NULL || aud[0] == '\0')
		aud = GW_DEVIDP_AUDIENCE;
	if (ttls != NULL)
		ttl = strtol(ttls, &end, 10);
	if ((end != NULL && (*end != '\0' || end == ttls)) ||
	    ttl < -DEV_TTL_MAX || ttl > DEV_TTL_MAX || ttl == 0) {
		gw_resp_text(resp, 400, "text/plain", "ttl must be 1..86400 "
			     "(negative: an already expired token)\n");
		return;
	}
	tok = gw_devidp_mint(d, sub, aud, (int)ttl,
			     gw_form_get(&req->form, "claims"));
	if (tok == NULL) {
		gw_resp_text(resp, 400, "text/plain",
			     "claims must be a JSON object of at most 8 KiB\n");
		return;
	}
	gw_resp_text(resp, 200, "application/jwt", tok);
	free(tok);
}

void
gw_devidp_handle(struct gw_devidp *d, const struct gw_req *req,
		 struct gw_resp *resp)
{
	const char *sub = req->path + strlen(GW_DEVIDP_PATH);

	if (req->form_error)
		gw_resp_text(resp, 400, "text/plain", "malformed parameters\n");
	else if (strcmp(sub, "/.well-known/openid-configuration") == 0)
		gw_resp_text(resp, 200, "application/json", d->discovery);
	else if (strcmp(sub, "/jwks") == 0)
		gw_resp_text(resp, 200, "application/jwk-set+json", d->jwks);
	else if (strcmp(sub, "/token") == 0)
		handle_token(d, req, resp);
	else if (strcmp(sub, "/authorize") == 0)
		gw_devidp_authorize(d, req, resp);
	else if (strcmp(sub, "/oauth/token") == 0)
		gw_devidp_code_token(d, req, resp);
	else
		gw_resp_text(resp, 404, "text/plain", "not found\n");
}
