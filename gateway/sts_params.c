/* gateway/sts_params.c - STS parameter validation with AWS's messages */
#include "gateway/sts_params.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "gateway/form.h"

#define PACKED_ALLOTMENT 2048 /* bytes of compact policy text + tags = 100 % */

/* A printable, bounded copy of a client value for an error message. */
static void
echo_value(const char *v, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *v != '\0' && o + 4 < outlen; v++)
		out[o++] = (*v >= 0x20 && *v < 0x7f) ? *v : '?';
	if (*v != '\0' && o + 4 >= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static void
constraint_error(struct core_err *err, const char *value, const char *member,
		 const char *constraint)
{
	char echo[80];

	echo_value(value, echo, sizeof(echo));
	core_err_set(err, CORE_EVALIDATION, "parameter_invalid",
		     "1 validation error detected: Value '%s' at '%s' failed "
		     "to satisfy constraint: %s", echo, member, constraint);
}

static const char *
required(const struct gw_form *f, const char *name, struct core_err *err)
{
	const char *v = gw_form_get(f, name);

	if (v == NULL || v[0] == '\0')
		core_err_set(err, CORE_EMISSING_PARAM, "parameter_missing",
			     "The request must contain the parameter %s", name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
gw_sts_valid_session_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n > 64)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("_+=,.@-", *s) == NULL)
			return 0;
	return 1;
}

/*
 * arnType pattern: [\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF
 * \uE000-\uFFFD\u10000-\u10FFFF]+ over valid UTF-8 (so no C0/C1 controls
 * but NEL, no DEL, no surrogates, no U+FFFE/FFFF).
 */
static int
arn_chars_ok(const char *v)
{
	const unsigned char *p = (const unsigned char *)v;

	while (*p != '\0') {
		size_t n = core_utf8_seq_len(p);
		uint32_t cp;

		if (n == 0)
			return 0;
		if (n == 1)
			cp = p[0];
		else if (n == 2)
			cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		else if (n == 3)
			cp = (uint32_t)(p[0] & 0x0f) << 12 |
			     (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		else
			cp = 0x10000; /* every valid 4-byte sequence is allowed */
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    (cp >= 0x7f && cp < 0xa0 && cp != 0x85) || cp == 0xfffe ||
		    cp == 0xffff)
			return 0;
		p += n;
	}
	return 1;
}

static int
check_arn(const char *v, const char *member, struct core_err *err)
{
	size_t n = strlen(v);

	if (n < 20) {
		constraint_error(err, v, member, "Member must have length greater "
				 "than or equal to 20");
		return -1;
	}
	if (n > 2048) {
		constraint_error(err, v, member, "Member must have length less "
				 "than or equal to 2048");
		return -1;
	}
	if (!arn_chars_ok(v)) {
		constraint_error(err, v, member, "Member must satisfy "
				 "regular expression pattern: "
				 "[\\u0009\\u000A\\u000D\\u0020-\\u007E"
				 "\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD"
				 "\\u10000-\\u10FFFF]+");
		return -1;
	}
	return 0;
}

static int
parse_duration(const char *v, int *out, struct core_err *err)
{
	long n = 0;

	if (v == NULL)
		return 0;
	if (v[0] == '\0' || strlen(v) > 9 || strspn(v, "0123456789") != strlen(v)) {
		constraint_error(err, v, "durationSeconds",
				 "Member must be an integer");
		return -1;
	}
	n = strtol(v, NULL, 10);
	if (n < 900) {
		constraint_error(err, v, "durationSeconds", "Member must have "
				 "value greater than or equal to 900");
		return -1;
	}
	if (n > 43200) {
		constraint_error(err, v, "durationSeconds", "Member must have "
				 "value less than or equal to 43200");
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* sessionPolicyDocumentType: 1..2048 of [\t\n\r\x20-\xFF]. */
static int
check_policy(const char *v, struct core_err *err)
{
	size_t n = strlen(v);

	if (n > GW_STS_MAX_SESSION_POLICY) {
		core_err_set(err, CORE_EVALIDATION, "parameter_invalid",
			     "1 validation error detected: Value at 'policy' "
			     "failed to satisfy constraint: Member must have "
			     "length less than or equal to 2048");
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
			core_err_set(err, CORE_EVALIDATION, "parameter_invalid",
				     "1 validation error detected: Value at "
				     "'policy' failed to satisfy constraint: "
				     "Member must satisfy regular expression "
				     "pattern: [\\u0009\\u000A\\u000D\\u0020-"
				     "\\u00FF]+");
			return -1;
		}
	}
	return 0;
}

/* PolicyArns.member.N.arn, N = 1.. without gaps (Query protocol lists). */
static int
read_policy_arns(const struct gw_form *f, struct gw_awi_params *p,
		 struct core_err *err)
{
	char name[64];

	for (size_t i = 0; i <= GW_STS_MAX_POLICY_ARNS; i++) {
		const char *v;

		snprintf(name, sizeof(name), "PolicyArns.member.%zu.arn", i + 1);
		v = gw_form_get(f, name);
		if (v == NULL)
			break;
		if (i == GW_STS_MAX_POLICY_ARNS) {
			core_err_set(err, CORE_EVALIDATION, "parameter_invalid",
				     "1 validation error detected: Value at "
				     "'policyArns' failed to satisfy constraint: "
				     "Member must have length less than or "
				     "equal to 10");
			return -1;
		}
		if (check_arn(v, "policyArns.member.arn", err) == -1)
			return -1;
		p->policy_arns[p->n_policy_arns++] = v;
	}
	return 0;
}

static int
read_token(const struct gw_form *f, struct gw_awi_params *p,
	   struct core_err *err)
{
	size_t n;
	const char *v = gw_form_get_len(f, "WebIdentityToken", &n);

	if (v == NULL || n == 0) {
		required(f, "WebIdentityToken", err);
		return -1;
	}
	/* botocore sends the token file verbatim, newline included. */
	if (n > 0 && v[n - 1] == '\n')
		n--;
	if (n > 0 && v[n - 1] == '\r')
		n--;
	if (n < 4 || n > 20000) {
		core_err_set(err, CORE_EVALIDATION, "parameter_invalid",
			     "1 validation error detected: Value at "
			     "'webIdentityToken' failed to satisfy constraint: "
			     "Member must have length %s", n < 4
				 ? "greater than or equal to 4"
				 : "less than or equal to 20000");
		return -1;
	}
	p->token = v;
	p->token_len = n;
	return 0;
}

int
gw_sts_awi_params(const struct gw_form *f, struct gw_awi_params *p,
		  struct core_err *err)
{
	memset(p, 0, sizeof(*p));
	if (gw_form_get(f, "ProviderId") != NULL) {
		core_err_set(err, CORE_EVALIDATION, "provider_id",
			     "ProviderId is only for OAuth 2.0 access tokens "
			     "from www.amazon.com or graph.facebook.com, which "
			     "this gateway does not accept; omit it and send an "
			     "OpenID Connect ID token");
		return -1;
	}
	p->role_arn = required(f, "RoleArn", err);
	if (p->role_arn == NULL || check_arn(p->role_arn, "roleArn", err) == -1)
		return -1;
	p->session_name = required(f, "RoleSessionName", err);
	if (p->session_name == NULL)
		return -1;
	if (!gw_sts_valid_session_name(p->session_name)) {
		constraint_error(err, p->session_name, "roleSessionName",
				 strlen(p->session_name) < 2 || strlen(p->session_name) > 64
				     ? "Member must have length between 2 and 64"
				     : "Member must satisfy regular expression "
				       "pattern: [\\w+=,.@-]*");
		return -1;
	}
	if (read_token(f, p, err) == -1 ||
	    parse_duration(gw_form_get(f, "DurationSeconds"), &p->duration,
			   err) == -1)
		return -1;
	p->policy = gw_form_get(f, "Policy");
	if (p->policy != NULL && check_policy(p->policy, err) == -1)
		return -1;
	return read_policy_arns(f, p, err);
}

int
gw_sts_duration(int requested, int role_max, int *out, struct core_err *err)
{
	if (requested == 0) {
		*out = role_max < 3600 ? role_max : 3600;
		return 0;
	}
	if (requested > role_max) {
		core_err_set(err, CORE_EVALIDATION, "duration_exceeds_role_max",
			     "The requested DurationSeconds exceeds the "
			     "MaxSessionDuration set for this role.");
		return -1;
	}
	*out = requested;
	return 0;
}

/* Length of JSON text without insignificant whitespace. */
static size_t
compact_len(const char *s)
{
	size_t n = 0;
	int in_str = 0, esc = 0;

	for (; *s != '\0'; s++) {
		if (in_str) {
			n++;
			if (esc)
				esc = 0;
			else if (*s == '\\')
				esc = 1;
			else if (*s == '"')
				in_str = 0;
		} else if (!isspace((unsigned char)*s)) {
			n++;
			if (*s == '"')
				in_str = 1;
		}
	}
	return n;
}

int
gw_sts_packed_size(const char *policy, const char *const *arns, size_t n_arns,
		   size_t tag_bytes, struct core_err *err)
{
	size_t bytes = tag_bytes;
	size_t pct;

	if (policy != NULL)
		bytes += compact_len(policy);
	for (size_t i = 0; i < n_arns; i++)
		bytes += strlen(arns[i]);
	pct = (bytes * 100 + PACKED_ALLOTMENT - 1) / PACKED_ALLOTMENT;
	if (pct > 100) {
		core_err_set(err, CORE_EPACKED_TOO_LARGE, "packed_too_large",
			     "Packed size of session policy and tags consumes "
			     "%zu%% of allotted space.", pct);
		return -1;
	}
	return (int)pct;
}

/* ---- AssumeRole and GetSessionToken ([2/5]) ---- */

static int
tag_chars_ok(const char *s, size_t maxlen, size_t minlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	while (*p != '\0') {
		size_t n = core_utf8_seq_len(p);

		if (n == 0)
			return 0;
		/* [\p{L}\p{Z}\p{N}_.:/=+\-@]: ASCII subset checked exactly,
		 * non-ASCII letters/digits/spaces accepted as valid UTF-8. */
		if (n == 1 && !isalnum(*p) && strchr(" _.:/=+-@", *p) == NULL)
			return 0;
		p += n;
		chars++;
	}
	return chars >= minlen && chars <= maxlen;
}

int
gw_sts_valid_tag(const char *key, const char *value)
{
	return tag_chars_ok(key, 128, 1) && tag_chars_ok(value, 256, 0) &&
	       strncasecmp(key, "aws:", 4) != 0;
}

static int
read_tags(const struct gw_form *f, struct gw_ar_params *p,
	  struct core_err *err)
{
	char kn[64], vn[64];

	for (size_t i = 0; i <= GW_STS_MAX_TAGS; i++) {
		const char *k, *v;

		snprintf(kn, sizeof(kn), "Tags.member.%zu.Key", i + 1);
		snprintf(vn, sizeof(vn), "Tags.member.%zu.Value", i + 1);
		k = gw_form_get(f, kn);
		v = gw_form_get(f, vn);
		if (k == NULL && v == NULL)
			break;
		if (i == GW_STS_MAX_TAGS) {
			core_err_set(err, CORE_EVALIDATION, "tags_invalid",
				     "1 validation error detected: Value at 'tags' "
				     "failed to satisfy constraint: Member must "
				     "have length less than or equal to 50");
			return -1;
		}
		if (k == NULL || v == NULL || !gw_sts_valid_tag(k, v)) {
			constraint_error(err, k ? k : "", "tags.member.key",
					 "Member must satisfy regular expression "
					 "pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+ "
					 "(and not begin with aws:)");
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcasecmp(p->tags[j].key, k) == 0) {
				core_err_set(err, CORE_EINVALID_PARAM, "tags_invalid",
					     "Duplicate tag keys found. Please "
					     "note that Tag keys are case "
					     "insensitive.");
				return -1;
			}
		}
		p->tags[p->n_tags].key = k;
		p->tags[p->n_tags++].value = v;
	}
	return 0;
}

static int
read_transitive(const struct gw_form *f, struct gw_ar_params *p,
		struct core_err *err)
{
	char name[64];

	for (size_t i = 0; i <= GW_STS_MAX_TAGS; i++) {
		const char *k;
		int found = 0;

		snprintf(name, sizeof(name), "TransitiveTagKeys.member.%zu", i + 1);
		k = gw_form_get(f, name);
		if (k == NULL)
			break;
		if (i == GW_STS_MAX_TAGS) {
			core_err_set(err, CORE_EVALIDATION, "tags_invalid",
				     "1 validation error detected: Value at "
				     "'transitiveTagKeys' failed to satisfy "
				     "constraint: Member must have length less "
				     "than or equal to 50");
			return -1;
		}
		for (size_t j = 0; j < p->n_tags; j++)
			found |= strcasecmp(p->tags[j].key, k) == 0;
		if (!found) {
			core_err_set(err, CORE_EINVALID_PARAM, "tags_invalid",
				     "The specified transitive tag key must be "
				     "included in the requested tags.");
			return -1;
		}
		p->transitive[p->n_transitive++] = k;
	}
	return 0;
}

static int
check_pattern(const char *v, size_t min, size_t max, const char *extra,
	      const char *member, const char *pattern, struct core_err *err)
{
	size_t n = strlen(v);

	for (const char *c = v; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c) && strchr(extra, *c) == NULL) {
			constraint_error(err, v, member, pattern);
			return -1;
		}
	}
	if (n < min || n > max) {
		char msg[96];

		snprintf(msg, sizeof(msg), "Member must have length between "
			 "%zu and %zu", min, max);
		constraint_error(err, v, member, msg);
		return -1;
	}
	return 0;
}

static int
read_ar_optionals(const struct gw_form *f, struct gw_ar_params *p,
		  struct core_err *err)
{
	p->external_id = gw_form_get(f, "ExternalId");
	if (p->external_id != NULL &&
	    check_pattern(p->external_id, 2, 1224, "_+=,.@:/-", "externalId",
			  "Member must satisfy regular expression pattern: "
			  "[\\w+=,.@:\\/-]*", err) == -1)
		return -1;
	p->source_identity = gw_form_get(f, "SourceIdentity");
	if (p->source_identity != NULL &&
	    (check_pattern(p->source_identity, 2, 64, "_+=,.@-",
			   "sourceIdentity", "Member must satisfy regular "
			   "expression pattern: [\\w+=,.@-]*", err) == -1))
		return -1;
	if (p->source_identity != NULL &&
	    strncasecmp(p->source_identity, "aws:", 4) == 0) {
		core_err_set(err, CORE_EVALIDATION, "parameter_invalid",
			     "SourceIdentity must not begin with aws:");
		return -1;
	}
	p->serial_number = gw_form_get(f, "SerialNumber");
	p->token_code = gw_form_get(f, "TokenCode");
	return 0;
}

int
gw_sts_ar_params(const struct gw_form *f, struct gw_ar_params *p,
		 struct core_err *err)
{
	struct gw_awi_params tmp;

	memset(p, 0, sizeof(*p));
	p->role_arn = required(f, "RoleArn", err);
	if (p->role_arn == NULL || check_arn(p->role_arn, "roleArn", err) == -1)
		return -1;
	p->session_name = required(f, "RoleSessionName", err);
	if (p->session_name == NULL)
		return -1;
	if (!gw_sts_valid_session_name(p->session_name)) {
		constraint_error(err, p->session_name, "roleSessionName",
				 "Member must satisfy regular expression "
				 "pattern: [\\w+=,.@-]* with length 2..64");
		return -1;
	}
	if (parse_duration(gw_form_get(f, "DurationSeconds"), &p->duration,
			   err) == -1)
		return -1;
	p->policy = gw_form_get(f, "Policy");
	if (p->policy != NULL && check_policy(p->policy, err) == -1)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	if (read_policy_arns(f, &tmp, err) == -1)
		return -1;
	memcpy(p->policy_arns, tmp.policy_arns, sizeof(tmp.policy_arns));
	p->n_policy_arns = tmp.n_policy_arns;
	if (read_tags(f, p, err) == -1 || read_transitive(f, p, err) == -1)
		return -1;
	return read_ar_optionals(f, p, err);
}

int
gw_sts_gst_duration(const struct gw_form *f, int *out, struct core_err *err)
{
	const char *v = gw_form_get(f, "DurationSeconds");
	long n;

	*out = 43200;
	if (v == NULL)
		return 0;
	if (v[0] == '\0' || strlen(v) > 9 ||
	    strspn(v, "0123456789") != strlen(v)) {
		constraint_error(err, v, "durationSeconds",
				 "Member must be an integer");
		return -1;
	}
	n = strtol(v, NULL, 10);
	if (n < 900 || n > 129600) {
		constraint_error(err, v, "durationSeconds", n < 900
				 ? "Member must have value greater than or "
				   "equal to 900"
				 : "Member must have value less than or equal "
				   "to 129600");
		return -1;
	}
	*out = (int)n;
	return 0;
}

/* ---- AssumeRoleWithSAML ([3/5]) ---- */

int
gw_sts_saml_params(const struct gw_form *f, struct gw_saml_params *p,
		   struct core_err *err)
{
	struct gw_awi_params tmp;
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	p->role_arn = required(f, "RoleArn", err);
	if (p->role_arn == NULL || check_arn(p->role_arn, "roleArn", err) == -1)
		return -1;
	p->principal_arn = required(f, "PrincipalArn", err);
	if (p->principal_arn == NULL ||
	    check_arn(p->principal_arn, "principalArn", err) == -1)
		return -1;
	p->assertion = gw_form_get_len(f, "SAMLAssertion", &n);
	if (p->assertion == NULL || n == 0) {
		required(f, "SAMLAssertion", err);
		return -1;
	}
	if (n < 4 || n > 100000) {
		core_err_set(err, CORE_EVALIDATION, "parameter_invalid",
			     "1 validation error detected: Value at "
			     "'SAMLAssertion' failed to satisfy constraint: "
			     "Member must have length %s", n < 4
				 ? "greater than or equal to 4"
				 : "less than or equal to 100000");
		return -1;
	}
	p->assertion_len = n;
	if (parse_duration(gw_form_get(f, "DurationSeconds"), &p->duration,
			   err) == -1)
		return -1;
	p->policy = gw_form_get(f, "Policy");
	if (p->policy != NULL && check_policy(p->policy, err) == -1)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	if (read_policy_arns(f, &tmp, err) == -1)
		return -1;
	memcpy(p->policy_arns, tmp.policy_arns, sizeof(tmp.policy_arns));
	p->n_policy_arns = tmp.n_policy_arns;
	return 0;
}
