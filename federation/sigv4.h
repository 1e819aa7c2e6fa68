/* federation/sigv4.h - AWS Signature Version 4 verification
 *
 * Header form (Authorization: AWS4-HMAC-SHA256 ...) and presigned-URL form
 * (X-Amz-Algorithm, X-Amz-Credential, ...). Pure computation over a neutral
 * message: no HTTP server types, no credential lookup (the caller resolves
 * the access key id to a secret after fed_sigv4_parse).
 */
#ifndef FED_SIGV4_H
#define FED_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define FED_SIGV4_MAX_SKEW 900			/* ±15 minutes (RequestExpired) */
#define FED_SIGV4_MAX_PRESIGN_EXPIRES 604800	/* 7 days */
#define FED_SIGV4_MAX_SIGNED_HEADERS 64
#define FED_SIGV4_MAX_AUTH_HEADER 8192		/* Authorization value */
#define FED_SIGV4_MAX_QUERY 32768		/* raw query string */
#define FED_SIGV4_MAX_PATH 16384		/* raw path */
#define FED_SIGV4_MAX_TOKEN 16384		/* X-Amz-Security-Token */

struct fed_sigv4_header {
	const char *name;	/* any case */
	const char *value;	/* as received */
};

/* One HTTP request as received. All pointers are borrowed. */
struct fed_sigv4_msg {
	const char *method;
	const char *raw_path;	/* as on the request line, not decoded */
	const char *raw_query;	/* after '?', not decoded; NULL or "" if none */
	const struct fed_sigv4_header *headers;
	size_t n_headers;
	const uint8_t *body;	/* NULL if the body is not available */
	size_t body_len;
};

struct fed_sigv4_auth {
	int presigned;
	char access_key_id[129];
	char scope_date[9];	/* YYYYMMDD */
	char region[64];
	char service[64];
	char amz_date[17];	/* YYYYMMDDTHHMMSSZ */
	int64_t request_time;	/* amz_date as epoch seconds */
	int64_t expires;	/* presigned: X-Amz-Expires seconds; else 0 */
	char *signed_headers[FED_SIGV4_MAX_SIGNED_HEADERS]; /* lowercase, sorted */
	size_t n_signed_headers;
	char signature[65];	/* lowercase hex */
	const char *security_token; /* X-Amz-Security-Token (header or query); borrowed */
	/* Storage behind security_token when it was percent-decoded from the
	 * query (presigned form); owned, freed by fed_sigv4_auth_clear. */
	char *security_token_buf;
};

/**
 * Parse the SigV4 parameters from the Authorization header or the query.
 * err: CORE_EMISSING_AUTH (neither form present), CORE_EINCOMPLETE_SIG
 * (malformed: missing parts, bad scope, "aws4_request" missing, unsorted or
 * missing signed headers, host not signed, bad date, presign Expires > 7 d).
 * On success the caller must fed_sigv4_auth_clear(a).
 */
int fed_sigv4_parse(const struct fed_sigv4_msg *m, struct fed_sigv4_auth *a,
		    struct core_err *err);
void fed_sigv4_auth_clear(struct fed_sigv4_auth *a);

/**
 * Time checks: header form within ±FED_SIGV4_MAX_SKEW of now (else
 * CORE_EREQUEST_EXPIRED "Signature expired: ... is now earlier than ..."),
 * scope date equals the date of amz_date; presigned: now within
 * [request_time - skew, request_time + expires] (else CORE_EREQUEST_EXPIRED).
 * A scope date other than the day of amz_date is CORE_ESIGNATURE, as AWS
 * answers it.
 */
int fed_sigv4_check_time(const struct fed_sigv4_auth *a, int64_t now,
			 struct core_err *err);

/**
 * Recompute the signature with secret (the 40-char secret access key) and
 * compare in constant time. CORE_ESIGNATURE on mismatch with AWS's message
 * "The request signature we calculated does not match the signature you
 * provided. Check your AWS Secret Access Key and signing method. Consult
 * the service documentation for details." Also CORE_ESIGNATURE when a
 * signed header is absent or the body does not match a hex
 * x-amz-content-sha256, and CORE_EINCOMPLETE_SIG for what cannot be
 * canonicalized: STREAMING-* payloads, malformed %-escapes in the query (or
 * an S3 path), UNSIGNED-PAYLOAD for a service other than s3 when the body is
 * present, a body that is needed but NULL, oversize input.
 */
int fed_sigv4_verify(const struct fed_sigv4_msg *m,
		     const struct fed_sigv4_auth *a, const char *secret,
		     struct core_err *err);

/** The canonical request text (tests, debugging); malloc'd or NULL. */
char *fed_sigv4_canonical_request(const struct fed_sigv4_msg *m,
				  const struct fed_sigv4_auth *a,
				  struct core_err *err);

/**
 * Sign a message (header form) — used by tests and by fedgate's own
 * clients; fills an Authorization header value into out (malloc'd).
 */
char *fed_sigv4_sign(const struct fed_sigv4_msg *m, const char *access_key_id,
		     const char *secret, const char *region,
		     const char *service, const char *amz_date,
		     const char *const *signed_headers, size_t n_signed);

#endif /* FED_SIGV4_H */
