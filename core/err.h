/* core/err.h - one error struct, filled by the first failing call */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#include <stddef.h>

/*
 * Internal error codes. Each maps to exactly one AWS STS wire code and HTTP
 * status through core_code_sts()/core_code_http(); see core/err.c.
 */
enum core_code {
	CORE_OK = 0,
	CORE_EINVALID_TOKEN,	/* InvalidIdentityToken 400 */
	CORE_EEXPIRED_TOKEN,	/* ExpiredTokenException 400 */
	CORE_EIDP_REJECTED,	/* IDPRejectedClaim 403 */
	CORE_EIDP_COMM,		/* IDPCommunicationError 400 */
	CORE_EACCESS,		/* AccessDenied 403 */
	CORE_EVALIDATION,	/* ValidationError 400 */
	CORE_EMALFORMED_POLICY,	/* MalformedPolicyDocument 400 */
	CORE_EPACKED_TOO_LARGE,	/* PackedPolicyTooLarge 400 */
	CORE_EINVALID_ACTION,	/* InvalidAction 400 */
	CORE_EMISSING_ACTION,	/* MissingAction 400 */
	CORE_EMISSING_PARAM,	/* MissingParameter 400 */
	CORE_EINVALID_PARAM,	/* InvalidParameterValue 400 */
	CORE_ETOO_LARGE,	/* RequestEntityTooLarge 413 */
	CORE_EUNSUPPORTED_MEDIA,/* UnsupportedMediaType 415 */
	CORE_EMETHOD,		/* MethodNotAllowed 405 */
	CORE_ENOT_FOUND,	/* NotFound 404 */
	CORE_EEXPIRED_SESSION,	/* ExpiredToken 403 (signed call, expired creds) */
	CORE_ESIGNATURE,	/* SignatureDoesNotMatch 403 */
	CORE_EINVALID_CLIENT,	/* InvalidClientTokenId 403 */
	CORE_ETHROTTLED,	/* Throttling 400 */
	CORE_EMISSING_AUTH,	/* MissingAuthenticationToken 403 */
	CORE_EINCOMPLETE_SIG,	/* IncompleteSignature 400 */
	CORE_EREQUEST_EXPIRED,	/* RequestExpired 400 */
	CORE_EINVALID_AUTH_MSG,	/* InvalidAuthorizationMessageException 400 */
	CORE_ECONFIG,		/* configuration problem (never on the wire) */
	CORE_EINTERNAL,		/* InternalFailure 500 */
	CORE_EUNAVAILABLE,	/* ServiceUnavailable 503 */
	CORE_CODE_COUNT
};

struct core_err {
	enum core_code code;
	/* Safe to show to the client: never token contents, paths or keys. */
	char msg[256];
	/* Short machine-readable cause for the audit log, e.g.
	 * "signature_invalid", "audience_mismatch"; static string or NULL. */
	const char *reason;
	const char *where; /* __func__ of the first failing call */
};

/**
 * Record a failure unless one is already recorded (the first one wins,
 * so callers further up keep the root cause). err may be NULL.
 */
#define core_err_set(err, c, rsn, ...) \
	core_err_set_(err, __func__, c, rsn, __VA_ARGS__)

void core_err_set_(struct core_err *err, const char *where, enum core_code c,
		   const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Forget a recorded error (used when a fallback path succeeds). */
void core_err_clear(struct core_err *err);

/** AWS wire code, e.g. "InvalidIdentityToken". Never NULL. */
const char *core_code_sts(enum core_code c);

/** HTTP status for the code (400, 403, 413, 500...). */
int core_code_http(enum core_code c);

/** "Sender" for 4xx codes, "Receiver" for 5xx. */
const char *core_code_type(enum core_code c);

#endif /* CORE_ERR_H */
