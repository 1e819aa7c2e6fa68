/* trust/policy_int.h - compiled policy form, shared inside trust/ and tests */
#ifndef TRUST_POLICY_INT_H
#define TRUST_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "trust/policy.h"

struct core_buf;

/* ---- templates: strings that may hold policy variables ---- */

enum trust_part_kind {
	TRUST_PART_LIT,		/* literal policy text */
	TRUST_PART_VAR,		/* ${key} or ${key, 'default'} */
	TRUST_PART_ESC,		/* ${*} ${?} ${$}: one literal character */
};

struct trust_part {
	enum trust_part_kind kind;
	char *text;		/* LIT: text; VAR: key; ESC: the character */
	char *dflt;		/* VAR only; NULL when no default */
};

/*
 * A policy string compiled once. In pattern mode (Like, Arn*, Resource) the
 * expansion is a pattern for trust_match_pattern() with esc = 1: characters
 * that must not act as wildcards (escapes, substituted values, a literal
 * backslash) are preceded by '\'. In plain mode it is the literal string.
 */
struct trust_tmpl {
	char *raw;		/* as written, for traces */
	char *fixed;		/* expansion when there are no variables, else NULL */
	struct trust_part *parts;
	size_t nparts;
	int pattern;		/* 1: pattern mode */
};

/* ---- condition operators ---- */

enum trust_family {
	TRUST_FAM_STRING,
	TRUST_FAM_NUMERIC,
	TRUST_FAM_DATE,
	TRUST_FAM_BOOL,
	TRUST_FAM_BINARY,
	TRUST_FAM_IP,
	TRUST_FAM_ARN,
	TRUST_FAM_NULL,
};

enum trust_test {
	TRUST_T_EQ,		/* exact (string/num/date/bool/binary) */
	TRUST_T_EQ_CI,		/* ASCII case-insensitive string equality */
	TRUST_T_LIKE,		/* wildcard (String*Like, Arn*) */
	TRUST_T_LT,
	TRUST_T_LE,
	TRUST_T_GT,
	TRUST_T_GE,
	TRUST_T_IN,		/* IP in CIDR */
	TRUST_T_NULL,
};

struct trust_opdef {
	const char *name;
	enum trust_family fam;
	enum trust_test test;
	int negated;		/* the request value must match none */
};

#define TRUST_COND_IFEXISTS 0x01
#define TRUST_COND_FORALL   0x02
#define TRUST_COND_FORANY   0x04

struct trust_ip {
	int af;			/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

struct trust_cval {
	char *raw;		/* the value as a string, for traces */
	struct trust_tmpl tmpl;	/* String and Arn families */
	double num;
	int64_t date;
	int b;			/* Bool and Null */
	uint8_t *bin;
	size_t binlen;
	struct trust_ip ip;
};

struct trust_cond {
	const struct trust_opdef *op;
	unsigned flags;
	char *opname;		/* as written, e.g. "ForAnyValue:StringLike" */
	char *key;
	struct trust_cval *vals;
	size_t nvals;
};

/* ---- principals, statements, policy ---- */

struct trust_princ {
	char *type;		/* "AWS", "Federated", "Service", "CanonicalUser" */
	char *value;
	char *account;		/* AWS only: account id or ...:root form, else NULL */
};

enum trust_res_kind {
	TRUST_RES_NONE,		/* no Resource element (trust policies) */
	TRUST_RES_RESOURCE,
	TRUST_RES_NOTRESOURCE,
};

struct trust_stmt {
	size_t idx;
	char *sid;
	int deny;
	int has_principal;
	int principal_any;	/* "*" or {"AWS":"*"} */
	struct trust_princ *princ;
	size_t nprinc;
	int not_action;
	char **actions;
	size_t nactions;
	enum trust_res_kind res_kind;
	struct trust_tmpl *res;
	size_t nres;
	struct trust_cond *conds;
	size_t nconds;
};

struct trust_policy {
	enum trust_policy_kind kind;
	int vars;		/* Version 2012-10-17: variables expand */
	struct trust_stmt *st;
	size_t nst;
};

/* ---- request context ---- */

struct trust_ctx_princ {
	char *type;
	char *value;
	char *account;		/* AWS: account id derived from the value */
};

struct trust_ctx_key {
	char *name;
	char **vals;
	size_t nvals;		/* 0 with the key present: declared empty set */
};

struct trust_ctx {
	struct trust_ctx_princ *princ;
	size_t nprinc;
	int exact_principals;	/* only Principal entries naming a ctx principal */
	char *action;
	char *resource;
	struct trust_ctx_key *keys;
	size_t nkeys;
};

/* ctx.c */
const struct trust_ctx_key *trust_ctx_find(const struct trust_ctx *ctx,
					   const char *key);
/** The value of a single-valued key, else NULL (absent or multi-valued). */
const char *trust_ctx_single(const struct trust_ctx *ctx, const char *key);
/** Account id of an AWS principal value (12 digits or an ARN), else NULL. */
char *trust_account_of(const char *value);

/* match.c */
/**
 * Wildcard match of s against pat ('*', '?'); esc != 0: '\x' is a literal x.
 */
int trust_match_pattern(const char *pat, size_t plen, const char *s,
			size_t slen, int ci, int esc);
/** ARN match per component, pattern possibly escaped (esc != 0). */
int trust_arn_match_esc(const char *pat, const char *arn, int esc);
/** Compile s into t; vars != 0 recognises ${...}. */
void trust_tmpl_compile(struct trust_tmpl *t, const char *s, int vars,
			int pattern);
void trust_tmpl_release(struct trust_tmpl *t);
/**
 * Expand t for ctx. Returns t->fixed (no allocation) when there are no
 * variables, else a string from *tmp (caller frees *tmp); NULL when a
 * variable without default is missing ("effectively null").
 */
const char *trust_tmpl_expand(const struct trust_tmpl *t,
			      const struct trust_ctx *ctx, char **tmp);
/** Strict decimal: [+-]digits[.digits][e[+-]digits]; 0 or -1. */
int trust_parse_number(const char *s, double *out);
/** Address or CIDR (allow_prefix) into ip; 0 or -1. */
int trust_parse_ip(const char *s, int allow_prefix, struct trust_ip *ip);
int trust_ip_in(const struct trust_ip *net, const struct trust_ip *addr);
/** Condition operator by base name (no prefix or IfExists), else NULL. */
const struct trust_opdef *trust_opdef_find(const char *name, size_t len);

#endif /* TRUST_POLICY_INT_H */
