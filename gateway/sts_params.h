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
