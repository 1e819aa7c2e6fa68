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
struct gw_principal;
struct trust_ctx;
struct core_buf;

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

/**
 * Evaluate the role's trust policy for action (set into ctx). In dev mode
 * the decision trace is logged (no tokens: only the values evaluated).
 */
enum trust_decision gw_authz_trust(struct gw_app *app,
				   const struct gw_role *role,
				   struct trust_ctx *ctx, const char *action);

/** Bytes of session tags (keys + values) for the packed-size budget. */
size_t gw_tag_bytes(const struct fed_identity *id);

/**
 * Condition keys that describe an authenticated caller, as AWS sets them
 * for later requests: aws:userid, aws:username (users), aws:PrincipalArn
 * (the role ARN for role sessions), aws:PrincipalAccount, aws:PrincipalType,
 * aws:PrincipalTag/K (role or user tags, overridden by session tags),
 * aws:SourceIdentity, aws:FederatedProvider, <provider>:sub, plus the
 * request's aws:SourceIp, aws:CurrentTime, aws:EpochTime.
 */
void gw_authz_principal_keys(struct gw_app *app, struct trust_ctx *ctx,
			     const struct gw_principal *p,
			     const char *source_ip, int64_t now);

/**
 * What the caller's permissions allow for the action/resource already set
 * in ctx: identity policies (inline + attached managed) of its user or
 * role, intersected with the session policies the session carries.
 * An explicit Deny anywhere wins. trace (may be NULL) gets the reasoning.
 */
enum trust_decision gw_authz_permissions(struct gw_app *app,
					 const struct gw_principal *p,
					 const struct trust_ctx *ctx,
					 struct core_buf *trace);

/**
 * Do the caller's session policies (if any) allow the action in ctx? 1 when
 * the session carries none. Resource-policy grants to a role are limited by
 * the session policies of its sessions too (IAM policy evaluation logic).
 */
int gw_authz_session_allows(struct gw_app *app, const struct gw_principal *p,
			    const struct trust_ctx *ctx);

/**
 * Resolve session PolicyArns: each must name a configured managed policy.
 * 0, or -1 with CORE_EINVALID_PARAM naming the unknown ARN.
 */
int gw_authz_check_policy_arns(struct gw_app *app, const char *const *arns,
			       size_t n, struct core_err *err);

#endif /* GW_AUTHZ_H */
