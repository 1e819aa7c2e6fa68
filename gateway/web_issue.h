/* gateway/web_issue.h - what a signed-in browser may assume, and issuing it
 *
 * The login page makes the same decisions as the STS API: an OIDC sign-in
 * is judged as AssumeRoleWithWebIdentity with the ID token's claims, a SAML
 * sign-in as AssumeRoleWithSAML with the assertion's Role pairs and
 * attributes. Only the identity comes from the web session; the rest
 * (roles, trust policies, limits) from the running config.
 */
#ifndef GW_WEB_ISSUE_H
#define GW_WEB_ISSUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct gw_app;
struct gw_req;
struct gw_role;
struct gw_websess;
struct fed_identity;
struct fed_saml_assertion;
struct fed_session;

#define GW_WEB_MAX_ROLES 200

/* A validated identity, back from the web session. */
struct gw_web_identity {
	int kind;				/* enum gw_login_kind */
	char provider[72];
	struct fed_identity *oidc;		/* kind GW_LOGIN_OIDC */
	struct fed_saml_assertion *saml;	/* kind GW_LOGIN_SAML */
};

/** Parse the session's identity JSON. -1 with err CORE_EINTERNAL. */
int gw_web_identity_load(struct gw_web_identity *wi,
			 const struct gw_websess *ws, struct core_err *err);
void gw_web_identity_clear(struct gw_web_identity *wi);

/** The label pages and audit show: email, name, NameID or subject. Borrowed. */
const char *gw_web_identity_label(const struct gw_web_identity *wi);

/* One role the identity may assume. */
struct gw_web_role {
	const struct gw_role *role;
	char principal_arn[256];	/* SAML: the pair's saml-provider ARN */
	int max_duration;		/* role max, or less (SAML SessionDuration) */
};

/**
 * Every configured role whose trust policy admits this identity now,
 * sorted by account name (or id) then role ARN; at most max.
 */
size_t gw_web_admitted_roles(struct gw_app *app, const struct gw_req *req,
			     const struct gw_web_identity *wi,
			     struct gw_web_role *out, size_t max);

/**
 * Issue credentials for role_arn (must be admitted) lasting duration
 * seconds (900..the role's maximum). s and *token (sealed session token)
 * are the caller's to free (fed_session_free of a heap copy; free).
 * -1 with err: CORE_EACCESS (not admitted), CORE_EVALIDATION (duration).
 */
int gw_web_issue(struct gw_app *app, const struct gw_req *req,
		 const struct gw_web_identity *wi, const char *role_arn,
		 int duration, struct fed_session *s, char **token,
		 struct core_err *err);

#endif /* GW_WEB_ISSUE_H */
