/* federation/oidc.h - OIDC ID token validation against configured providers
 *
 * Our own thin verifier on OpenSSL/cjose + jansson (liboauth2 1.4.5.4 was
 * rejected: it never checks iss/aud/nbf; see README "Dependencies").
 * Rules: ../shared/reference issue [1/5] "Rules where a choice had to be made".
 */
#ifndef FED_OIDC_H
#define FED_OIDC_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FED_JWT_MAX_LEN 20000 /* AWS's WebIdentityToken limit */
#define FED_JWKS_MAX_BYTES (512 * 1024)
#define FED_OIDC_MAX_AUDIENCES 100
#define FED_OIDC_MAX_ALGS 16

/* Provider configuration, filled by gateway/conf.c, read-only afterwards. */
struct fed_oidc_config {
	char *name;		/* "google" */
	char *preset;		/* NULL, "google", "cognito-identity", "cognito-user-pool",
				   "apple", "facebook" (presets fill issuer/jwks_uri/checks) */
	char *issuer;		/* exact iss, e.g. "https://accounts.google.com" */
	char **issuer_aliases;	/* other accepted iss spellings (Google: "accounts.google.com") */
	size_t n_issuer_aliases;
	char **audiences;
	size_t n_audiences;
	char *jwks_uri;		/* NULL: discovery from issuer */
	char *jwks_file;	/* static JWKS, exclusive with jwks_uri */
	char **algorithms;	/* allow-list; default RS256 RS384 RS512 PS256 ES256 ES384 */
	size_t n_algorithms;
	/* Preset-driven claim checks (NULL: none). */
	char *require_token_use; /* Cognito user pool: "id" */
	int jwks_refresh_seconds;	/* max cache age; default 3600 */
	int jwks_min_refetch_seconds;	/* unknown-kid refetch limit; default 30 */
	int http_timeout_seconds;	/* libcurl total timeout; default 5 */
	int replay_protection;	/* 1: each token (jti) is accepted once;
				   the gateway records it in its store */
};

/**
 * Apply a preset's defaults to cfg where cfg leaves them unset.
 * 0 ok; -1 unknown preset (err CORE_ECONFIG with message).
 */
int fed_oidc_apply_preset(struct fed_oidc_config *cfg, struct core_err *err);
void fed_oidc_config_clear(struct fed_oidc_config *cfg);

struct fed_oidc_provider; /* config + JWKS cache; thread-safe */
struct fed_oidc_set;	  /* all providers, lookup by iss */

/** Build a set; takes ownership of the configs' contents (configs zeroed). */
struct fed_oidc_set *fed_oidc_set_new(struct fed_oidc_config *cfgs, size_t n);
void fed_oidc_set_free(struct fed_oidc_set *set);

/**
 * Load keys for every provider now (jwks_file read, or discovery + jwks_uri
 * fetched). Failure to fetch is not fatal (the provider is degraded and
 * retried on demand); a bad jwks_file is (returns -1 with err CORE_ECONFIG).
 */
int fed_oidc_set_prefetch(struct fed_oidc_set *set, struct core_err *err);

/**
 * Give dst's providers the keys src's same-named providers hold when their
 * issuer and key source are unchanged (configuration reload). Refcounted:
 * both sets may be used afterwards.
 */
void fed_oidc_set_adopt_keys(struct fed_oidc_set *dst, struct fed_oidc_set *src);

/** Readiness: JSON-able per-provider status. Returns provider count. */
size_t fed_oidc_set_count(const struct fed_oidc_set *set);
const char *fed_oidc_provider_name(const struct fed_oidc_set *set, size_t i);
/** 1 if the provider currently holds usable keys. */
int fed_oidc_provider_ready(const struct fed_oidc_set *set, size_t i);

/** When provider i's current keys were loaded (epoch seconds); 0: none. */
int64_t fed_oidc_provider_keys_at(const struct fed_oidc_set *set, size_t i);

/**
 * Called after every fetch of a provider's keys from its IdP (discovery +
 * jwks_uri; reading a jwks_file is not a fetch) with the provider's name
 * and 1 ok / 0 failed. For metrics: must be quick and thread-safe. Set it
 * before threads start; NULL removes it.
 */
typedef void (*fed_oidc_fetch_fn)(const char *provider, int ok);
void fed_oidc_set_fetch_observer(fed_oidc_fetch_fn fn);

/**
 * Name of the configured provider whose issuer the token's iss names,
 * without verifying anything: for labelling a failed fed_oidc_verify.
 * NULL if the token does not parse or no provider matches. Borrowed from
 * set.
 */
const char *fed_oidc_token_provider(struct fed_oidc_set *set,
				    const char *token, size_t len);

/* One claim as a condition-key value list. */
struct fed_claim_kv {
	char *key;   /* "<issuer host+path>:<claim>", e.g. "accounts.google.com:sub" */
	char **values; /* one for scalars; several for arrays (amr) */
	size_t n_values;
	int multi;   /* claim was an array */
};

struct fed_tag {
	char *key;
	char *value;
	int transitive;
};

/* A validated identity. Owned by the caller: fed_identity_free. */
struct fed_identity {
	char *provider_name;	/* config name */
	char *issuer;		/* iss claim exactly as in the token (Provider element) */
	char *provider_id;	/* issuer without scheme: "accounts.google.com",
				   "127.0.0.1:9000/oidc"; prefix of condition keys */
	char *subject;		/* sub */
	char *audience;		/* the configured audience that matched (Audience element) */
	char *source_identity;	/* https://aws.amazon.com/source_identity claim or NULL */
	int64_t exp, iat;
	struct fed_claim_kv *claims; /* every top-level claim + AWS's derived keys
					(Google :aud = azp-or-aud, :oaud) */
	size_t n_claims;
	struct fed_tag *tags;	/* from https://aws.amazon.com/tags (both shapes) */
	size_t n_tags;
	char jti_hash[17];	/* short SHA-256 prefix of jti (or token) for logs */
	char jti_sha256[65];	/* full SHA-256 hex of jti (or of the whole
				   token when it has none): the replay key */
	int replay_protection;	/* the provider's replay_protection */
};

/**
 * Validate a compact JWS ID token: provider chosen by exact iss match,
 * alg on the provider allow-list (never none/HS*), kid selects the key
 * (unknown kid → one rate-limited JWKS refetch), signature, exp required,
 * nbf/iat with skew, aud/azp against the provider audiences, crit refused,
 * duplicate JSON members refused, sub without control characters.
 * err codes: CORE_EINVALID_TOKEN, CORE_EEXPIRED_TOKEN, CORE_EIDP_COMM
 * (no usable keys at all). err.reason names the cause for the audit log.
 * Never logs or copies the token into messages.
 */
int fed_oidc_verify(struct fed_oidc_set *set, const char *token, size_t len,
		    int64_t now, int skew, struct fed_identity **out,
		    struct core_err *err);

void fed_identity_free(struct fed_identity *id);

/** "scheme://host/path" → "host/path" (no trailing-slash change). */
char *fed_oidc_provider_id(const char *issuer);

#endif /* FED_OIDC_H */
