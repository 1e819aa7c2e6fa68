/* gateway/web_issue.c - roles and credentials for a signed-in browser */
#include "gateway/web_issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/timeutil.h"
#include "federation/mint.h"
#include "federation/oidc.h"
#include "federation/oidc_code.h"
#include "federation/saml.h"
#include "federation/saml_authn.h"
#include "gateway/app.h"
#include "gateway/authz.h"
#include "gateway/conf.h"
#include "gateway/saml_claims.h"
#include "gateway/sts_int.h"
#include "gateway/sts_params.h"
#include "gateway/websess.h"

#define SAML_ROLE_ATTR GW_SAML_ATTR_PREFIX "Role"

int
gw_web_identity_load(struct gw_web_identity *wi, const struct gw_websess *ws,
		     struct core_err *err)
{
	size_t n = strlen(ws->identity);

	memset(wi, 0, sizeof(*wi));
	wi->kind = ws->kind;
	snprintf(wi->provider, sizeof(wi->provider), "%s", ws->provider);
	if (ws->kind == GW_LOGIN_OIDC)
		wi->oidc = fed_identity_from_json(ws->identity, n, err);
	else
		wi->saml = fed_saml_assertion_from_json(ws->identity, n, err);
	return wi->oidc != NULL || wi->saml != NULL ? 0 : -1;
}

void
gw_web_identity_clear(struct gw_web_identity *wi)
{
	fed_identity_free(wi->oidc);
	fed_saml_assertion_free(wi->saml);
	memset(wi, 0, sizeof(*wi));
}

const char *
gw_web_identity_label(const struct gw_web_identity *wi)
{
	const char *s;

	if (wi->oidc != NULL) {
		if ((s = fed_identity_claim(wi->oidc, "email")) != NULL ||
		    (s = fed_identity_claim(wi->oidc, "name")) != NULL)
			return s;
		return wi->oidc->subject;
	}
	if (wi->saml != NULL && wi->saml->name_id != NULL)
		return wi->saml->name_id;
	return "unknown user";
}

/*
 * RoleSessionName of an OIDC sign-in: the email claim when it is a valid
 * session name (what people recognise in CloudTrail-style logs), else the
 * subject, cut to AWS's 64 characters of [\w+=,.@-].
 */
static void
oidc_session_name(const struct fed_identity *id, char *out, size_t size)
{
	const char *email = fed_identity_claim(id, "email");
	const char *src = email != NULL && gw_sts_valid_session_name(email) ?
			  email : id->subject;
	size_t n = 0;

	for (const char *p = src; *p != '\0' && n + 1 < size && n < 64; p++) {
		char c = *p;

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || strchr("_+=,.@-", c) != NULL))
			c = '-';
		out[n++] = c;
	}
	while (n < 2 && n + 1 < size)
		out[n++] = '-';
	out[n] = '\0';
}

static int
oidc_admits(struct gw_app *app, const struct gw_req *req,
	    const struct fed_identity *id, const struct gw_role *role,
	    int64_t now, struct core_err *err)
{
	char name[72];

	oidc_session_name(id, name, sizeof(name));
	return gw_trust_web_identity(app, req, role, id, name, now, err);
}

/* Split "a,b" of the Role attribute into role and saml-provider ARNs. */
static int
role_pair_split(const char *v, char *role, char *principal, size_t size)
{
	const char *comma = strchr(v, ',');
	char a[256], b[256];
	size_t alen;

	if (comma == NULL || strchr(comma + 1, ',') != NULL)
		return -1;
	alen = (size_t)(comma - v);
	if (alen >= sizeof(a) || strlen(comma + 1) >= sizeof(b))
		return -1;
	memcpy(a, v, alen);
	a[alen] = '\0';
	snprintf(b, sizeof(b), "%s", comma + 1);
	if (strstr(a, ":saml-provider/") != NULL) {
		snprintf(principal, size, "%s", a);
		snprintf(role, size, "%s", b);
	} else {
		snprintf(role, size, "%s", a);
		snprintf(principal, size, "%s", b);
	}
	return 0;
}

/* The pair's provider must be the IdP this browser signed in with. */
static int
principal_is_provider(struct gw_app *app, const char *principal,
		      const char *provider)
{
	int i = gw_conf_find_saml_idp(app->conf, principal);

	return i >= 0 && app->saml != NULL &&
	       strcmp(fed_saml_idp_name(app->saml, (size_t)i), provider) == 0;
}

/*
 * Does the assertion admit role_arn? Fills principal (the pair's provider
 * ARN) and *max (the granted maximum) when it does.
 */
static int
saml_admits(struct gw_app *app, const struct gw_req *req,
	    const struct gw_web_identity *wi, const struct gw_saml_claims *cl,
	    const struct gw_role *role, char *principal, size_t psize,
	    int *max, int64_t now, struct core_err *err)
{
	const struct fed_saml_attr *at = fed_saml_attr(wi->saml, SAML_ROLE_ATTR);
	char r[256], p[256];

	for (size_t i = 0; at != NULL && i < at->n_values; i++) {
		if (role_pair_split(at->values[i], r, p, sizeof(r)) == -1 ||
		    strcmp(r, role->arn) != 0 ||
		    !principal_is_provider(app, p, wi->provider))
			continue;
		if (gw_saml_trust_check(app, req->source_ip, wi->saml, cl,
					role, p, now, err) == -1)
			continue;
		snprintf(principal, psize, "%s", p);
		*max = role->max_session_duration;
		if (cl->session_duration > 0 && cl->session_duration < *max)
			*max = cl->session_duration;
		return 0;
	}
	core_err_set(err, CORE_EACCESS, "trust_policy_denied",
		     "Not authorized to perform sts:AssumeRoleWithSAML");
	return -1;
}

/*
 * The sign-in must still be one the running config accepts: a provider (or
 * its login block) removed on reload ends its browsers' sessions, as the
 * STS API stops taking its tokens; an OIDC identity must still be for the
 * provider's client and in its hosted domain (both may change on reload).
 */
static int
login_still_enabled(const struct gw_app *app, const struct gw_web_identity *wi)
{
	const struct gw_login_provider *lp =
	    gw_conf_find_login(app->conf, wi->provider);
	const struct fed_identity *id = wi->oidc;
	const char *hd;

	if (lp == NULL || (int)lp->kind != wi->kind)
		return 0;
	if (id == NULL)
		return 1;
	hd = fed_identity_claim(id, "hd");
	return id->provider_name != NULL &&
	       strcmp(id->provider_name, lp->name) == 0 &&
	       id->audience != NULL && strcmp(id->audience, lp->client_id) == 0 &&
	       (lp->hosted_domain == NULL ||
		(hd != NULL && strcmp(hd, lp->hosted_domain) == 0));
}

/* What every role check of one identity shares: checked and read once. */
struct admit_ctx {
	struct gw_saml_claims claims;	/* SAML: the AWS attributes */
	int64_t now;
};

static int
admit_prepare(const struct gw_app *app, const struct gw_web_identity *wi,
	      struct admit_ctx *ac, struct core_err *err)
{
	memset(ac, 0, sizeof(*ac));
	ac->now = core_now();
	if (!login_still_enabled(app, wi)) {
		core_err_set(err, CORE_EACCESS, "provider_not_enabled",
			     "This sign-in's provider is no longer enabled");
		return -1;
	}
	return wi->saml != NULL ?
	       gw_saml_claims_read(wi->saml, &ac->claims, err) : 0;
}

static int
admits(struct gw_app *app, const struct gw_req *req,
       const struct gw_web_identity *wi, const struct admit_ctx *ac,
       const struct gw_role *role, struct gw_web_role *out,
       struct core_err *err)
{
	memset(out, 0, sizeof(*out));
	out->role = role;
	out->max_duration = role->max_session_duration;
	if (wi->oidc != NULL)
		return oidc_admits(app, req, wi->oidc, role, ac->now, err);
	return saml_admits(app, req, wi, &ac->claims, role, out->principal_arn,
			   sizeof(out->principal_arn), &out->max_duration,
			   ac->now, err);
}

static const char *
account_label(const struct gw_conf *c, const struct gw_role *r)
{
	const char *n = gw_conf_account_name(c, r->account_id);

	return n != NULL ? n : r->account_id;
}

static int
role_cmp(const void *a, const void *b, void *conf)
{
	const struct gw_web_role *x = a, *y = b;
	int c = strcmp(account_label(conf, x->role),
		       account_label(conf, y->role));

	return c != 0 ? c : strcmp(x->role->arn, y->role->arn);
}

size_t
gw_web_admitted_roles(struct gw_app *app, const struct gw_req *req,
		      const struct gw_web_identity *wi,
		      struct gw_web_role *out, size_t max)
{
	struct core_err err = {0};
	struct admit_ctx ac;
	size_t n = 0;

	if (admit_prepare(app, wi, &ac, &err) == -1)
		return 0;
	for (size_t i = 0; i < app->conf->n_roles && n < max; i++) {
		if (admits(app, req, wi, &ac, &app->conf->roles[i], &out[n],
			   &err) == 0)
			n++;
	}
	qsort_r(out, n, sizeof(*out), role_cmp, app->conf);
	return n;
}

static int
issue_oidc(struct gw_app *app, const struct gw_web_identity *wi,
	   const struct gw_role *role, int duration, int64_t now,
	   struct fed_session *s)
{
	char name[72];

	oidc_session_name(wi->oidc, name, sizeof(name));
	gw_awi_session(s, role, wi->oidc, name, NULL, NULL, 0, now, duration);
	return 0;
}

static int
issue_saml(const struct gw_web_identity *wi, const struct gw_saml_claims *cl,
	   const struct gw_web_role *wr, int duration, int64_t now,
	   struct fed_session *s, struct core_err *err)
{
	int d;

	if (gw_saml_duration(wr->role, cl, wi->saml, duration, now, &d,
			     err) == -1)
		return -1;
	gw_saml_session(s, wr->role, cl, wi->saml, wr->principal_arn, NULL,
			NULL, 0, now, d);
	return 0;
}

static size_t
session_tag_bytes(const struct fed_session *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_tags; i++)
		n += strlen(s->tags[i].key) + strlen(s->tags[i].value);
	return n;
}

int
gw_web_issue(struct gw_app *app, const struct gw_req *req,
	     const struct gw_web_identity *wi, const char *role_arn,
	     int duration, struct fed_session *s, char **token,
	     struct core_err *err)
{
	const struct gw_role *role = gw_conf_find_role(app->conf, role_arn);
	struct admit_ctx ac;
	struct gw_web_role wr;
	int d;

	memset(s, 0, sizeof(*s));
	*token = NULL;
	if (role == NULL) {
		core_err_set(err, CORE_EACCESS, "role_unknown",
			     "This role does not admit you");
		return -1;
	}
	if (admit_prepare(app, wi, &ac, err) == -1 ||
	    admits(app, req, wi, &ac, role, &wr, err) == -1)
		return -1;
	if (duration > wr.max_duration) {
		core_err_set(err, CORE_EVALIDATION, "duration_exceeds_role_max",
			     "The requested duration exceeds the maximum "
			     "session duration for this role (%d seconds)",
			     wr.max_duration);
		return -1;
	}
	if (gw_sts_duration(duration, role->max_session_duration, &d, err) == -1)
		return -1;
	if (wi->oidc != NULL)
		issue_oidc(app, wi, role, d, ac.now, s);
	else if (issue_saml(wi, &ac.claims, &wr, d, ac.now, s, err) == -1)
		return -1;
	/* The STS API refuses tags beyond the packed allotment: so here. */
	if (gw_sts_packed_size(NULL, NULL, 0, session_tag_bytes(s), err) < 0)
		return -1;
	*token = fed_mint_seal(app->keyring, s, err);
	return *token == NULL ? -1 : 0;
}
