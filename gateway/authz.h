/* gateway/authz.h - trust decisions: identity + request -> trust/ context */
#ifndef GW_AUTHZ_H
#define GW_AUTHZ_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct gw_app;
struct gw_req;
struct gw_role;
struct gw_named_policy;
struct fed_identity;

/**
 * May this web identity assume role (NULL: no such role)? Builds the
 * condition context (every claim as <provider>:<claim>, sts:RoleSessionName,
 * aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:RequestTag/K,
 * aws:TagKeys, sts:SourceIdentity) and evaluates the trust policy for
 * sts:AssumeRoleWithWebIdentity, plus sts:TagSession when the token carries
 * session tags and sts:SetSourceIdentity when it carries a source identity.
 * 0 allowed; -1 with CORE_EACCESS otherwise (same message whether or not
 * the role exists). In dev mode the decision trace is logged.
 */
int gw_trust_web_identity(struct gw_app *app, const struct gw_req *req,
			  const struct gw_role *role,
			  const struct fed_identity *id,
			  const char *session_name, int64_t now,
			  struct core_err *err);

/** Bytes of session tags (keys + values) for the packed-size budget. */
size_t gw_tag_bytes(const struct fed_identity *id);

/**
 * The role's named policy that arn (arn:aws:iam::ACCT:policy/NAME) names,
 * with ACCT the role's account; NULL if none.
 */
const struct gw_named_policy *gw_role_policy_by_arn(const struct gw_role *role,
						    const char *arn);

#endif /* GW_AUTHZ_H */
