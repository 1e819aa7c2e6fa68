/* tests/unit/test_authz.c - permissions of authenticated callers, S3 mapping
 *
 * The evaluator cases follow the IAM User Guide, "Policy evaluation logic"
 * and the element pages it links (sts-wire.md §4): explicit deny wins,
 * implicit deny by default, session permissions = identity ∩ session
 * policies, NotAction/NotResource, wildcards, policy variables and the
 * aws:* condition keys AWS sets for IAM users and assumed-role sessions.
 * Principals are built by hand, as gateway/authn.c builds them after a
 * SigV4 verification, so no keys or signatures are involved here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "federation/mint.h"
#include "gateway/app.h"
#include "gateway/authn.h"
#include "gateway/authorize.h"
#include "gateway/authz.h"
#include "gateway/conf.h"
#include "trust/policy.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ACCT "111122223333"
#define NOW 1767225600			/* 2026-01-01T00:00:00Z */
#define LATER 1900000000		/* 2030-03-17, after the DateLessThan */
#define FED_PROVIDER "arn:aws:iam::" ACCT ":oidc-provider/idp.example/oidc"
#define POL(name) "arn:aws:iam::" ACCT ":policy/" name

#define ALLOW TRUST_ALLOW
#define IMPLICIT TRUST_IMPLICIT_DENY
#define EXPLICIT TRUST_EXPLICIT_DENY

/* Every role may be assumed by the account: trust is not under test here. */
#define TRUST								\
	"    trust_policy: {Version: \"2012-10-17\", Statement: [{Effect: "	\
	"Allow, Principal: {AWS: \"" ACCT "\"}, Action: \"sts:AssumeRole\"}]}\n"
#define V "        Version: \"2012-10-17\"\n"

static const char conf_text[] =
    "account_id: \"" ACCT "\"\n"
    "managed_policies:\n"
    "  list-shared:\n"
    "    Version: \"2012-10-17\"\n"
    "    Statement: [{Effect: Allow, Action: \"s3:ListBucket\", "
    "Resource: \"arn:aws:s3:::shared\"}]\n"
    "  get-public:\n"
    "    Version: \"2012-10-17\"\n"
    "    Statement: [{Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::shared/public/*\"}]\n"
    "  get-docs:\n"
    "    Version: \"2012-10-17\"\n"
    "    Statement: [{Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::shared/docs/*\"}]\n"
    "  s3-read:\n"
    "    Version: \"2012-10-17\"\n"
    "    Statement: [{Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::shared/*\"}]\n"
    "  deny-delete:\n"
    "    Version: \"2012-10-17\"\n"
    "    Statement: [{Effect: Deny, Action: \"s3:DeleteObject\", "
    "Resource: \"*\"}]\n"
    "users:\n"
    "  - name: alice\n"
    "    tags: {team: blue}\n"
    "    managed_policies: [\"" POL("s3-read") "\", \"" POL("deny-delete")
    "\"]\n"
    "    policies:\n"
    "      home:\n" V
    "        Statement:\n"
    "          - {Effect: Allow, Action: \"s3:*\", "
    "Resource: \"arn:aws:s3:::home/${aws:username}/*\"}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::uploads/${aws:userid}/*\"}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::team/*\", Condition: {StringEquals: "
    "{\"aws:PrincipalTag/team\": blue}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::users-only/*\", Condition: {StringEquals: "
    "{\"aws:PrincipalType\": User, \"aws:PrincipalArn\": "
    "\"arn:aws:iam::" ACCT ":user/alice\"}}}\n"
    "      legacy:\n"
    "        Version: \"2008-10-17\"\n"
    "        Statement: [{Effect: Allow, Action: \"s3:GetObjectTagging\", "
    "Resource: \"arn:aws:s3:::old/${aws:username}/*\"}]\n"
    "  - name: bob\n"
    "roles:\n"
    "  - name: empty\n" TRUST
    "  - name: denier\n" TRUST
    "    policies:\n"
    "      p:\n" V
    "        Statement:\n"
    "          - {Effect: Allow, Action: \"s3:*\", Resource: \"*\"}\n"
    "          - {Effect: Deny, Action: \"s3:DeleteObject\", "
    "Resource: \"arn:aws:s3:::prod/*\"}\n"
    "  - name: reader\n" TRUST
    "    managed_policies: [\"" POL("list-shared") "\"]\n"
    "    policies:\n"
    "      r:\n" V
    "        Statement: [{Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::shared/*\"}]\n"
    "  - name: notaction\n" TRUST
    "    policies:\n"
    "      p:\n" V
    "        Statement: [{Effect: Allow, NotAction: \"s3:Delete*\", "
    "Resource: \"*\"}]\n"
    "  - name: notresource\n" TRUST
    "    policies:\n"
    "      p:\n" V
    "        Statement:\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", "
    "NotResource: [\"arn:aws:s3:::secret/*\"]}\n"
    "          - {Effect: Allow, Action: \"s3:PutObject\", Resource: \"*\"}\n"
    "          - {Effect: Deny, Action: \"s3:PutObject\", "
    "NotResource: \"arn:aws:s3:::inbox/*\"}\n"
    "  - name: wild\n" TRUST
    "    policies:\n"
    "      p:\n" V
    "        Statement:\n"
    "          - Effect: Allow\n"
    "            Action: [\"s3:Get*\", \"S3:LIST*\"]\n"
    "            Resource: [\"arn:aws:s3:::b/*\", \"arn:aws:s3:::b\", "
    "\"arn:aws:s3:::log-?" "?/*\"]\n"
    "          - {Effect: Allow, Action: \"ec2:Describe?nstances\", "
    "Resource: \"arn:aws:ec2:*:" ACCT ":instance/*\"}\n"
    "  - name: vars\n" TRUST
    "    tags: {team: red}\n"
    "    policies:\n"
    "      p:\n" V
    "        Statement:\n"
    "          - {Effect: Allow, Action: \"s3:PutObject\", "
    "Resource: \"arn:aws:s3:::uploads/${aws:userid}/*\"}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", "
    "Resource: \"arn:aws:s3:::teams/${aws:PrincipalTag/team}/*\"}\n"
    "          - {Effect: Allow, Action: \"s3:ListBucket\", "
    "Resource: \"arn:aws:s3:::proj-${aws:PrincipalTag/project, 'common'}\"}\n"
    "          - {Effect: Allow, Action: \"s3:DeleteObject\", "
    "Resource: \"arn:aws:s3:::web/${idp.example/oidc:sub}/*\"}\n"
    "          - {Effect: Allow, Action: \"s3:GetObjectVersion\", "
    "Resource: \"arn:aws:s3:::dept/${aws:PrincipalTag/dept}*\"}\n"
    "  - name: cond\n" TRUST
    "    tags: {team: red, Env: prod}\n"
    "    policies:\n"
    "      p:\n" V
    "        Statement:\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/tag/*\", Condition: {StringEquals: "
    "{\"aws:PrincipalTag/team\": red}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/tagkey/*\", Condition: {StringEquals: "
    "{\"AWS:principaltag/ENV\": prod}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/arn/*\", Condition: {ArnEquals: "
    "{\"aws:PrincipalArn\": \"arn:aws:iam::" ACCT ":role/cond\"}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/sts/*\", Condition: {ArnLike: "
    "{\"aws:PrincipalArn\": \"arn:aws:sts::" ACCT ":assumed-role/cond/*\"}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/acct/*\", Condition: {StringEquals: "
    "{\"aws:PrincipalAccount\": \"" ACCT "\"}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/type/*\", Condition: {StringEquals: "
    "{\"aws:PrincipalType\": AssumedRole}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/si/*\", Condition: {StringEquals: "
    "{\"aws:SourceIdentity\": alice@example.com}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/ip/*\", Condition: {IpAddress: "
    "{\"aws:SourceIp\": \"10.0.0.0/8\"}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/time/*\", Condition: {DateLessThan: "
    "{\"aws:CurrentTime\": \"2030-01-01T00:00:00Z\"}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/mfa/*\", Condition: {Bool: "
    "{\"aws:MultiFactorAuthPresent\": \"true\"}}}\n"
    "          - {Effect: Allow, Action: \"s3:GetObject\", Resource: "
    "\"arn:aws:s3:::cond/and/*\", Condition: {StringEquals: "
    "{\"aws:PrincipalTag/team\": red}, IpAddress: "
    "{\"aws:SourceIp\": \"10.0.0.0/8\"}}}\n"
    "  - name: mfa\n" TRUST
    "    policies:\n"
    "      p:\n" V
    "        Statement:\n"
    "          - {Effect: Allow, Action: \"s3:*\", Resource: \"*\"}\n"
    "          - {Effect: Deny, Action: \"s3:DeleteObject\", Resource: \"*\", "
    "Condition: {BoolIfExists: {\"aws:MultiFactorAuthPresent\": \"false\"}}}\n";

/* ---- principals ---- */

/* A session as AssumeRole* or GetSessionToken would have issued it. */
struct sess_spec {
	const char *session_name;	/* default "sess" */
	const char *policy;		/* inline session policy */
	const char *arns[3];		/* PolicyArns */
	const char *tags[7];		/* key, value, ..., NULL */
	const char *source_identity;
	const char *subject;		/* web identity sub, FED_PROVIDER */
};

/*
 * who: "user:NAME" (long-term key), "usersess:NAME" (GetSessionToken) or
 * "role:NAME" (assumed-role session; a NAME not in the config is a role
 * deleted after the session was issued).
 */
struct az_case {
	const char *name;
	const char *who;
	struct sess_spec s;
	const char *action;
	const char *resource;	/* "@UID@" is replaced by aws:userid */
	const char *ip;		/* default 203.0.113.7 */
	int64_t now;		/* default NOW */
	enum trust_decision want;
};

static struct gw_conf *conf;
static struct gw_app app;

static char *
xstrdup_or_null(const char *s)
{
	return s != NULL ? core_xstrdup(s) : NULL;
}

static void
fill_session(struct fed_session *s, const struct sess_spec *sp)
{
	size_t n;

	s->source_identity = xstrdup_or_null(sp->source_identity);
	s->session_policy = xstrdup_or_null(sp->policy);
	for (n = 0; n < NELEM(sp->arns) && sp->arns[n] != NULL; n++)
		;
	s->policy_arns = core_xcalloc(n + 1, sizeof(char *));
	for (s->n_policy_arns = 0; s->n_policy_arns < n; s->n_policy_arns++)
		s->policy_arns[s->n_policy_arns] =
		    core_xstrdup(sp->arns[s->n_policy_arns]);
	for (n = 0; n + 1 < NELEM(sp->tags) && sp->tags[n] != NULL; n += 2)
		;
	s->tags = core_xcalloc(n / 2 + 1, sizeof(*s->tags));
	for (s->n_tags = 0; s->n_tags < n / 2; s->n_tags++) {
		s->tags[s->n_tags].key = core_xstrdup(sp->tags[2 * s->n_tags]);
		s->tags[s->n_tags].value =
		    core_xstrdup(sp->tags[2 * s->n_tags + 1]);
	}
	if (sp->subject != NULL) {
		s->federated_provider = core_xstrdup(FED_PROVIDER);
		s->subject = core_xstrdup(sp->subject);
	}
	s->issued_at = NOW - 60;
	s->expires_at = NOW + 3600;
}

static const struct gw_user *
find_user(const char *name)
{
	for (size_t i = 0; i < conf->n_users; i++)
		if (strcmp(conf->users[i].name, name) == 0)
			return &conf->users[i];
	fail_msg("no user %s in the test config", name);
	return NULL;
}

/* As gateway/authn.c resolves a role session (role may be gone). */
static void
role_principal(struct gw_principal *p, const char *role,
	       const struct sess_spec *sp)
{
	struct fed_session *s = core_xcalloc(1, sizeof(*s));
	const char *sn = sp->session_name ? sp->session_name : "sess";

	s->account = core_xstrdup(ACCT);
	s->role_arn = core_xasprintf("arn:aws:iam::%s:role/%s", ACCT, role);
	s->role_id = fed_mint_role_id(s->role_arn);
	s->session_name = core_xstrdup(sn);
	s->assumed_role_arn = core_xasprintf(
	    "arn:aws:sts::%s:assumed-role/%s/%s", ACCT, role, sn);
	fill_session(s, sp);
	p->kind = GW_PRINCIPAL_ROLE_SESSION;
	p->session = s;
	p->role = gw_conf_find_role(conf, s->role_arn);
	p->account = s->account;
	p->arn = s->assumed_role_arn;
	p->name = s->session_name;
	snprintf(p->user_id, sizeof(p->user_id), "%s:%s", s->role_id, sn);
}

static void
make_principal(struct gw_principal *p, const char *who,
	       const struct sess_spec *sp)
{
	const struct gw_user *u;

	memset(p, 0, sizeof(*p));
	if (strncmp(who, "role:", 5) == 0) {
		role_principal(p, who + 5, sp);
		return;
	}
	if (strncmp(who, "user:", 5) == 0) {
		u = find_user(who + 5);
		p->kind = GW_PRINCIPAL_USER;
	} else {
		assert_memory_equal(who, "usersess:", 9);
		u = find_user(who + 9);
		p->kind = GW_PRINCIPAL_USER_SESSION;
		p->session = core_xcalloc(1, sizeof(*p->session));
		p->session->account = core_xstrdup(u->account_id);
		p->session->user_arn = core_xstrdup(u->arn);
		p->session->user_id = core_xstrdup(u->user_id);
		p->session->session_name = core_xstrdup(u->name);
		fill_session(p->session, sp);
	}
	p->user = u;
	p->account = u->account_id;
	p->arn = u->arn;
	p->name = u->name;
	snprintf(p->user_id, sizeof(p->user_id), "%s", u->user_id);
}

/*
 * Replace "@UID@" in a resource template by the caller's aws:userid and
 * "@RID@" by its role id (both computed, so not written in the table).
 */
static char *
expand_resource(const char *tmpl, const struct gw_principal *p)
{
	const char *at = strstr(tmpl, "@UID@"), *rid = strstr(tmpl, "@RID@");

	if (at != NULL)
		return core_xasprintf("%.*s%s%s", (int)(at - tmpl), tmpl,
				      p->user_id, at + 5);
	if (rid != NULL && p->session != NULL && p->session->role_id != NULL)
		return core_xasprintf("%.*s%s%s", (int)(rid - tmpl), tmpl,
				      p->session->role_id, rid + 5);
	return core_xstrdup(tmpl);
}

static enum trust_decision
decide(const struct az_case *c, struct core_buf *trace)
{
	struct gw_principal p;
	struct trust_ctx *ctx = trust_ctx_new();
	char *res;
	enum trust_decision d;

	make_principal(&p, c->who, &c->s);
	gw_authz_principal_keys(&app, ctx, &p, c->ip ? c->ip : "203.0.113.7",
				c->now ? c->now : NOW);
	res = expand_resource(c->resource, &p);
	trust_ctx_set_action(ctx, c->action);
	trust_ctx_set_resource(ctx, res);
	d = gw_authz_permissions(&app, &p, ctx, trace);
	trust_ctx_free(ctx);
	free(res);
	gw_principal_clear(&p);
	return d;
}

static void
run_cases(const struct az_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct core_buf trace;
		enum trust_decision d, d2;

		core_buf_init(&trace, 0);
		d = decide(&cases[i], &trace);
		/* The trace must never change the outcome. */
		d2 = decide(&cases[i], NULL);
		if (d != cases[i].want || d2 != d)
			fail_msg("%s: got %s (without trace %s), want %s\n%s",
				 cases[i].name, trust_decision_name(d),
				 trust_decision_name(d2),
				 trust_decision_name(cases[i].want),
				 trace.data ? trace.data : "");
		core_buf_reset(&trace);
	}
}

/* ---- evaluation logic: deny wins, implicit deny, identity ∩ session ---- */

#define S3(r) "arn:aws:s3:::" r
#define SESS_GET(r)							\
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","\
	"\"Action\":\"s3:GetObject\",\"Resource\":\"" S3(r) "\"}]}"
#define SESS_ALL_BUT(r)							\
	"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","\
	"\"Action\":\"s3:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","	\
	"\"Action\":\"s3:GetObject\",\"Resource\":\"" S3(r) "\"}]}"

static void
test_logic(void **state)
{
	static const struct az_case cases[] = {
	    { .name = "identity allow", .who = "role:denier",
	      .action = "s3:PutObject", .resource = S3("prod/x"),
	      .want = ALLOW },
	    { .name = "identity deny over allow", .who = "role:denier",
	      .action = "s3:DeleteObject", .resource = S3("prod/x"),
	      .want = EXPLICIT },
	    { .name = "deny scoped to its resource", .who = "role:denier",
	      .action = "s3:DeleteObject", .resource = S3("dev/x"),
	      .want = ALLOW },
	    { .name = "identity deny over session allow", .who = "role:denier",
	      .s = { .policy = SESS_ALL_BUT("none/*") },
	      .action = "s3:DeleteObject", .resource = S3("prod/x"),
	      .want = EXPLICIT },
	    { .name = "role without policies: implicit deny",
	      .who = "role:empty", .action = "s3:GetObject",
	      .resource = S3("shared/a"), .want = IMPLICIT },
	    { .name = "user without policies: implicit deny", .who = "user:bob",
	      .action = "s3:GetObject", .resource = S3("shared/a"),
	      .want = IMPLICIT },
	    { .name = "no statement matches the action", .who = "role:reader",
	      .action = "s3:PutObject", .resource = S3("shared/a"),
	      .want = IMPLICIT },
	    { .name = "no statement matches the resource", .who = "role:reader",
	      .action = "s3:GetObject", .resource = S3("other/a"),
	      .want = IMPLICIT },
	    { .name = "no session policy: identity decides",
	      .who = "role:reader",
	      .action = "s3:GetObject", .resource = S3("shared/a"),
	      .want = ALLOW },
	    { .name = "role managed policy", .who = "role:reader",
	      .action = "s3:ListBucket", .resource = S3("shared"),
	      .want = ALLOW },
	    { .name = "session allows, identity does not", .who = "role:reader",
	      .s = { .policy = SESS_ALL_BUT("none/*") },
	      .action = "s3:PutObject", .resource = S3("shared/a"),
	      .want = IMPLICIT },
	    { .name = "identity allows, session does not", .who = "role:reader",
	      .s = { .policy = SESS_GET("shared/public/*") },
	      .action = "s3:GetObject", .resource = S3("shared/private/a"),
	      .want = IMPLICIT },
	    { .name = "identity and session allow", .who = "role:reader",
	      .s = { .policy = SESS_GET("shared/public/*") },
	      .action = "s3:GetObject", .resource = S3("shared/public/a"),
	      .want = ALLOW },
	    { .name = "session deny over both allows", .who = "role:reader",
	      .s = { .policy = SESS_ALL_BUT("shared/secret/*") },
	      .action = "s3:GetObject", .resource = S3("shared/secret/a"),
	      .want = EXPLICIT },
	    { .name = "session deny elsewhere", .who = "role:reader",
	      .s = { .policy = SESS_ALL_BUT("shared/secret/*") },
	      .action = "s3:GetObject", .resource = S3("shared/a"),
	      .want = ALLOW },
	    { .name = "managed session policy allows", .who = "role:reader",
	      .s = { .arns = { POL("get-public") } },
	      .action = "s3:GetObject", .resource = S3("shared/public/a"),
	      .want = ALLOW },
	    { .name = "managed session policy limits", .who = "role:reader",
	      .s = { .arns = { POL("get-public") } },
	      .action = "s3:GetObject", .resource = S3("shared/docs/a"),
	      .want = IMPLICIT },
	    { .name = "managed session policies are a union",
	      .who = "role:reader",
	      .s = { .arns = { POL("get-public"), POL("get-docs") } },
	      .action = "s3:GetObject", .resource = S3("shared/docs/a"),
	      .want = ALLOW },
	    { .name = "inline and managed session policies",
	      .who = "role:reader",
	      .s = { .policy = SESS_GET("shared/tmp/*"),
		     .arns = { POL("get-docs") } },
	      .action = "s3:GetObject", .resource = S3("shared/tmp/a"),
	      .want = ALLOW },
	    { .name = "managed session deny", .who = "role:denier",
	      .s = { .arns = { POL("deny-delete") } },
	      .action = "s3:DeleteObject", .resource = S3("dev/x"),
	      .want = EXPLICIT },
	    { .name = "session policy ARN gone from config",
	      .who = "role:reader",
	      .s = { .arns = { POL("get-public"), POL("deleted") } },
	      .action = "s3:GetObject", .resource = S3("shared/public/a"),
	      .want = IMPLICIT },
	    { .name = "session policy no longer parses", .who = "role:reader",
	      .s = { .policy = "{\"Version\":\"2012-10-17\"" },
	      .action = "s3:GetObject", .resource = S3("shared/a"),
	      .want = IMPLICIT },
	    { .name = "role deleted after issue", .who = "role:gone",
	      .s = { .policy = SESS_ALL_BUT("none/*") },
	      .action = "s3:GetObject", .resource = S3("shared/a"),
	      .want = IMPLICIT },
	    { .name = "user inline policy", .who = "user:alice",
	      .action = "s3:PutObject", .resource = S3("home/alice/f"),
	      .want = ALLOW },
	    { .name = "user managed policy", .who = "user:alice",
	      .action = "s3:GetObject", .resource = S3("shared/a"),
	      .want = ALLOW },
	    { .name = "user managed deny over inline allow",
	      .who = "user:alice",
	      .action = "s3:DeleteObject", .resource = S3("home/alice/f"),
	      .want = EXPLICIT },
	    { .name = "user session: user policies apply",
	      .who = "usersess:alice", .action = "s3:GetObject",
	      .resource = S3("shared/a"), .want = ALLOW },
	    { .name = "user session: implicit deny", .who = "usersess:alice",
	      .action = "s3:PutObject", .resource = S3("shared/a"),
	      .want = IMPLICIT },
	};

	(void)state;
	run_cases(cases, NELEM(cases));
}

/* ---- Action / NotAction / Resource / NotResource matching ---- */

static void
test_matching(void **state)
{
	static const struct az_case cases[] = {
	    { .name = "NotAction allows other actions", .who = "role:notaction",
	      .action = "s3:PutObject", .resource = S3("a/b"), .want = ALLOW },
	    { .name = "NotAction allows other services",
	      .who = "role:notaction", .action = "ec2:RunInstances",
	      .resource = "*", .want = ALLOW },
	    { .name = "NotAction excludes listed", .who = "role:notaction",
	      .action = "s3:DeleteObject", .resource = S3("a/b"),
	      .want = IMPLICIT },
	    { .name = "NotAction excludes listed, any case",
	      .who = "role:notaction", .action = "S3:deleteOBJECT",
	      .resource = S3("a/b"), .want = IMPLICIT },
	    { .name = "NotResource allows others", .who = "role:notresource",
	      .action = "s3:GetObject", .resource = S3("public/a"),
	      .want = ALLOW },
	    { .name = "NotResource excludes listed", .who = "role:notresource",
	      .action = "s3:GetObject", .resource = S3("secret/a"),
	      .want = IMPLICIT },
	    { .name = "Deny NotResource spares listed",
	      .who = "role:notresource",
	      .action = "s3:PutObject", .resource = S3("inbox/a"),
	      .want = ALLOW },
	    { .name = "Deny NotResource denies others",
	      .who = "role:notresource",
	      .action = "s3:PutObject", .resource = S3("outbox/a"),
	      .want = EXPLICIT },
	    { .name = "action prefix wildcard", .who = "role:wild",
	      .action = "s3:GetObjectAcl", .resource = S3("b/x"),
	      .want = ALLOW },
	    { .name = "action case-insensitive (request)", .who = "role:wild",
	      .action = "S3:getobject", .resource = S3("b/x"), .want = ALLOW },
	    { .name = "action case-insensitive (policy)", .who = "role:wild",
	      .action = "s3:ListBucket", .resource = S3("b"), .want = ALLOW },
	    { .name = "action wildcard does not widen", .who = "role:wild",
	      .action = "s3:PutObject", .resource = S3("b/x"),
	      .want = IMPLICIT },
	    { .name = "action ? matches one char", .who = "role:wild",
	      .action = "ec2:DescribeInstances",
	      .resource = "arn:aws:ec2:eu-west-1:" ACCT ":instance/i-1",
	      .want = ALLOW },
	    { .name = "action ? is not a run", .who = "role:wild",
	      .action = "ec2:DescribeXXnstances",
	      .resource = "arn:aws:ec2:eu-west-1:" ACCT ":instance/i-1",
	      .want = IMPLICIT },
	    { .name = "region wildcard, wrong account", .who = "role:wild",
	      .action = "ec2:DescribeInstances",
	      .resource = "arn:aws:ec2:eu-west-1:444455556666:instance/i-1",
	      .want = IMPLICIT },
	    { .name = "bucket/* spans slashes", .who = "role:wild",
	      .action = "s3:GetObject", .resource = S3("b/deep/er/x"),
	      .want = ALLOW },
	    { .name = "bucket/* not another bucket", .who = "role:wild",
	      .action = "s3:GetObject", .resource = S3("bb/x"),
	      .want = IMPLICIT },
	    { .name = "bucket ARN not a prefix", .who = "role:wild",
	      .action = "s3:ListBucket", .resource = S3("b2"),
	      .want = IMPLICIT },
	    { .name = "resource ARN case-sensitive", .who = "role:wild",
	      .action = "s3:GetObject", .resource = S3("B/x"),
	      .want = IMPLICIT },
	    { .name = "resource ?? two chars", .who = "role:wild",
	      .action = "s3:GetObject", .resource = S3("log-01/x"),
	      .want = ALLOW },
	    { .name = "resource ?? not one char", .who = "role:wild",
	      .action = "s3:GetObject", .resource = S3("log-1/x"),
	      .want = IMPLICIT },
	    { .name = "resource ?? not three chars", .who = "role:wild",
	      .action = "s3:GetObject", .resource = S3("log-001/x"),
	      .want = IMPLICIT },
	};

	(void)state;
	run_cases(cases, NELEM(cases));
}

/* ---- policy variables in Resource ---- */

static void
test_variables(void **state)
{
	static const struct az_case cases[] = {
	    { .name = "${aws:userid} of a role session (AROA:name)",
	      .who = "role:vars", .action = "s3:PutObject",
	      .resource = S3("uploads/@UID@/f"), .want = ALLOW },
	    { .name = "${aws:userid} of another session", .who = "role:vars",
	      .s = { .session_name = "other" }, .action = "s3:PutObject",
	      .resource = S3("uploads/@RID@:sess/f"), .want = IMPLICIT },
	    { .name = "${aws:userid} literal text", .who = "role:vars",
	      .action = "s3:PutObject",
	      .resource = S3("uploads/${aws:userid}/f"), .want = IMPLICIT },
	    { .name = "${aws:userid} of a user (AIDA)", .who = "user:alice",
	      .action = "s3:GetObject", .resource = S3("uploads/@UID@/f"),
	      .want = ALLOW },
	    { .name = "${aws:username}", .who = "user:alice",
	      .action = "s3:GetObject", .resource = S3("home/alice/f"),
	      .want = ALLOW },
	    { .name = "${aws:username} other user", .who = "user:alice",
	      .action = "s3:GetObject", .resource = S3("home/bob/f"),
	      .want = IMPLICIT },
	    { .name = "${aws:username} in a user session",
	      .who = "usersess:alice", .action = "s3:PutObject",
	      .resource = S3("home/alice/f"), .want = ALLOW },
	    { .name = "Version 2008-10-17: variable is literal",
	      .who = "user:alice", .action = "s3:GetObjectTagging",
	      .resource = S3("old/${aws:username}/f"), .want = ALLOW },
	    { .name = "Version 2008-10-17: not expanded", .who = "user:alice",
	      .action = "s3:GetObjectTagging", .resource = S3("old/alice/f"),
	      .want = IMPLICIT },
	    { .name = "${<issuer>:sub}", .who = "role:vars",
	      .s = { .subject = "user-123" }, .action = "s3:DeleteObject",
	      .resource = S3("web/user-123/f"), .want = ALLOW },
	    { .name = "${<issuer>:sub} other subject", .who = "role:vars",
	      .s = { .subject = "user-123" }, .action = "s3:DeleteObject",
	      .resource = S3("web/user-456/f"), .want = IMPLICIT },
	    { .name = "${<issuer>:sub} missing: matches nothing",
	      .who = "role:vars", .action = "s3:DeleteObject",
	      .resource = S3("web//f"), .want = IMPLICIT },
	    { .name = "${aws:PrincipalTag/team} from role tag",
	      .who = "role:vars", .action = "s3:GetObject",
	      .resource = S3("teams/red/f"), .want = ALLOW },
	    { .name = "${aws:PrincipalTag/team} other team", .who = "role:vars",
	      .action = "s3:GetObject", .resource = S3("teams/blue/f"),
	      .want = IMPLICIT },
	    { .name = "session tag overrides role tag", .who = "role:vars",
	      .s = { .tags = { "team", "blue" } }, .action = "s3:GetObject",
	      .resource = S3("teams/blue/f"), .want = ALLOW },
	    { .name = "overridden role tag is gone", .who = "role:vars",
	      .s = { .tags = { "team", "blue" } }, .action = "s3:GetObject",
	      .resource = S3("teams/red/f"), .want = IMPLICIT },
	    { .name = "session tag overrides, key case differs",
	      .who = "role:vars", .s = { .tags = { "TEAM", "green" } },
	      .action = "s3:GetObject", .resource = S3("teams/green/f"),
	      .want = ALLOW },
	    { .name = "key case differs: role tag gone", .who = "role:vars",
	      .s = { .tags = { "TEAM", "green" } }, .action = "s3:GetObject",
	      .resource = S3("teams/red/f"), .want = IMPLICIT },
	    { .name = "variable default used", .who = "role:vars",
	      .action = "s3:ListBucket", .resource = S3("proj-common"),
	      .want = ALLOW },
	    { .name = "variable default not used when set", .who = "role:vars",
	      .s = { .tags = { "project", "x1" } }, .action = "s3:ListBucket",
	      .resource = S3("proj-common"), .want = IMPLICIT },
	    { .name = "variable set: its value", .who = "role:vars",
	      .s = { .tags = { "project", "x1" } }, .action = "s3:ListBucket",
	      .resource = S3("proj-x1"), .want = ALLOW },
	    { .name = "missing tag variable: not empty", .who = "role:vars",
	      .action = "s3:GetObjectVersion", .resource = S3("dept/f"),
	      .want = IMPLICIT },
	    { .name = "missing tag variable: not literal", .who = "role:vars",
	      .action = "s3:GetObjectVersion",
	      .resource = S3("dept/${aws:PrincipalTag/dept}f"),
	      .want = IMPLICIT },
	    { .name = "tag variable present", .who = "role:vars",
	      .s = { .tags = { "dept", "ops" } },
	      .action = "s3:GetObjectVersion", .resource = S3("dept/ops-f"),
	      .want = ALLOW },
	    { .name = "variable value is not a wildcard", .who = "role:vars",
	      .s = { .tags = { "team", "*" } }, .action = "s3:GetObject",
	      .resource = S3("teams/red/f"), .want = IMPLICIT },
	};

	(void)state;
	run_cases(cases, NELEM(cases));
}

/* ---- condition keys of the caller ---- */

static void
test_conditions(void **state)
{
	static const struct az_case cases[] = {
	    { .name = "PrincipalTag from role tags", .who = "role:cond",
	      .action = "s3:GetObject", .resource = S3("cond/tag/f"),
	      .want = ALLOW },
	    { .name = "PrincipalTag overridden by session tag",
	      .who = "role:cond", .s = { .tags = { "Team", "blue" } },
	      .action = "s3:GetObject", .resource = S3("cond/tag/f"),
	      .want = IMPLICIT },
	    { .name = "PrincipalTag: session tag, same value",
	      .who = "role:cond", .s = { .tags = { "team", "red" } },
	      .action = "s3:GetObject", .resource = S3("cond/tag/f"),
	      .want = ALLOW },
	    { .name = "PrincipalTag: session env overrides Env",
	      .who = "role:cond", .s = { .tags = { "env", "dev" } },
	      .action = "s3:GetObject", .resource = S3("cond/tagkey/f"),
	      .want = IMPLICIT },
	    { .name = "condition key name case-insensitive", .who = "role:cond",
	      .action = "s3:GetObject", .resource = S3("cond/tagkey/f"),
	      .want = ALLOW },
	    { .name = "PrincipalTag from user tags", .who = "user:alice",
	      .action = "s3:GetObject", .resource = S3("team/f"),
	      .want = ALLOW },
	    { .name = "PrincipalTag: role tag is not the user's",
	      .who = "role:cond", .action = "s3:GetObject",
	      .resource = S3("team/f"), .want = IMPLICIT },
	    { .name = "PrincipalArn of a session is the role ARN",
	      .who = "role:cond", .action = "s3:GetObject",
	      .resource = S3("cond/arn/f"), .want = ALLOW },
	    { .name = "PrincipalArn is not the assumed-role ARN",
	      .who = "role:cond", .action = "s3:GetObject",
	      .resource = S3("cond/sts/f"), .want = IMPLICIT },
	    { .name = "PrincipalArn and PrincipalType of a user",
	      .who = "user:alice", .action = "s3:GetObject",
	      .resource = S3("users-only/f"), .want = ALLOW },
	    { .name = "PrincipalType of a role session is not User",
	      .who = "role:cond", .action = "s3:GetObject",
	      .resource = S3("users-only/f"), .want = IMPLICIT },
	    { .name = "PrincipalAccount", .who = "role:cond",
	      .action = "s3:GetObject", .resource = S3("cond/acct/f"),
	      .want = ALLOW },
	    { .name = "PrincipalType AssumedRole", .who = "role:cond",
	      .action = "s3:GetObject", .resource = S3("cond/type/f"),
	      .want = ALLOW },
	    { .name = "SourceIdentity matches", .who = "role:cond",
	      .s = { .source_identity = "alice@example.com" },
	      .action = "s3:GetObject", .resource = S3("cond/si/f"),
	      .want = ALLOW },
	    { .name = "SourceIdentity differs", .who = "role:cond",
	      .s = { .source_identity = "bob@example.com" },
	      .action = "s3:GetObject", .resource = S3("cond/si/f"),
	      .want = IMPLICIT },
	    { .name = "SourceIdentity missing", .who = "role:cond",
	      .action = "s3:GetObject", .resource = S3("cond/si/f"),
	      .want = IMPLICIT },
	    { .name = "SourceIp in range", .who = "role:cond",
	      .ip = "10.1.2.3", .action = "s3:GetObject",
	      .resource = S3("cond/ip/f"), .want = ALLOW },
	    { .name = "SourceIp out of range", .who = "role:cond",
	      .ip = "192.0.2.1", .action = "s3:GetObject",
	      .resource = S3("cond/ip/f"), .want = IMPLICIT },
	    { .name = "CurrentTime before", .who = "role:cond",
	      .action = "s3:GetObject", .resource = S3("cond/time/f"),
	      .want = ALLOW },
	    { .name = "CurrentTime after", .who = "role:cond", .now = LATER,
	      .action = "s3:GetObject", .resource = S3("cond/time/f"),
	      .want = IMPLICIT },
	    { .name = "MultiFactorAuthPresent is false", .who = "role:cond",
	      .action = "s3:GetObject", .resource = S3("cond/mfa/f"),
	      .want = IMPLICIT },
	    { .name = "BoolIfExists MFA false: deny", .who = "role:mfa",
	      .action = "s3:DeleteObject", .resource = S3("a/f"),
	      .want = EXPLICIT },
	    { .name = "BoolIfExists MFA: other action allowed",
	      .who = "role:mfa",
	      .action = "s3:GetObject", .resource = S3("a/f"), .want = ALLOW },
	    { .name = "two operators AND: both hold", .who = "role:cond",
	      .ip = "10.9.9.9", .action = "s3:GetObject",
	      .resource = S3("cond/and/f"), .want = ALLOW },
	    { .name = "two operators AND: one fails", .who = "role:cond",
	      .ip = "192.0.2.1", .action = "s3:GetObject",
	      .resource = S3("cond/and/f"), .want = IMPLICIT },
	};

	(void)state;
	run_cases(cases, NELEM(cases));
}

/* The condition keys themselves, read back through a policy per key. */
static void
test_key_values(void **state)
{
	static const struct {
		const char *who, *key, *want;
	} cases[] = {
	    { "role:cond", "aws:PrincipalArn", "arn:aws:iam::" ACCT ":role/cond" },
	    { "role:cond", "aws:PrincipalType", "AssumedRole" },
	    { "role:cond", "aws:PrincipalAccount", ACCT },
	    { "role:cond", "aws:PrincipalTag/Env", "prod" },
	    { "role:cond", "aws:MultiFactorAuthPresent", "false" },
	    { "role:cond", "aws:TokenIssueTime", "2025-12-31T23:59:00Z" },
	    { "role:cond", "aws:CurrentTime", "2026-01-01T00:00:00Z" },
	    { "role:cond", "aws:EpochTime", "1767225600" },
	    { "role:cond", "aws:SourceIp", "203.0.113.7" },
	    { "user:alice", "aws:PrincipalArn", "arn:aws:iam::" ACCT ":user/alice" },
	    { "user:alice", "aws:PrincipalType", "User" },
	    { "user:alice", "aws:username", "alice" },
	    { "usersess:alice", "aws:username", "alice" },
	    { "usersess:alice", "aws:PrincipalTag/team", "blue" },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct sess_spec none = {0};
		struct gw_principal p;
		struct trust_ctx *ctx = trust_ctx_new();
		struct trust_policy *pol;
		const struct trust_policy *pv[1];
		struct core_err err = {0};
		char *json = core_xasprintf(
		    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
		    "\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":"
		    "{\"StringEquals\":{\"%s\":\"%s\"}}}]}", cases[i].key,
		    cases[i].want);

		pol = trust_policy_parse(json, strlen(json), TRUST_KIND_IDENTITY,
					 &err);
		if (pol == NULL)
			fail_msg("%s %s: %s", cases[i].who, cases[i].key,
				 err.msg);
		pv[0] = pol;
		make_principal(&p, cases[i].who, &none);
		gw_authz_principal_keys(&app, ctx, &p, "203.0.113.7", NOW);
		trust_ctx_set_action(ctx, "s3:GetObject");
		trust_ctx_set_resource(ctx, S3("x/y"));
		if (trust_eval(pv, 1, ctx, NULL) != TRUST_ALLOW)
			fail_msg("%s: %s is not \"%s\"", cases[i].who,
				 cases[i].key, cases[i].want);
		trust_ctx_free(ctx);
		trust_policy_free(pol);
		gw_principal_clear(&p);
		free(json);
	}
}

/* ---- gw_authz_check_policy_arns ---- */

static void
test_check_policy_arns(void **state)
{
	const char *good[] = { POL("get-public"), POL("get-docs") };
	const char *bad[] = { POL("get-public"), POL("nope") };
	const char *other[] = { "arn:aws:iam::444455556666:policy/get-public" };
	struct core_err err = {0};

	(void)state;
	assert_int_equal(gw_authz_check_policy_arns(&app, good, 2, &err), 0);
	assert_int_equal(gw_authz_check_policy_arns(&app, good, 0, &err), 0);
	assert_int_equal(gw_authz_check_policy_arns(&app, bad, 2, &err), -1);
	assert_int_equal(err.code, CORE_EINVALID_PARAM);
	assert_non_null(strstr(err.msg, POL("nope")));
	memset(&err, 0, sizeof(err));
	assert_int_equal(gw_authz_check_policy_arns(&app, other, 1, &err), -1);
}

/* ---- gw_s3_map ---- */

static void
test_s3_map(void **state)
{
	static const struct {
		const char *name, *method, *path, *query;
		const char *action, *resource;	/* NULL: refused */
	} cases[] = {
	    { "PUT object", "PUT", "/uploads/alice/a.bin", NULL,
	      "s3:PutObject", S3("uploads/alice/a.bin") },
	    { "POST object (multipart complete)", "POST", "/bk1/k", "uploadId=x",
	      "s3:PutObject", S3("bk1/k") },
	    { "PUT part", "PUT", "/bk1/k", "partNumber=1&uploadId=x",
	      "s3:PutObject", S3("bk1/k") },
	    { "GET object", "GET", "/bk1/dir/k", NULL, "s3:GetObject",
	      S3("bk1/dir/k") },
	    { "HEAD object", "HEAD", "/bk1/k", NULL, "s3:GetObject", S3("bk1/k") },
	    { "DELETE object", "DELETE", "/bk1/k", NULL, "s3:DeleteObject",
	      S3("bk1/k") },
	    { "GET bucket", "GET", "/bk1", NULL, "s3:ListBucket", S3("bk1") },
	    { "GET bucket/", "GET", "/bk1/", NULL, "s3:ListBucket", S3("bk1") },
	    { "HEAD bucket", "HEAD", "/bk1", NULL, "s3:ListBucket", S3("bk1") },
	    { "ListObjectsV2", "GET", "/bk1", "list-type=2&prefix=a%2Fb&max-keys=5",
	      "s3:ListBucket", S3("bk1") },
	    { "presigned query", "GET", "/bk1/k",
	      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Date=b"
	      "&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=c"
	      "&X-Amz-Security-Token=d", "s3:GetObject", S3("bk1/k") },
	    { "x-id", "PUT", "/bk1/k", "x-id=PutObject", "s3:PutObject",
	      S3("bk1/k") },
	    { "empty query", "GET", "/bk1/k", "", "s3:GetObject", S3("bk1/k") },
	    { "percent-decoded key", "PUT", "/bk1/a%20b%2Bc.txt", NULL,
	      "s3:PutObject", S3("bk1/a b+c.txt") },
	    { "UTF-8 key", "PUT", "/bk1/%C3%A9t%C3%A9", NULL, "s3:PutObject",
	      S3("bk1/\xc3\xa9t\xc3\xa9") },
	    { "dots inside names", "GET", "/my.bucket-1/a..b/.c", NULL,
	      "s3:GetObject", S3("my.bucket-1/a..b/.c") },
	    { "63-char bucket", "GET",
	      "/b23456789012345678901234567890123456789012345678901234567890123",
	      NULL, "s3:ListBucket",
	      S3("b23456789012345678901234567890123456789012345678901234567890123") },
	    { "64-char bucket", "GET",
	      "/b234567890123456789012345678901234567890123456789012345678901234",
	      NULL, NULL, NULL },
	    { "dot segment", "PUT", "/bk1/alice/./k", NULL, NULL, NULL },
	    { "dot-dot segment", "PUT", "/bk1/alice/../bob/k", NULL, NULL, NULL },
	    { "trailing dot-dot", "GET", "/bk1/alice/..", NULL, NULL, NULL },
	    { "encoded dot-dot", "PUT", "/bk1/alice/%2e%2e/bob/k", NULL, NULL,
	      NULL },
	    { "empty segment", "PUT", "/bk1/alice//k", NULL, NULL, NULL },
	    { "leading empty segment", "PUT", "/bk1//k", NULL, NULL, NULL },
	    { "encoded slash", "PUT", "/bk1/alice%2Fk", NULL, NULL, NULL },
	    { "encoded slash lower", "PUT", "/bk1/alice%2fk", NULL, NULL, NULL },
	    { "encoded backslash", "PUT", "/bk1/alice%5C..%5Ck", NULL, NULL,
	      NULL },
	    { "raw backslash", "PUT", "/bk1/alice\\k", NULL, NULL, NULL },
	    { "encoded NUL", "PUT", "/bk1/a%00b", NULL, NULL, NULL },
	    { "bad escape", "PUT", "/bk1/a%zz", NULL, NULL, NULL },
	    { "truncated escape", "PUT", "/bk1/a%4", NULL, NULL, NULL },
	    { "?acl", "GET", "/bk1/k", "acl", NULL, NULL },
	    { "?acl=", "PUT", "/bk1/k", "acl=", NULL, NULL },
	    { "?policy on bucket", "GET", "/bk1", "policy", NULL, NULL },
	    { "?tagging after harmless", "GET", "/bk1/k", "x-id=a&tagging", NULL,
	      NULL },
	    { "?versionId", "GET", "/bk1/k", "versionId=3", NULL, NULL },
	    { "?delete (bulk)", "POST", "/bk1", "delete", NULL, NULL },
	    { "param case matters", "GET", "/bk1/k", "ACL", NULL, NULL },
	    { "encoded param name", "GET", "/bk1/k", "%61cl", NULL, NULL },
	    { "uppercase bucket", "GET", "/Bucket/k", NULL, NULL, NULL },
	    { "short bucket", "GET", "/ab/k", NULL, NULL, NULL },
	    { "bucket starts with -", "GET", "/-abc/k", NULL, NULL, NULL },
	    { "bucket ends with .", "GET", "/abc./k", NULL, NULL, NULL },
	    { "bucket ..", "GET", "/../k", NULL, NULL, NULL },
	    { "encoded slash in bucket", "GET", "/ab%2Fc/k", NULL, NULL, NULL },
	    { "no bucket", "GET", "/", NULL, NULL, NULL },
	    { "relative path", "GET", "b1/k", NULL, NULL, NULL },
	    { "PUT bucket (create)", "PUT", "/bk1", NULL, NULL, NULL },
	    { "DELETE bucket", "DELETE", "/bk1", NULL, NULL, NULL },
	    { "unknown method", "PATCH", "/bk1/k", NULL, NULL, NULL },
	    { "lowercase method", "put", "/bk1/k", NULL, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct gw_s3_op op;
		int rc;

		memset(&op, 'x', sizeof(op));
		rc = gw_s3_map(cases[i].method, cases[i].path, cases[i].query,
			       &op);
		if (cases[i].action == NULL) {
			if (rc != -1)
				fail_msg("%s: mapped to %s %s", cases[i].name,
					 op.action, op.resource);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: refused", cases[i].name);
		if (strcmp(op.action, cases[i].action) != 0 ||
		    strcmp(op.resource, cases[i].resource) != 0)
			fail_msg("%s: got %s %s, want %s %s", cases[i].name,
				 op.action, op.resource, cases[i].action,
				 cases[i].resource);
	}
}

/* Keys up to 1023 bytes decoded fit; anything longer is refused, not cut. */
static void
test_s3_map_long(void **state)
{
	char path[4096];
	struct gw_s3_op op;
	size_t n;

	(void)state;
	n = (size_t)snprintf(path, sizeof(path), "/bk1/");
	memset(path + n, 'k', 1023);
	path[n + 1023] = '\0';
	assert_int_equal(gw_s3_map("PUT", path, NULL, &op), 0);
	assert_int_equal(strlen(op.resource), strlen(S3("bk1/")) + 1023);
	memset(path + n, 'k', 2000);
	path[n + 2000] = '\0';
	assert_int_equal(gw_s3_map("PUT", path, NULL, &op), -1);
	/* Escapes count decoded: 1023 x "%41" is 1023 bytes. */
	for (size_t i = 0; i < 1023; i++)
		memcpy(path + n + 3 * i, "%41", 3);
	path[n + 3 * 1023] = '\0';
	assert_int_equal(gw_s3_map("GET", path, NULL, &op), 0);
	assert_string_equal(op.action, "s3:GetObject");
}

static int
setup(void **state)
{
	int nerr = 0;

	(void)state;
	conf = gw_conf_load_string(conf_text, strlen(conf_text), "authz.yaml",
				   stderr, &nerr);
	if (conf == NULL)
		return -1;
	memset(&app, 0, sizeof(app));
	app.conf = conf;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	gw_conf_free(conf);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_logic),
	    cmocka_unit_test(test_matching),
	    cmocka_unit_test(test_variables),
	    cmocka_unit_test(test_conditions),
	    cmocka_unit_test(test_key_values),
	    cmocka_unit_test(test_check_policy_arns),
	    cmocka_unit_test(test_s3_map),
	    cmocka_unit_test(test_s3_map_long),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
