/* gateway/sts_params.h - server-side validation of STS request parameters
 *
 * Clients validate almost nothing (sts-wire.md §1.4), so every length and
 * pattern of the botocore model is enforced here, with AWS's messages.
 */
#ifndef GW_STS_PARAMS_H
#define GW_STS_PARAMS_H

#include <stddef.h>

#include "core/err.h"

struct gw_form;

#define GW_STS_MAX_POLICY_ARNS 10
#define GW_STS_MAX_SESSION_POLICY 2048

struct gw_awi_params {
	const char *role_arn;
	const char *session_name;
	const char *token;	/* borrowed from the form; never logged */
	size_t token_len;	/* one trailing "\n" or "\r\n" removed */
	int duration;		/* 0: not given */
	const char *policy;	/* NULL: not given */
	const char *policy_arns[GW_STS_MAX_POLICY_ARNS];
	size_t n_policy_arns;
};

/**
 * Read and validate AssumeRoleWithWebIdentity parameters.
 * err: CORE_EMISSING_PARAM, CORE_EVALIDATION. 0 or -1.
 */
int gw_sts_awi_params(const struct gw_form *f, struct gw_awi_params *p,
		      struct core_err *err);

#define GW_STS_MAX_TAGS 50

struct gw_sts_tag {
	const char *key;
	const char *value;
};

/* AssumeRole (sts-wire.md §1.6); strings borrowed from the form. */
struct gw_ar_params {
	const char *role_arn;
	const char *session_name;
	int duration;			/* 0: not given */
	const char *policy;
	const char *policy_arns[GW_STS_MAX_POLICY_ARNS];
	size_t n_policy_arns;
	struct gw_sts_tag tags[GW_STS_MAX_TAGS];
	size_t n_tags;
	const char *transitive[GW_STS_MAX_TAGS];
	size_t n_transitive;
	const char *external_id;	/* 2..1224 [\w+=,.@:\/-]* */
	const char *source_identity;	/* 2..64 [\w+=,.@-]*, not "aws:" */
	const char *serial_number;	/* MFA: refused (not supported) */
	const char *token_code;
};

/* AssumeRoleWithSAML; strings borrowed from the form. */
struct gw_saml_params {
	const char *role_arn;
	const char *principal_arn;
	const char *assertion;	/* base64 SAMLResponse; never logged */
	size_t assertion_len;
	int duration;		/* 0: not given */
	const char *policy;
	const char *policy_arns[GW_STS_MAX_POLICY_ARNS];
	size_t n_policy_arns;
};

/** Read and validate AssumeRoleWithSAML parameters. */
int gw_sts_saml_params(const struct gw_form *f, struct gw_saml_params *p,
		       struct core_err *err);

/** Read and validate AssumeRole parameters (all model constraints). */
int gw_sts_ar_params(const struct gw_form *f, struct gw_ar_params *p,
		     struct core_err *err);

/** DurationSeconds of GetSessionToken: 900..129600, default 43200. */
int gw_sts_gst_duration(const struct gw_form *f, int *out,
			struct core_err *err);

/** IAM tag key/value character rules (ASCII subset + any UTF-8 letter). */
int gw_sts_valid_tag(const char *key, const char *value);

/** RoleSessionName / SourceIdentity pattern: [\w+=,.@-]{2,64}. */
int gw_sts_valid_session_name(const char *s);

/**
 * Check DurationSeconds against the role maximum; fills *out (default
 * 3600, or the role max if that is lower). Never clamps a given value.
 */
int gw_sts_duration(int requested, int role_max, int *out,
		    struct core_err *err);

/**
 * Packed size of session policy + tags as a percentage of the allotted
 * space (AWS's PackedPolicySize); -1 with CORE_EPACKED_TOO_LARGE over 100.
 */
int gw_sts_packed_size(const char *policy, const char *const *arns,
		       size_t n_arns, size_t tag_bytes, struct core_err *err);

#endif /* GW_STS_PARAMS_H */
