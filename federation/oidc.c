/* federation/oidc.c - OIDC providers, JWKS cache, ID token verification
 *
 * Each provider holds its current keyset as a refcounted immutable object.
 * A request takes a reference under the provider mutex and verifies without
 * holding it; a refresh builds a new keyset outside the lock and swaps the
 * pointer. Fetches are single-flight per provider and rate-limited
 * (jwks_min_refetch_seconds), and a failed refresh keeps the last good keys.
 */
#include "federation/oidc_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/sha.h>

#include "core/log.h"
#include "core/timeutil.h"

struct fed_oidc_provider {
	struct fed_oidc_config cfg;
	char *provider_id;	/* condition-key prefix */
	enum fed_preset kind;
	int algs[FED_ALG_ES512 + 1]; /* allow-list by enum fed_alg */

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fed_keyset *keys; /* current; NULL until a load succeeds */
	int fetching;		/* a thread is fetching (single flight) */
	unsigned long gen;	/* bumped after every fetch attempt */
	int attempted;
	int64_t last_attempt;
};

struct fed_oidc_set {
	struct fed_oidc_provider *prov;
	size_t n;
};

static _Atomic(fed_oidc_fetch_fn) fetch_observer;

void
fed_oidc_set_fetch_observer(fed_oidc_fetch_fn fn)
{
	atomic_store(&fetch_observer, fn);
}

char *
fed_oidc_provider_id(const char *issuer)
{
	if (issuer == NULL)
		return NULL;
	if (strncmp(issuer, "https://", 8) == 0)
		return core_xstrdup(issuer + 8);
	if (strncmp(issuer, "http://", 7) == 0)
		return core_xstrdup(issuer + 7);
	return core_xstrdup(issuer);
}

static void
prov_init(struct fed_oidc_provider *p, struct fed_oidc_config *cfg)
{
	p->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg)); /* ownership moved */
	fed_oidc_config_defaults(&p->cfg);
	p->kind = fed_preset_kind(p->cfg.preset);
	if (p->kind == FED_PRESET_GENERIC)
		p->kind = fed_preset_by_issuer(p->cfg.issuer);
	/* AWS keys Google's claims as accounts.google.com whatever iss says. */
	if (p->kind == FED_PRESET_GOOGLE)
		p->provider_id = core_xstrdup("accounts.google.com");
	else
		p->provider_id = fed_oidc_provider_id(p->cfg.issuer != NULL ?
		    p->cfg.issuer : "");
	for (size_t i = 0; i < p->cfg.n_algorithms; i++)
		p->algs[fed_alg_from_name(p->cfg.algorithms[i])] = 1;
	p->algs[FED_ALG_NONE] = 0;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
}

struct fed_oidc_set *
fed_oidc_set_new(struct fed_oidc_config *cfgs, size_t n)
{
	struct fed_oidc_set *set = core_xcalloc(1, sizeof(*set));

	set->prov = core_xcalloc(n > 0 ? n : 1, sizeof(*set->prov));
	set->n = n;
	for (size_t i = 0; i < n; i++)
		prov_init(&set->prov[i], &cfgs[i]);
	return set;
}

void
fed_oidc_set_free(struct fed_oidc_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		struct fed_oidc_provider *p = &set->prov[i];

		fed_keyset_unref(p->keys);
		fed_oidc_config_clear(&p->cfg);
		free(p->provider_id);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
	free(set->prov);
	free(set);
}

size_t
fed_oidc_set_count(const struct fed_oidc_set *set)
{
	return set != NULL ? set->n : 0;
}

const char *
fed_oidc_provider_name(const struct fed_oidc_set *set, size_t i)
{
	return i < fed_oidc_set_count(set) ? set->prov[i].cfg.name : NULL;
}

int
fed_oidc_provider_ready(const struct fed_oidc_set *set, size_t i)
{
	struct fed_oidc_provider *p;
	int ready;

	if (i >= fed_oidc_set_count(set))
		return 0;
	p = &set->prov[i];
	pthread_mutex_lock(&p->mu);
	ready = p->keys != NULL;
	pthread_mutex_unlock(&p->mu);
	return ready;
}

int64_t
fed_oidc_provider_keys_at(const struct fed_oidc_set *set, size_t i)
{
	struct fed_oidc_provider *p;
	int64_t at;

	if (i >= fed_oidc_set_count(set))
		return 0;
	p = &set->prov[i];
	pthread_mutex_lock(&p->mu);
	at = p->keys != NULL ? p->keys->fetched_at : 0;
	pthread_mutex_unlock(&p->mu);
	return at;
}

/* Swap in a new keyset (takes the caller's reference). Caller holds mu. */
static void
prov_install(struct fed_oidc_provider *p, struct fed_keyset *ks)
{
	fed_keyset_unref(p->keys);
	p->keys = ks;
}

void
fed_oidc_set_keys(struct fed_oidc_set *set, size_t i, struct fed_keyset *ks)
{
	struct fed_oidc_provider *p = &set->prov[i];

	pthread_mutex_lock(&p->mu);
	prov_install(p, ks);
	pthread_mutex_unlock(&p->mu);
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * A reload builds a new set; keys a provider already holds must not be
 * thrown away (an IdP down during a SIGHUP would otherwise leave it with
 * none). Only providers whose key source is unchanged adopt them.
 */
void
fed_oidc_set_adopt_keys(struct fed_oidc_set *dst, struct fed_oidc_set *src)
{
	for (size_t i = 0; dst != NULL && src != NULL && i < dst->n; i++) {
		struct fed_oidc_provider *d = &dst->prov[i];

		for (size_t j = 0; j < src->n; j++) {
			struct fed_oidc_provider *o = &src->prov[j];
			struct fed_keyset *ks;

			if (!same_str(d->cfg.name, o->cfg.name) ||
			    !same_str(d->cfg.issuer, o->cfg.issuer) ||
			    !same_str(d->cfg.jwks_uri, o->cfg.jwks_uri) ||
			    !same_str(d->cfg.jwks_file, o->cfg.jwks_file))
				continue;
			pthread_mutex_lock(&o->mu);
			ks = fed_keyset_ref(o->keys);
			pthread_mutex_unlock(&o->mu);
			if (ks != NULL)
				fed_oidc_set_keys(dst, i, ks);
			break;
		}
	}
}

/* Fetch without holding the lock. 0 ok (*out set), -1 err set. */
static int
prov_load(const struct fed_oidc_provider *p, int64_t now,
	  struct fed_keyset **out, struct core_err *err)
{
	fed_oidc_fetch_fn observe = atomic_load(&fetch_observer);
	int rc;

	if (p->cfg.jwks_file != NULL)
		return fed_load_jwks_file(p->cfg.jwks_file, now, out, err);
	rc = fed_fetch_keys(p->cfg.issuer, p->cfg.jwks_uri,
			    p->cfg.http_timeout_seconds, now, out, err);
	if (observe != NULL)
		observe(p->cfg.name, rc == 0);
	return rc;
}

int
fed_oidc_set_prefetch(struct fed_oidc_set *set, struct core_err *err)
{
	int64_t now = core_now();

	for (size_t i = 0; i < fed_oidc_set_count(set); i++) {
		struct fed_oidc_provider *p = &set->prov[i];
		struct core_err ferr = {0};
		struct fed_keyset *ks;

		if (prov_load(p, now, &ks, &ferr) == 0) {
			fed_oidc_set_keys(set, i, ks);
			continue;
		}
		if (p->cfg.jwks_file != NULL) {
			core_err_set(err, CORE_ECONFIG, ferr.reason,
				     "provider %s: %s", p->cfg.name, ferr.msg);
			return -1;
		}
		/* Degraded, not fatal: retried when a token needs the keys. */
		log_warnx("%s: provider %s: %s, will retry on demand", __func__,
			  p->cfg.name, p->keys != NULL ? "fetch failed, keeping "
			  "the keys it had" : "no keys yet");
	}
	return 0;
}

/* How long fetched keys are fresh: Cache-Control max-age, capped. */
static int
keys_stale(const struct fed_oidc_provider *p, const struct fed_keyset *ks,
	   int64_t now)
{
	int64_t age = p->cfg.jwks_refresh_seconds;

	if (ks == NULL)
		return 1;
	if (p->cfg.jwks_file != NULL)
		return 0; /* a static file is read once */
	if (ks->max_age > 0 && ks->max_age < age)
		age = ks->max_age;
	if (age < p->cfg.jwks_min_refetch_seconds)
		age = p->cfg.jwks_min_refetch_seconds;
	return now - ks->fetched_at >= age;
}

/* Rate limit: at most one fetch per jwks_min_refetch_seconds. */
static int
may_fetch(const struct fed_oidc_provider *p, int64_t now)
{
	return !p->attempted || now < p->last_attempt ||
	    now - p->last_attempt >= p->cfg.jwks_min_refetch_seconds;
}

/* One fetch as the single-flight leader. Called and returns with mu held. */
static void
prov_refresh_locked(struct fed_oidc_provider *p, int64_t now)
{
	/* A failed refresh is not the caller's error while the last good
	 * keys remain; prov_get_keys reports IDPCommunicationError only
	 * when there are none. */
	struct core_err ferr = {0};
	struct fed_keyset *ks = NULL;
	int rc;

	p->fetching = 1;
	p->attempted = 1;
	p->last_attempt = now;
	pthread_mutex_unlock(&p->mu);
	rc = prov_load(p, now, &ks, &ferr);
	pthread_mutex_lock(&p->mu);
	p->fetching = 0;
	p->gen++;
	if (rc == 0)
		prov_install(p, ks);
	else if (p->keys != NULL)
		log_warnx("%s: provider %s: refresh failed (%s), keeping "
			  "last good keys", __func__, p->cfg.name, ferr.msg);
	else
		log_warnx("%s: provider %s: no keys: %s", __func__,
			  p->cfg.name, ferr.msg);
	pthread_cond_broadcast(&p->cv);
}

/*
 * A reference to usable keys, refreshing them if stale (or, with force,
 * because a kid was unknown). NULL: no keys at all (err CORE_EIDP_COMM).
 */
static struct fed_keyset *
prov_get_keys(struct fed_oidc_provider *p, int64_t now, int force,
	      struct core_err *err)
{
	struct fed_keyset *ks;
	unsigned long gen;

	pthread_mutex_lock(&p->mu);
	gen = p->gen;
	while (force || keys_stale(p, p->keys, now)) {
		if (p->fetching) {
			/* Others use the current keys; wait only if none. */
			if (p->keys != NULL && !force)
				break;
			pthread_cond_wait(&p->cv, &p->mu);
			if (p->gen != gen)
				break;
			continue;
		}
		if (!may_fetch(p, now) ||
		    (force && p->cfg.jwks_file != NULL))
			break;
		prov_refresh_locked(p, now);
		break;
	}
	ks = fed_keyset_ref(p->keys);
	pthread_mutex_unlock(&p->mu);
	if (ks == NULL)
		core_err_set(err, CORE_EIDP_COMM, "idp_unreachable",
			     "Couldn't retrieve verification key from your "
			     "identity provider,  please reference "
			     "AssumeRoleWithWebIdentity documentation for "
			     "requirements");
	return ks;
}

static int
iss_matches(const struct fed_oidc_provider *p, const char *iss)
{
	if (p->cfg.issuer != NULL && strcmp(p->cfg.issuer, iss) == 0)
		return 1;
	for (size_t i = 0; i < p->cfg.n_issuer_aliases; i++)
		if (strcmp(p->cfg.issuer_aliases[i], iss) == 0)
			return 1;
	return 0;
}

/* Echo the issuer as AWS does, but only when it is short printable ASCII. */
static void
err_unknown_issuer(const char *iss, struct core_err *err)
{
	size_t n = 0;

	for (; iss[n] != '\0' && n <= 200; n++)
		if (iss[n] < 0x20 || iss[n] > 0x7e)
			break;
	if (iss[n] == '\0' && n > 0)
		core_err_set(err, CORE_EINVALID_TOKEN, "issuer_unknown",
			     "No OpenIDConnect provider found in your account "
			     "for %s", iss);
	else
		core_err_set(err, CORE_EINVALID_TOKEN, "issuer_unknown",
			     "No OpenIDConnect provider found in your account "
			     "for the token's issuer");
}

static struct fed_oidc_provider *
find_provider(struct fed_oidc_set *set, const json_t *payload,
	      struct core_err *err)
{
	const json_t *v = json_object_get(payload, "iss");

	if (!json_is_string(v)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "issuer_unknown",
			     "Invalid token: missing iss claim");
		return NULL;
	}
	for (size_t i = 0; i < fed_oidc_set_count(set); i++)
		if (iss_matches(&set->prov[i], json_string_value(v)))
			return &set->prov[i];
	err_unknown_issuer(json_string_value(v), err);
	return NULL;
}

const char *
fed_oidc_token_provider(struct fed_oidc_set *set, const char *token,
			size_t len)
{
	struct core_err err = {0};
	struct fed_oidc_provider *p;
	struct fed_jwt jwt;

	if (fed_jwt_parse(token, len, &jwt, &err) == -1)
		return NULL;
	p = find_provider(set, jwt.payload, &err);
	fed_jwt_clear(&jwt);
	return p != NULL ? p->cfg.name : NULL;
}

/* Key lookup with one rate-limited refetch on an unknown kid. */
static struct fed_keyset *
keys_for_token(struct fed_oidc_provider *p, const struct fed_jwt *jwt,
	       int64_t now, const struct fed_jwk **key, struct core_err *err)
{
	struct core_err kerr = {0};
	struct fed_keyset *ks;

	ks = prov_get_keys(p, now, 0, err);
	if (ks == NULL)
		return NULL;
	*key = fed_jwt_select_key(ks, jwt, &kerr);
	if (*key != NULL)
		return ks;
	if (kerr.reason == NULL || strcmp(kerr.reason, "kid_unknown") != 0) {
		core_err_set(err, kerr.code, kerr.reason, "%s", kerr.msg);
		fed_keyset_unref(ks);
		return NULL;
	}
	/* Maybe the IdP rotated keys (OIDC Core §10.1.1). */
	fed_keyset_unref(ks);
	ks = prov_get_keys(p, now, 1, err);
	if (ks == NULL)
		return NULL;
	*key = fed_jwt_select_key(ks, jwt, err);
	if (*key == NULL) {
		fed_keyset_unref(ks);
		return NULL;
	}
	return ks;
}

/* Hex SHA-256 of jti, or of the whole token when it carries none: the
 * full digest is the replay key, its first 16 digits name it in logs. */
static void
jti_hash(const json_t *payload, const char *token, size_t len,
	 struct fed_identity *id)
{
	static const char hex[] = "0123456789abcdef";
	const json_t *jti = json_object_get(payload, "jti");
	uint8_t md[SHA256_DIGEST_LENGTH];

	if (json_is_string(jti))
		SHA256((const uint8_t *)json_string_value(jti),
		       json_string_length(jti), md);
	else
		SHA256((const uint8_t *)token, len, md);
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		id->jti_sha256[2 * i] = hex[md[i] >> 4];
		id->jti_sha256[2 * i + 1] = hex[md[i] & 0xf];
	}
	id->jti_sha256[64] = '\0';
	memcpy(id->jti_hash, id->jti_sha256, 16);
	id->jti_hash[16] = '\0';
}

int
fed_oidc_verify(struct fed_oidc_set *set, const char *token, size_t len,
		int64_t now, int skew, struct fed_identity **out,
		struct core_err *err)
{
	struct fed_oidc_provider *p;
	const struct fed_jwk *key = NULL;
	struct fed_keyset *ks = NULL;
	struct fed_identity *id = NULL;
	struct fed_jwt jwt;
	int rc = -1;

	if (fed_jwt_parse(token, len, &jwt, err) == -1)
		return -1;
	p = find_provider(set, jwt.payload, err);
	if (p == NULL)
		goto out;
	if (!p->algs[jwt.alg]) {
		core_err_set(err, CORE_EINVALID_TOKEN, "alg_not_allowed",
			     "Invalid token: signing algorithm %s not allowed",
			     fed_alg_name(jwt.alg));
		goto out;
	}
	ks = keys_for_token(p, &jwt, now, &key, err);
	if (ks == NULL || fed_jwt_verify_sig(&jwt, key, err) == -1)
		goto out;
	if (fed_oidc_check_claims(p, jwt.payload, now, skew, &id, err) == -1)
		goto out;
	jti_hash(jwt.payload, token, len, id);
	id->replay_protection = p->cfg.replay_protection;
	*out = id;
	rc = 0;
out:
	fed_keyset_unref(ks);
	fed_jwt_clear(&jwt);
	return rc;
}

/* Accessors for claims.c, which does not see the struct layout. */
const struct fed_oidc_config *
fed_oidc_prov_config(const struct fed_oidc_provider *p)
{
	return &p->cfg;
}

const char *
fed_oidc_prov_id(const struct fed_oidc_provider *p)
{
	return p->provider_id;
}

enum fed_preset
fed_oidc_prov_kind(const struct fed_oidc_provider *p)
{
	return p->kind;
}
