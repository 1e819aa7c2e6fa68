/* trust/eval.c - evaluate compiled policies for one request (IAMUG
 * "Policy evaluation logic"): explicit Deny wins, then Allow, else deny. */
#include "trust/policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/b64.h"
#include "core/mem.h"
#include "core/timeutil.h"
#include "trust/policy_int.h"

/* A request value converted once for the operator family. */
struct trust_rval {
	int ok;
	double num;
	int64_t date;
	int b;
	struct trust_ip ip;
	uint8_t *bin;
	size_t binlen;
};

const char *
trust_decision_name(enum trust_decision d)
{
	switch (d) {
	case TRUST_ALLOW:
		return "allowed";
	case TRUST_EXPLICIT_DENY:
		return "explicitDeny";
	case TRUST_IMPLICIT_DENY:
		break;
	}
	return "implicitDeny";
}

/* ---- trace helpers: only called when a trace buffer was given ---- */

static void
trust_put_q(struct core_buf *b, const char *s)
{
	core_buf_puts(b, "\"");
	core_buf_put_json(b, s);
	core_buf_puts(b, "\"");
}

static void
trust_put_policy_vals(struct core_buf *b, const struct trust_cond *c)
{
	core_buf_puts(b, "[");
	for (size_t i = 0; i < c->nvals; i++) {
		if (i > 0)
			core_buf_puts(b, ",");
		trust_put_q(b, c->vals[i].raw);
	}
	core_buf_puts(b, "]");
}

static void
trust_put_req_vals(struct core_buf *b, const struct trust_ctx_key *k)
{
	if (k->nvals == 1) {
		core_buf_puts(b, "request value ");
		trust_put_q(b, k->vals[0]);
		return;
	}
	core_buf_puts(b, "request values [");
	for (size_t i = 0; i < k->nvals; i++) {
		if (i > 0)
			core_buf_puts(b, ",");
		trust_put_q(b, k->vals[i]);
	}
	core_buf_puts(b, "]");
}

/* ---- condition values ---- */

static void
trust_rval_parse(enum trust_family fam, const char *v, struct trust_rval *r)
{
	memset(r, 0, sizeof(*r));
	switch (fam) {
	case TRUST_FAM_NUMERIC:
		r->ok = trust_parse_number(v, &r->num) == 0;
		break;
	case TRUST_FAM_DATE:
		r->ok = core_time_parse(v, &r->date) == 0;
		break;
	case TRUST_FAM_BOOL:
		if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0) {
			r->ok = 1;
			r->b = strcasecmp(v, "true") == 0;
		}
		break;
	case TRUST_FAM_BINARY:
		/* Request values of binary keys arrive base64 encoded. */
		r->bin = core_b64_decode(v, strlen(v), &r->binlen);
		r->ok = r->bin != NULL;
		break;
	case TRUST_FAM_IP:
		r->ok = trust_parse_ip(v, 0, &r->ip) == 0;
		break;
	default:
		r->ok = 1;
		break;
	}
}

static int
trust_cmp_test(enum trust_test t, int cmp)
{
	switch (t) {
	case TRUST_T_EQ:
		return cmp == 0;
	case TRUST_T_LT:
		return cmp < 0;
	case TRUST_T_LE:
		return cmp <= 0;
	case TRUST_T_GT:
		return cmp > 0;
	case TRUST_T_GE:
		return cmp >= 0;
	default:
		return 0;
	}
}

/* String and Arn values may hold variables: expand per request. */
static int
trust_cval_text(const struct trust_cond *c, const struct trust_cval *cv,
		const char *v, const struct trust_ctx *ctx)
{
	char *tmp;
	const char *pat = trust_tmpl_expand(&cv->tmpl, ctx, &tmp);
	int m = 0;

	if (pat == NULL)
		return 0; /* missing variable: "effectively null" */
	if (c->op->fam == TRUST_FAM_ARN)
		m = trust_arn_match_esc(pat, v, 1);
	else if (c->op->test == TRUST_T_LIKE)
		m = trust_match_pattern(pat, strlen(pat), v, strlen(v), 0, 1);
	else if (c->op->test == TRUST_T_EQ_CI)
		m = strcasecmp(pat, v) == 0;
	else
		m = strcmp(pat, v) == 0;
	free(tmp);
	return m;
}

/* The operator's positive test of one request value against one value. */
static int
trust_cval_match(const struct trust_cond *c, const struct trust_cval *cv,
		 const char *v, const struct trust_rval *r,
		 const struct trust_ctx *ctx)
{
	enum trust_test t = c->op->test;

	if (!r->ok)
		return 0;
	switch (c->op->fam) {
	case TRUST_FAM_STRING:
	case TRUST_FAM_ARN:
		return trust_cval_text(c, cv, v, ctx);
	case TRUST_FAM_NUMERIC:
		return trust_cmp_test(t, (r->num > cv->num) - (r->num < cv->num));
	case TRUST_FAM_DATE:
		return trust_cmp_test(t,
				      (r->date > cv->date) - (r->date < cv->date));
	case TRUST_FAM_BOOL:
		return r->b == cv->b;
	case TRUST_FAM_BINARY:
		return r->binlen == cv->binlen &&
		       memcmp(r->bin, cv->bin, r->binlen) == 0;
	case TRUST_FAM_IP:
		return trust_ip_in(&cv->ip, &r->ip);
	case TRUST_FAM_NULL:
		break;
	}
	return 0;
}

/*
 * Several policy values for one key are OR'ed; for a negated operator the
 * request value must match none of them (IAMUG "multiple values").
 */
static int
trust_value_ok(const struct trust_cond *c, const char *v,
	       const struct trust_ctx *ctx)
{
	struct trust_rval r;
	int any = 0;

	trust_rval_parse(c->op->fam, v, &r);
	for (size_t i = 0; i < c->nvals && !any; i++)
		any = trust_cval_match(c, &c->vals[i], v, &r, ctx);
	free(r.bin);
	return c->op->negated ? !any : any;
}

static int
trust_cond_null(const struct trust_cond *c, const struct trust_ctx_key *k,
		struct core_buf *why)
{
	/* Null: true means the key is absent; an empty set counts as absent. */
	int absent = k == NULL || k->nvals == 0;

	for (size_t i = 0; i < c->nvals; i++) {
		if (c->vals[i].b == absent)
			return 1;
	}
	if (why != NULL) {
		core_buf_printf(why, "condition %s ", c->opname);
		core_buf_put_json(why, c->key);
		core_buf_puts(why, absent ? ": key is absent" :
					    ": key is present");
	}
	return 0;
}

/* Key absent (or an empty set): which operators still hold. */
static int
trust_cond_absent(const struct trust_cond *c, struct core_buf *why)
{
	if (c->flags & (TRUST_COND_IFEXISTS | TRUST_COND_FORALL))
		return 1;
	if (!(c->flags & TRUST_COND_FORANY) && c->op->negated)
		return 1;
	if (why != NULL) {
		core_buf_printf(why, "condition %s ", c->opname);
		core_buf_put_json(why, c->key);
		core_buf_puts(why, ": key not present in request");
	}
	return 0;
}

/*
 * A single-valued operator on a multi-valued key without a set prefix is
 * read as ForAnyValue: one request value satisfying it is enough.
 */
static int
trust_cond_eval(const struct trust_cond *c, const struct trust_ctx *ctx,
		struct core_buf *why)
{
	const struct trust_ctx_key *k = trust_ctx_find(ctx, c->key);
	int forall = (c->flags & TRUST_COND_FORALL) != 0;
	size_t i;
	int ok;

	if (c->op->fam == TRUST_FAM_NULL)
		return trust_cond_null(c, k, why);
	if (k == NULL || k->nvals == 0)
		return trust_cond_absent(c, why);
	ok = forall;
	for (i = 0; i < k->nvals; i++) {
		int m = trust_value_ok(c, k->vals[i], ctx);

		if (forall && !m) {
			ok = 0;
			break;
		}
		if (!forall && m) {
			ok = 1;
			break;
		}
	}
	if (ok || why == NULL)
		return ok;
	core_buf_printf(why, "condition %s ", c->opname);
	core_buf_put_json(why, c->key);
	core_buf_puts(why, ": ");
	if (forall && k->nvals > 1) {
		core_buf_puts(why, "request value ");
		trust_put_q(why, k->vals[i]);
	} else
		trust_put_req_vals(why, k);
	if (c->op->negated)
		core_buf_puts(why, k->nvals > 1 && !forall ? " each match " :
							    " matches ");
	else
		core_buf_puts(why, k->nvals > 1 && !forall ? " do not match " :
							    " does not match ");
	trust_put_policy_vals(why, c);
	return 0;
}

/* ---- statement elements ---- */

static int
trust_princ_match(const struct trust_stmt *st, const struct trust_ctx *ctx)
{
	if (!st->has_principal)
		return 1;
	if (st->principal_any)
		return !ctx->exact_principals;
	for (size_t i = 0; i < st->nprinc; i++) {
		const struct trust_princ *pr = &st->princ[i];

		for (size_t j = 0; j < ctx->nprinc; j++) {
			const struct trust_ctx_princ *cp = &ctx->princ[j];

			if (strcmp(pr->type, cp->type) != 0)
				continue;
			if (strcmp(pr->value, cp->value) == 0)
				return 1;
			if (ctx->exact_principals)
				continue;
			if (strcmp(pr->value, "*") == 0)
				return 1;
			if (pr->account != NULL && cp->account != NULL &&
			    strcmp(pr->account, cp->account) == 0)
				return 1;
		}
	}
	return 0;
}

static void
trust_princ_why(const struct trust_ctx *ctx, struct core_buf *why)
{
	if (ctx->nprinc == 0) {
		core_buf_puts(why, "principal does not match (request has no "
				   "principal)");
		return;
	}
	core_buf_puts(why, "principal does not match (request: ");
	for (size_t i = 0; i < ctx->nprinc; i++) {
		if (i > 0)
			core_buf_puts(why, ", ");
		core_buf_printf(why, "%s ", ctx->princ[i].type);
		trust_put_q(why, ctx->princ[i].value);
	}
	core_buf_puts(why, ")");
}

static int
trust_action_match(const struct trust_stmt *st, const struct trust_ctx *ctx)
{
	const char *a = ctx->action != NULL ? ctx->action : "";
	int any = 0;

	/* Action names compare case-insensitively (IAMUG Action). */
	for (size_t i = 0; i < st->nactions && !any; i++)
		any = trust_wildcard_match(st->actions[i], a, 1);
	return st->not_action ? !any : any;
}

/*
 * Without a resource in the request (trust policies) only "*" matches;
 * a Resource whose variable is missing matches nothing.
 */
static int
trust_resource_match(const struct trust_stmt *st, const struct trust_ctx *ctx)
{
	int any = 0;

	if (st->res_kind == TRUST_RES_NONE)
		return 1;
	for (size_t i = 0; i < st->nres && !any; i++) {
		char *tmp;
		const char *pat = trust_tmpl_expand(&st->res[i], ctx, &tmp);

		if (pat == NULL)
			continue;
		if (ctx->resource == NULL)
			any = strcmp(pat, "*") == 0;
		else
			any = trust_arn_match_esc(pat, ctx->resource, 1);
		free(tmp);
	}
	return st->res_kind == TRUST_RES_NOTRESOURCE ? !any : any;
}

/* 1 when the statement applies; else 0 and, if why, the reason. */
static int
trust_stmt_applies(const struct trust_stmt *st, const struct trust_ctx *ctx,
		   struct core_buf *why)
{
	if (!trust_princ_match(st, ctx)) {
		if (why != NULL)
			trust_princ_why(ctx, why);
		return 0;
	}
	if (!trust_action_match(st, ctx)) {
		if (why != NULL) {
			core_buf_puts(why, "action ");
			trust_put_q(why, ctx->action != NULL ? ctx->action : "");
			core_buf_puts(why, st->not_action ?
					       " is excluded by NotAction" :
					       " is not in Action");
		}
		return 0;
	}
	if (!trust_resource_match(st, ctx)) {
		if (why != NULL) {
			core_buf_puts(why, "resource ");
			trust_put_q(why, ctx->resource != NULL ?
						 ctx->resource : "(none)");
			core_buf_puts(why, st->res_kind ==
						       TRUST_RES_NOTRESOURCE ?
					       " is excluded by NotResource" :
					       " is not in Resource");
		}
		return 0;
	}
	for (size_t i = 0; i < st->nconds; i++) {
		if (!trust_cond_eval(&st->conds[i], ctx, why))
			return 0;
	}
	return 1;
}

static void
trust_trace_head(struct core_buf *trace, size_t pi, size_t n,
		 const struct trust_stmt *st)
{
	if (n > 1)
		core_buf_printf(trace, "Policy[%zu] ", pi);
	core_buf_printf(trace, "Statement[%zu]", st->idx);
	if (st->sid != NULL) {
		core_buf_puts(trace, " (Sid ");
		trust_put_q(trace, st->sid);
		core_buf_puts(trace, ")");
	}
	core_buf_puts(trace, st->deny ? ": Deny \xe2\x80\x94 " :
					": Allow \xe2\x80\x94 ");
}

/*
 * One trace line per statement. The reason is written straight after
 * "not applicable: " and that prefix is cut again if the statement applies,
 * so no temporary strings are built.
 */
static int
trust_stmt_traced(struct core_buf *trace, size_t pi, size_t n,
		  const struct trust_stmt *st, const struct trust_ctx *ctx)
{
	size_t mark;
	int applies;

	trust_trace_head(trace, pi, n, st);
	mark = trace->len;
	core_buf_puts(trace, "not applicable: ");
	applies = trust_stmt_applies(st, ctx, trace);
	if (applies && trace->len >= mark && trace->data != NULL) {
		trace->len = mark;
		trace->data[mark] = '\0';
		core_buf_puts(trace, "matched");
	}
	core_buf_puts(trace, "\n");
	return applies;
}

enum trust_decision
trust_eval(const struct trust_policy *const *policies, size_t n,
	   const struct trust_ctx *ctx, struct core_buf *trace)
{
	enum trust_decision d = TRUST_IMPLICIT_DENY;

	if (policies == NULL || ctx == NULL)
		return TRUST_IMPLICIT_DENY;
	for (size_t pi = 0; pi < n; pi++) {
		const struct trust_policy *p = policies[pi];

		for (size_t si = 0; p != NULL && si < p->nst; si++) {
			const struct trust_stmt *st = &p->st[si];
			int applies;

			if (trace == NULL) {
				applies = trust_stmt_applies(st, ctx, NULL);
			} else {
				applies = trust_stmt_traced(trace, pi, n, st,
							    ctx);
			}
			if (!applies)
				continue;
			if (st->deny) {
				d = TRUST_EXPLICIT_DENY;
				if (trace == NULL)
					return d; /* Deny wins: stop early */
			} else if (d == TRUST_IMPLICIT_DENY)
				d = TRUST_ALLOW;
		}
	}
	return d;
}
