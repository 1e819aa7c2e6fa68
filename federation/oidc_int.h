/* federation/oidc_int.h - internals shared inside federation/ (OIDC)
 *
 * Tests and the fuzz target include this header too.
 */
#ifndef FED_OIDC_INT_H
#define FED_OIDC_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <jansson.h>

#include "core/err.h"
#include "core/mem.h"
#include "federation/oidc.h"

#define FED_JWKS_MAX_KEYS 100	 /* more keys in one JWKS are ignored */
#define FED_JWK_MAX_FIELD 8192	 /* base64url length of n/x/y/kid */
#define FED_RSA_MIN_BITS 2048
#define FED_RSA_MAX_BITS 8192
#define FED_DISCOVERY_MAX_BYTES (64 * 1024)
#define FED_TAGS_MAX 50

enum fed_kty { FED_KTY_RSA = 1, FED_KTY_EC };

/* Supported JWS algorithms (RFC 7518 §3.1); anything else is refused. */
enum fed_alg {
	FED_ALG_NONE = 0,
	FED_ALG_RS256, FED_ALG_RS384, FED_ALG_RS512,
	FED_ALG_PS256, FED_ALG_PS384, FED_ALG_PS512,
	FED_ALG_ES256, FED_ALG_ES384, FED_ALG_ES512
};

/* One imported verification key; immutable once in a keyset. */
struct fed_jwk {
	char *kid;		/* NULL when the JWK has none */
	enum fed_kty kty;
	enum fed_alg alg;	/* FED_ALG_NONE: JWK did not restrict it */
	int curve_nid;		/* EC only */
	size_t coord_len;	/* EC only: bytes of r and of s */
	EVP_PKEY *pkey;
};

/* An immutable, refcounted set of keys shared between threads. */
struct fed_keyset {
	int refs;		/* atomic */
	struct fed_jwk *keys;
	size_t n;
	int64_t fetched_at;
	int64_t max_age;	/* from Cache-Control, 0: none */
};

/* jwks.c */
/**
 * Parse a JWKS document (bounded by FED_JWKS_MAX_BYTES) and import every
 * usable key. Unusable keys (use != sig, RSA < 2048 bits, unknown kty or
 * curve, malformed members) are skipped. 0: *out holds one reference.
 * -1: err set (CORE_EINVALID_TOKEN with reason "no_keys" or "malformed").
 */
int fed_jwks_parse(const char *buf, size_t len, struct fed_keyset **out,
		   struct core_err *err);
struct fed_keyset *fed_keyset_ref(struct fed_keyset *ks);
void fed_keyset_unref(struct fed_keyset *ks);

/** "RS256" → FED_ALG_RS256; FED_ALG_NONE for anything unsupported. */
enum fed_alg fed_alg_from_name(const char *name);
const char *fed_alg_name(enum fed_alg alg);

/* jwt.c */
struct fed_jwt {
	json_t *header;
	json_t *payload;
	enum fed_alg alg;
	const char *kid;	/* borrowed from header, or NULL */
	const char *signing_input; /* borrowed from the token */
	size_t signing_input_len;
	uint8_t *sig;
	size_t sig_len;
};

/**
 * Split and decode a compact JWS (RFC 7515 §7.1): bounds, base64url,
 * duplicate-free JSON objects, "crit" refused, alg parsed (not yet checked
 * against an allow-list). The token must stay alive while jwt is used.
 * 0: *jwt filled (fed_jwt_clear). -1: err set (CORE_EINVALID_TOKEN).
 */
int fed_jwt_parse(const char *token, size_t len, struct fed_jwt *jwt,
		  struct core_err *err);
void fed_jwt_clear(struct fed_jwt *jwt);

/**
 * Pick the key for the token: kid match (or the single compatible key when
 * there is no kid). NULL: err set; reason "kid_unknown" means a refetch
 * might help.
 */
const struct fed_jwk *fed_jwt_select_key(const struct fed_keyset *ks,
					 const struct fed_jwt *jwt,
					 struct core_err *err);

/** Verify the signature with key. 0 valid; -1 err "signature_invalid". */
int fed_jwt_verify_sig(const struct fed_jwt *jwt, const struct fed_jwk *key,
		       struct core_err *err);

/* fetch.c */
/**
 * GET url into out (bounded by max bytes) with libcurl. curl_global_init()
 * must have been called once by the program before threads start
 * (gateway/main.c does). 0: 200 response in out; *max_age set from
 * Cache-Control (0 if absent). -1: err CORE_EIDP_COMM.
 */
int fed_fetch_url(const char *url, int timeout, size_t max,
		  struct core_buf *out, int64_t *max_age, struct core_err *err);

/**
 * POST form (application/x-www-form-urlencoded, NUL-terminated) to url with
 * Accept: application/json, redirects not followed, and HTTP Basic
 * credentials when user is not NULL (sent as given; the caller encodes
 * them). 0: *status set and the body of whatever status in out (bounded by
 * max; core_buf_reset it). -1: unreachable or body too large, err
 * CORE_EIDP_COMM. Neither form nor credentials are logged.
 */
int fed_fetch_post_form(const char *url, const char *form, const char *user,
			const char *password, int timeout, size_t max,
			struct core_buf *out, long *status,
			struct core_err *err);

/**
 * Fetch the provider's keys: discovery (when jwks_uri is NULL) then JWKS.
 * 0: *out holds one reference. -1: err CORE_EIDP_COMM.
 */
int fed_fetch_keys(const char *issuer, const char *jwks_uri, int timeout,
		   int64_t now, struct fed_keyset **out, struct core_err *err);

/** Read a static JWKS file. 0 ok; -1 err CORE_ECONFIG. */
int fed_load_jwks_file(const char *path, int64_t now, struct fed_keyset **out,
		       struct core_err *err);

/* oidc_code.c: the pure parsing steps of the network calls (the fuzz
 * target calls them without a network). */
struct fed_oidc_endpoints;

/**
 * The token endpoint's answer (RFC 6749 §5.1/§5.2): body (len bytes, not
 * NUL-terminated, more than FED_OIDC_MAX_TOKEN_RESPONSE refused) and the
 * HTTP status. 0: *id_token set (malloc'd, caller wipes and frees). -1:
 * *id_token untouched, err CORE_EIDP_REJECTED (4xx with "error") or
 * CORE_EIDP_COMM (other status, not JSON, no id_token).
 */
int fed_oidc_parse_token_response(const char *body, size_t len,
				  long http_status, char **id_token,
				  struct core_err *err);

/**
 * A discovery document (body, len bytes, more than FED_OIDC_MAX_DISCOVERY
 * refused) whose "issuer" must equal issuer exactly. 0: out's two
 * endpoints set (malloc'd; fed_oidc_endpoints_clear). -1: out untouched,
 * err CORE_EIDP_COMM.
 */
int fed_oidc_parse_discovery(const char *issuer, const char *body,
			     size_t len, struct fed_oidc_endpoints *out,
			     struct core_err *err);

/* presets.c */
enum fed_preset {
	FED_PRESET_GENERIC = 0,
	FED_PRESET_GOOGLE,
	FED_PRESET_COGNITO_IDENTITY,
	FED_PRESET_COGNITO_USER_POOL,
	FED_PRESET_APPLE,
	FED_PRESET_FACEBOOK
};
enum fed_preset fed_preset_kind(const char *preset);
/** The preset whose issuer this is (claims derivation for generic configs). */
enum fed_preset fed_preset_by_issuer(const char *issuer);
/** Numeric and algorithm defaults where cfg leaves them unset; idempotent. */
void fed_oidc_config_defaults(struct fed_oidc_config *cfg);

/* claims.c */
/**
 * Check the claims of a signature-verified token against prov's config and
 * build the identity. Exposed for tests.
 */
struct fed_oidc_provider;
int fed_oidc_check_claims(const struct fed_oidc_provider *prov,
			  const json_t *payload, int64_t now, int skew,
			  struct fed_identity **out, struct core_err *err);

/* Read-only views of a provider, for claims.c. */
const struct fed_oidc_config *fed_oidc_prov_config(
    const struct fed_oidc_provider *p);
const char *fed_oidc_prov_id(const struct fed_oidc_provider *p);
enum fed_preset fed_oidc_prov_kind(const struct fed_oidc_provider *p);

/**
 * Install a keyset on the set's provider i as if fetched (takes one
 * reference). For tests and the fuzz target.
 */
void fed_oidc_set_keys(struct fed_oidc_set *set, size_t i,
		       struct fed_keyset *ks);

#endif /* FED_OIDC_INT_H */
