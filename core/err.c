/* core/err.c - internal error codes and their AWS STS wire mapping */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * One table: internal code -> (wire Code, HTTP status). Wire codes are the
 * ones real STS puts on the wire (sts-wire.md §1.7): five modeled shapes
 * drop their "Exception" suffix, ExpiredTokenException keeps it.
 */
static const struct {
	const char *sts;
	int http;
} code_table[CORE_CODE_COUNT] = {
	[CORE_OK] = {"OK", 200},
	[CORE_EINVALID_TOKEN] = {"InvalidIdentityToken", 400},
	[CORE_EEXPIRED_TOKEN] = {"ExpiredTokenException", 400},
	[CORE_EIDP_REJECTED] = {"IDPRejectedClaim", 403},
	[CORE_EIDP_COMM] = {"IDPCommunicationError", 400},
	[CORE_EACCESS] = {"AccessDenied", 403},
	[CORE_EVALIDATION] = {"ValidationError", 400},
	[CORE_EMALFORMED_POLICY] = {"MalformedPolicyDocument", 400},
	[CORE_EPACKED_TOO_LARGE] = {"PackedPolicyTooLarge", 400},
	[CORE_EINVALID_ACTION] = {"InvalidAction", 400},
	[CORE_EMISSING_ACTION] = {"MissingAction", 400},
	[CORE_EMISSING_PARAM] = {"MissingParameter", 400},
	[CORE_EINVALID_PARAM] = {"InvalidParameterValue", 400},
	[CORE_ETOO_LARGE] = {"RequestEntityTooLarge", 413},
	[CORE_EUNSUPPORTED_MEDIA] = {"UnsupportedMediaType", 415},
	[CORE_EMETHOD] = {"MethodNotAllowed", 405},
	[CORE_ENOT_FOUND] = {"NotFound", 404},
	[CORE_EEXPIRED_SESSION] = {"ExpiredToken", 403},
	[CORE_ESIGNATURE] = {"SignatureDoesNotMatch", 403},
	[CORE_EINVALID_CLIENT] = {"InvalidClientTokenId", 403},
	[CORE_ETHROTTLED] = {"Throttling", 400},
	[CORE_EMISSING_AUTH] = {"MissingAuthenticationToken", 403},
	[CORE_EINCOMPLETE_SIG] = {"IncompleteSignature", 400},
	[CORE_EREQUEST_EXPIRED] = {"RequestExpired", 400},
	[CORE_EINVALID_AUTH_MSG] = {"InvalidAuthorizationMessageException", 400},
	[CORE_ECONFIG] = {"InternalFailure", 500},
	[CORE_EINTERNAL] = {"InternalFailure", 500},
	[CORE_EUNAVAILABLE] = {"ServiceUnavailable", 503},
};

void
core_err_set_(struct core_err *err, const char *where, enum core_code c,
	      const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err->code != CORE_OK)
		return;
	err->code = c;
	err->reason = reason;
	err->where = where;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
core_err_clear(struct core_err *err)
{
	if (err != NULL)
		memset(err, 0, sizeof(*err));
}

const char *
core_code_sts(enum core_code c)
{
	if ((unsigned)c >= CORE_CODE_COUNT)
		return "InternalFailure";
	return code_table[c].sts;
}

int
core_code_http(enum core_code c)
{
	if ((unsigned)c >= CORE_CODE_COUNT)
		return 500;
	return code_table[c].http;
}

const char *
core_code_type(enum core_code c)
{
	return core_code_http(c) >= 500 ? "Receiver" : "Sender";
}
