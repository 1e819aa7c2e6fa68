/* gateway/revoke.h - revocation of issued sessions, recorded in the store
 *
 * Sessions are sealed tokens that fedgate never keeps, so revoking one
 * means remembering "refuse this" in the shared store (namespace "revoke")
 * until the session could no longer be valid anyway. Three kinds:
 *   session:  one access key id (ASIA...), until now + 129600 s (the
 *             longest a session lives: GetSessionToken's maximum);
 *   role:     every session of a role ARN issued before T, kept until
 *             T + 43200 s (the longest role session);
 *   subject:  every session of a web identity / SAML subject of one
 *             provider issued before T, kept until T + 43200 s.
 * Keys: "s:ASIA...", "r:" + hex SHA-256(role ARN) and
 * "p:" + hex SHA-256(provider NUL subject): bounded, free of spaces, and
 * no subject is written in clear into a possibly shared Redis. Value: the
 * time T (or the revocation time for a session) in decimal epoch seconds.
 *
 * A session issued at second T itself is not revoked by "before T".
 */
#ifndef GW_REVOKE_H
#define GW_REVOKE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct core_store;
struct fed_session;

#define GW_REVOKE_NS "revoke"
#define GW_REVOKE_SESSION_TTL 129600	/* GetSessionToken maximum */
#define GW_REVOKE_ROLE_TTL 43200	/* role session maximum */
#define GW_REVOKE_MAX_ARG 1024		/* role ARN, subject, provider */
#define GW_REVOKE_KEY_MAX 80		/* "p:" + 64 hex + NUL fits */

enum gw_revoke_kind {
	GW_REVOKE_SESSION,
	GW_REVOKE_ROLE,
	GW_REVOKE_SUBJECT,
};

struct gw_revocation {
	enum gw_revoke_kind kind;
	const char *access_key_id;	/* SESSION */
	const char *role_arn;		/* ROLE */
	const char *subject;		/* SUBJECT */
	const char *provider;		/* SUBJECT: see gw_revoke_provider_id */
	int64_t issued_before;		/* ROLE, SUBJECT; 0: now */
};

/**
 * The provider part that sessions carry: the text after ":oidc-provider/"
 * or ":saml-provider/" of an ARN, else provider without a leading
 * "https://" or "http://". So "accounts.google.com",
 * "https://accounts.google.com" and
 * "arn:aws:iam::1:oidc-provider/accounts.google.com" name the same
 * provider; a SAML provider is named by its configured name.
 * Borrowed from provider.
 */
const char *gw_revoke_provider_id(const char *provider);

/**
 * Check r and compute its store key into buf (>= GW_REVOKE_KEY_MAX).
 * 0, or -1 with err CORE_EINVALID_PARAM / CORE_EMISSING_PARAM.
 */
int gw_revoke_key(const struct gw_revocation *r, char *buf, size_t size,
		  struct core_err *err);

/**
 * Parse an IssuedBefore value: ISO 8601 or decimal epoch seconds; NULL or
 * "" means now. Times more than 60 s ahead of now are refused (they would
 * revoke sessions not issued yet). 0 or -1 with err CORE_EINVALID_PARAM.
 */
int gw_revoke_parse_time(const char *s, int64_t now, int64_t *out,
			 struct core_err *err);

/**
 * Record r in st. For role and subject records an existing later T is
 * kept (revocations only widen). *effective (may be NULL) gets the T now
 * in force (now for a session). 0 or -1 with err (CORE_EUNAVAILABLE when
 * the store cannot be written).
 */
int gw_revoke_record(struct core_store *st, const struct gw_revocation *r,
		     int64_t now, int64_t *effective, struct core_err *err);

/**
 * Is s revoked? One store read per record kind that applies to s.
 * 0: not revoked. -1 with err CORE_EACCESS (reason "session_revoked")
 * when revoked, CORE_EUNAVAILABLE when the store cannot answer: the
 * caller refuses the request either way (fail closed).
 */
int gw_revoke_check(struct core_store *st, const struct fed_session *s,
		    struct core_err *err);

#endif /* GW_REVOKE_H */
