/* federation/jwks.c - JWK Set parsing and key import (RFC 7517, RFC 7518 §6)
 *
 * Keys are imported into EVP_PKEYs once per JWKS load, never per request.
 * A keyset is immutable after parsing and shared between threads by
 * reference count.
 */
#include "federation/oidc_int.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "core/b64.h"
#include "core/log.h"

static const struct {
	const char *name;
	enum fed_alg alg;
} alg_names[] = {
	{"RS256", FED_ALG_RS256}, {"RS384", FED_ALG_RS384},
	{"RS512", FED_ALG_RS512}, {"PS256", FED_ALG_PS256},
	{"PS384", FED_ALG_PS384}, {"PS512", FED_ALG_PS512},
	{"ES256", FED_ALG_ES256}, {"ES384", FED_ALG_ES384},
	{"ES512", FED_ALG_ES512},
};

static const struct {
	const char *crv;
	const char *group;
	int nid;
	size_t len;
} curves[] = {
	{"P-256", "prime256v1", NID_X9_62_prime256v1, 32},
	{"P-384", "secp384r1", NID_secp384r1, 48},
	{"P-521", "secp521r1", NID_secp521r1, 66},
};

enum fed_alg
fed_alg_from_name(const char *name)
{
	if (name == NULL)
		return FED_ALG_NONE;
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (strcmp(name, alg_names[i].name) == 0)
			return alg_names[i].alg;
	return FED_ALG_NONE;
}

const char *
fed_alg_name(enum fed_alg alg)
{
	for (size_t i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "none";
}

struct fed_keyset *
fed_keyset_ref(struct fed_keyset *ks)
{
	if (ks != NULL)
		__atomic_add_fetch(&ks->refs, 1, __ATOMIC_RELAXED);
	return ks;
}

void
fed_keyset_unref(struct fed_keyset *ks)
{
	if (ks == NULL)
		return;
	if (__atomic_sub_fetch(&ks->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < ks->n; i++) {
		free(ks->keys[i].kid);
		EVP_PKEY_free(ks->keys[i].pkey);
	}
	free(ks->keys);
	free(ks);
}

/* Strictly decode a base64url JWK member; NULL if absent or bad. */
static uint8_t *
jwk_b64(const json_t *jwk, const char *name, size_t *len)
{
	const json_t *v = json_object_get(jwk, name);
	const char *s;
	size_t slen;

	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	slen = json_string_length(v);
	if (slen == 0 || slen > FED_JWK_MAX_FIELD)
		return NULL;
	return core_b64url_decode(s, slen, len);
}

static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (params == NULL)
		return NULL;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
jwk_import_rsa(const json_t *jwk, const char *kid)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t *nb, *eb;
	size_t nlen = 0, elen = 0;
	int bits;

	nb = jwk_b64(jwk, "n", &nlen);
	eb = jwk_b64(jwk, "e", &elen);
	if (nb == NULL || eb == NULL || elen > 8)
		goto out;
	n = BN_bin2bn(nb, (int)nlen, NULL);
	e = BN_bin2bn(eb, (int)elen, NULL);
	if (n == NULL || e == NULL || !BN_is_odd(e) || BN_is_one(e))
		goto out;
	bits = BN_num_bits(n);
	/* RFC 7518 §3.3: keys under 2048 bits must not be used. */
	if (bits < FED_RSA_MIN_BITS || bits > FED_RSA_MAX_BITS) {
		log_info("%s: JWK %s: RSA key of %d bits ignored", __func__,
			 kid != NULL ? kid : "(no kid)", bits);
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto out;
	pkey = pkey_fromdata("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return pkey;
}

static EVP_PKEY *
jwk_import_ec(const json_t *jwk, int *nid, size_t *coord_len)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	uint8_t *x = NULL, *y = NULL, pub[1 + 2 * 66];
	size_t xlen = 0, ylen = 0, i, clen;

	if (crv == NULL)
		return NULL;
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(crv, curves[i].crv) == 0)
			break;
	if (i == sizeof(curves) / sizeof(curves[0]))
		return NULL;
	clen = curves[i].len;
	x = jwk_b64(jwk, "x", &xlen);
	y = jwk_b64(jwk, "y", &ylen);
	/* RFC 7518 §6.2.1.2: coordinates are full length. */
	if (x == NULL || y == NULL || xlen != clen || ylen != clen)
		goto out;
	pub[0] = 0x04; /* SEC1 uncompressed point */
	memcpy(pub + 1, x, clen);
	memcpy(pub + 1 + clen, y, clen);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     curves[i].group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      pub, 1 + 2 * clen))
		goto out;
	/* fromdata decodes the point, which rejects points off the curve. */
	pkey = pkey_fromdata("EC", bld);
	*nid = curves[i].nid;
	*coord_len = clen;
out:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pkey;
}

/* The alg a JWK is restricted to must fit its key type. */
static int
jwk_alg_fits(enum fed_kty kty, enum fed_alg alg, int nid)
{
	switch (alg) {
	case FED_ALG_RS256: case FED_ALG_RS384: case FED_ALG_RS512:
	case FED_ALG_PS256: case FED_ALG_PS384: case FED_ALG_PS512:
		return kty == FED_KTY_RSA;
	case FED_ALG_ES256:
		return kty == FED_KTY_EC && nid == NID_X9_62_prime256v1;
	case FED_ALG_ES384:
		return kty == FED_KTY_EC && nid == NID_secp384r1;
	case FED_ALG_ES512:
		return kty == FED_KTY_EC && nid == NID_secp521r1;
	default:
		return 0;
	}
}

/* 0: key imported into *k; -1: the key is skipped (not an error). */
static int
jwk_import(const json_t *jwk, struct fed_jwk *k)
{
	const json_t *v;
	const char *kty, *kid = NULL;

	memset(k, 0, sizeof(*k));
	if (!json_is_object(jwk))
		return -1;
	kty = json_string_value(json_object_get(jwk, "kty"));
	v = json_object_get(jwk, "use");
	if (kty == NULL || (v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), "sig") != 0)))
		return -1;
	v = json_object_get(jwk, "kid");
	if (v != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > FED_JWK_MAX_FIELD)
			return -1;
		kid = json_string_value(v);
	}
	v = json_object_get(jwk, "alg");
	if (v != NULL) {
		k->alg = fed_alg_from_name(json_string_value(v));
		if (k->alg == FED_ALG_NONE)
			return -1;
	}
	if (strcmp(kty, "RSA") == 0) {
		k->kty = FED_KTY_RSA;
		k->pkey = jwk_import_rsa(jwk, kid);
	} else if (strcmp(kty, "EC") == 0) {
		k->kty = FED_KTY_EC;
		k->pkey = jwk_import_ec(jwk, &k->curve_nid, &k->coord_len);
	}
	if (k->pkey == NULL ||
	    (k->alg != FED_ALG_NONE &&
	     !jwk_alg_fits(k->kty, k->alg, k->curve_nid))) {
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
		return -1;
	}
	k->kid = kid != NULL ? core_xstrdup(kid) : NULL;
	return 0;
}

int
fed_jwks_parse(const char *buf, size_t len, struct fed_keyset **out,
	       struct core_err *err)
{
	struct fed_keyset *ks;
	json_error_t jerr;
	json_t *root, *keys;
	size_t i, n;

	if (len > FED_JWKS_MAX_BYTES) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "JWKS larger than %d bytes", FED_JWKS_MAX_BYTES);
		return -1;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	keys = json_object_get(root, "keys");
	if (!json_is_array(keys)) {
		json_decref(root);
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "JWKS is not a JSON object with a keys array");
		return -1;
	}
	n = json_array_size(keys);
	if (n > FED_JWKS_MAX_KEYS)
		n = FED_JWKS_MAX_KEYS;
	ks = core_xcalloc(1, sizeof(*ks));
	ks->refs = 1;
	ks->keys = core_xcalloc(n > 0 ? n : 1, sizeof(*ks->keys));
	for (i = 0; i < n; i++)
		if (jwk_import(json_array_get(keys, i), &ks->keys[ks->n]) == 0)
			ks->n++;
	json_decref(root);
	if (ks->n == 0) {
		fed_keyset_unref(ks);
		core_err_set(err, CORE_EINVALID_TOKEN, "no_keys",
			     "JWKS holds no usable signing key");
		return -1;
	}
	*out = ks;
	return 0;
}
