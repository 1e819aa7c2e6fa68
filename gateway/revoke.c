/* gateway/revoke.c - revocation records in the store (see revoke.h) */
#include "gateway/revoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/store.h"
#include "core/timeutil.h"
#include "federation/mint.h"

#define MSG_REVOKED "The security token included in the request has been " \
		    "revoked."
#define FUTURE_SLACK 60		/* seconds an IssuedBefore may be ahead */

const char *
gw_revoke_provider_id(const char *provider)
{
	static const char *const marks[] = {":oidc-provider/", ":saml-provider/"};
	const char *p;

	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if ((p = strstr(provider, marks[i])) != NULL)
			return p + strlen(marks[i]);
	/* As fed_oidc_provider_id spells an issuer. */
	if (strncmp(provider, "https://", 8) == 0)
		return provider + 8;
	if (strncmp(provider, "http://", 7) == 0)
		return provider + 7;
	return provider;
}

/* prefix + hex SHA-256(a [NUL b]) into buf (>= GW_REVOKE_KEY_MAX). */
static void
hashed_key(const char *prefix, const char *a, const char *b, char *buf,
	   size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t off;

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, strlen(a) + (b != NULL)) != 1 ||
	    (b != NULL && EVP_DigestUpdate(ctx, b, strlen(b)) != 1) ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		abort();	/* SHA-256 cannot fail but for memory */
	EVP_MD_CTX_free(ctx);
	off = (size_t)snprintf(buf, size, "%s", prefix);
	for (unsigned int i = 0; i < mdlen && off + 2 < size; i++, off += 2)
		snprintf(buf + off, size - off, "%02x", md[i]);
}

static int
check_arg(const char *v, const char *name, struct core_err *err)
{
	size_t n = v == NULL ? 0 : strlen(v);

	if (n == 0) {
		core_err_set(err, CORE_EMISSING_PARAM, "parameter_missing",
			     "The request must contain the parameter %s", name);
		return -1;
	}
	if (n > GW_REVOKE_MAX_ARG) {
		core_err_set(err, CORE_EINVALID_PARAM, "parameter_invalid",
			     "%s is longer than %d characters", name,
			     GW_REVOKE_MAX_ARG);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			core_err_set(err, CORE_EINVALID_PARAM,
				     "parameter_invalid",
				     "%s contains a control character", name);
			return -1;
		}
	return 0;
}

static int
check_access_key_id(const char *id, struct core_err *err)
{
	if (check_arg(id, "AccessKeyId", err) == -1)
		return -1;
	if (strlen(id) != 20 || strncmp(id, "ASIA", 4) != 0 ||
	    strspn(id + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != 16) {
		core_err_set(err, CORE_EINVALID_PARAM, "parameter_invalid",
			     "AccessKeyId must be a session access key id "
			     "(ASIA followed by 16 characters)");
		return -1;
	}
	return 0;
}

int
gw_revoke_key(const struct gw_revocation *r, char *buf, size_t size,
	      struct core_err *err)
{
	if (size < GW_REVOKE_KEY_MAX) {
		core_err_set(err, CORE_EINTERNAL, "buffer_small",
			     "revocation key buffer too small");
		return -1;
	}
	switch (r->kind) {
	case GW_REVOKE_SESSION:
		if (check_access_key_id(r->access_key_id, err) == -1)
			return -1;
		snprintf(buf, size, "s:%s", r->access_key_id);
		return 0;
	case GW_REVOKE_ROLE:
		if (check_arg(r->role_arn, "RoleArn", err) == -1)
			return -1;
		if (strncmp(r->role_arn, "arn:aws:iam::", 13) != 0 ||
		    strstr(r->role_arn, ":role/") == NULL) {
			core_err_set(err, CORE_EINVALID_PARAM,
				     "parameter_invalid",
				     "RoleArn must be a role ARN "
				     "(arn:aws:iam::ACCOUNT:role/NAME)");
			return -1;
		}
		hashed_key("r:", r->role_arn, NULL, buf, size);
		return 0;
	case GW_REVOKE_SUBJECT:
		if (check_arg(r->subject, "Subject", err) == -1 ||
		    check_arg(r->provider, "Provider", err) == -1)
			return -1;
		hashed_key("p:", gw_revoke_provider_id(r->provider), r->subject,
			   buf, size);
		return 0;
	}
	core_err_set(err, CORE_EINTERNAL, "revoke_kind", "bad revocation kind");
	return -1;
}

int
gw_revoke_parse_time(const char *s, int64_t now, int64_t *out,
		     struct core_err *err)
{
	int64_t t;

	if (s == NULL || s[0] == '\0') {
		*out = now;
		return 0;
	}
	if (strlen(s) > 64 || core_time_parse(s, &t) == -1 || t <= 0) {
		core_err_set(err, CORE_EINVALID_PARAM, "parameter_invalid",
			     "IssuedBefore must be an ISO 8601 time or epoch "
			     "seconds");
		return -1;
	}
	if (t > now + FUTURE_SLACK) {
		core_err_set(err, CORE_EINVALID_PARAM, "parameter_invalid",
			     "IssuedBefore must not be in the future");
		return -1;
	}
	*out = t;
	return 0;
}

/* A stored T; garbage counts as "revoke everything" (fail closed). */
static int64_t
stored_time(const char *v)
{
	char *end;
	long long t = strtoll(v, &end, 10);

	if (end == v || *end != '\0' || t <= 0)
		return INT64_MAX;
	return (int64_t)t;
}

int
gw_revoke_record(struct core_store *st, const struct gw_revocation *r,
		 int64_t now, int64_t *effective, struct core_err *err)
{
	char key[GW_REVOKE_KEY_MAX], val[32], old[32];
	int64_t t = r->issued_before > 0 ? r->issued_before : now;
	int64_t until;
	int found;

	if (gw_revoke_key(r, key, sizeof(key), err) == -1)
		return -1;
	if (r->kind == GW_REVOKE_SESSION) {
		t = now;
		until = now + GW_REVOKE_SESSION_TTL;
	} else {
		/* Two admins racing may both read before either writes; the
		 * later T can then be lost, so the window is one request. */
		found = core_store_get(st, GW_REVOKE_NS, key, old, sizeof(old),
				       err);
		if (found == -1)
			return -1;
		if (found == 1 && stored_time(old) > t &&
		    stored_time(old) != INT64_MAX)
			t = stored_time(old);
		until = t + GW_REVOKE_ROLE_TTL;
	}
	snprintf(val, sizeof(val), "%lld", (long long)t);
	if (until <= now) {
		/* Every session it would cover has expired: nothing to keep. */
		if (effective != NULL)
			*effective = t;
		return 0;
	}
	if (core_store_set(st, GW_REVOKE_NS, key, val, until, err) == -1)
		return -1;
	if (effective != NULL)
		*effective = t;
	return 0;
}

/* 1 if the record at key says a session issued at issued_at is revoked. */
static int
lookup(struct core_store *st, const char *key, int64_t issued_at,
       struct core_err *err)
{
	char val[32];
	struct core_err e = {0};
	int rc = core_store_get(st, GW_REVOKE_NS, key, val, sizeof(val), &e);

	if (rc == -1) {
		/* A value too long is not ours: treat as revoked, not 500. */
		if (e.code == CORE_EINTERNAL)
			return 1;
		core_err_set(err, CORE_EUNAVAILABLE, "store_unavailable",
			     "Service is unavailable. Please try again.");
		return -1;
	}
	return rc == 1 && issued_at < stored_time(val);
}

int
gw_revoke_check(struct core_store *st, const struct fed_session *s,
		struct core_err *err)
{
	char key[GW_REVOKE_KEY_MAX];
	int rc;

	snprintf(key, sizeof(key), "s:%s", s->access_key_id);
	rc = lookup(st, key, INT64_MIN, err);
	if (rc == 0 && s->role_arn != NULL) {
		hashed_key("r:", s->role_arn, NULL, key, sizeof(key));
		rc = lookup(st, key, s->issued_at, err);
	}
	if (rc == 0 && s->subject != NULL && s->federated_provider != NULL) {
		hashed_key("p:", gw_revoke_provider_id(s->federated_provider),
			   s->subject, key, sizeof(key));
		rc = lookup(st, key, s->issued_at, err);
	}
	if (rc == 1)
		core_err_set(err, CORE_EACCESS, "session_revoked", MSG_REVOKED);
	return rc == 0 ? 0 : -1;
}
