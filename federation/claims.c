/* federation/claims.c - ID token claim checks and the validated identity
 *
 * Runs only after the signature has been verified. Time claims follow
 * RFC 7519 §4.1.4-4.1.6 with exactly the configured skew; aud/azp follow
 * OIDC Core §3.1.3.7 items 3-5.
 */
#include "federation/oidc_int.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

#define TAGS_CLAIM "https://aws.amazon.com/tags"
#define SOURCE_IDENTITY_CLAIM "https://aws.amazon.com/source_identity"
#define SUB_MAX 255

static int
claim_time(const json_t *payload, const char *name, int64_t *out,
	   struct core_err *err)
{
	const json_t *v = json_object_get(payload, name);

	if (v == NULL)
		return 0;
	/* AWS: "Timestamps ... must be formatted as an integer". */
	if (!json_is_integer(v)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "malformed",
			     "Invalid token: %s is not an integer", name);
		return -1;
	}
	*out = json_integer_value(v);
	return 1;
}

static int
check_times(const json_t *payload, int64_t now, int skew, int64_t *exp,
	    int64_t *iat, struct core_err *err)
{
	int64_t nbf = 0;
	int r;

	r = claim_time(payload, "exp", exp, err);
	if (r == 0)
		core_err_set(err, CORE_EINVALID_TOKEN, "exp_missing",
			     "Invalid token: the exp claim is required");
	if (r != 1)
		return -1;
	/* now > exp + skew, written so that it cannot overflow. */
	if (*exp < now - skew) {
		core_err_set(err, CORE_EEXPIRED_TOKEN, "expired",
			     "Token expired: current date/time %" PRId64
			     " must be before the expiration date/time %" PRId64,
			     now, *exp);
		return -1;
	}
	r = claim_time(payload, "nbf", &nbf, err);
	if (r == -1)
		return -1;
	if (r == 1 && nbf > now + skew) {
		core_err_set(err, CORE_EINVALID_TOKEN, "not_yet_valid",
			     "Invalid token: the token is not yet valid");
		return -1;
	}
	r = claim_time(payload, "iat", iat, err);
	if (r == -1)
		return -1;
	if (r == 1 && *iat > now + skew) {
		core_err_set(err, CORE_EINVALID_TOKEN, "iat_future",
			     "Invalid token: the token was issued in the "
			     "future");
		return -1;
	}
	return 0;
}

static int
is_audience(const struct fed_oidc_config *cfg, const char *s)
{
	for (size_t i = 0; s != NULL && i < cfg->n_audiences; i++)
		if (strcmp(cfg->audiences[i], s) == 0)
			return 1;
	return 0;
}

/* The configured audience found in aud; NULL with err set if none. */
static const char *
check_audience(const struct fed_oidc_config *cfg, const json_t *payload,
	       struct core_err *err)
{
	const json_t *aud = json_object_get(payload, "aud"), *azp, *v;
	const char *match = NULL;
	size_t i;

	if (json_is_string(aud) && is_audience(cfg, json_string_value(aud)))
		match = json_string_value(aud);
	json_array_foreach(aud, i, v)
		if (match == NULL && is_audience(cfg, json_string_value(v)))
			match = json_string_value(v);
	if (match == NULL) {
		core_err_set(err, CORE_EINVALID_TOKEN, "audience_mismatch",
			     "Incorrect token audience");
		return NULL;
	}
	azp = json_object_get(payload, "azp");
	if (azp != NULL && !is_audience(cfg, json_string_value(azp))) {
		core_err_set(err, CORE_EINVALID_TOKEN, "azp_mismatch",
			     "Incorrect token audience (azp)");
		return NULL;
	}
	return match;
}

static const char *
check_subject(const json_t *payload, struct core_err *err)
{
	const json_t *sub = json_object_get(payload, "sub");
	size_t n = json_string_length(sub);
	const char *s = json_string_value(sub);

	for (size_t i = 0; s != NULL && i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			s = NULL;
			break;
		}
	}
	if (s == NULL || n == 0 || n > SUB_MAX) {
		core_err_set(err, CORE_EINVALID_TOKEN, "sub_invalid",
			     "Invalid token: sub must be 1 to %d characters "
			     "without control characters", SUB_MAX);
		return NULL;
	}
	return s;
}

/* AWS SourceIdentity: 2..64 of [\w+=,.@-]. */
static int
source_identity_ok(const char *s, size_t n)
{
	if (n < 2 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr("_+=,.@-", c) != NULL))
			return 0;
	}
	return 1;
}

static int
tags_fail(struct core_err *err, const char *what)
{
	core_err_set(err, CORE_EINVALID_TOKEN, "tags_invalid",
		     "Invalid token: session tags claim: %s", what);
	return -1;
}

static struct fed_tag *
tag_find(struct fed_identity *id, const char *key)
{
	/* Tag keys are case-insensitive but case-preserving (IAM). */
	for (size_t i = 0; i < id->n_tags; i++)
		if (strcasecmp(id->tags[i].key, key) == 0)
			return &id->tags[i];
	return NULL;
}

static int
tags_add(struct fed_identity *id, const char *key, const json_t *val,
	 struct core_err *err)
{
	struct fed_tag *t;

	/* AWS: one value per session tag, as ["v"] (or "v"). */
	if (json_is_array(val)) {
		if (json_array_size(val) != 1)
			return tags_fail(err, "tags must be single-valued");
		val = json_array_get(val, 0);
	}
	if (!json_is_string(val))
		return tags_fail(err, "tag values must be strings");
	if (strlen(key) == 0 || strlen(key) > 128 ||
	    json_string_length(val) > 256)
		return tags_fail(err, "tag key or value too long");
	if (tag_find(id, key) != NULL)
		return tags_fail(err, "duplicate tag key");
	if (id->n_tags == FED_TAGS_MAX)
		return tags_fail(err, "more than 50 tags");
	id->tags = core_xrealloc(id->tags, (id->n_tags + 1) * sizeof(*t));
	t = &id->tags[id->n_tags++];
	t->key = core_xstrdup(key);
	t->value = core_xstrdup(json_string_value(val));
	t->transitive = 0;
	return 0;
}

static int
tags_parse_obj(struct fed_identity *id, const json_t *obj,
	       struct core_err *err)
{
	const json_t *pt, *tk, *v;
	const char *key;
	size_t i;

	if (!json_is_object(obj))
		return tags_fail(err, "not an object");
	pt = json_object_get(obj, "principal_tags");
	if (pt != NULL && !json_is_object(pt))
		return tags_fail(err, "principal_tags is not an object");
	json_object_foreach((json_t *)pt, key, v)
		if (tags_add(id, key, v, err) == -1)
			return -1;
	tk = json_object_get(obj, "transitive_tag_keys");
	if (tk != NULL && !json_is_array(tk))
		return tags_fail(err, "transitive_tag_keys is not an array");
	json_array_foreach(tk, i, v) {
		struct fed_tag *t = tag_find(id, json_string_value(v) != NULL ?
					     json_string_value(v) : "");

		if (t == NULL)
			return tags_fail(err, "transitive key is not a tag");
		t->transitive = 1;
	}
	return 0;
}

/* Both AWS's object shape and the array-of-objects shape (Ceph). */
static int
tags_parse(struct fed_identity *id, const json_t *claim, struct core_err *err)
{
	const json_t *v;
	size_t i;

	if (claim == NULL)
		return 0;
	if (json_is_object(claim))
		return tags_parse_obj(id, claim, err);
	if (!json_is_array(claim))
		return tags_fail(err, "not an object or array");
	json_array_foreach(claim, i, v)
		if (tags_parse_obj(id, v, err) == -1)
			return -1;
	return 0;
}

static struct fed_claim_kv *
kv_add(struct fed_identity *id, const char *pid, const char *claim, int multi)
{
	struct fed_claim_kv *kv;

	id->claims = core_xrealloc(id->claims,
				   (id->n_claims + 1) * sizeof(*kv));
	kv = &id->claims[id->n_claims++];
	kv->key = core_xasprintf("%s:%s", pid, claim);
	kv->values = NULL;
	kv->n_values = 0;
	kv->multi = multi;
	return kv;
}

static void
kv_push(struct fed_claim_kv *kv, char *v)
{
	kv->values = core_xrealloc(kv->values,
				   (kv->n_values + 1) * sizeof(*kv->values));
	kv->values[kv->n_values++] = v;
}

/* A scalar as condition-key text; NULL for null/objects/arrays. */
static char *
scalar_text(const json_t *v)
{
	if (json_is_string(v))
		return core_xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return core_xasprintf("%" JSON_INTEGER_FORMAT,
				      json_integer_value(v));
	if (json_is_real(v))
		return core_xasprintf("%.17g", json_real_value(v));
	if (json_is_boolean(v))
		return core_xstrdup(json_is_true(v) ? "true" : "false");
	return NULL;
}

/* One claim → one condition key; arrays of scalars become multi values. */
static void
claims_add_value(struct fed_identity *id, const char *pid, const char *name,
		 const json_t *v, int force_multi)
{
	struct fed_claim_kv *kv;
	const json_t *e;
	size_t i;
	char *s;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (!json_is_string(e) && !json_is_number(e) &&
			    !json_is_boolean(e))
				return; /* not a set of scalars: not a key */
		kv = kv_add(id, pid, name, 1);
		json_array_foreach(v, i, e)
			kv_push(kv, scalar_text(e));
		return;
	}
	if (json_is_object(v)) {
		s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		if (s == NULL)
			return;
		kv_push(kv_add(id, pid, name, force_multi), core_xstrdup(s));
		free(s);
		return;
	}
	s = scalar_text(v);
	if (s != NULL)
		kv_push(kv_add(id, pid, name, force_multi), s);
}

static void
claims_build(struct fed_identity *id, const struct fed_oidc_provider *p,
	     const json_t *payload, const char *matched)
{
	const char *pid = fed_oidc_prov_id(p), *name;
	enum fed_preset kind = fed_oidc_prov_kind(p);
	const json_t *v, *azp = json_object_get(payload, "azp");
	json_t *tmp;

	json_object_foreach((json_t *)payload, name, v) {
		if (strcmp(name, TAGS_CLAIM) == 0)
			continue; /* exposed as aws:RequestTag/KEY instead */
		if (strcmp(name, "aud") != 0) {
			claims_add_value(id, pid, name, v,
			    kind == FED_PRESET_COGNITO_IDENTITY &&
			    strcmp(name, "amr") == 0);
			continue;
		}
		if (kind == FED_PRESET_GOOGLE) {
			/* AWS: google :aud is azp if set, :oaud the aud. */
			claims_add_value(id, pid, "oaud", v, 0);
			if (json_is_string(azp)) {
				claims_add_value(id, pid, "aud", azp, 0);
				continue;
			}
		}
		tmp = json_string(matched);
		claims_add_value(id, pid, "aud", tmp, 0);
		json_decref(tmp);
	}
}

static int
identity_fill(struct fed_identity *id, const struct fed_oidc_provider *p,
	      const json_t *payload, struct core_err *err)
{
	const json_t *si = json_object_get(payload, SOURCE_IDENTITY_CLAIM);

	if (si != NULL) {
		if (!json_is_string(si) ||
		    !source_identity_ok(json_string_value(si),
					json_string_length(si))) {
			core_err_set(err, CORE_EINVALID_TOKEN,
				     "source_identity_invalid",
				     "Invalid token: source identity must be "
				     "2 to 64 characters of [\\w+=,.@-]");
			return -1;
		}
		id->source_identity = core_xstrdup(json_string_value(si));
	}
	if (tags_parse(id, json_object_get(payload, TAGS_CLAIM), err) == -1)
		return -1;
	id->provider_name = core_xstrdup(fed_oidc_prov_config(p)->name != NULL ?
	    fed_oidc_prov_config(p)->name : "");
	id->issuer = core_xstrdup(json_string_value(
	    json_object_get(payload, "iss")));
	id->provider_id = core_xstrdup(fed_oidc_prov_id(p));
	return 0;
}

int
fed_oidc_check_claims(const struct fed_oidc_provider *p,
		      const json_t *payload, int64_t now, int skew,
		      struct fed_identity **out, struct core_err *err)
{
	const struct fed_oidc_config *cfg = fed_oidc_prov_config(p);
	const char *aud, *sub, *tu;
	struct fed_identity *id;
	int64_t exp = 0, iat = 0;

	if (!json_is_string(json_object_get(payload, "iss"))) {
		core_err_set(err, CORE_EINVALID_TOKEN, "issuer_unknown",
			     "Invalid token: missing iss claim");
		return -1;
	}
	if (check_times(payload, now, skew < 0 ? 0 : skew, &exp, &iat,
			err) == -1)
		return -1;
	aud = check_audience(cfg, payload, err);
	if (aud == NULL)
		return -1;
	sub = check_subject(payload, err);
	if (sub == NULL)
		return -1;
	tu = json_string_value(json_object_get(payload, "token_use"));
	if (cfg->require_token_use != NULL &&
	    (tu == NULL || strcmp(tu, cfg->require_token_use) != 0)) {
		core_err_set(err, CORE_EINVALID_TOKEN, "token_use",
			     "Invalid token: token_use must be \"%s\"",
			     cfg->require_token_use);
		return -1;
	}
	id = core_xcalloc(1, sizeof(*id));
	if (identity_fill(id, p, payload, err) == -1) {
		fed_identity_free(id);
		return -1;
	}
	id->subject = core_xstrdup(sub);
	id->audience = core_xstrdup(aud);
	id->exp = exp;
	id->iat = iat;
	claims_build(id, p, payload, aud);
	*out = id;
	return 0;
}

void
fed_identity_free(struct fed_identity *id)
{
	if (id == NULL)
		return;
	free(id->provider_name);
	free(id->issuer);
	free(id->provider_id);
	free(id->subject);
	free(id->audience);
	free(id->source_identity);
	for (size_t i = 0; i < id->n_claims; i++) {
		for (size_t j = 0; j < id->claims[i].n_values; j++)
			free(id->claims[i].values[j]);
		free(id->claims[i].values);
		free(id->claims[i].key);
	}
	free(id->claims);
	for (size_t i = 0; i < id->n_tags; i++) {
		free(id->tags[i].key);
		free(id->tags[i].value);
	}
	free(id->tags);
	free(id);
}
