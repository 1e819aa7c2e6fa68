/* gateway/sts_int.h - shared between the signed STS action handlers */
#ifndef GW_STS_INT_H
#define GW_STS_INT_H

#include "federation/mint.h"
#include "gateway/authn.h"
#include "gateway/http.h"
#include "gateway/sts_params.h"

#include <stdint.h>

struct gw_app;
struct gw_role;

/* One signed call: who, what it produced, for audit and rendering. */
struct gw_signed_call {
	const char *action;
	struct gw_principal caller;
	int authenticated;
	struct gw_ar_params ar;
	const struct gw_role *role;
	struct fed_session s;
	int have_session;
	char *session_token;
	int packed;
	char *revoke_target;		/* RevokeSessions: what, for audit */
};

/** "<Credentials>...</Credentials>" of a Result. */
void gw_sts_render_credentials(struct core_buf *b, const struct fed_session *s,
			       const char *token);

/** "<AssumedRoleUser><Arn/><AssumedRoleId/></AssumedRoleUser>" of a role session. */
void gw_sts_render_assumed_role_user(struct core_buf *b,
				     const struct fed_session *s);

/**
 * Fill s as a new session of role r: fresh keys, ARNs and ids, session
 * policies, issue and expiry times. Tags, source identity and provider
 * are the caller's to add.
 */
void gw_sts_role_session(struct fed_session *s, const struct gw_role *r,
			 const char *session_name, const char *policy,
			 const char *const *arns, size_t n_arns, int64_t now,
			 int duration);

/** Append one session tag (copied). */
void gw_sts_session_add_tag(struct fed_session *s, const char *key,
			    const char *value, int transitive);

struct fed_identity;
struct fed_saml_assertion;
struct gw_saml_claims;

/**
 * Fill s as a new AssumeRoleWithWebIdentity session of role for the
 * validated identity id: the token's session tags and source identity,
 * its oidc-provider ARN and subject (shared with the login page).
 */
void gw_awi_session(struct fed_session *s, const struct gw_role *role,
		    const struct fed_identity *id, const char *session_name,
		    const char *policy, const char *const *arns,
		    size_t n_arns, int64_t now, int duration);

/**
 * AssumeRoleWithSAML's decision for a validated assertion a and its AWS
 * attributes claims: the IdP must list the (role, principal_arn) pair, and
 * the role's trust policy must allow sts:AssumeRoleWithSAML (+ TagSession,
 * SetSourceIdentity when used) with the SAML:* keys. 0, or -1 with
 * CORE_EACCESS. role may be NULL (unknown: same answer).
 */
int gw_saml_trust_check(struct gw_app *app, const char *source_ip,
			const struct fed_saml_assertion *a,
			const struct gw_saml_claims *claims,
			const struct gw_role *role, const char *principal_arn,
			int64_t now, struct core_err *err);

/**
 * The session length AssumeRoleWithSAML grants: min(requested (0: 3600),
 * role max, SessionDuration attribute, SessionNotOnOrAfter). -1 with err
 * when the request exceeds the role's maximum or the SAML session is over.
 */
int gw_saml_duration(const struct gw_role *role,
		     const struct gw_saml_claims *claims,
		     const struct fed_saml_assertion *a, int requested,
		     int64_t now, int *out, struct core_err *err);

/** Fill s as a new AssumeRoleWithSAML session (tags, source identity, subject). */
void gw_saml_session(struct fed_session *s, const struct gw_role *role,
		     const struct gw_saml_claims *claims,
		     const struct fed_saml_assertion *a,
		     const char *principal_arn, const char *policy,
		     const char *const *arns, size_t n_arns, int64_t now,
		     int duration);

/** AssumeRole: trust (both sides for cross-account), chaining, tags. */
int gw_sts_assume_role(struct gw_app *app, const struct gw_req *req,
		       struct gw_signed_call *c, struct gw_resp *resp,
		       struct core_err *err);

#endif /* GW_STS_INT_H */
