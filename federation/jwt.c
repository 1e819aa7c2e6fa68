/* federation/jwt.c - compact JWS parsing and signature check (RFC 7515/7518)
 *
 * Only the compact serialization of a JWS is accepted: no JWE, no JSON
 * serialization, no unsecured JWS. Keys are never taken from the token
 * (jku, x5u, jwk, x5c are ignored): only the provider's JWKS counts.
 */
#include "federation/oidc_int.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

#include "core/b64.h"

/* Group orders n (SEC 2 §2.4.2, §2.5.1, §2.6.1), big-endian, full length. */
static const char order_p256[] =
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";
static const char order_p384[] =
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
    "581A0DB248B0A77AECEC196ACCC52973";
static const char order_p521[] =
    "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
    "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409";

static int
json_dup_error(const json_error_t *jerr)
{
	return json_error_code(jerr) == json_error_duplicate_key;
}

/* Decode one base64url part into a JSON object (duplicates refused). */
static json_t *
jwt_decode_json(const char *p, size_t len, const char *what,
		struct core_err *err)
{
	json_error_t jerr;
	uint8_t *raw;
	size_t rawlen;
	json_t *obj;

	raw = core_b64url_decode(p, len, &rawlen);
	if (raw == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "Invalid token: %s is not base64url", what);
		return NULL;
	}
	obj = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES,
			 &jerr);
	free(raw);
	if (obj != NULL && !json_is_object(obj)) {
		json_decref(obj);
		obj = NULL;
	} else if (obj == NULL && json_dup_error(&jerr)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "duplicate_member",
			     "Invalid token: duplicate member in %s", what);
		return NULL;
	}
	if (obj == NULL)
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "Invalid token: %s is not a JSON object", what);
	return obj;
}

static int
jwt_check_header(struct fed_jwt *jwt, struct core_err *err)
{
	const json_t *v;
	const char *alg;

	/* RFC 7515 §4.1.11: we implement no extension, so any crit fails. */
	if (json_object_get(jwt->header, "crit") != NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "crit_unsupported",
			     "Invalid token: unsupported critical header");
		return -1;
	}
	alg = json_string_value(json_object_get(jwt->header, "alg"));
	jwt->alg = fed_alg_from_name(alg);
	if (jwt->alg == FED_ALG_NONE) {
		core_err_set(err, CORE_EINVALID_TOKEN, "alg_not_allowed",
			     "Invalid token: signing algorithm not allowed");
		return -1;
	}
	v = json_object_get(jwt->header, "kid");
	if (v != NULL && !json_is_string(v)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "Invalid token: kid is not a string");
		return -1;
	}
	jwt->kid = json_string_value(v);
	return 0;
}

int
fed_jwt_parse(const char *token, size_t len, struct fed_jwt *jwt,
	      struct core_err *err)
{
	const char *dot[4];
	size_t ndots = 0;

	memset(jwt, 0, sizeof(*jwt));
	if (len > FED_JWT_MAX_LEN || token == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "Invalid token: longer than %d characters",
			     FED_JWT_MAX_LEN);
		return -1;
	}
	/* botocore sends the token file verbatim, newline included. */
	if (len > 0 && token[len - 1] == '\n')
		len--;
	if (len > 0 && token[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (token[i] != '.')
			continue;
		if (ndots == 4) {
			ndots++;
			break;
		}
		dot[ndots++] = token + i;
	}
	if (ndots != 2) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     ndots == 4 ? "Invalid token: encrypted tokens (JWE) "
			     "are not supported" : "Invalid token: not a compact JWS");
		return -1;
	}
	jwt->header = jwt_decode_json(token, (size_t)(dot[0] - token),
				      "header", err);
	if (jwt->header == NULL || jwt_check_header(jwt, err) == -1)
		goto fail;
	jwt->payload = jwt_decode_json(dot[0] + 1,
				       (size_t)(dot[1] - dot[0] - 1),
				       "payload", err);
	if (jwt->payload == NULL)
		goto fail;
	jwt->sig = core_b64url_decode(dot[1] + 1,
				      (size_t)(token + len - dot[1] - 1),
				      &jwt->sig_len);
	if (jwt->sig == NULL || jwt->sig_len == 0) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "Invalid token: bad signature encoding");
		goto fail;
	}
	jwt->signing_input = token;
	jwt->signing_input_len = (size_t)(dot[1] - token);
	return 0;
fail:
	fed_jwt_clear(jwt);
	return -1;
}

void
fed_jwt_clear(struct fed_jwt *jwt)
{
	json_decref(jwt->header);
	json_decref(jwt->payload);
	free(jwt->sig);
	memset(jwt, 0, sizeof(*jwt));
}

static int
key_fits(const struct fed_jwk *k, enum fed_alg alg)
{
	if (k->alg != FED_ALG_NONE && k->alg != alg)
		return 0;
	switch (alg) {
	case FED_ALG_RS256: case FED_ALG_RS384: case FED_ALG_RS512:
	case FED_ALG_PS256: case FED_ALG_PS384: case FED_ALG_PS512:
		return k->kty == FED_KTY_RSA;
	case FED_ALG_ES256:
		return k->kty == FED_KTY_EC && k->curve_nid == NID_X9_62_prime256v1;
	case FED_ALG_ES384:
		return k->kty == FED_KTY_EC && k->curve_nid == NID_secp384r1;
	case FED_ALG_ES512:
		return k->kty == FED_KTY_EC && k->curve_nid == NID_secp521r1;
	default:
		return 0;
	}
}

const struct fed_jwk *
fed_jwt_select_key(const struct fed_keyset *ks, const struct fed_jwt *jwt,
		   struct core_err *err)
{
	const struct fed_jwk *found = NULL;
	size_t nfit = 0, nkid = 0;

	for (size_t i = 0; ks != NULL && i < ks->n; i++) {
		const struct fed_jwk *k = &ks->keys[i];

		if (jwt->kid != NULL &&
		    (k->kid == NULL || strcmp(k->kid, jwt->kid) != 0))
			continue;
		nkid++;
		if (!key_fits(k, jwt->alg))
			continue;
		if (found == NULL)
			found = k;
		nfit++;
	}
	if (found != NULL && (jwt->kid != NULL || nfit == 1))
		return found;
	if (nkid > 0 && nfit == 0)
		core_err_set(err, CORE_EINVALID_TOKEN, "alg_not_allowed",
			     "Invalid token: key type does not match algorithm");
	else if (nfit > 1)
		core_err_set(err, CORE_EINVALID_TOKEN, "kid_unknown",
			     "Invalid token: no kid and several keys");
	else
		core_err_set(err, CORE_EINVALID_TOKEN, "kid_unknown",
			     "Invalid token: no key matches the token's kid");
	return NULL;
}

static const EVP_MD *
alg_md(enum fed_alg alg)
{
	switch (alg) {
	case FED_ALG_RS256: case FED_ALG_PS256: case FED_ALG_ES256:
		return EVP_sha256();
	case FED_ALG_RS384: case FED_ALG_PS384: case FED_ALG_ES384:
		return EVP_sha384();
	default:
		return EVP_sha512();
	}
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* 0 < v < order, for big-endian v of the order's full length. */
static int
ec_scalar_ok(const uint8_t *v, size_t len, const char *order)
{
	int nonzero = 0;

	for (size_t i = 0; i < len; i++)
		nonzero |= v[i];
	if (!nonzero)
		return 0;
	for (size_t i = 0; i < len; i++) {
		int o = hexval(order[2 * i]) << 4 | hexval(order[2 * i + 1]);

		if (v[i] != o)
			return v[i] < o;
	}
	return 0; /* equal to n */
}

/*
 * RFC 7518 §3.4: the JWS signature is r||s, each exactly the coordinate
 * length; OpenSSL wants DER. A DER signature in a JWS is a defect, and
 * r, s outside (0, n) never verify.
 */
static uint8_t *
ecdsa_raw_to_der(const struct fed_jwt *jwt, const struct fed_jwk *k,
		 size_t *derlen)
{
	const char *order = k->coord_len == 32 ? order_p256 :
	    k->coord_len == 48 ? order_p384 : order_p521;
	size_t c = k->coord_len;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r, *s;
	uint8_t *der = NULL;
	int n;

	if (jwt->sig_len != 2 * c || !ec_scalar_ok(jwt->sig, c, order) ||
	    !ec_scalar_ok(jwt->sig + c, c, order))
		return NULL;
	r = BN_bin2bn(jwt->sig, (int)c, NULL);
	s = BN_bin2bn(jwt->sig + c, (int)c, NULL);
	sig = ECDSA_SIG_new();
	if (r == NULL || s == NULL || sig == NULL ||
	    ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	n = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return NULL;
	*derlen = (size_t)n;
	return der;
}

int
fed_jwt_verify_sig(const struct fed_jwt *jwt, const struct fed_jwk *k,
		   struct core_err *err)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	const uint8_t *sig = jwt->sig;
	uint8_t *der = NULL;
	size_t siglen = jwt->sig_len;
	int ok = 0;

	if (!key_fits(k, jwt->alg))
		goto out;
	if (k->kty == FED_KTY_EC) {
		der = ecdsa_raw_to_der(jwt, k, &siglen);
		if (der == NULL)
			goto out;
		sig = der;
	} else if (siglen != (size_t)EVP_PKEY_get_size(k->pkey)) {
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestVerifyInit(ctx, &pctx, alg_md(jwt->alg),
						NULL, k->pkey) != 1)
		goto out;
	/* RFC 7518 §3.5: PSS with MGF1 of the same hash, salt = hash length. */
	if (jwt->alg >= FED_ALG_PS256 && jwt->alg <= FED_ALG_PS512 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	ok = EVP_DigestVerify(ctx, sig, siglen,
			      (const uint8_t *)jwt->signing_input,
			      jwt->signing_input_len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	if (ok)
		return 0;
	ERR_clear_error(); /* the per-thread queue is not ours to fill */
	core_err_set(err, CORE_EINVALID_TOKEN, "signature_invalid",
		     "Invalid token: signature verification failed");
	return -1;
}
