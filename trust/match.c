/* trust/match.c - wildcards, ARNs, policy variables, value parsers */
#include "trust/policy.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "trust/policy_int.h"

#define TRUST_ARN_PARTS 6

static const struct trust_opdef trust_ops[] = {
	{"StringEquals", TRUST_FAM_STRING, TRUST_T_EQ, 0},
	{"StringNotEquals", TRUST_FAM_STRING, TRUST_T_EQ, 1},
	{"StringEqualsIgnoreCase", TRUST_FAM_STRING, TRUST_T_EQ_CI, 0},
	{"StringNotEqualsIgnoreCase", TRUST_FAM_STRING, TRUST_T_EQ_CI, 1},
	{"StringLike", TRUST_FAM_STRING, TRUST_T_LIKE, 0},
	{"StringNotLike", TRUST_FAM_STRING, TRUST_T_LIKE, 1},
	{"NumericEquals", TRUST_FAM_NUMERIC, TRUST_T_EQ, 0},
	{"NumericNotEquals", TRUST_FAM_NUMERIC, TRUST_T_EQ, 1},
	{"NumericLessThan", TRUST_FAM_NUMERIC, TRUST_T_LT, 0},
	{"NumericLessThanEquals", TRUST_FAM_NUMERIC, TRUST_T_LE, 0},
	{"NumericGreaterThan", TRUST_FAM_NUMERIC, TRUST_T_GT, 0},
	{"NumericGreaterThanEquals", TRUST_FAM_NUMERIC, TRUST_T_GE, 0},
	{"DateEquals", TRUST_FAM_DATE, TRUST_T_EQ, 0},
	{"DateNotEquals", TRUST_FAM_DATE, TRUST_T_EQ, 1},
	{"DateLessThan", TRUST_FAM_DATE, TRUST_T_LT, 0},
	{"DateLessThanEquals", TRUST_FAM_DATE, TRUST_T_LE, 0},
	{"DateGreaterThan", TRUST_FAM_DATE, TRUST_T_GT, 0},
	{"DateGreaterThanEquals", TRUST_FAM_DATE, TRUST_T_GE, 0},
	{"Bool", TRUST_FAM_BOOL, TRUST_T_EQ, 0},
	{"BinaryEquals", TRUST_FAM_BINARY, TRUST_T_EQ, 0},
	{"IpAddress", TRUST_FAM_IP, TRUST_T_IN, 0},
	{"NotIpAddress", TRUST_FAM_IP, TRUST_T_IN, 1},
	{"ArnEquals", TRUST_FAM_ARN, TRUST_T_LIKE, 0},
	{"ArnLike", TRUST_FAM_ARN, TRUST_T_LIKE, 0},
	{"ArnNotEquals", TRUST_FAM_ARN, TRUST_T_LIKE, 1},
	{"ArnNotLike", TRUST_FAM_ARN, TRUST_T_LIKE, 1},
	{"Null", TRUST_FAM_NULL, TRUST_T_NULL, 0},
};

const struct trust_opdef *
trust_opdef_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(trust_ops) / sizeof(trust_ops[0]); i++) {
		if (strlen(trust_ops[i].name) == len &&
		    memcmp(trust_ops[i].name, name, len) == 0)
			return &trust_ops[i];
	}
	return NULL;
}

static int
trust_ch_eq(char a, char b, int ci)
{
	if (ci)
		return tolower((unsigned char)a) == tolower((unsigned char)b);
	return a == b;
}

/*
 * Greedy match that backtracks only to the last '*': O(len(pat) * len(s))
 * at worst, no recursion, so hostile patterns cannot blow the stack.
 */
int
trust_match_pattern(const char *pat, size_t plen, const char *s, size_t slen,
		    int ci, int esc)
{
	size_t p = 0, i = 0, star_p = 0, star_i = 0;
	int have_star = 0;

	while (i < slen) {
		if (p < plen) {
			char c = pat[p];
			size_t adv = 1;

			if (c == '*') {
				have_star = 1;
				star_p = ++p;
				star_i = i;
				continue;
			}
			if (c == '?') {
				p++;
				i++;
				continue;
			}
			if (esc && c == '\\' && p + 1 < plen) {
				c = pat[p + 1];
				adv = 2;
			}
			if (trust_ch_eq(c, s[i], ci)) {
				p += adv;
				i++;
				continue;
			}
		}
		if (!have_star)
			return 0;
		p = star_p;
		i = ++star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

int
trust_wildcard_match(const char *pattern, const char *s, int ci)
{
	if (pattern == NULL || s == NULL)
		return 0;
	return trust_match_pattern(pattern, strlen(pattern), s, strlen(s), ci,
				   0);
}

/*
 * Split at the first five ':' (escaped ones do not count); the sixth part,
 * the resource, is the rest and may itself hold ':' and '/'.
 * Returns the number of parts found.
 */
static size_t
trust_arn_split(const char *s, int esc, const char **start, size_t *len)
{
	size_t n = 0;
	const char *b = s, *q;

	for (q = s; *q != '\0' && n < TRUST_ARN_PARTS - 1; q++) {
		if (esc && *q == '\\' && q[1] != '\0') {
			q++;
			continue;
		}
		if (*q == ':') {
			start[n] = b;
			len[n] = (size_t)(q - b);
			n++;
			b = q + 1;
		}
	}
	start[n] = b;
	len[n] = strlen(b);
	return n + 1;
}

int
trust_arn_match_esc(const char *pat, const char *arn, int esc)
{
	const char *ps[TRUST_ARN_PARTS], *as[TRUST_ARN_PARTS];
	size_t pl[TRUST_ARN_PARTS], al[TRUST_ARN_PARTS], np, na;

	if (pat == NULL || arn == NULL)
		return 0;
	if (strcmp(pat, "*") == 0)
		return 1;
	np = trust_arn_split(pat, esc, ps, pl);
	na = trust_arn_split(arn, 0, as, al);
	if (np != TRUST_ARN_PARTS || na != TRUST_ARN_PARTS)
		return 0;
	for (size_t i = 0; i < TRUST_ARN_PARTS; i++) {
		if (!trust_match_pattern(ps[i], pl[i], as[i], al[i], 0, esc))
			return 0;
	}
	return 1;
}

int
trust_arn_match(const char *pattern, const char *arn)
{
	return trust_arn_match_esc(pattern, arn, 0);
}

/* ---- templates ---- */

static void
trust_tmpl_add(struct trust_tmpl *t, enum trust_part_kind kind, char *text,
	       char *dflt)
{
	t->parts = core_xrealloc(t->parts,
				 (t->nparts + 1) * sizeof(*t->parts));
	t->parts[t->nparts].kind = kind;
	t->parts[t->nparts].text = text;
	t->parts[t->nparts].dflt = dflt;
	t->nparts++;
}

/*
 * Parse the inside of ${...}: "*", "?", "$" are escapes; "key" or
 * "key, 'default'" (IAMUG "Specifying default values"). Returns -1 when
 * the text is not a variable, so it stays literal.
 */
static int
trust_tmpl_var(struct trust_tmpl *t, const char *in, size_t n)
{
	const char *end = in + n, *comma, *kb = in, *ke, *q;

	if (n == 1 && (in[0] == '*' || in[0] == '?' || in[0] == '$')) {
		trust_tmpl_add(t, TRUST_PART_ESC, core_xstrndup(in, 1), NULL);
		return 0;
	}
	comma = memchr(in, ',', n);
	ke = comma != NULL ? comma : end;
	while (kb < ke && *kb == ' ')
		kb++;
	while (ke > kb && ke[-1] == ' ')
		ke--;
	if (kb == ke)
		return -1;
	if (comma == NULL) {
		trust_tmpl_add(t, TRUST_PART_VAR,
			       core_xstrndup(kb, (size_t)(ke - kb)), NULL);
		return 0;
	}
	q = comma + 1;
	while (q < end && *q == ' ')
		q++;
	while (end > q && end[-1] == ' ')
		end--;
	if (end - q < 2 || *q != '\'' || end[-1] != '\'')
		return -1;
	trust_tmpl_add(t, TRUST_PART_VAR, core_xstrndup(kb, (size_t)(ke - kb)),
		       core_xstrndup(q + 1, (size_t)(end - q - 2)));
	return 0;
}

/* Append s to b; in pattern mode every character is made literal. */
static void
trust_put_lit(struct core_buf *b, const char *s, size_t n, int pattern)
{
	if (!pattern) {
		core_buf_append(b, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '*' || s[i] == '?' || s[i] == '\\' || s[i] == ':')
			core_buf_append(b, "\\", 1);
		core_buf_append(b, &s[i], 1);
	}
}

/* Policy text keeps its wildcards; only its backslashes need escaping. */
static void
trust_put_policy_text(struct core_buf *b, const char *s, int pattern)
{
	for (; *s != '\0'; s++) {
		if (pattern && *s == '\\')
			core_buf_append(b, "\\", 1);
		core_buf_append(b, s, 1);
	}
}

/* 0: expanded into b; -1: a variable without default is missing. */
static int
trust_tmpl_build(const struct trust_tmpl *t, const struct trust_ctx *ctx,
		 struct core_buf *b)
{
	for (size_t i = 0; i < t->nparts; i++) {
		const struct trust_part *pt = &t->parts[i];
		const char *v;

		switch (pt->kind) {
		case TRUST_PART_LIT:
			trust_put_policy_text(b, pt->text, t->pattern);
			break;
		case TRUST_PART_ESC:
			trust_put_lit(b, pt->text, 1, t->pattern);
			break;
		case TRUST_PART_VAR:
			v = ctx != NULL ? trust_ctx_single(ctx, pt->text) : NULL;
			if (v == NULL)
				v = pt->dflt;
			if (v == NULL)
				return -1;
			trust_put_lit(b, v, strlen(v), t->pattern);
			break;
		}
	}
	return 0;
}

void
trust_tmpl_compile(struct trust_tmpl *t, const char *s, int vars, int pattern)
{
	const char *p = s, *lit = s, *open, *close;
	struct core_buf b;
	int has_var = 0;

	memset(t, 0, sizeof(*t));
	t->raw = core_xstrdup(s);
	t->pattern = pattern;
	for (open = vars ? strstr(p, "${") : NULL; open != NULL;
	     open = strstr(p, "${")) {
		close = strchr(open + 2, '}');
		if (close == NULL)
			break;
		if (open > lit)
			trust_tmpl_add(t, TRUST_PART_LIT,
				       core_xstrndup(lit, (size_t)(open - lit)),
				       NULL);
		if (trust_tmpl_var(t, open + 2, (size_t)(close - open - 2)) ==
		    0) {
			lit = close + 1;
			if (t->parts[t->nparts - 1].kind == TRUST_PART_VAR)
				has_var = 1;
		} else {
			/* Not a variable: keep "${" as text and move on. */
			trust_tmpl_add(t, TRUST_PART_LIT, core_xstrdup("${"),
				       NULL);
			lit = open + 2;
		}
		p = lit;
	}
	if (*lit != '\0')
		trust_tmpl_add(t, TRUST_PART_LIT, core_xstrdup(lit), NULL);
	if (has_var)
		return;
	core_buf_init(&b, 0);
	core_buf_puts(&b, "");
	trust_tmpl_build(t, NULL, &b);
	t->fixed = core_buf_steal(&b);
}

void
trust_tmpl_release(struct trust_tmpl *t)
{
	for (size_t i = 0; i < t->nparts; i++) {
		free(t->parts[i].text);
		free(t->parts[i].dflt);
	}
	free(t->parts);
	free(t->raw);
	free(t->fixed);
	memset(t, 0, sizeof(*t));
}

const char *
trust_tmpl_expand(const struct trust_tmpl *t, const struct trust_ctx *ctx,
		  char **tmp)
{
	struct core_buf b;

	*tmp = NULL;
	if (t->fixed != NULL)
		return t->fixed;
	core_buf_init(&b, 0);
	core_buf_puts(&b, "");
	if (trust_tmpl_build(t, ctx, &b) == -1) {
		core_buf_reset(&b);
		return NULL;
	}
	*tmp = core_buf_steal(&b);
	return *tmp;
}

/* ---- value parsers ---- */

int
trust_parse_number(const char *s, double *out)
{
	const char *p = s;
	char *end;
	int digits = 0;

	if (*p == '+' || *p == '-')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p != '\0')
		return -1;
	*out = strtod(s, &end);
	if (end != p || !isfinite(*out))
		return -1;
	return 0;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as IPv4. */
static void
trust_ip_unmap(struct trust_ip *ip)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					   0xff, 0xff};

	if (ip->af != AF_INET6 || memcmp(ip->addr, mapped, 12) != 0 ||
	    ip->prefix < 96)
		return;
	memmove(ip->addr, ip->addr + 12, 4);
	memset(ip->addr + 4, 0, 12);
	ip->af = AF_INET;
	ip->prefix -= 96;
}

int
trust_parse_ip(const char *s, int allow_prefix, struct trust_ip *ip)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned maxp;

	if (hlen == 0 || hlen >= sizeof(host) || (slash && !allow_prefix))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, host, ip->addr) == 1) {
		ip->af = AF_INET;
		maxp = 32;
	} else if (inet_pton(AF_INET6, host, ip->addr) == 1) {
		ip->af = AF_INET6;
		maxp = 128;
	} else
		return -1;
	ip->prefix = maxp;
	if (slash != NULL) {
		const char *d = slash + 1;
		unsigned v = 0;

		if (*d == '\0' || strlen(d) > 3)
			return -1;
		for (; *d != '\0'; d++) {
			if (!isdigit((unsigned char)*d))
				return -1;
			v = v * 10 + (unsigned)(*d - '0');
		}
		if (v > maxp)
			return -1;
		ip->prefix = v;
	}
	trust_ip_unmap(ip);
	return 0;
}

int
trust_ip_in(const struct trust_ip *net, const struct trust_ip *addr)
{
	unsigned full, rest;

	if (net->af != addr->af)
		return 0;
	full = net->prefix / 8;
	rest = net->prefix % 8;
	if (memcmp(net->addr, addr->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net->addr[full] ^ addr->addr[full]) &
		(uint8_t)(0xff << (8 - rest))) == 0;
}
