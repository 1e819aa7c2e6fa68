/* trust/policy.c - IAM policy JSON → compiled form (parsed once at load) */
#include "trust/policy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/b64.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "trust/policy_int.h"

#define TRUST_REASON "policy_malformed"

#define trust_perr(err, ...) \
	core_err_set(err, CORE_EMALFORMED_POLICY, TRUST_REASON, __VA_ARGS__)

/* Everything one statement's compiler needs to know about its policy. */
struct trust_pctx {
	struct trust_policy *p;
	size_t idx;
	struct core_err *err;
};

/* A string list element, as written: string or non-empty array of them. */
struct trust_strs {
	char **v;
	size_t n;
};

static void
trust_strs_free(struct trust_strs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void
trust_strs_push(struct trust_strs *s, char *v)
{
	s->v = core_xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = v;
}

/*
 * Shortest "%.Ng" that reads back as the same double, so that 0.1 stays
 * "0.1" and integers keep no fraction.
 */
static char *
trust_real_str(double d)
{
	char buf[64];

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	return core_xstrdup(buf);
}

/* Condition values may be strings, numbers or booleans (IAMUG). */
static char *
trust_scalar_str(const json_t *v)
{
	if (json_is_string(v))
		return core_xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return core_xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return trust_real_str(json_real_value(v));
	if (json_is_true(v))
		return core_xstrdup("true");
	if (json_is_false(v))
		return core_xstrdup("false");
	return NULL;
}

/* string | [string, ...] (scalars too when `scalars`), never empty. */
static int
trust_get_strs(struct trust_pctx *pc, const json_t *v, const char *what,
	       int scalars, struct trust_strs *out)
{
	size_t i;
	json_t *e;
	char *s;

	if (!json_is_array(v)) {
		s = scalars ? trust_scalar_str(v) :
			      (json_is_string(v) ?
				   core_xstrdup(json_string_value(v)) : NULL);
		if (s == NULL)
			goto bad;
		trust_strs_push(out, s);
		return 0;
	}
	if (json_array_size(v) == 0) {
		trust_perr(pc->err, "Statement[%zu]: %s must not be empty",
			   pc->idx, what);
		return -1;
	}
	json_array_foreach(v, i, e) {
		s = scalars ? trust_scalar_str(e) :
			      (json_is_string(e) ?
				   core_xstrdup(json_string_value(e)) : NULL);
		if (s == NULL)
			goto bad;
		trust_strs_push(out, s);
	}
	return 0;
bad:
	trust_strs_free(out);
	trust_perr(pc->err, "Statement[%zu]: %s must be %s or a list of them",
		   pc->idx, what, scalars ? "a string, number or boolean" :
					    "a string");
	return -1;
}

/* ---- Principal ---- */

static const char *const trust_princ_types[] = {
	"AWS", "Federated", "Service", "CanonicalUser",
};

static int
trust_princ_type_ok(const char *t)
{
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(trust_princ_types[i], t) == 0)
			return 1;
	}
	return 0;
}

/* "arn:aws:iam::ACCT:root" or a bare account id stand for the account. */
static char *
trust_princ_account(const char *v)
{
	const char *root = strstr(v, ":root");

	if (strchr(v, ':') == NULL)
		return trust_account_of(v);
	if (strncmp(v, "arn:", 4) != 0 || root == NULL || root[5] != '\0' ||
	    strstr(v, ":iam::") == NULL)
		return NULL;
	return trust_account_of(v);
}

static int
trust_princ_add(struct trust_pctx *pc, struct trust_stmt *st,
		const char *type, const char *value)
{
	struct trust_princ *pr;

	if (strcmp(value, "*") == 0) {
		/* {"AWS":"*"} is the same as "*" (IAMUG Principal). */
		if (strcmp(type, "AWS") == 0)
			st->principal_any = 1;
	} else if (strchr(value, '*') != NULL) {
		trust_perr(pc->err, "Statement[%zu]: Principal: partial "
			   "wildcards are not allowed (\"%s\")", pc->idx,
			   value);
		return -1;
	}
	st->princ = core_xrealloc(st->princ,
				  (st->nprinc + 1) * sizeof(*st->princ));
	pr = &st->princ[st->nprinc++];
	pr->type = core_xstrdup(type);
	pr->value = core_xstrdup(value);
	pr->account = strcmp(type, "AWS") == 0 ? trust_princ_account(value) :
						 NULL;
	return 0;
}

static int
trust_parse_principal(struct trust_pctx *pc, struct trust_stmt *st,
		      const json_t *v)
{
	const char *type;
	json_t *val;

	st->has_principal = 1;
	if (json_is_string(v) && strcmp(json_string_value(v), "*") == 0) {
		st->principal_any = 1;
		return 0;
	}
	if (!json_is_object(v) || json_object_size(v) == 0) {
		trust_perr(pc->err, "Statement[%zu]: Principal must be \"*\" "
			   "or an object such as {\"Federated\": \"...\"}",
			   pc->idx);
		return -1;
	}
	json_object_foreach((json_t *)v, type, val) {
		struct trust_strs vals = {0};
		int rc = 0;

		if (!trust_princ_type_ok(type)) {
			trust_perr(pc->err, "Statement[%zu]: Principal: unknown "
				   "principal type \"%s\"", pc->idx, type);
			return -1;
		}
		if (trust_get_strs(pc, val, "Principal", 0, &vals) == -1)
			return -1;
		for (size_t i = 0; i < vals.n && rc == 0; i++)
			rc = trust_princ_add(pc, st, type, vals.v[i]);
		trust_strs_free(&vals);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* ---- Action / Resource ---- */

static int
trust_parse_actions(struct trust_pctx *pc, struct trust_stmt *st,
		    const char *what, const json_t *v)
{
	struct trust_strs a = {0};

	if (trust_get_strs(pc, v, what, 0, &a) == -1)
		return -1;
	for (size_t i = 0; i < a.n; i++) {
		const char *c = strchr(a.v[i], ':');

		if (strcmp(a.v[i], "*") == 0)
			continue;
		if (c == NULL || c == a.v[i] || c[1] == '\0') {
			trust_perr(pc->err, "Statement[%zu]: %s \"%s\" must be "
				   "\"*\" or service:Name, e.g. "
				   "sts:AssumeRoleWithWebIdentity", pc->idx,
				   what, a.v[i]);
			trust_strs_free(&a);
			return -1;
		}
	}
	st->actions = a.v;
	st->nactions = a.n;
	return 0;
}

static int
trust_parse_resources(struct trust_pctx *pc, struct trust_stmt *st,
		      const char *what, const json_t *v)
{
	struct trust_strs r = {0};

	if (trust_get_strs(pc, v, what, 0, &r) == -1)
		return -1;
	for (size_t i = 0; i < r.n; i++) {
		if (strcmp(r.v[i], "*") != 0 &&
		    strncmp(r.v[i], "arn:", 4) != 0) {
			trust_perr(pc->err, "Statement[%zu]: %s \"%s\" must be "
				   "\"*\" or an ARN", pc->idx, what, r.v[i]);
			trust_strs_free(&r);
			return -1;
		}
	}
	st->res = core_xcalloc(r.n, sizeof(*st->res));
	st->nres = r.n;
	for (size_t i = 0; i < r.n; i++)
		trust_tmpl_compile(&st->res[i], r.v[i], pc->p->vars, 1);
	trust_strs_free(&r);
	return 0;
}

/* ---- Condition ---- */

/* "[ForAllValues:|ForAnyValue:]Base[IfExists]" → definition and flags. */
static int
trust_parse_opname(struct trust_pctx *pc, const char *name,
		   struct trust_cond *c)
{
	const char *b = name;
	size_t n;

	if (strncmp(b, "ForAllValues:", 13) == 0) {
		c->flags |= TRUST_COND_FORALL;
		b += 13;
	} else if (strncmp(b, "ForAnyValue:", 12) == 0) {
		c->flags |= TRUST_COND_FORANY;
		b += 12;
	}
	n = strlen(b);
	if (n > 8 && strcmp(b + n - 8, "IfExists") == 0) {
		c->flags |= TRUST_COND_IFEXISTS;
		n -= 8;
	}
	c->op = trust_opdef_find(b, n);
	if (c->op == NULL) {
		trust_perr(pc->err, "Statement[%zu]: unknown condition operator "
			   "%s", pc->idx, name);
		return -1;
	}
	if (c->op->fam == TRUST_FAM_NULL && c->flags != 0) {
		trust_perr(pc->err, "Statement[%zu]: condition operator %s: "
			   "Null takes no IfExists suffix or set prefix",
			   pc->idx, name);
		return -1;
	}
	c->opname = core_xstrdup(name);
	return 0;
}

static int
trust_bool_str(const char *s, int *out)
{
	if (strcasecmp(s, "true") == 0)
		*out = 1;
	else if (strcasecmp(s, "false") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

/* Convert one policy value for its operator family; -1 if unusable. */
static int
trust_cval_compile(struct trust_pctx *pc, const struct trust_cond *c,
		   struct trust_cval *cv)
{
	const char *s = cv->raw;
	const char *what = NULL;

	switch (c->op->fam) {
	case TRUST_FAM_STRING:
		trust_tmpl_compile(&cv->tmpl, s, pc->p->vars,
				   c->op->test == TRUST_T_LIKE);
		return 0;
	case TRUST_FAM_ARN:
		trust_tmpl_compile(&cv->tmpl, s, pc->p->vars, 1);
		return 0;
	case TRUST_FAM_NUMERIC:
		if (trust_parse_number(s, &cv->num) == 0)
			return 0;
		what = "a number";
		break;
	case TRUST_FAM_DATE:
		if (core_time_parse(s, &cv->date) == 0)
			return 0;
		what = "an ISO 8601 date or epoch time";
		break;
	case TRUST_FAM_BOOL:
	case TRUST_FAM_NULL:
		if (trust_bool_str(s, &cv->b) == 0)
			return 0;
		what = "true or false";
		break;
	case TRUST_FAM_BINARY:
		cv->bin = core_b64_decode(s, strlen(s), &cv->binlen);
		if (cv->bin != NULL)
			return 0;
		what = "base64";
		break;
	case TRUST_FAM_IP:
		if (trust_parse_ip(s, 1, &cv->ip) == 0)
			return 0;
		what = "an IP address or CIDR block";
		break;
	}
	trust_perr(pc->err, "Statement[%zu]: condition %s %s: value \"%s\" is "
		   "not %s", pc->idx, c->opname, c->key, s, what);
	return -1;
}

static int
trust_parse_cond_key(struct trust_pctx *pc, struct trust_cond *c,
		     const char *key, const json_t *v)
{
	struct trust_strs vals = {0};
	char what[128];

	c->key = core_xstrdup(key);
	snprintf(what, sizeof(what), "condition %s %s", c->opname, key);
	if (trust_get_strs(pc, v, what, 1, &vals) == -1)
		return -1;
	c->vals = core_xcalloc(vals.n, sizeof(*c->vals));
	c->nvals = vals.n;
	for (size_t i = 0; i < vals.n; i++) {
		c->vals[i].raw = vals.v[i];
		vals.v[i] = NULL;
	}
	trust_strs_free(&vals);
	for (size_t i = 0; i < c->nvals; i++) {
		if (trust_cval_compile(pc, c, &c->vals[i]) == -1)
			return -1;
	}
	return 0;
}

static struct trust_cond *
trust_cond_new(struct trust_stmt *st)
{
	st->conds = core_xrealloc(st->conds,
				  (st->nconds + 1) * sizeof(*st->conds));
	memset(&st->conds[st->nconds], 0, sizeof(*st->conds));
	return &st->conds[st->nconds++];
}

static int
trust_parse_condition(struct trust_pctx *pc, struct trust_stmt *st,
		      const json_t *v)
{
	const char *opname, *key;
	json_t *keys, *val;

	if (!json_is_object(v)) {
		trust_perr(pc->err, "Statement[%zu]: Condition must be an "
			   "object {Operator: {key: value}}", pc->idx);
		return -1;
	}
	json_object_foreach((json_t *)v, opname, keys) {
		struct trust_cond probe = {0};

		if (trust_parse_opname(pc, opname, &probe) == -1)
			return -1;
		free(probe.opname);
		if (!json_is_object(keys) || json_object_size(keys) == 0) {
			trust_perr(pc->err, "Statement[%zu]: condition %s must "
				   "be a non-empty object {key: value}",
				   pc->idx, opname);
			return -1;
		}
		json_object_foreach(keys, key, val) {
			struct trust_cond *c = trust_cond_new(st);

			if (trust_parse_opname(pc, opname, c) == -1 ||
			    trust_parse_cond_key(pc, c, key, val) == -1)
				return -1;
		}
	}
	return 0;
}

/* ---- Statement ---- */

static int
trust_parse_effect(struct trust_pctx *pc, struct trust_stmt *st,
		   const json_t *v)
{
	const char *e = json_string_value(v);

	if (e != NULL && strcmp(e, "Allow") == 0)
		st->deny = 0;
	else if (e != NULL && strcmp(e, "Deny") == 0)
		st->deny = 1;
	else {
		trust_perr(pc->err, "Statement[%zu]: Effect must be Allow or "
			   "Deny", pc->idx);
		return -1;
	}
	return 0;
}

/* Elements that need the others checked first are done by the caller. */
static int
trust_parse_member(struct trust_pctx *pc, struct trust_stmt *st,
		   const char *name, const json_t *v)
{
	if (strcmp(name, "Sid") == 0) {
		if (!json_is_string(v)) {
			trust_perr(pc->err, "Statement[%zu]: Sid must be a "
				   "string", pc->idx);
			return -1;
		}
		st->sid = core_xstrdup(json_string_value(v));
		return 0;
	}
	if (strcmp(name, "Effect") == 0)
		return trust_parse_effect(pc, st, v);
	if (strcmp(name, "Action") == 0 || strcmp(name, "NotAction") == 0) {
		st->not_action = name[0] == 'N';
		return trust_parse_actions(pc, st, name, v);
	}
	if (strcmp(name, "Resource") == 0 || strcmp(name, "NotResource") == 0) {
		st->res_kind = name[0] == 'N' ? TRUST_RES_NOTRESOURCE :
						TRUST_RES_RESOURCE;
		return trust_parse_resources(pc, st, name, v);
	}
	if (strcmp(name, "Principal") == 0)
		return trust_parse_principal(pc, st, v);
	if (strcmp(name, "Condition") == 0)
		return trust_parse_condition(pc, st, v);
	trust_perr(pc->err, "Statement[%zu]: unknown element \"%s\"", pc->idx,
		   name);
	return -1;
}

/* Checks that need the whole statement: presence and exclusivity. */
static int
trust_check_stmt(struct trust_pctx *pc, const json_t *o)
{
	int trust = pc->p->kind == TRUST_KIND_TRUST;

	if (json_object_get(o, "Effect") == NULL) {
		trust_perr(pc->err, "Statement[%zu]: Effect must be Allow or "
			   "Deny", pc->idx);
		return -1;
	}
	if ((json_object_get(o, "Action") != NULL) ==
	    (json_object_get(o, "NotAction") != NULL)) {
		trust_perr(pc->err, "Statement[%zu]: exactly one of Action or "
			   "NotAction is required", pc->idx);
		return -1;
	}
	if (json_object_get(o, "Resource") != NULL &&
	    json_object_get(o, "NotResource") != NULL) {
		trust_perr(pc->err, "Statement[%zu]: Resource and NotResource "
			   "cannot both be present", pc->idx);
		return -1;
	}
	if (!trust && json_object_get(o, "Resource") == NULL &&
	    json_object_get(o, "NotResource") == NULL) {
		trust_perr(pc->err, "Statement[%zu]: Resource or NotResource "
			   "is required in an identity policy", pc->idx);
		return -1;
	}
	if (json_object_get(o, "NotPrincipal") != NULL) {
		trust_perr(pc->err, "Statement[%zu]: %s", pc->idx, trust ?
			   "NotPrincipal cannot be used in a role trust policy" :
			   "Policy document should not specify a principal");
		return -1;
	}
	if (trust && json_object_get(o, "Principal") == NULL) {
		trust_perr(pc->err, "Statement[%zu]: Principal is required in "
			   "a role trust policy", pc->idx);
		return -1;
	}
	if (!trust && json_object_get(o, "Principal") != NULL) {
		trust_perr(pc->err, "Statement[%zu]: Policy document should "
			   "not specify a principal", pc->idx);
		return -1;
	}
	return 0;
}

static int
trust_parse_stmt(struct trust_pctx *pc, struct trust_stmt *st,
		 const json_t *o)
{
	const char *name;
	json_t *v;

	st->idx = pc->idx;
	if (!json_is_object(o)) {
		trust_perr(pc->err, "Statement[%zu]: must be an object",
			   pc->idx);
		return -1;
	}
	if (trust_check_stmt(pc, o) == -1)
		return -1;
	json_object_foreach((json_t *)o, name, v) {
		if (trust_parse_member(pc, st, name, v) == -1)
			return -1;
	}
	for (size_t i = 0; st->sid != NULL && i < st->idx; i++) {
		const char *other = pc->p->st[i].sid;

		if (other != NULL && strcmp(other, st->sid) == 0) {
			trust_perr(pc->err, "Statement[%zu]: duplicate Sid "
				   "\"%s\"", pc->idx, st->sid);
			return -1;
		}
	}
	return 0;
}

/* ---- document ---- */

static int
trust_parse_statements(struct trust_policy *p, const json_t *stmts,
		       struct core_err *err)
{
	struct trust_pctx pc = {p, 0, err};
	size_t n = json_is_array(stmts) ? json_array_size(stmts) : 1;

	if (!json_is_array(stmts) && !json_is_object(stmts)) {
		trust_perr(err, "Statement must be an object or a list of "
			   "objects");
		return -1;
	}
	if (n == 0 || n > TRUST_POLICY_MAX_STATEMENTS) {
		trust_perr(err, "Statement must hold 1 to %d statements",
			   TRUST_POLICY_MAX_STATEMENTS);
		return -1;
	}
	p->st = core_xcalloc(n, sizeof(*p->st));
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_is_array(stmts) ?
					  json_array_get(stmts, i) : stmts;

		pc.idx = i;
		p->nst = i + 1;
		if (trust_parse_stmt(&pc, &p->st[i], o) == -1)
			return -1;
	}
	return 0;
}

static int
trust_parse_doc(struct trust_policy *p, const json_t *root,
		struct core_err *err)
{
	const char *name;
	json_t *v, *ver;

	if (!json_is_object(root)) {
		trust_perr(err, "Policy document must be a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)root, name, v) {
		if (strcmp(name, "Version") == 0 ||
		    strcmp(name, "Statement") == 0)
			continue;
		if (strcmp(name, "Id") == 0 && p->kind == TRUST_KIND_TRUST) {
			if (json_is_string(v))
				continue;
			trust_perr(err, "Id must be a string");
			return -1;
		}
		trust_perr(err, "unknown policy element \"%s\"%s", name,
			   strcmp(name, "Id") == 0 ?
				   " (Id is not allowed in identity policies)" :
				   "");
		return -1;
	}
	ver = json_object_get(root, "Version");
	if (ver != NULL) {
		const char *s = json_string_value(ver);

		if (s == NULL || (strcmp(s, "2012-10-17") != 0 &&
				  strcmp(s, "2008-10-17") != 0)) {
			trust_perr(err, "Version must be \"2012-10-17\" or "
				   "\"2008-10-17\"");
			return -1;
		}
		/* Variables expand only with 2012-10-17 (IAMUG Version). */
		p->vars = strcmp(s, "2012-10-17") == 0;
	}
	if (json_object_get(root, "Statement") == NULL) {
		trust_perr(err, "Policy document must contain a Statement");
		return -1;
	}
	return trust_parse_statements(p, json_object_get(root, "Statement"),
				      err);
}

struct trust_policy *
trust_policy_parse(const char *json, size_t len, enum trust_policy_kind kind,
		   struct core_err *err)
{
	struct trust_policy *p;
	json_error_t jerr;
	json_t *root;

	if (json == NULL || len > TRUST_POLICY_MAX_LEN) {
		trust_perr(err, "Policy document must be at most %d characters",
			   TRUST_POLICY_MAX_LEN);
		return NULL;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		trust_perr(err, "Syntax error in policy at line %d column %d: "
			   "%s", jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	p = core_xcalloc(1, sizeof(*p));
	p->kind = kind;
	if (trust_parse_doc(p, root, err) == -1) {
		trust_policy_free(p);
		p = NULL;
	}
	json_decref(root);
	return p;
}

static void
trust_stmt_release(struct trust_stmt *st)
{
	free(st->sid);
	for (size_t i = 0; i < st->nprinc; i++) {
		free(st->princ[i].type);
		free(st->princ[i].value);
		free(st->princ[i].account);
	}
	free(st->princ);
	for (size_t i = 0; i < st->nactions; i++)
		free(st->actions[i]);
	free(st->actions);
	for (size_t i = 0; i < st->nres; i++)
		trust_tmpl_release(&st->res[i]);
	free(st->res);
	for (size_t i = 0; i < st->nconds; i++) {
		struct trust_cond *c = &st->conds[i];

		for (size_t j = 0; j < c->nvals; j++) {
			free(c->vals[j].raw);
			free(c->vals[j].bin);
			trust_tmpl_release(&c->vals[j].tmpl);
		}
		free(c->vals);
		free(c->opname);
		free(c->key);
	}
	free(st->conds);
}

void
trust_policy_free(struct trust_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nst; i++)
		trust_stmt_release(&p->st[i]);
	free(p->st);
	free(p);
}
