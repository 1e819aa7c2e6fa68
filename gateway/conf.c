/* gateway/conf.c - YAML/JSON configuration loader and checker
 *
 * The file is read into a small node tree with libyaml's event API (so that
 * aliases, tags, depth and node count are refused or bounded before any value
 * is interpreted), then walked with the key tables of conf_table.h. Every
 * problem is collected with its line and printed, sorted by line, as
 * "FILE:LINE: message" at the end: all problems, not just the first
 * [h2o configurator errprintf; OpenBSD parse.y error count].
 */
#include "gateway/conf.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "core/mem.h"
#include "core/store.h"
#include "federation/mint.h"
#include "trust/policy.h"

#define CONF_MAX_BYTES (4 * 1024 * 1024)
#define CONF_MAX_DEPTH 64
#define CONF_MAX_NODES 200000
#define CONF_MAX_MSGS 1000
#define CONF_MAX_STR 4096
#define CONF_MAX_PROVIDERS 256
#define CONF_MAX_ROLES 4096
#define CONF_MAX_POLICIES 64
#define CONF_MAX_ALIASES 16
#define CONF_MAX_USERS 4096
#define CONF_MAX_KEYS 16		/* access keys per user */
#define CONF_MAX_MANAGED 4096		/* managed_policies entries */
#define CONF_MAX_ATTACHED 20		/* IAM: managed policies per principal */
#define CONF_MAX_TAGS 50		/* IAM: tags per principal */
#define CONF_MAX_ACCOUNTS 1000
#define CONF_SECRET_MIN 16
#define CONF_SECRET_MAX 128
#define CONF_PATH_LEN 128
#define CONF_MAX_RECIPIENTS 64		/* saml_sp.recipients */
#define CONF_SAML_META_MAX (1024 * 1024) /* metadata_file size */
#define CONF_ENTITY_ID_MAX 1024		/* SAML metadata: entityID length */

#define CONF_DEFAULT_LISTEN_HOST "127.0.0.1"
#define CONF_DEFAULT_LISTEN_PORT 8080
#define CONF_DEFAULT_ACCOUNT "000000000000"
#define CONF_DEFAULT_STATE_DIR "/var/lib/fedgate"
#define CONF_DEFAULT_ENTITY_ID "urn:fedgate:sp"
#define CONF_ACS_PATH "/saml/acs"

enum cnode_type { CN_SCALAR, CN_MAP, CN_SEQ };

/* One YAML node. A mapping's kids alternate key, value. */
struct cnode {
	enum cnode_type type;
	int line;
	int plain;		/* plain scalar: may be int/null; else a string */
	char *str;
	size_t len;
	struct cnode **kids;
	size_t n, cap;
};

struct conf_msg {
	int line;
	unsigned seq;
	char *text;
};

struct conf_ld {
	const char *name;
	struct conf_msg *msgs;
	size_t n_msgs, cap_msgs;
	int nerr;
	size_t nodes;
	struct gw_conf *conf;
	char **role_paths;	/* parallel to conf->roles */
	int *issuer_lines;	/* parallel to conf->providers */
	size_t *prov_yidx;	/* providers[] index of each conf->providers */
	size_t *saml_yidx;	/* providers[] index of each conf->saml_idps */
	int sp_lines[8];	/* saml_sp keys (SSP_*) */
	int top_lines[24];
	int key_line;		/* line of the key whose handler runs */
	int secrets_ok;		/* inline secrets allowed: text is private */
	char **mp_accounts;	/* parallel to conf->managed_policies */
	int *mp_lines;
	struct conf_ref *refs;	/* managed policy attachments to resolve */
	size_t n_refs, cap_refs;
	int owner_is_user;	/* whose section is being walked */
	size_t owner;
};

/* An attached managed policy ARN, resolved once all sections are read. */
struct conf_ref {
	int line;
	int is_user;
	size_t owner;
	char *label;
	char *arn;
};

struct prov_tmp {
	struct fed_oidc_config c;
	char *type;
	struct gw_login_provider *login; /* its login: block, if any */
};

struct saml_tmp {
	struct fed_saml_idp_config c;
	char *type;
	struct gw_login_provider *login;
};

struct role_tmp {
	struct gw_role r;
	char *path;
};

struct mpol_tmp {
	struct gw_named_policy p;
	char *account_id;
};

struct key_tmp {
	struct gw_access_key k;
	char *file;
	char *env;
	const char *key_prefix;	/* "client_" for login blocks, else NULL */
};

/* Messages name the key as written: "client_secret_file" in login blocks. */
#define KPFX(kt) ((kt)->key_prefix != NULL ? (kt)->key_prefix : "")

/* providers[].login: the button, and for OIDC the client registration. */
struct login_tmp {
	struct gw_login_provider l;
	struct key_tmp kt;		/* client_secret_file / client_secret_env */
	int lines[16];
};

/* ---- error collection ---- */

static void conf_err(struct conf_ld *ld, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conf_err(struct conf_ld *ld, int line, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	ld->nerr++;
	if (ld->n_msgs >= CONF_MAX_MSGS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ld->n_msgs == ld->cap_msgs) {
		ld->cap_msgs = ld->cap_msgs ? ld->cap_msgs * 2 : 16;
		ld->msgs = core_xrealloc(ld->msgs,
					 ld->cap_msgs * sizeof(*ld->msgs));
	}
	ld->msgs[ld->n_msgs].line = line;
	ld->msgs[ld->n_msgs].seq = (unsigned)ld->n_msgs;
	ld->msgs[ld->n_msgs].text = core_xstrdup(buf);
	ld->n_msgs++;
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct conf_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Print collected messages in file order; release them. */
static void
conf_flush(struct conf_ld *ld, FILE *errout)
{
	size_t i;

	if (ld->n_msgs > 1)
		qsort(ld->msgs, ld->n_msgs, sizeof(*ld->msgs), msg_cmp);
	for (i = 0; i < ld->n_msgs; i++) {
		if (errout != NULL && ld->msgs[i].line > 0)
			fprintf(errout, "%s:%d: %s\n", ld->name,
				ld->msgs[i].line, ld->msgs[i].text);
		else if (errout != NULL)
			fprintf(errout, "%s: %s\n", ld->name,
				ld->msgs[i].text);
		free(ld->msgs[i].text);
	}
	if (errout != NULL && (size_t)ld->nerr > ld->n_msgs)
		fprintf(errout, "%s: %d more errors not shown\n", ld->name,
			ld->nerr - (int)ld->n_msgs);
	free(ld->msgs);
	ld->msgs = NULL;
	ld->n_msgs = ld->cap_msgs = 0;
}

/* ---- node tree from libyaml events ---- */

static void
cn_free(struct cnode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++)
		cn_free(n->kids[i]);
	free(n->kids);
	/* Scalars may be inline access key secrets. */
	if (n->str != NULL)
		OPENSSL_cleanse(n->str, n->len);
	free(n->str);
	free(n);
}

static void
cn_push(struct cnode *parent, struct cnode *kid)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap ? parent->cap * 2 : 8;
		parent->kids = core_xrealloc(parent->kids,
					     parent->cap * sizeof(*parent->kids));
	}
	parent->kids[parent->n++] = kid;
}

/*
 * Anchors and aliases are refused: aliases make a small file expand into a
 * huge tree ("billion laughs"), and nothing in a config needs them. Only the
 * core schema's own tags are accepted; "!!str" makes a scalar a string.
 */
static void
cn_check_props(struct conf_ld *ld, int line, const yaml_char_t *anchor,
	       const yaml_char_t *tag, enum cnode_type t, int *plain)
{
	const char *tg = (const char *)tag;

	if (anchor != NULL)
		conf_err(ld, line, "YAML anchors (&%.64s) are not supported",
			 (const char *)anchor);
	if (tg == NULL)
		return;
	if (t == CN_SCALAR && (strcmp(tg, "!") == 0 ||
			       strcmp(tg, "tag:yaml.org,2002:str") == 0)) {
		*plain = 0;
		return;
	}
	if ((t == CN_SCALAR && strcmp(tg, "tag:yaml.org,2002:int") == 0) ||
	    (t == CN_MAP && strcmp(tg, "tag:yaml.org,2002:map") == 0) ||
	    (t == CN_SEQ && strcmp(tg, "tag:yaml.org,2002:seq") == 0))
		return;
	conf_err(ld, line, "YAML tag '%.64s' is not supported", tg);
}

static struct cnode *
cn_from_event(struct conf_ld *ld, const yaml_event_t *ev)
{
	struct cnode *n;
	int line = (int)ev->start_mark.line + 1, plain = 0;
	enum cnode_type t;

	if (++ld->nodes > CONF_MAX_NODES) {
		conf_err(ld, line, "too many YAML nodes (more than %d)",
			 CONF_MAX_NODES);
		return NULL;
	}
	if (ev->type == YAML_SCALAR_EVENT) {
		t = CN_SCALAR;
		plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		cn_check_props(ld, line, ev->data.scalar.anchor,
			       ev->data.scalar.tag, t, &plain);
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		t = CN_MAP;
		cn_check_props(ld, line, ev->data.mapping_start.anchor,
			       ev->data.mapping_start.tag, t, &plain);
	} else {
		t = CN_SEQ;
		cn_check_props(ld, line, ev->data.sequence_start.anchor,
			       ev->data.sequence_start.tag, t, &plain);
	}
	n = core_xcalloc(1, sizeof(*n));
	n->type = t;
	n->line = line;
	n->plain = plain;
	if (t == CN_SCALAR) {
		n->len = ev->data.scalar.length;
		/* Not strndup: a "\0" escape must stay visible as a NUL. */
		n->str = core_xmalloc(n->len + 1);
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
	}
	return n;
}

struct cn_state {
	struct cnode *stack[CONF_MAX_DEPTH];
	size_t depth;
	struct cnode *root;
	int docs;
};

/* Hang n under the open collection (or make it the root). -1: stop. */
static int
cn_attach(struct conf_ld *ld, struct cn_state *st, struct cnode *n)
{
	struct cnode *parent;

	if (st->depth == 0) {
		st->root = n;
	} else {
		parent = st->stack[st->depth - 1];
		if (parent->type == CN_MAP && parent->n % 2 == 0 &&
		    n->type != CN_SCALAR) {
			conf_err(ld, n->line,
				 "mapping keys must be strings");
			cn_free(n);
			return -1;
		}
		cn_push(parent, n);
	}
	if (n->type == CN_SCALAR)
		return 0;
	if (st->depth == CONF_MAX_DEPTH) {
		conf_err(ld, n->line, "nesting deeper than %d levels",
			 CONF_MAX_DEPTH);
		return -1;
	}
	st->stack[st->depth++] = n;
	return 0;
}

/* One event; returns 1 at stream end, 0 to go on, -1 to stop. */
static int
cn_event(struct conf_ld *ld, struct cn_state *st, const yaml_event_t *ev)
{
	struct cnode *n;
	int line = (int)ev->start_mark.line + 1;

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++st->docs > 1) {
			conf_err(ld, line,
				 "only one YAML document is allowed");
			return -1;
		}
		return 0;
	case YAML_ALIAS_EVENT:
		conf_err(ld, line, "YAML aliases (*%s) are not supported",
			 (const char *)ev->data.alias.anchor);
		return -1;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = cn_from_event(ld, ev);
		if (n == NULL)
			return -1;
		return cn_attach(ld, st, n);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (st->depth > 0)
			st->depth--;
		return 0;
	default:
		return 0;
	}
}

static struct cnode *
cn_parse(struct conf_ld *ld, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct cn_state st;
	int rc = 0;

	memset(&st, 0, sizeof(st));
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			conf_err(ld, (int)p.problem_mark.line + 1,
				 "YAML syntax error: %s%s%s",
				 p.problem ? p.problem : "unknown",
				 p.context ? " " : "",
				 p.context ? p.context : "");
			rc = -1;
			break;
		}
		rc = cn_event(ld, &st, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc < 0) {
		cn_free(st.root);
		return NULL;
	}
	if (st.root == NULL)
		conf_err(ld, 0, "configuration is empty");
	return st.root;
}

/* ---- typed access to nodes ---- */

static int
cn_is_null(const struct cnode *n)
{
	if (n->type != CN_SCALAR || !n->plain)
		return 0;
	return n->len == 0 || strcmp(n->str, "~") == 0 ||
	       strcmp(n->str, "null") == 0 || strcmp(n->str, "Null") == 0 ||
	       strcmp(n->str, "NULL") == 0;
}

static const char *
cn_kind(const struct cnode *n)
{
	if (n->type == CN_MAP)
		return "a mapping";
	if (n->type == CN_SEQ)
		return "a list";
	if (cn_is_null(n))
		return "null";
	return "a scalar";
}

/* A string value: a non-null scalar without NUL bytes, bounded. */
static int
cn_str(struct conf_ld *ld, const struct cnode *n, const char *path,
       char **out)
{
	if (n->type != CN_SCALAR || cn_is_null(n)) {
		conf_err(ld, n->line, "%s: expected a string, got %s", path,
			 cn_kind(n));
		return -1;
	}
	if (strlen(n->str) != n->len) {
		conf_err(ld, n->line, "%s: contains a NUL character", path);
		return -1;
	}
	if (n->len > CONF_MAX_STR) {
		conf_err(ld, n->line, "%s: value longer than %d bytes", path,
			 CONF_MAX_STR);
		return -1;
	}
	*out = core_xstrdup(n->str);
	return 0;
}

/*
 * A plain decimal integer. YAML 1.1 reads "010" as octal, so leading zeros
 * are refused rather than guessed at.
 */
static int
cn_int(struct conf_ld *ld, const struct cnode *n, const char *path,
       long long min, long long max, long long *out)
{
	const char *s = n->str, *d;
	char *end;
	long long v;

	if (n->type != CN_SCALAR || !n->plain || cn_is_null(n))
		goto bad;
	d = (*s == '-' || *s == '+') ? s + 1 : s;
	if (*d < '0' || *d > '9' || (d[0] == '0' && d[1] != '\0'))
		goto bad;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || (size_t)(end - s) != n->len)
		goto bad;
	if (errno == ERANGE || v < min || v > max) {
		conf_err(ld, n->line, "%s: must be between %lld and %lld",
			 path, min, max);
		return -1;
	}
	*out = v;
	return 0;
bad:
	conf_err(ld, n->line, "%s: expected an integer", path);
	return -1;
}

/*
 * true or false, plain. YAML 1.1's yes/no/on/off are refused rather than
 * read: "no" as a country code must not turn into a boolean.
 */
static int
cn_bool(struct conf_ld *ld, const struct cnode *n, const char *path, int *out)
{
	if (n->type == CN_SCALAR && n->plain) {
		if (strcmp(n->str, "true") == 0 || strcmp(n->str, "True") == 0 ||
		    strcmp(n->str, "TRUE") == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(n->str, "false") == 0 ||
		    strcmp(n->str, "False") == 0 ||
		    strcmp(n->str, "FALSE") == 0) {
			*out = 0;
			return 0;
		}
	}
	conf_err(ld, n->line, "%s: expected true or false", path);
	return -1;
}

/* Labels for messages: truncation only shortens a label, never a value. */
static void
path_key(char *buf, size_t sz, const char *path, const char *key)
{
	int r;

	if (path[0] == '\0')
		r = snprintf(buf, sz, "%s", key);
	else
		r = snprintf(buf, sz, "%s.%s", path, key);
	if (r < 0)
		buf[0] = '\0';
}

static void
path_idx(char *buf, size_t sz, const char *path, size_t i)
{
	if (snprintf(buf, sz, "%s[%zu]", path, i) < 0)
		buf[0] = '\0';
}

/* ---- validators (NULL: ok) ---- */

/*
 * "scheme://host[:port][/path]" with no spaces, controls, userinfo,
 * query or fragment. The host span points into s. -1 if malformed.
 */
static int
url_split(const char *s, int *https, const char **host, size_t *hlen)
{
	const char *p, *h;
	size_t i;

	if (strncmp(s, "https://", 8) == 0) {
		*https = 1;
		h = s + 8;
	} else if (strncmp(s, "http://", 7) == 0) {
		*https = 0;
		h = s + 7;
	} else
		return -1;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
		    s[i] == '?' || s[i] == '#' || s[i] == '\\')
			return -1;
	if (*h == '[') {
		p = strchr(h, ']');
		if (p == NULL)
			return -1;
		p++;
	} else
		p = h + strcspn(h, ":/");
	if (p == h || memchr(h, '@', (size_t)(p - h)) != NULL)
		return -1;
	*host = h;
	*hlen = (size_t)(p - h);
	if (*p == ':') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	return (*p == '\0' || *p == '/') ? 0 : -1;
}

static const char *
check_public_url(const char *s, int plain)
{
	const char *h;
	size_t hl;
	int https;

	if (url_split(s, &https, &h, &hl) < 0)
		return "must be an http:// or https:// URL without query or "
		       "fragment";
	return NULL;
}

/* Keys and JWKS come from here: https only, except loopback for tests. */
static const char *
check_fetch_url(const char *s, int plain)
{
	const char *h;
	size_t hl;
	int https;

	if (url_split(s, &https, &h, &hl) < 0)
		return "must be an https:// URL without query or fragment";
	if (!https && !core_host_is_loopback(h, hl))
		return "must use https:// (http:// is allowed only for "
		       "127.0.0.1, localhost and [::1])";
	return NULL;
}

static const char *
check_account(const char *s, int plain)
{
	size_t i;

	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (plain || i != 12 || s[i] != '\0')
		return "must be a quoted 12-digit string, e.g. "
		       "\"111122223333\"";
	return NULL;
}

static const char *
check_path(const char *s, int plain)
{
	return s[0] == '\0' ? "must not be empty" : NULL;
}

static const char *
check_audit(const char *s, int plain)
{
	if (strcmp(s, "stdout") == 0 || strcmp(s, "off") == 0 || s[0] == '/')
		return NULL;
	return "must be 'stdout', 'off' or an absolute path";
}

static int
name_chars_ok(const char *s, size_t max, const char *extra)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' ||
		      strchr(extra, c) != NULL))
			return 0;
	}
	return i >= 1 && i <= max;
}

static const char *
check_name(const char *s, int plain)
{
	if (!name_chars_ok(s, 64, ".-"))
		return "must be 1 to 64 characters of [A-Za-z0-9_.-]";
	return NULL;
}

/* "saml" never gets here: such entries are walked with conf_saml_provider. */
static const char *
check_ptype(const char *s, int plain)
{
	if (strcmp(s, "oidc") == 0)
		return NULL;
	return "must be 'oidc' or 'saml'";
}

static const char *
check_preset(const char *s, int plain)
{
	static const char *const presets[] = { "google", "cognito-identity",
		"cognito-user-pool", "apple", "facebook" };
	size_t i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(s, presets[i]) == 0)
			return NULL;
	if (strcmp(s, "entra") == 0 || strcmp(s, "okta") == 0)
		return "must be one of google, cognito-identity, "
		       "cognito-user-pool, apple, facebook (entra and okta are "
		       "SAML presets: add 'type: saml')";
	return "must be one of google, cognito-identity, cognito-user-pool, "
	       "apple, facebook";
}

static const char *
check_saml_type(const char *s, int plain)
{
	return strcmp(s, "saml") == 0 ? NULL : "must be 'saml'";
}

/* Presets only document what each IdP sends; they change no checks. */
static const char *
check_saml_preset(const char *s, int plain)
{
	if (strcmp(s, "entra") == 0 || strcmp(s, "okta") == 0 ||
	    strcmp(s, "google") == 0)
		return NULL;
	return "must be one of entra, okta, google";
}

/*
 * Like check_fetch_url, but a query is allowed: Entra's per-application
 * metadata URL carries the application id as "?appid=...".
 */
static const char *
check_metadata_url(const char *s, int plain)
{
	const char *msg = "must be an https:// URL without fragment";
	char buf[CONF_MAX_STR + 1];
	size_t n = strcspn(s, "?"), i;
	const char *h;
	size_t hl;
	int https;

	if (n >= sizeof(buf))
		return msg;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (url_split(buf, &https, &h, &hl) < 0)
		return msg;
	if (!https && !core_host_is_loopback(h, hl))
		return "must use https:// (http:// is allowed only for "
		       "127.0.0.1, localhost and [::1])";
	for (i = n; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
		    s[i] == '#' || s[i] == '\\')
			return msg;
	return NULL;
}

static const char *
check_alias(const char *s, int plain)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return "must not contain spaces or control characters";
	return i == 0 ? "must not be empty" : NULL;
}

static const char *
check_audience(const char *s, int plain)
{
	return check_alias(s, plain);
}

static const char *
check_alg(const char *s, int plain)
{
	static const char *const algs[] = { "RS256", "RS384", "RS512", "PS256",
		"PS384", "PS512", "ES256", "ES384", "ES512" };
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(s, algs[i]) == 0)
			return NULL;
	if (strcasecmp(s, "none") == 0)
		return "'none' is never accepted: tokens must be signed";
	if (strncmp(s, "HS", 2) == 0)
		return "HMAC algorithms are refused: a public key must never "
		       "serve as an HMAC secret";
	return "must be one of RS256 RS384 RS512 PS256 PS384 PS512 ES256 "
	       "ES384 ES512";
}

/* IAM role names: [\w+=,.@-]{1,64}. */
static const char *
check_role_name(const char *s, int plain)
{
	if (!name_chars_ok(s, 64, "+=,.@-"))
		return "must be 1 to 64 characters of [A-Za-z0-9_+=,.@-]";
	return NULL;
}

/* IAM paths: "/" or "/a/b/"; kept to ARN-safe characters. */
static const char *
check_role_path(const char *s, int plain)
{
	size_t n = strlen(s), i;
	const char *msg = "must be '/' or look like '/division/team/' "
			  "([A-Za-z0-9_+=,.@-] between slashes)";

	if (n == 0 || n > 512 || s[0] != '/' || s[n - 1] != '/')
		return msg;
	for (i = 1; i < n; i++) {
		if (s[i] == '/' && s[i - 1] == '/')
			return msg;
		if (s[i] != '/' && !name_chars_ok((char[]){ s[i], '\0' }, 1,
						  "+=,.@-"))
			return msg;
	}
	return NULL;
}

static const char *
check_policy_name(const char *s, int plain)
{
	if (!name_chars_ok(s, 128, "+=,.@-"))
		return "policy names must be 1 to 128 characters of "
		       "[A-Za-z0-9_+=,.@-]";
	return NULL;
}

/* Managed policies this loader defines: arn:aws:iam::ACCOUNT:policy/NAME. */
static const char *
check_policy_arn(const char *s, int plain)
{
	const char *msg = "must be a managed policy ARN, "
			  "arn:aws:iam::ACCOUNT:policy/NAME";
	size_t i;

	if (strncmp(s, "arn:aws:iam::", 13) != 0)
		return msg;
	for (i = 13; i < 25; i++)
		if (s[i] < '0' || s[i] > '9')
			return msg;
	if (strncmp(s + 25, ":policy/", 8) != 0 ||
	    check_policy_name(s + 33, 0) != NULL)
		return msg;
	return NULL;
}

/* Access key ids are not secret, but the value is not echoed: a secret
 * pasted into the wrong field must not end up in a log. */
static const char *
check_key_id(const char *s, int plain)
{
	size_t i, n = strlen(s);

	if (strncmp(s, "AKIA", 4) != 0 || n < 16 || n > 128)
		return "must match AKIA[A-Z0-9]{12,124}";
	for (i = 4; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return "must match AKIA[A-Z0-9]{12,124}";
	return NULL;
}

/* Page and button text: printable, no markup worries (pages escape). */
static const char *
check_title(const char *s, int plain)
{
	size_t n = strlen(s);

	if (n == 0 || n > 100)
		return "must be 1 to 100 characters";
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return "must not contain control characters";
	return NULL;
}

static const char *
check_initials(const char *s, int plain)
{
	if (!name_chars_ok(s, 3, ""))
		return "must be 1 to 3 characters of [A-Za-z0-9_]";
	return NULL;
}

/* RFC 6749 §3.3 scope-token. */
static const char *
check_scope(const char *s, int plain)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128)
		return "must be 1 to 128 characters";
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return "must be an OAuth scope token (printable ASCII "
			       "without space, quote or backslash)";
	return NULL;
}

static const char *
check_hosted_domain(const char *s, int plain)
{
	if (!name_chars_ok(s, 253, ".-") || s[0] == '.' || s[0] == '-')
		return "must be a domain name such as example.com";
	return NULL;
}

static const char *
check_env_name(const char *s, int plain)
{
	if ((s[0] >= '0' && s[0] <= '9') || !name_chars_ok(s, 128, ""))
		return "must be an environment variable name "
		       "([A-Za-z_][A-Za-z0-9_]*, at most 128)";
	return NULL;
}

/* Access key secrets: printable ASCII (SigV4 uses them as HMAC keys). */
static const char *
secret_msg(const char *s, size_t n)
{
	size_t i;

	if (n < CONF_SECRET_MIN || n > CONF_SECRET_MAX)
		return "the secret must be 16 to 128 printable ASCII characters";
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return "the secret must be 16 to 128 printable ASCII "
			       "characters";
	return NULL;
}

/*
 * Next code point of well-formed UTF-8 (no overlongs, surrogates,
 * noncharacters or C0/C1 controls). Advances *pp; -1 if bad.
 */
static int
utf8_next(const unsigned char **pp, uint32_t *cpp)
{
	const unsigned char *p = *pp;
	size_t len, i;
	uint32_t cp;

	if (*p < 0x80) {
		len = 1;
		cp = *p;
	} else if ((*p & 0xe0) == 0xc0) {
		len = 2;
		cp = *p & 0x1f;
	} else if ((*p & 0xf0) == 0xe0) {
		len = 3;
		cp = *p & 0x0f;
	} else if ((*p & 0xf8) == 0xf0) {
		len = 4;
		cp = *p & 0x07;
	} else
		return -1;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff)
		return -1;
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
	    (cp & 0xfffe) == 0xfffe)
		return -1;
	*pp = p + len;
	*cpp = cp;
	return 0;
}

/*
 * Characters of an IAM tag key or value, [\p{L}\p{Z}\p{N}_.:/=+\-@]; -1 if
 * one is outside the class. ASCII is checked exactly; beyond ASCII every
 * well-formed, non-control code point is taken as a letter, since fedgate
 * carries no Unicode category tables (a known over-acceptance).
 */
static long
tag_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	long n = 0;

	while (*p != '\0') {
		if (utf8_next(&p, &cp) < 0)
			return -1;
		if (cp < 0x80 && !((cp >= 'A' && cp <= 'Z') ||
				   (cp >= 'a' && cp <= 'z') ||
				   (cp >= '0' && cp <= '9') ||
				   strchr(" _.:/=+-@", (int)cp) != NULL))
			return -1;
		n++;
	}
	return n;
}

/* Printable characters (any script); -1 on a control or bad UTF-8. */
static long
printable_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	long n = 0;

	while (*p != '\0') {
		if (utf8_next(&p, &cp) < 0)
			return -1;
		n++;
	}
	return n;
}

static const char *
tag_key_msg(const struct cnode *k)
{
	long n = tag_chars(k->str);

	if (strlen(k->str) != k->len || n < 1 || n > 128)
		return "tag keys must be 1 to 128 letters, digits, spaces or "
		       "_.:/=+-@";
	/* IAM reserves the prefix, whatever its case. */
	if (strncasecmp(k->str, "aws:", 4) == 0)
		return "tag keys must not start with 'aws:' (reserved)";
	return NULL;
}

static const char *
tag_value_msg(const char *s)
{
	long n = tag_chars(s);

	if (n < 0 || n > 256)
		return "tag values must be 0 to 256 letters, digits, spaces or "
		       "_.:/=+-@";
	return NULL;
}

/* SAML metadata limits entityID to 1024 characters (anyURI). */
static const char *
check_entity_id(const char *s, int plain)
{
	long n = printable_chars(s);

	if (n < 1 || n > CONF_ENTITY_ID_MAX)
		return "must be 1 to 1024 characters, without control "
		       "characters";
	return NULL;
}

/* ---- table walker ---- */

static void conf_listen(struct conf_ld *, const struct cnode *, void *,
			const char *);
static void conf_store(struct conf_ld *, const struct cnode *, void *,
		       const char *);
static void conf_metrics_listen(struct conf_ld *, const struct cnode *,
				void *, const char *);
static void conf_providers(struct conf_ld *, const struct cnode *, void *,
			   const char *);
static void conf_roles(struct conf_ld *, const struct cnode *, void *,
		       const char *);
static void conf_trust_policy(struct conf_ld *, const struct cnode *, void *,
			      const char *);
#define CONF_HANDLER(fn) \
	static void fn(struct conf_ld *, const struct cnode *, void *, const char *)
CONF_HANDLER(conf_role_policies);
CONF_HANDLER(conf_role_managed);
CONF_HANDLER(conf_role_tags);
CONF_HANDLER(conf_managed_policies);
CONF_HANDLER(conf_mpol_document);
CONF_HANDLER(conf_accounts);
CONF_HANDLER(conf_users);
CONF_HANDLER(conf_access_keys);
CONF_HANDLER(conf_user_policies);
CONF_HANDLER(conf_user_managed);
CONF_HANDLER(conf_user_tags);
CONF_HANDLER(conf_key_inline);
CONF_HANDLER(conf_saml_sp);
CONF_HANDLER(conf_rate_limits);
CONF_HANDLER(conf_rl_source_ip);
CONF_HANDLER(conf_rl_provider);
CONF_HANDLER(conf_web);
CONF_HANDLER(conf_oidc_login);
CONF_HANDLER(conf_saml_login);
#undef CONF_HANDLER
static void oidc_login_finish(struct conf_ld *, struct prov_tmp *,
			      const char *);
static void login_add(struct conf_ld *, struct gw_login_provider *,
		      enum gw_login_kind, const char *);
static void key_secret(struct conf_ld *, struct key_tmp *, const int *, int,
		       const char *);
static void secret_str_free(char *);
static void strs_free(char **, size_t);

#include "gateway/conf_table.h"

_Static_assert(TOP_COUNT <= 24, "conf_ld.top_lines is too small");
_Static_assert(SSP_COUNT <= 8, "conf_ld.sp_lines is too small");

static void
walk_str(struct conf_ld *ld, const struct conf_field *f, const struct cnode *v,
	 void *obj, const char *path)
{
	char **slot = (char **)((char *)obj + f->off);
	const char *msg;
	char *s;

	if (cn_str(ld, v, path, &s) < 0)
		return;
	msg = f->check != NULL ? f->check(s, v->plain) : NULL;
	if (msg != NULL) {
		conf_err(ld, v->line, "%s: %s", path, msg);
		free(s);
		return;
	}
	free(*slot);
	*slot = s;
}

static void
walk_list(struct conf_ld *ld, const struct conf_field *f,
	  const struct cnode *v, void *obj, const char *path)
{
	char ***slot = (char ***)((char *)obj + f->off);
	size_t *np = (size_t *)((char *)obj + f->off_n), i;
	char ipath[CONF_PATH_LEN], *s;
	const char *msg;

	if (v->type != CN_SEQ) {
		conf_err(ld, v->line, "%s: expected a list, got %s", path,
			 cn_kind(v));
		return;
	}
	if (v->n < (size_t)f->min || v->n > (size_t)f->max) {
		conf_err(ld, v->line, "%s: must have %lld to %lld entries",
			 path, f->min, f->max);
		return;
	}
	*slot = core_xcalloc(v->n, sizeof(char *));
	*np = 0;
	for (i = 0; i < v->n; i++) {
		path_idx(ipath, sizeof(ipath), path, i);
		if (cn_str(ld, v->kids[i], ipath, &s) < 0)
			continue;
		msg = f->check != NULL ? f->check(s, v->kids[i]->plain) : NULL;
		if (msg != NULL) {
			conf_err(ld, v->kids[i]->line, "%s: %s", ipath, msg);
			free(s);
			continue;
		}
		(*slot)[(*np)++] = s;
	}
}

static void
walk_value(struct conf_ld *ld, const struct conf_field *f,
	   const struct cnode *v, void *obj, const char *path)
{
	long long n;
	int b;

	switch (f->type) {
	case CT_STR:
		walk_str(ld, f, v, obj, path);
		break;
	case CT_INT:
		if (cn_int(ld, v, path, f->min, f->max, &n) == 0)
			*(int *)((char *)obj + f->off) = (int)n;
		break;
	case CT_SIZE:
		if (cn_int(ld, v, path, f->min, f->max, &n) == 0)
			*(size_t *)((char *)obj + f->off) = (size_t)n;
		break;
	case CT_STRLIST:
		walk_list(ld, f, v, obj, path);
		break;
	case CT_BOOL:
		if (cn_bool(ld, v, path, &b) == 0)
			*(int *)((char *)obj + f->off) = b;
		break;
	case CT_FN:
		f->fn(ld, v, obj, path);
		break;
	}
}

/*
 * Apply table tab to mapping map: unknown keys, duplicates and missing
 * required keys are errors. lines[i] receives the line of field i's value
 * (0 if absent).
 */
static void
conf_walk(struct conf_ld *ld, const struct cnode *map,
	  const struct conf_field *tab, size_t ntab, void *obj,
	  const char *path, int *lines)
{
	char kpath[CONF_PATH_LEN];
	const struct cnode *k;
	size_t i, j;

	memset(lines, 0, ntab * sizeof(*lines));
	for (i = 0; i + 1 < map->n; i += 2) {
		k = map->kids[i];
		path_key(kpath, sizeof(kpath), path, k->str);
		for (j = 0; j < ntab; j++)
			if (strcmp(k->str, tab[j].key) == 0)
				break;
		if (j == ntab) {
			conf_err(ld, k->line, "%s: unknown key", kpath);
			continue;
		}
		if (lines[j] != 0) {
			conf_err(ld, k->line,
				 "%s: duplicate key (first at line %d)", kpath,
				 lines[j]);
			continue;
		}
		lines[j] = k->line;
		ld->key_line = k->line;
		walk_value(ld, &tab[j], map->kids[i + 1], obj, kpath);
	}
	for (j = 0; j < ntab; j++)
		if (tab[j].required && lines[j] == 0)
			conf_err(ld, map->line, "%s%smissing required key '%s'",
				 path, path[0] ? ": " : "", tab[j].key);
}

/* ---- listen ---- */

/* "host:port" or "[v6]:port"; host stored without brackets. */
static const char *
listen_parse(const char *s, struct gw_listen *out)
{
	const char *colon, *hs = s, *he;
	char *end;
	long port;

	if (s[0] == '[') {
		he = strchr(s, ']');
		if (he == NULL || he[1] != ':')
			return "expected \"[ipv6]:port\"";
		hs = s + 1;
		colon = he + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return "expected \"host:port\"";
		he = colon;
		if (memchr(s, ':', (size_t)(colon - s)) != NULL)
			return "IPv6 addresses must be bracketed, e.g. "
			       "\"[::1]:8080\"";
	}
	if (he == hs)
		return "missing host (use 0.0.0.0 or [::] for all addresses)";
	if (strspn(hs, "0123456789abcdefABCDEF.:-_%") < (size_t)(he - hs) &&
	    strspn(hs, "0123456789abcdefghijklmnopqrstuvwxyz"
		       "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-") < (size_t)(he - hs))
		return "invalid host";
	if (colon[1] < '0' || colon[1] > '9' || strlen(colon + 1) > 5)
		return "port must be a number from 0 to 65535";
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port > 65535)
		return "port must be a number from 0 to 65535";
	out->host = core_xstrndup(hs, (size_t)(he - hs));
	out->port = (int)port;
	return NULL;
}

static void
listen_one(struct conf_ld *ld, const struct cnode *v, const char *path)
{
	struct gw_conf *c = ld->conf;
	const char *msg;
	char *s;

	if (cn_str(ld, v, path, &s) < 0)
		return;
	msg = listen_parse(s, &c->listen[c->n_listen]);
	if (msg != NULL)
		conf_err(ld, v->line, "%s: %s", path, msg);
	else
		c->n_listen++;
	free(s);
}

static void
conf_listen(struct conf_ld *ld, const struct cnode *v, void *obj,
	    const char *path)
{
	char ipath[CONF_PATH_LEN];
	size_t i;

	if (v->type != CN_SEQ) {
		listen_one(ld, v, path);
		return;
	}
	if (v->n == 0 || v->n > GW_CONF_MAX_LISTEN) {
		conf_err(ld, v->line, "%s: must have 1 to %d entries", path,
			 GW_CONF_MAX_LISTEN);
		return;
	}
	for (i = 0; i < v->n; i++) {
		path_idx(ipath, sizeof(ipath), path, i);
		listen_one(ld, v->kids[i], ipath);
	}
}

/*
 * metrics_listen: "HOST:PORT", one address like a listen entry. /metrics
 * moves there (and off the listen addresses), so that operators can keep
 * it on a private interface.
 */
static void
conf_metrics_listen(struct conf_ld *ld, const struct cnode *v, void *obj,
		    const char *path)
{
	struct gw_listen *ml = &ld->conf->metrics_listen;
	const char *msg;
	char *s;

	if (cn_str(ld, v, path, &s) < 0)
		return;
	free(ml->host);
	ml->host = NULL;
	msg = listen_parse(s, ml);
	if (msg != NULL)
		conf_err(ld, v->line, "%s: %s", path, msg);
	free(s);
}

/*
 * store: memory | redis://[:PASSWORD@]HOST:PORT[/DB]. A password in the
 * URL is an inline secret: only from a private file, as for access keys
 * (FEDGATE_REDIS_PASSWORD keeps it out of the file altogether).
 */
static void
conf_store(struct conf_ld *ld, const struct cnode *v, void *obj,
	   const char *path)
{
	struct gw_conf *c = ld->conf;
	const char *msg;
	int has_pw;
	char *s;

	if (cn_str(ld, v, path, &s) < 0)
		return;
	msg = core_store_url_check(s, &has_pw);
	if (msg == NULL && has_pw && !ld->secrets_ok)
		msg = "a password in the URL requires the config file to be "
		      "mode 0600 or stricter (or set FEDGATE_REDIS_PASSWORD)";
	if (msg != NULL) {
		conf_err(ld, v->line, "%s: %s", path, msg);
		OPENSSL_cleanse(s, strlen(s));
		free(s);
		return;
	}
	if (c->store != NULL)
		OPENSSL_cleanse(c->store, strlen(c->store));
	free(c->store);
	c->store = s;
}

/* ---- policies ---- */

static json_t *
cn_to_json(struct conf_ld *ld, const struct cnode *n, const char *path);

static json_t *
cn_map_to_json(struct conf_ld *ld, const struct cnode *n, const char *path)
{
	json_t *o = json_object(), *v;
	const struct cnode *k;
	size_t i;
	int bad = 0;

	for (i = 0; i + 1 < n->n; i += 2) {
		k = n->kids[i];
		if (strlen(k->str) != k->len) {
			conf_err(ld, k->line, "%s: key contains a NUL character",
				 path);
			bad = 1;
			continue;
		}
		if (json_object_get(o, k->str) != NULL) {
			conf_err(ld, k->line, "%s: duplicate key '%.64s'", path,
				 k->str);
			bad = 1;
			continue;
		}
		v = cn_to_json(ld, n->kids[i + 1], path);
		if (v == NULL || json_object_set_new(o, k->str, v) != 0) {
			bad = 1;
			continue;
		}
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * Mapping → object, list → array, scalar → string. IAM compares values as
 * strings anyway ("true", "5"), so typing YAML scalars would only lose
 * spellings; plain null stays null so the policy parser can name it.
 */
static json_t *
cn_to_json(struct conf_ld *ld, const struct cnode *n, const char *path)
{
	json_t *a, *v;
	size_t i;

	if (n->type == CN_MAP)
		return cn_map_to_json(ld, n, path);
	if (n->type == CN_SCALAR) {
		if (cn_is_null(n))
			return json_null();
		v = json_stringn(n->str, n->len);
		if (v == NULL)
			conf_err(ld, n->line, "%s: invalid UTF-8", path);
		return v;
	}
	a = json_array();
	for (i = 0; i < n->n; i++) {
		v = cn_to_json(ld, n->kids[i], path);
		if (v == NULL) {
			json_decref(a);
			return NULL;
		}
		json_array_append_new(a, v);
	}
	return a;
}

/* Policy text from a mapping or a JSON string; NULL after reporting. */
static char *
policy_text(struct conf_ld *ld, const struct cnode *v, const char *path)
{
	json_t *j;
	char *s;

	if (v->type == CN_SCALAR && !cn_is_null(v)) {
		if (strlen(v->str) != v->len) {
			conf_err(ld, v->line, "%s: contains a NUL character",
				 path);
			return NULL;
		}
		return core_xstrdup(v->str);
	}
	if (v->type != CN_MAP) {
		conf_err(ld, v->line,
			 "%s: expected a mapping or a JSON string, got %s",
			 path, cn_kind(v));
		return NULL;
	}
	j = cn_to_json(ld, v, path);
	if (j == NULL)
		return NULL;
	s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (s == NULL)
		abort();
	return s;
}

/*
 * Compile one policy; on success *jsonp is its canonical compact JSON (the
 * same text whichever form the config used) and *polp the compiled form.
 */
static int
policy_compile(struct conf_ld *ld, const struct cnode *v, int line,
	       const char *path, enum trust_policy_kind kind, char **jsonp,
	       struct trust_policy **polp)
{
	struct core_err err;
	json_error_t jerr;
	json_t *j;
	char *text;

	text = policy_text(ld, v, path);
	if (text == NULL)
		return -1;
	memset(&err, 0, sizeof(err));
	*polp = trust_policy_parse(text, strlen(text), kind, &err);
	if (*polp == NULL) {
		conf_err(ld, line, "%s: MalformedPolicyDocument: %s", path,
			 err.msg[0] ? err.msg : "invalid policy");
		free(text);
		return -1;
	}
	j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (j == NULL) {
		conf_err(ld, line, "%s: MalformedPolicyDocument: %s", path,
			 jerr.text);
		trust_policy_free(*polp);
		*polp = NULL;
		return -1;
	}
	*jsonp = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (*jsonp == NULL)
		abort();
	return 0;
}

static void
conf_trust_policy(struct conf_ld *ld, const struct cnode *v, void *obj,
		  const char *path)
{
	struct gw_role *r = &((struct role_tmp *)obj)->r;

	/* Reported at the key: a block mapping starts on the next line. */
	policy_compile(ld, v, ld->key_line, path, TRUST_KIND_TRUST,
		       &r->trust_json, &r->trust);
}

/* Inline permission policies {NAME: policy} of a role or a user. */
static void
policies_into(struct conf_ld *ld, const struct cnode *v, const char *path,
	      struct gw_named_policy **pp, size_t *np)
{
	struct gw_named_policy *dst;
	char kpath[CONF_PATH_LEN];
	const struct cnode *k;
	const char *msg;
	size_t i, j;

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping of name to "
			 "policy, got %s", path, cn_kind(v));
		return;
	}
	if (v->n / 2 > CONF_MAX_POLICIES) {
		conf_err(ld, v->line, "%s: more than %d policies", path,
			 CONF_MAX_POLICIES);
		return;
	}
	*pp = core_xcalloc(v->n / 2 + 1, sizeof(**pp));
	for (i = 0; i + 1 < v->n; i += 2) {
		k = v->kids[i];
		path_key(kpath, sizeof(kpath), path, k->str);
		msg = check_policy_name(k->str, k->plain);
		if (msg == NULL && strlen(k->str) != k->len)
			msg = "contains a NUL character";
		for (j = 0; msg == NULL && j < *np; j++)
			if (strcmp((*pp)[j].name, k->str) == 0)
				msg = "duplicate policy name";
		if (msg != NULL) {
			conf_err(ld, k->line, "%s: %s", kpath, msg);
			continue;
		}
		dst = &(*pp)[*np];
		if (policy_compile(ld, v->kids[i + 1], k->line, kpath,
				   TRUST_KIND_IDENTITY, &dst->json,
				   &dst->policy) < 0)
			continue;
		dst->name = core_xstrdup(k->str);
		(*np)++;
	}
}

static void
conf_role_policies(struct conf_ld *ld, const struct cnode *v, void *obj,
		   const char *path)
{
	struct gw_role *r = &((struct role_tmp *)obj)->r;

	policies_into(ld, v, path, &r->policies, &r->n_policies);
}

static void
conf_user_policies(struct conf_ld *ld, const struct cnode *v, void *obj,
		   const char *path)
{
	struct gw_user *u = obj;

	policies_into(ld, v, path, &u->policies, &u->n_policies);
}

/* ---- tags ---- */

/* Principal tags {KEY: VALUE}: IAM's character, length and count rules. */
static void
tags_into(struct conf_ld *ld, const struct cnode *v, const char *path,
	  struct gw_tag **tp, size_t *np)
{
	char kpath[CONF_PATH_LEN];
	const struct cnode *k;
	const char *msg;
	size_t i, j;
	char *val;

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping of key to value, "
			 "got %s", path, cn_kind(v));
		return;
	}
	if (v->n / 2 > CONF_MAX_TAGS) {
		conf_err(ld, v->line, "%s: more than %d tags", path,
			 CONF_MAX_TAGS);
		return;
	}
	*tp = core_xcalloc(v->n / 2 + 1, sizeof(**tp));
	for (i = 0; i + 1 < v->n; i += 2) {
		k = v->kids[i];
		path_key(kpath, sizeof(kpath), path, k->str);
		msg = tag_key_msg(k);
		if (msg != NULL) {
			conf_err(ld, k->line, "%s: %s", kpath, msg);
			continue;
		}
		/* IAM tag keys are unique case-insensitively. */
		for (j = 0; j < i; j += 2)
			if (strcasecmp(v->kids[j]->str, k->str) == 0)
				break;
		if (j < i) {
			conf_err(ld, k->line, "%s: duplicate tag key (keys are "
				 "case-insensitive; first at line %d)", kpath,
				 v->kids[j]->line);
			continue;
		}
		if (cn_str(ld, v->kids[i + 1], kpath, &val) < 0)
			continue;
		msg = tag_value_msg(val);
		if (msg != NULL) {
			conf_err(ld, v->kids[i + 1]->line, "%s: %s", kpath, msg);
			free(val);
			continue;
		}
		(*tp)[*np].key = core_xstrdup(k->str);
		(*tp)[(*np)++].value = val;
	}
}

static void
conf_role_tags(struct conf_ld *ld, const struct cnode *v, void *obj,
	       const char *path)
{
	struct gw_role *r = &((struct role_tmp *)obj)->r;

	tags_into(ld, v, path, &r->tags, &r->n_tags);
}

static void
conf_user_tags(struct conf_ld *ld, const struct cnode *v, void *obj,
	       const char *path)
{
	struct gw_user *u = obj;

	tags_into(ld, v, path, &u->tags, &u->n_tags);
}

/* ---- managed policies ---- */

static void
ref_add(struct conf_ld *ld, int line, const char *label, const char *arn)
{
	struct conf_ref *r;

	if (ld->n_refs == ld->cap_refs) {
		ld->cap_refs = ld->cap_refs ? ld->cap_refs * 2 : 16;
		ld->refs = core_xrealloc(ld->refs,
					 ld->cap_refs * sizeof(*ld->refs));
	}
	r = &ld->refs[ld->n_refs++];
	r->line = line;
	r->is_user = ld->owner_is_user;
	r->owner = ld->owner;
	r->label = core_xstrdup(label);
	r->arn = core_xstrdup(arn);
}

/* Attached managed policy ARNs; existence is checked at the end. */
static void
managed_into(struct conf_ld *ld, const struct cnode *v, const char *path,
	     char ***arnsp, size_t *np)
{
	char ipath[CONF_PATH_LEN];
	const char *msg;
	size_t i, j;
	char *s;

	if (v->type != CN_SEQ) {
		conf_err(ld, v->line, "%s: expected a list, got %s", path,
			 cn_kind(v));
		return;
	}
	if (v->n > CONF_MAX_ATTACHED) {
		conf_err(ld, v->line, "%s: at most %d managed policies can be "
			 "attached", path, CONF_MAX_ATTACHED);
		return;
	}
	*arnsp = core_xcalloc(v->n + 1, sizeof(char *));
	for (i = 0; i < v->n; i++) {
		path_idx(ipath, sizeof(ipath), path, i);
		if (cn_str(ld, v->kids[i], ipath, &s) < 0)
			continue;
		msg = check_policy_arn(s, v->kids[i]->plain);
		for (j = 0; msg == NULL && j < *np; j++)
			if (strcmp((*arnsp)[j], s) == 0)
				msg = "policy attached twice";
		if (msg != NULL) {
			conf_err(ld, v->kids[i]->line, "%s: %s", ipath, msg);
			free(s);
			continue;
		}
		ref_add(ld, v->kids[i]->line, ipath, s);
		(*arnsp)[(*np)++] = s;
	}
}

static void
conf_role_managed(struct conf_ld *ld, const struct cnode *v, void *obj,
		  const char *path)
{
	struct gw_role *r = &((struct role_tmp *)obj)->r;

	managed_into(ld, v, path, &r->managed_policy_arns,
		     &r->n_managed_policy_arns);
}

static void
conf_user_managed(struct conf_ld *ld, const struct cnode *v, void *obj,
		  const char *path)
{
	struct gw_user *u = obj;

	managed_into(ld, v, path, &u->managed_policy_arns,
		     &u->n_managed_policy_arns);
}

static void
conf_mpol_document(struct conf_ld *ld, const struct cnode *v, void *obj,
		   const char *path)
{
	struct mpol_tmp *mt = obj;

	policy_compile(ld, v, ld->key_line, path, TRUST_KIND_IDENTITY,
		       &mt->p.json, &mt->p.policy);
}

/* The long form names its own keys; a policy document never has these. */
static int
mpol_is_long(const struct cnode *v)
{
	size_t i;

	if (v->type != CN_MAP)
		return 0;
	for (i = 0; i + 1 < v->n; i += 2)
		if (strcmp(v->kids[i]->str, "document") == 0 ||
		    strcmp(v->kids[i]->str, "account_id") == 0)
			return 1;
	return 0;
}

static void
mpol_one(struct conf_ld *ld, const struct cnode *k, const struct cnode *v,
	 const char *path)
{
	struct gw_conf *c = ld->conf;
	size_t n = c->n_managed_policies;
	struct mpol_tmp mt;
	int lines[MPL_COUNT];

	memset(&mt, 0, sizeof(mt));
	if (mpol_is_long(v))
		conf_walk(ld, v, conf_mpol, MPL_COUNT, &mt, path, lines);
	else
		policy_compile(ld, v, k->line, path, TRUST_KIND_IDENTITY,
			       &mt.p.json, &mt.p.policy);
	if (mt.p.policy == NULL) {
		free(mt.account_id);
		return;
	}
	mt.p.name = core_xstrdup(k->str);
	c->managed_policies[n] = mt.p;
	ld->mp_accounts[n] = mt.account_id;
	ld->mp_lines[n] = k->line;
	c->n_managed_policies++;
}

static void
conf_managed_policies(struct conf_ld *ld, const struct cnode *v, void *obj,
		      const char *path)
{
	struct gw_conf *c = ld->conf;
	char kpath[CONF_PATH_LEN];
	const struct cnode *k;
	const char *msg;
	size_t i;

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping of name to "
			 "policy, got %s", path, cn_kind(v));
		return;
	}
	if (v->n / 2 > CONF_MAX_MANAGED) {
		conf_err(ld, v->line, "%s: more than %d policies", path,
			 CONF_MAX_MANAGED);
		return;
	}
	c->managed_policies = core_xcalloc(v->n / 2 + 1,
					   sizeof(*c->managed_policies));
	ld->mp_accounts = core_xcalloc(v->n / 2 + 1, sizeof(char *));
	ld->mp_lines = core_xcalloc(v->n / 2 + 1, sizeof(int));
	for (i = 0; i + 1 < v->n; i += 2) {
		k = v->kids[i];
		path_key(kpath, sizeof(kpath), path, k->str);
		msg = check_policy_name(k->str, k->plain);
		if (msg == NULL && strlen(k->str) != k->len)
			msg = "contains a NUL character";
		if (msg != NULL) {
			conf_err(ld, k->line, "%s: %s", kpath, msg);
			continue;
		}
		mpol_one(ld, k, v->kids[i + 1], kpath);
	}
}

/* ---- accounts ---- */

static const char *
account_key_msg(const struct cnode *v, size_t i)
{
	const struct cnode *k = v->kids[i];
	size_t j;

	if (strlen(k->str) != k->len)
		return "contains a NUL character";
	if (check_account(k->str, k->plain) != NULL)
		return "account ids must be quoted 12-digit strings, e.g. "
		       "\"111122223333\"";
	for (j = 0; j < i; j += 2)
		if (strcmp(v->kids[j]->str, k->str) == 0)
			return "account listed twice";
	return NULL;
}

static void
conf_accounts(struct conf_ld *ld, const struct cnode *v, void *obj,
	      const char *path)
{
	struct gw_conf *c = ld->conf;
	char kpath[CONF_PATH_LEN];
	const char *msg;
	long n;
	size_t i;
	char *s;

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping of account id to "
			 "name, got %s", path, cn_kind(v));
		return;
	}
	if (v->n / 2 > CONF_MAX_ACCOUNTS) {
		conf_err(ld, v->line, "%s: more than %d accounts", path,
			 CONF_MAX_ACCOUNTS);
		return;
	}
	c->account_ids = core_xcalloc(v->n / 2 + 1, sizeof(char *));
	c->account_names = core_xcalloc(v->n / 2 + 1, sizeof(char *));
	for (i = 0; i + 1 < v->n; i += 2) {
		path_key(kpath, sizeof(kpath), path, v->kids[i]->str);
		msg = account_key_msg(v, i);
		if (msg != NULL) {
			conf_err(ld, v->kids[i]->line, "%s: %s", kpath, msg);
			continue;
		}
		if (cn_str(ld, v->kids[i + 1], kpath, &s) < 0)
			continue;
		n = printable_chars(s);
		if (n < 1 || n > 64) {
			conf_err(ld, v->kids[i + 1]->line, "%s: account names "
				 "must be 1 to 64 printable characters", kpath);
			free(s);
			continue;
		}
		c->account_ids[c->n_accounts] = core_xstrdup(v->kids[i]->str);
		c->account_names[c->n_accounts++] = s;
	}
}

/* ---- providers ---- */

static const char *const default_algs[] = { "RS256", "RS384", "RS512",
	"PS256", "ES256", "ES384" };

static void
prov_defaults(struct fed_oidc_config *c)
{
	size_t i;

	if (c->n_algorithms == 0) {
		free(c->algorithms);
		c->n_algorithms = sizeof(default_algs) / sizeof(default_algs[0]);
		c->algorithms = core_xcalloc(c->n_algorithms, sizeof(char *));
		for (i = 0; i < c->n_algorithms; i++)
			c->algorithms[i] = core_xstrdup(default_algs[i]);
	}
	if (c->jwks_refresh_seconds == 0)
		c->jwks_refresh_seconds = 3600;
	if (c->jwks_min_refetch_seconds == 0)
		c->jwks_min_refetch_seconds = 30;
	if (c->http_timeout_seconds == 0)
		c->http_timeout_seconds = 5;
}

/*
 * A file read later (at start or reload) must exist, be regular and
 * readable now; max > 0 also bounds its size. label is "path.key".
 */
static void
file_readable(struct conf_ld *ld, int line, const char *label,
	      const char *file, off_t max)
{
	struct stat sb;

	if (stat(file, &sb) != 0)
		conf_err(ld, line, "%s: %s: %s", label, file, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		conf_err(ld, line, "%s: %s: not a regular file", label, file);
	else if (max > 0 && sb.st_size > max)
		conf_err(ld, line, "%s: %s: larger than %lld bytes", label,
			 file, (long long)max);
	else if (access(file, R_OK) != 0)
		conf_err(ld, line, "%s: %s: %s", label, file, strerror(errno));
}

static void
prov_jwks_file(struct conf_ld *ld, const struct fed_oidc_config *c,
	       int line, const char *path)
{
	char label[CONF_PATH_LEN];

	path_key(label, sizeof(label), path, "jwks_file");
	file_readable(ld, line, label, c->jwks_file, 0);
}

/*
 * Relationships inside one provider, after its keys were read. The preset
 * (federation/presets.c) fills issuer, aliases, jwks_uri and algorithms
 * where the config left them unset, and checks its own requirements.
 */
static void
prov_finish(struct conf_ld *ld, struct prov_tmp *pt, const int *lines,
	    int mline, const char *path)
{
	struct fed_oidc_config *c = &pt->c;
	struct core_err err;
	int reported = 0;

	if (pt->type == NULL && c->preset == NULL && lines[PRV_TYPE] == 0 &&
	    lines[PRV_PRESET] == 0)
		conf_err(ld, mline, "%s: missing required key 'type' (or "
			 "'preset')", path);
	if (c->jwks_uri != NULL && c->jwks_file != NULL) {
		conf_err(ld, lines[PRV_JWKS_FILE], "%s.jwks_file: jwks_uri "
			 "and jwks_file are mutually exclusive", path);
		reported = 1;
	}
	if (c->jwks_file != NULL)
		prov_jwks_file(ld, c, lines[PRV_JWKS_FILE], path);
	if (c->preset != NULL && !reported) {
		memset(&err, 0, sizeof(err));
		if (fed_oidc_apply_preset(c, &err) < 0) {
			conf_err(ld, lines[PRV_PRESET], "%s.preset: %s", path,
				 err.msg[0] ? err.msg : "preset failed");
			reported = 1;
		}
	}
	if (c->issuer == NULL && lines[PRV_ISSUER] == 0 && !reported)
		conf_err(ld, mline, "%s: missing required key 'issuer' (no "
			 "preset supplies it)", path);
	prov_defaults(c);
}

/* An OIDC provider: appended to conf->providers. */
static void
oidc_provider_one(struct conf_ld *ld, const struct cnode *v, size_t yidx,
		  const char *path)
{
	struct gw_conf *conf = ld->conf;
	size_t idx = conf->n_providers++;
	struct prov_tmp pt;
	int lines[PRV_COUNT];

	conf->provider_lines[idx] = v->line;
	ld->issuer_lines[idx] = v->line;
	ld->prov_yidx[idx] = yidx;
	memset(&pt, 0, sizeof(pt));
	conf_walk(ld, v, conf_provider, PRV_COUNT, &pt, path, lines);
	prov_finish(ld, &pt, lines, v->line, path);
	if (lines[PRV_ISSUER] != 0)
		ld->issuer_lines[idx] = lines[PRV_ISSUER];
	if (pt.login != NULL)
		oidc_login_finish(ld, &pt, path);
	free(pt.type);
	conf->providers[idx] = pt.c;
}

/* Exactly one metadata source; a file must be readable and bounded. */
static void
saml_prov_finish(struct conf_ld *ld, struct fed_saml_idp_config *c,
		 const int *lines, int mline, const char *path)
{
	char label[CONF_PATH_LEN];

	if (lines[SPR_META_FILE] != 0 && lines[SPR_META_URL] != 0) {
		if (lines[SPR_META_FILE] > lines[SPR_META_URL])
			path_key(label, sizeof(label), path, "metadata_file");
		else
			path_key(label, sizeof(label), path, "metadata_url");
		conf_err(ld, lines[SPR_META_FILE] > lines[SPR_META_URL] ?
			 lines[SPR_META_FILE] : lines[SPR_META_URL],
			 "%s: metadata_file and metadata_url are mutually "
			 "exclusive", label);
	} else if (lines[SPR_META_FILE] == 0 && lines[SPR_META_URL] == 0) {
		conf_err(ld, mline, "%s: missing metadata: set one of "
			 "metadata_file or metadata_url", path);
	} else if (c->metadata_file != NULL) {
		path_key(label, sizeof(label), path, "metadata_file");
		file_readable(ld, lines[SPR_META_FILE], label,
			      c->metadata_file, CONF_SAML_META_MAX);
	}
	if (c->refresh_seconds == 0)
		c->refresh_seconds = 3600;
}

/* A SAML IdP: appended to conf->saml_idps, never to conf->providers. */
static void
saml_provider_one(struct conf_ld *ld, const struct cnode *v, size_t yidx,
		  const char *path)
{
	struct gw_conf *conf = ld->conf;
	size_t idx = conf->n_saml_idps++;
	struct saml_tmp st;
	int lines[SPR_COUNT];

	conf->saml_idp_lines[idx] = v->line;
	ld->saml_yidx[idx] = yidx;
	memset(&st, 0, sizeof(st));
	conf_walk(ld, v, conf_saml_provider, SPR_COUNT, &st, path, lines);
	saml_prov_finish(ld, &st.c, lines, v->line, path);
	if (st.login != NULL)
		login_add(ld, st.login, GW_LOGIN_SAML, st.c.name);
	free(st.type);
	conf->saml_idps[idx] = st.c;
}

/* The kind comes from the first "type" key; without one it is OIDC (an
 * OIDC preset may stand in for the type). */
static int
prov_is_saml(const struct cnode *v)
{
	const struct cnode *t;
	size_t i;

	for (i = 0; i + 1 < v->n; i += 2) {
		if (strcmp(v->kids[i]->str, "type") != 0)
			continue;
		t = v->kids[i + 1];
		return t->type == CN_SCALAR && strcmp(t->str, "saml") == 0;
	}
	return 0;
}

static void
conf_provider_one(struct conf_ld *ld, const struct cnode *v, size_t yidx,
		  const char *path)
{
	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping, got %s", path,
			 cn_kind(v));
		return;
	}
	if (prov_is_saml(v))
		saml_provider_one(ld, v, yidx, path);
	else
		oidc_provider_one(ld, v, yidx, path);
}

static void
conf_providers(struct conf_ld *ld, const struct cnode *v, void *obj,
	       const char *path)
{
	struct gw_conf *c = ld->conf;
	char ipath[CONF_PATH_LEN];
	size_t i;

	if (v->type != CN_SEQ) {
		conf_err(ld, v->line, "%s: expected a list, got %s", path,
			 cn_kind(v));
		return;
	}
	if (v->n > CONF_MAX_PROVIDERS) {
		conf_err(ld, v->line, "%s: more than %d providers", path,
			 CONF_MAX_PROVIDERS);
		return;
	}
	c->providers = core_xcalloc(v->n + 1, sizeof(*c->providers));
	c->provider_lines = core_xcalloc(v->n + 1, sizeof(int));
	ld->issuer_lines = core_xcalloc(v->n + 1, sizeof(int));
	ld->prov_yidx = core_xcalloc(v->n + 1, sizeof(size_t));
	c->saml_idps = core_xcalloc(v->n + 1, sizeof(*c->saml_idps));
	c->saml_idp_lines = core_xcalloc(v->n + 1, sizeof(int));
	ld->saml_yidx = core_xcalloc(v->n + 1, sizeof(size_t));
	c->logins = core_xcalloc(v->n + 1, sizeof(*c->logins));
	for (i = 0; i < v->n; i++) {
		path_idx(ipath, sizeof(ipath), path, i);
		conf_provider_one(ld, v->kids[i], i, ipath);
	}
}

/* ---- login ---- */

static void
conf_web(struct conf_ld *ld, const struct cnode *v, void *obj,
	 const char *path)
{
	int lines[WEB_COUNT];

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping, got %s", path,
			 cn_kind(v));
		return;
	}
	conf_walk(ld, v, conf_web_tab, WEB_COUNT, &ld->conf->web, path, lines);
}

static struct gw_login_provider *
login_walk(struct conf_ld *ld, const struct cnode *v, const char *path,
	   const struct conf_field *tab, size_t ntab)
{
	struct login_tmp *lt;

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping, got %s", path,
			 cn_kind(v));
		return NULL;
	}
	lt = core_xcalloc(1, sizeof(*lt));
	conf_walk(ld, v, tab, ntab, lt, path, lt->lines);
	lt->l.line = v->line;
	/* A public client (no secret) is fine: PKCE binds the code. */
	if (lt->kt.file != NULL || lt->kt.env != NULL) {
		int klines[KEY_COUNT] = {0};

		lt->kt.key_prefix = "client_";
		klines[KEY_FILE] = lt->lines[LGN_SECRET_FILE];
		klines[KEY_ENV] = lt->lines[LGN_SECRET_ENV];
		key_secret(ld, &lt->kt, klines, v->line, path);
		lt->l.client_secret = lt->kt.k.secret;
	}
	free(lt->kt.file);
	free(lt->kt.env);
	/* The struct moves; login_tmp is only the loader's wrapper. */
	return (struct gw_login_provider *)lt;
}

static void
conf_oidc_login(struct conf_ld *ld, const struct cnode *v, void *obj,
		const char *path)
{
	struct prov_tmp *pt = obj;

	pt->login = login_walk(ld, v, path, conf_oidc_login_tab, LGN_COUNT);
}

static void
conf_saml_login(struct conf_ld *ld, const struct cnode *v, void *obj,
		const char *path)
{
	struct saml_tmp *st = obj;

	st->login = login_walk(ld, v, path, conf_saml_login_tab, SLG_COUNT);
}

static void
login_free(struct gw_login_provider *l)
{
	free(l->name);
	free(l->display_name);
	free(l->initials);
	free(l->issuer);
	free(l->client_id);
	secret_str_free(l->client_secret);
	strs_free(l->scopes, l->n_scopes);
	free(l->hosted_domain);
	free(l->authorization_endpoint);
	free(l->token_endpoint);
}

/* "Google Workspace" -> "GW"; "okta" -> "O". */
static char *
default_initials(const char *display)
{
	char out[4];
	size_t n = 0;
	int word_start = 1;

	for (const char *p = display; *p != '\0' && n < 2; p++) {
		int alnum = isalnum((unsigned char)*p);

		if (alnum && word_start)
			out[n++] = (char)toupper((unsigned char)*p);
		word_start = !alnum;
	}
	if (n == 0)
		out[n++] = '?';
	out[n] = '\0';
	return core_xstrdup(out);
}

/* Append a provider's login block to conf->logins (it takes the struct). */
static void
login_add(struct conf_ld *ld, struct gw_login_provider *l,
	  enum gw_login_kind kind, const char *name)
{
	struct gw_conf *c = ld->conf;

	l->kind = kind;
	l->name = core_xstrdup(name != NULL ? name : "");
	if (l->display_name == NULL)
		l->display_name = core_xstrdup(l->name);
	if (l->initials == NULL)
		l->initials = default_initials(l->display_name);
	if (kind == GW_LOGIN_OIDC && l->n_scopes == 0) {
		static const char *const def[] = { "openid", "email", "profile" };

		/* A refused list may have left an empty array behind. */
		strs_free(l->scopes, l->n_scopes);
		l->scopes = core_xcalloc(4, sizeof(char *));
		for (size_t i = 0; i < 3; i++)
			l->scopes[i] = core_xstrdup(def[i]);
		l->n_scopes = 3;
	}
	c->logins[c->n_logins++] = *l;
	free(l);
}

/* The client must be an audience: its ID tokens are verified as such. */
static void
oidc_login_finish(struct conf_ld *ld, struct prov_tmp *pt, const char *path)
{
	struct gw_login_provider *l = pt->login;
	int has_openid = 0, is_aud = 0;

	for (size_t i = 0; i < l->n_scopes; i++)
		has_openid |= strcmp(l->scopes[i], "openid") == 0;
	if (l->n_scopes > 0 && !has_openid)
		conf_err(ld, l->line, "%s.login.scopes: must include openid",
			 path);
	for (size_t i = 0; l->client_id != NULL && i < pt->c.n_audiences; i++)
		is_aud |= strcmp(pt->c.audiences[i], l->client_id) == 0;
	if (l->client_id != NULL && !is_aud)
		conf_err(ld, l->line, "%s.login.client_id: %s is not one of "
			 "the provider's audiences (its ID tokens would be "
			 "refused)", path, l->client_id);
	if (pt->c.issuer != NULL)
		l->issuer = core_xstrdup(pt->c.issuer);
	l->http_timeout_seconds = pt->c.http_timeout_seconds > 0 ?
				  pt->c.http_timeout_seconds : 5;
	login_add(ld, l, GW_LOGIN_OIDC, pt->c.name);
	pt->login = NULL;
}

/* https, or http on 127.0.0.1 / [::1] / localhost. */
static int
web_url_ok(const char *url)
{
	const char *h;
	size_t hl;
	int https;

	if (url_split(url, &https, &h, &hl) < 0)
		return 0;
	return https || core_host_is_loopback(h, hl);
}

/* Cross-section rules, once everything is read. */
static void
web_finish(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	int line = ld->top_lines[TOP_LOGIN];

	if (c->web.title == NULL)
		c->web.title = core_xstrdup("fedgate");
	if (c->web.session_lifetime == 0)
		c->web.session_lifetime = 28800;
	if (c->web.idle_timeout == 0)
		c->web.idle_timeout = 3600;
	if (c->web.idle_timeout > c->web.session_lifetime)
		conf_err(ld, line, "login.idle_timeout_seconds: longer than "
			 "session_lifetime_seconds");
	if (c->n_logins > 0 && c->public_url != NULL && !web_url_ok(c->public_url))
		conf_err(ld, ld->top_lines[TOP_PUBLIC_URL], "public_url: the "
			 "login page needs https (plain http only on a "
			 "loopback host, for development): its cookies carry "
			 "sessions");
	for (size_t i = 0; i < c->n_logins; i++) {
		if (c->logins[i].kind != GW_LOGIN_SAML)
			continue;
		if (c->saml_sp.key_file == NULL || c->saml_sp.cert_file == NULL)
			conf_err(ld, c->logins[i].line, "providers: %s: a SAML "
				 "login needs saml_sp.key_file and "
				 "saml_sp.cert_file (AuthnRequests are signed)",
				 c->logins[i].name);
	}
}

/* ---- saml_sp ---- */

static void
conf_saml_sp(struct conf_ld *ld, const struct cnode *v, void *obj,
	     const char *path)
{
	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping, got %s", path,
			 cn_kind(v));
		return;
	}
	conf_walk(ld, v, conf_saml_sp_tab, SSP_COUNT, &ld->conf->saml_sp,
		  path, ld->sp_lines);
}

/* ---- rate_limits ---- */

static void
conf_rate_limits(struct conf_ld *ld, const struct cnode *v, void *obj,
		 const char *path)
{
	int lines[RLS_COUNT];

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping, got %s", path,
			 cn_kind(v));
		return;
	}
	conf_walk(ld, v, conf_rate_limits_tab, RLS_COUNT, ld->conf, path,
		  lines);
}

/* On any error the limit stays off: the whole load fails anyway. */
static void
conf_rate_limit(struct conf_ld *ld, const struct cnode *v,
		struct gw_rate_limit *rl, const char *path)
{
	struct gw_rate_limit tmp = {0};
	int lines[RLV_COUNT], before = ld->nerr;

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping with requests "
			 "and per_seconds, got %s", path, cn_kind(v));
		return;
	}
	conf_walk(ld, v, conf_rate_limit_tab, RLV_COUNT, &tmp, path, lines);
	if (ld->nerr == before)
		*rl = tmp;
}

static void
conf_rl_source_ip(struct conf_ld *ld, const struct cnode *v, void *obj,
		  const char *path)
{
	conf_rate_limit(ld, v, &ld->conf->rl_source_ip, path);
}

static void
conf_rl_provider(struct conf_ld *ld, const struct cnode *v, void *obj,
		 const char *path)
{
	conf_rate_limit(ld, v, &ld->conf->rl_provider, path);
}

/* ---- roles ---- */

static void
conf_roles(struct conf_ld *ld, const struct cnode *v, void *obj,
	   const char *path)
{
	struct gw_conf *c = ld->conf;
	char ipath[CONF_PATH_LEN];
	struct role_tmp rt;
	int lines[ROL_COUNT];
	size_t i;

	if (v->type != CN_SEQ) {
		conf_err(ld, v->line, "%s: expected a list, got %s", path,
			 cn_kind(v));
		return;
	}
	if (v->n > CONF_MAX_ROLES) {
		conf_err(ld, v->line, "%s: more than %d roles", path,
			 CONF_MAX_ROLES);
		return;
	}
	c->roles = core_xcalloc(v->n + 1, sizeof(*c->roles));
	ld->role_paths = core_xcalloc(v->n + 1, sizeof(char *));
	c->n_roles = v->n;
	for (i = 0; i < v->n; i++) {
		path_idx(ipath, sizeof(ipath), path, i);
		c->roles[i].line = v->kids[i]->line;
		c->roles[i].max_session_duration = 3600;
		if (v->kids[i]->type != CN_MAP) {
			conf_err(ld, v->kids[i]->line, "%s: expected a "
				 "mapping, got %s", ipath,
				 cn_kind(v->kids[i]));
			continue;
		}
		memset(&rt, 0, sizeof(rt));
		rt.r = c->roles[i];
		ld->owner_is_user = 0;
		ld->owner = i;
		conf_walk(ld, v->kids[i], conf_role, ROL_COUNT, &rt, ipath,
			  lines);
		c->roles[i] = rt.r;
		ld->role_paths[i] = rt.path;
	}
}

/* ---- users ---- */

static void
secret_str_free(char *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/*
 * Inline secrets are refused unless the text they come from is private:
 * a world-readable config would hand the key to every local user.
 */
static void
conf_key_inline(struct conf_ld *ld, const struct cnode *v, void *obj,
		const char *path)
{
	struct key_tmp *kt = obj;
	const char *msg;
	char *s;

	if (!ld->secrets_ok) {
		conf_err(ld, v->line, "%s: inline secrets require the config "
			 "file to be mode 0600 or stricter (or use secret_file "
			 "or secret_env)", path);
		return;
	}
	if (cn_str(ld, v, path, &s) < 0)
		return;
	msg = secret_msg(s, strlen(s));
	if (msg != NULL) {
		conf_err(ld, v->line, "%s: %s", path, msg);
		secret_str_free(s);
		return;
	}
	kt->k.secret = s;
}

/* The same secrecy rule as OpenBSD's check_file_secrecy, via the open fd. */
static void
secret_from_file(struct conf_ld *ld, struct key_tmp *kt, int line,
		 const char *path)
{
	char buf[CONF_SECRET_MAX + 3];
	struct stat sb;
	size_t len = 0;
	ssize_t r = 0;
	const char *msg;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang the loader before the S_ISREG
	 * check; it has no effect on regular files. */
	fd = open(kt->file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		conf_err(ld, line, "%s.%ssecret_file: %s: %s", path, KPFX(kt),
			 kt->file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!S_ISREG(sb.st_mode)) {
		conf_err(ld, line, "%s.%ssecret_file: %s: not a regular file",
			 path, KPFX(kt), kt->file);
		close(fd);
		return;
	}
	if ((sb.st_mode & 077) != 0) {
		conf_err(ld, line, "%s.%ssecret_file: %s: accessible by group or "
			 "other (mode %04o); run 'chmod 600 %s'", path, KPFX(kt),
			 kt->file, (unsigned)(sb.st_mode & 07777), kt->file);
		close(fd);
		return;
	}
	while (len < sizeof(buf) - 1) {
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (r < 0) {
		conf_err(ld, line, "%s.%ssecret_file: %s: %s", path, KPFX(kt),
			 kt->file, strerror(errno));
		return;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	msg = secret_msg(buf, len);
	if (msg != NULL)
		conf_err(ld, line, "%s.%ssecret_file: %s: %s (one trailing "
			 "newline is ignored)", path, KPFX(kt), kt->file, msg);
	else
		kt->k.secret = core_xstrndup(buf, len);
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void
secret_from_env(struct conf_ld *ld, struct key_tmp *kt, int line,
		const char *path)
{
	const char *s = getenv(kt->env), *msg;

	if (s == NULL || *s == '\0') {
		conf_err(ld, line, "%s.%ssecret_env: environment variable %s is "
			 "not set or empty", path, KPFX(kt), kt->env);
		return;
	}
	msg = secret_msg(s, strlen(s));
	if (msg != NULL)
		conf_err(ld, line, "%s.%ssecret_env: %s: %s", path, KPFX(kt),
			 kt->env, msg);
	else
		kt->k.secret = core_xstrdup(s);
}

/* Exactly one source; read it. Values are never put in messages. */
static void
key_secret(struct conf_ld *ld, struct key_tmp *kt, const int *lines,
	   int mline, const char *path)
{
	int n, last = 0, i;

	n = (lines[KEY_FILE] != 0) + (lines[KEY_ENV] != 0) +
	    (lines[KEY_INLINE] != 0);
	if (n == 0) {
		conf_err(ld, mline, "%s: missing secret: set one of "
			 "secret_file, secret_env or secret", path);
		return;
	}
	if (n > 1) {
		for (i = KEY_FILE; i <= KEY_INLINE; i++)
			if (lines[i] > last)
				last = lines[i];
		if (kt->key_prefix != NULL)
			conf_err(ld, last, "%s: client_secret_file and "
				 "client_secret_env are mutually exclusive", path);
		else
			conf_err(ld, last, "%s: secret_file, secret_env and "
				 "secret are mutually exclusive", path);
		secret_str_free(kt->k.secret);
		kt->k.secret = NULL;
		return;
	}
	if (kt->file != NULL)
		secret_from_file(ld, kt, lines[KEY_FILE], path);
	else if (kt->env != NULL)
		secret_from_env(ld, kt, lines[KEY_ENV], path);
}

/* One access key; 0 if complete (*out set), -1 after reporting. */
static int
key_one(struct conf_ld *ld, const struct cnode *v, const char *path,
	struct gw_access_key *out)
{
	struct key_tmp kt;
	int lines[KEY_COUNT];

	if (v->type != CN_MAP) {
		conf_err(ld, v->line, "%s: expected a mapping, got %s", path,
			 cn_kind(v));
		return -1;
	}
	memset(&kt, 0, sizeof(kt));
	conf_walk(ld, v, conf_key, KEY_COUNT, &kt, path, lines);
	key_secret(ld, &kt, lines, v->line, path);
	free(kt.file);
	free(kt.env);
	if (kt.k.id == NULL || kt.k.secret == NULL) {
		free(kt.k.id);
		secret_str_free(kt.k.secret);
		return -1;
	}
	kt.k.line = v->line;
	*out = kt.k;
	return 0;
}

static void
conf_access_keys(struct conf_ld *ld, const struct cnode *v, void *obj,
		 const char *path)
{
	struct gw_user *u = obj;
	char ipath[CONF_PATH_LEN];
	size_t i;

	if (v->type != CN_SEQ) {
		conf_err(ld, v->line, "%s: expected a list, got %s", path,
			 cn_kind(v));
		return;
	}
	if (v->n > CONF_MAX_KEYS) {
		conf_err(ld, v->line, "%s: more than %d access keys", path,
			 CONF_MAX_KEYS);
		return;
	}
	u->keys = core_xcalloc(v->n + 1, sizeof(*u->keys));
	for (i = 0; i < v->n; i++) {
		path_idx(ipath, sizeof(ipath), path, i);
		if (key_one(ld, v->kids[i], ipath, &u->keys[u->n_keys]) == 0)
			u->n_keys++;
	}
}

static void
conf_users(struct conf_ld *ld, const struct cnode *v, void *obj,
	   const char *path)
{
	struct gw_conf *c = ld->conf;
	char ipath[CONF_PATH_LEN];
	int lines[USR_COUNT];
	size_t i;

	if (v->type != CN_SEQ) {
		conf_err(ld, v->line, "%s: expected a list, got %s", path,
			 cn_kind(v));
		return;
	}
	if (v->n > CONF_MAX_USERS) {
		conf_err(ld, v->line, "%s: more than %d users", path,
			 CONF_MAX_USERS);
		return;
	}
	c->users = core_xcalloc(v->n + 1, sizeof(*c->users));
	c->n_users = v->n;
	for (i = 0; i < v->n; i++) {
		path_idx(ipath, sizeof(ipath), path, i);
		c->users[i].line = v->kids[i]->line;
		if (v->kids[i]->type != CN_MAP) {
			conf_err(ld, v->kids[i]->line, "%s: expected a "
				 "mapping, got %s", ipath,
				 cn_kind(v->kids[i]));
			continue;
		}
		ld->owner_is_user = 1;
		ld->owner = i;
		conf_walk(ld, v->kids[i], conf_user, USR_COUNT, &c->users[i],
			  ipath, lines);
	}
}

/* ---- whole-config checks ---- */

/* ARNs and role ids, once the default account is known; unique names. */
static void
roles_finish(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	struct gw_role *r, *o;
	const char *path;
	size_t i, j;

	for (i = 0; i < c->n_roles; i++) {
		r = &c->roles[i];
		if (r->name == NULL)
			continue;
		if (r->account_id == NULL)
			r->account_id = core_xstrdup(c->account_id);
		path = ld->role_paths[i] != NULL ? ld->role_paths[i] : "/";
		r->arn = core_xasprintf("arn:aws:iam::%s:role%s%s",
					r->account_id, path, r->name);
		r->role_id = fed_mint_role_id(r->arn);
		/* IAM role names are unique per account, case-insensitively. */
		for (j = 0; j < i; j++) {
			o = &c->roles[j];
			if (o->name != NULL &&
			    strcmp(o->account_id, r->account_id) == 0 &&
			    strcasecmp(o->name, r->name) == 0) {
				conf_err(ld, r->line, "roles[%zu].name: role "
					 "'%s' already defined in account %s "
					 "at line %d", i, r->name,
					 r->account_id, o->line);
				break;
			}
		}
	}
}

static const char *
mpol_account(const struct conf_ld *ld, size_t i)
{
	return ld->mp_accounts[i] != NULL ? ld->mp_accounts[i] :
					    ld->conf->account_id;
}

/* ARNs of managed policies; names unique per account, case-insensitively
 * as IAM does. */
static void
managed_finish(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	struct gw_named_policy *p;
	size_t i, j;

	for (i = 0; i < c->n_managed_policies; i++) {
		p = &c->managed_policies[i];
		p->arn = core_xasprintf("arn:aws:iam::%s:policy/%s",
					mpol_account(ld, i), p->name);
		for (j = 0; j < i; j++) {
			if (strcmp(mpol_account(ld, j), mpol_account(ld, i)) != 0 ||
			    strcasecmp(c->managed_policies[j].name, p->name) != 0)
				continue;
			conf_err(ld, ld->mp_lines[i], "managed_policies.%s: "
				 "managed policy '%s' already defined in "
				 "account %s at line %d", p->name, p->name,
				 mpol_account(ld, i), ld->mp_lines[j]);
			break;
		}
	}
}

struct key_ref {
	const char *id;
	int line;
	size_t user, key;
};

static int
key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int r = strcmp(x->id, y->id);

	if (r != 0)
		return r;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Access key ids name one key of one user: sorted, not pairwise, since a
 * config may hold tens of thousands of keys. */
static void
keys_unique(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	struct key_ref *refs;
	size_t i, k, n = 0;

	for (i = 0; i < c->n_users; i++)
		n += c->users[i].n_keys;
	if (n < 2)
		return;
	refs = core_xcalloc(n, sizeof(*refs));
	n = 0;
	for (i = 0; i < c->n_users; i++)
		for (k = 0; k < c->users[i].n_keys; k++) {
			refs[n].id = c->users[i].keys[k].id;
			refs[n].line = c->users[i].keys[k].line;
			refs[n].user = i;
			refs[n++].key = k;
		}
	qsort(refs, n, sizeof(*refs), key_ref_cmp);
	for (i = 1, k = 0; i < n; i++) {
		if (strcmp(refs[i].id, refs[k].id) != 0) {
			k = i;
			continue;
		}
		conf_err(ld, refs[i].line, "users[%zu].access_keys[%zu].id: "
			 "access key id %s is already used at line %d",
			 refs[i].user, refs[i].key, refs[i].id, refs[k].line);
	}
	free(refs);
}

/* Defaults, ARNs and user ids, once the default account is known. */
static void
users_finish(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	struct gw_user *u, *o;
	size_t i, j;

	for (i = 0; i < c->n_users; i++) {
		u = &c->users[i];
		if (u->name == NULL)
			continue;
		if (u->account_id == NULL)
			u->account_id = core_xstrdup(c->account_id);
		if (u->path == NULL)
			u->path = core_xstrdup("/");
		u->arn = core_xasprintf("arn:aws:iam::%s:user%s%s",
					u->account_id, u->path, u->name);
		u->user_id = fed_mint_unique_id("AIDA", u->arn);
		/* IAM user names are unique per account, case-insensitively. */
		for (j = 0; j < i; j++) {
			o = &c->users[j];
			if (o->name != NULL &&
			    strcmp(o->account_id, u->account_id) == 0 &&
			    strcasecmp(o->name, u->name) == 0) {
				conf_err(ld, u->line, "users[%zu].name: user "
					 "'%s' already defined in account %s "
					 "at line %d", i, u->name,
					 u->account_id, o->line);
				break;
			}
		}
	}
	keys_unique(ld);
}

/*
 * Attached managed policies must exist and, as in IAM, belong to the
 * principal's own account.
 */
static void
refs_check(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	const struct conf_ref *r;
	const char *acct;
	size_t i;

	for (i = 0; i < ld->n_refs; i++) {
		r = &ld->refs[i];
		if (gw_conf_find_managed_policy(c, r->arn) == NULL) {
			conf_err(ld, r->line, "%s: managed policy '%s' is not "
				 "defined in managed_policies", r->label,
				 r->arn);
			continue;
		}
		acct = r->is_user ? c->users[r->owner].account_id :
				    c->roles[r->owner].account_id;
		/* check_policy_arn fixed the account at offset 13. */
		if (acct != NULL && strncmp(r->arn + 13, acct, 12) != 0)
			conf_err(ld, r->line, "%s: '%s' belongs to another "
				 "account; only managed policies of account %s "
				 "can be attached", r->label, r->arn, acct);
	}
}

static const char *
prov_claims_issuer(const struct fed_oidc_config *p, const char *iss)
{
	size_t k;

	if (p->issuer != NULL && strcmp(p->issuer, iss) == 0)
		return p->name;
	for (k = 0; k < p->n_issuer_aliases; k++)
		if (strcmp(p->issuer_aliases[k], iss) == 0)
			return p->name;
	return NULL;
}

/*
 * Provider names are unique across both kinds: one name space of
 * oidc-provider and saml-provider ARNs, as the error message reads to a
 * human. Reported at the later entry, in file order.
 */
static void
provider_names_unique(struct conf_ld *ld)
{
	const struct gw_conf *c = ld->conf;
	size_t n = c->n_providers + c->n_saml_idps, i, j;
	struct prov_name {
		const char *name;
		int line;
		size_t yidx;
	} *pn;

	if (n < 2)
		return;
	/* Both kinds side by side; yidx gives the file order back. */
	pn = core_xcalloc(n, sizeof(*pn));
	for (i = 0; i < c->n_providers; i++)
		pn[i] = (struct prov_name){ c->providers[i].name,
			c->provider_lines[i], ld->prov_yidx[i] };
	for (i = 0; i < c->n_saml_idps; i++)
		pn[c->n_providers + i] = (struct prov_name){
			c->saml_idps[i].name, c->saml_idp_lines[i],
			ld->saml_yidx[i] };
	for (i = 0; i < n; i++) {
		if (pn[i].name == NULL)
			continue;
		for (j = 0; j < n; j++) {
			if (pn[j].yidx >= pn[i].yidx || pn[j].name == NULL ||
			    strcmp(pn[i].name, pn[j].name) != 0)
				continue;
			conf_err(ld, pn[i].line, "providers[%zu].name: provider "
				 "'%s' already defined at line %d", pn[i].yidx,
				 pn[i].name, pn[j].line);
			break;
		}
	}
	free(pn);
}

/* No issuer spelling claimed by two OIDC providers. */
static void
providers_finish(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	struct fed_oidc_config *p, *o;
	size_t i, j, k;

	provider_names_unique(ld);
	for (i = 0; i < c->n_providers; i++) {
		p = &c->providers[i];
		for (j = 0; j < i; j++) {
			o = &c->providers[j];
			for (k = 0; k <= p->n_issuer_aliases; k++) {
				const char *iss = k == 0 ? p->issuer :
						  p->issuer_aliases[k - 1];

				if (iss != NULL &&
				    prov_claims_issuer(o, iss) != NULL)
					conf_err(ld, ld->issuer_lines[i],
						 "providers[%zu]: issuer '%s' "
						 "is already used by provider "
						 "'%s'", ld->prov_yidx[i], iss,
						 o->name ? o->name : "?");
			}
		}
	}
}

/*
 * The SP key decrypts assertions and signs requests: the same secrecy
 * rule as access key secret files, checked on the open file.
 */
static void
private_file_check(struct conf_ld *ld, int line, const char *label,
		   const char *file)
{
	struct stat sb;
	int fd;

	/* O_NONBLOCK: a FIFO must not hang the loader. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb) != 0)
		conf_err(ld, line, "%s: %s: %s", label, file, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		conf_err(ld, line, "%s: %s: not a regular file", label, file);
	else if ((sb.st_mode & 077) != 0)
		conf_err(ld, line, "%s: %s: accessible by group or other "
			 "(mode %04o); run 'chmod 600 %s'", label, file,
			 (unsigned)(sb.st_mode & 07777), file);
	if (fd >= 0)
		close(fd);
}

/* Defaults (always, block or not), then the SP certificate and key. */
static void
saml_sp_finish(struct conf_ld *ld)
{
	struct fed_saml_sp_config *sp = &ld->conf->saml_sp;
	const char *url = ld->conf->public_url;
	const int *l = ld->sp_lines;
	size_t ul;

	if (sp->entity_id == NULL && l[SSP_ENTITY] == 0)
		sp->entity_id = core_xstrdup(CONF_DEFAULT_ENTITY_ID);
	if (sp->acs_url == NULL && l[SSP_ACS] == 0 && url != NULL) {
		/* A trailing slash in public_url must not double the
		 * separator. */
		for (ul = strlen(url); ul > 0 && url[ul - 1] == '/'; ul--)
			;
		sp->acs_url = core_xasprintf("%.*s" CONF_ACS_PATH, (int)ul,
					     url);
	}
	if (l[SSP_CERT] != 0 && l[SSP_KEY] == 0)
		conf_err(ld, l[SSP_CERT], "saml_sp.cert_file: cert_file and "
			 "key_file must be set together (key_file is missing)");
	if (l[SSP_KEY] != 0 && l[SSP_CERT] == 0)
		conf_err(ld, l[SSP_KEY], "saml_sp.key_file: cert_file and "
			 "key_file must be set together (cert_file is missing)");
	if (sp->cert_file != NULL)
		file_readable(ld, l[SSP_CERT], "saml_sp.cert_file",
			      sp->cert_file, 0);
	if (sp->key_file != NULL)
		private_file_check(ld, l[SSP_KEY], "saml_sp.key_file",
				   sp->key_file);
}

static void
state_dir_check(struct conf_ld *ld)
{
	int line = ld->top_lines[TOP_STATE_DIR];
	struct stat sb;

	if (stat(ld->conf->state_dir, &sb) != 0)
		return; /* created (0700) at start */
	if (!S_ISDIR(sb.st_mode))
		conf_err(ld, line, "state_dir: %s: not a directory",
			 ld->conf->state_dir);
	else if (sb.st_mode & S_IWOTH)
		conf_err(ld, line, "state_dir: %s: is world-writable",
			 ld->conf->state_dir);
}

static void
conf_defaults(struct gw_conf *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	c->account_id = core_xstrdup(CONF_DEFAULT_ACCOUNT);
	c->state_dir = core_xstrdup(CONF_DEFAULT_STATE_DIR);
	c->store = core_xstrdup("memory");
	c->audit_log = core_xstrdup("stdout");
	c->clock_skew_seconds = 60;
	c->threads = n < 2 ? 2 : n > 64 ? 64 : (int)n;
	c->max_body_bytes = 64 * 1024;
}

static void
conf_finish(struct conf_ld *ld)
{
	struct gw_conf *c = ld->conf;
	const struct gw_listen *l;

	if (c->n_listen == 0 && ld->top_lines[TOP_LISTEN] == 0) {
		c->listen[0].host = core_xstrdup(CONF_DEFAULT_LISTEN_HOST);
		c->listen[0].port = CONF_DEFAULT_LISTEN_PORT;
		c->n_listen = 1;
	}
	if (c->public_url == NULL && c->n_listen > 0) {
		l = &c->listen[0];
		c->public_url = core_xasprintf(strchr(l->host, ':') ?
					       "http://[%s]:%d" :
					       "http://%s:%d", l->host,
					       l->port);
	}
	providers_finish(ld);
	saml_sp_finish(ld);
	roles_finish(ld);
	managed_finish(ld);
	users_finish(ld);
	refs_check(ld);
	state_dir_check(ld);
	web_finish(ld);
}

static struct gw_conf *
conf_build(struct conf_ld *ld, const char *text, size_t len)
{
	struct gw_conf *c;
	struct cnode *root;

	c = core_xcalloc(1, sizeof(*c));
	c->path = core_xstrdup(ld->name);
	conf_defaults(c);
	ld->conf = c;
	if (len > CONF_MAX_BYTES) {
		conf_err(ld, 0, "larger than %d bytes", CONF_MAX_BYTES);
		return c;
	}
	root = cn_parse(ld, text, len);
	if (root == NULL)
		return c;
	if (root->type != CN_MAP)
		conf_err(ld, root->line, "top level must be a mapping, got %s",
			 cn_kind(root));
	else {
		conf_walk(ld, root, conf_top, TOP_COUNT, c, "", ld->top_lines);
		conf_finish(ld);
	}
	cn_free(root);
	return c;
}

/* ---- public ---- */

static void
conf_ld_clear(struct conf_ld *ld)
{
	const struct gw_conf *c = ld->conf;
	size_t i;

	if (ld->role_paths != NULL)
		for (i = 0; i < c->n_roles; i++)
			free(ld->role_paths[i]);
	free(ld->role_paths);
	free(ld->issuer_lines);
	free(ld->prov_yidx);
	free(ld->saml_yidx);
	if (ld->mp_accounts != NULL)
		for (i = 0; i < c->n_managed_policies; i++)
			free(ld->mp_accounts[i]);
	free(ld->mp_accounts);
	free(ld->mp_lines);
	for (i = 0; i < ld->n_refs; i++) {
		free(ld->refs[i].label);
		free(ld->refs[i].arn);
	}
	free(ld->refs);
}

/* secrets_ok: the text is not readable by group/other (inline secrets). */
static struct gw_conf *
conf_load_text(const char *text, size_t len, const char *name, int secrets_ok,
	       FILE *errout, int *nerrors)
{
	struct conf_ld ld;
	struct gw_conf *c;

	memset(&ld, 0, sizeof(ld));
	ld.name = name != NULL ? name : "<config>";
	ld.secrets_ok = secrets_ok;
	c = conf_build(&ld, text, len);
	conf_ld_clear(&ld);
	if (nerrors != NULL)
		*nerrors = ld.nerr;
	conf_flush(&ld, errout);
	if (ld.nerr > 0) {
		gw_conf_free(c);
		return NULL;
	}
	return c;
}

/* A string has no file mode: the caller decides who can read it. */
struct gw_conf *
gw_conf_load_string(const char *text, size_t len, const char *name,
		    FILE *errout, int *nerrors)
{
	return conf_load_text(text, len, name, 1, errout, nerrors);
}

/* Read at most CONF_MAX_BYTES + 1 so an oversized file is refused unread. */
static char *
conf_read_file(const char *path, size_t *lenp, mode_t *modep, FILE *errout)
{
	struct stat sb;
	char *buf;
	ssize_t r = 0;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(errout, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(errout, "%s: not a regular file\n", path);
		close(fd);
		return NULL;
	}
	buf = core_xmalloc(CONF_MAX_BYTES + 2);
	while (len <= CONF_MAX_BYTES) {
		r = read(fd, buf + len, CONF_MAX_BYTES + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (r < 0)
		fprintf(errout, "%s: %s\n", path, strerror(errno));
	close(fd);
	if (r < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	*modep = sb.st_mode;
	return buf;
}

struct gw_conf *
gw_conf_load(const char *path, FILE *errout, int *nerrors)
{
	struct gw_conf *c;
	size_t len;
	mode_t mode;
	char *text;

	text = conf_read_file(path, &len, &mode, errout);
	if (text == NULL) {
		if (nerrors != NULL)
			*nerrors = 1;
		return NULL;
	}
	c = conf_load_text(text, len, path, (mode & 077) == 0, errout,
			   nerrors);
	OPENSSL_cleanse(text, len);
	free(text);
	return c;
}

static void
named_policies_free(struct gw_named_policy *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].json);
		free(p[i].arn);
		if (p[i].policy != NULL)
			trust_policy_free(p[i].policy);
	}
	free(p);
}

static void
strs_free(char **s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

static void
tags_free(struct gw_tag *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].key);
		free(t[i].value);
	}
	free(t);
}

/*
 * The fed_saml configs are the conf's until the app moves them into a
 * fed_saml (fed_saml_new takes the contents and the app zeroes them):
 * federation has no clear function for them, so they are freed here.
 */
static void
saml_idp_clear(struct fed_saml_idp_config *p)
{
	free(p->name);
	free(p->metadata_file);
	free(p->metadata_url);
	free(p->preset);
	memset(p, 0, sizeof(*p));
}

static void
saml_sp_clear(struct fed_saml_sp_config *sp)
{
	free(sp->entity_id);
	free(sp->acs_url);
	strs_free(sp->recipients, sp->n_recipients);
	free(sp->cert_file);
	free(sp->key_file);
	memset(sp, 0, sizeof(*sp));
}

static void
user_clear(struct gw_user *u)
{
	size_t i;

	free(u->name);
	free(u->account_id);
	free(u->path);
	free(u->arn);
	free(u->user_id);
	for (i = 0; i < u->n_keys; i++) {
		free(u->keys[i].id);
		secret_str_free(u->keys[i].secret);
	}
	free(u->keys);
	named_policies_free(u->policies, u->n_policies);
	strs_free(u->managed_policy_arns, u->n_managed_policy_arns);
	tags_free(u->tags, u->n_tags);
}

void
gw_conf_free(struct gw_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_listen; i++)
		free(c->listen[i].host);
	free(c->metrics_listen.host);
	for (i = 0; i < c->n_providers; i++)
		fed_oidc_config_clear(&c->providers[i]);
	free(c->providers);
	free(c->provider_lines);
	for (i = 0; i < c->n_saml_idps; i++)
		saml_idp_clear(&c->saml_idps[i]);
	free(c->saml_idps);
	free(c->saml_idp_lines);
	saml_sp_clear(&c->saml_sp);
	for (i = 0; i < c->n_logins; i++)
		login_free(&c->logins[i]);
	free(c->logins);
	free(c->web.title);
	for (i = 0; i < c->n_roles; i++) {
		free(c->roles[i].name);
		free(c->roles[i].account_id);
		free(c->roles[i].arn);
		free(c->roles[i].role_id);
		free(c->roles[i].trust_json);
		if (c->roles[i].trust != NULL)
			trust_policy_free(c->roles[i].trust);
		named_policies_free(c->roles[i].policies,
				    c->roles[i].n_policies);
		strs_free(c->roles[i].managed_policy_arns,
			  c->roles[i].n_managed_policy_arns);
		tags_free(c->roles[i].tags, c->roles[i].n_tags);
	}
	free(c->roles);
	for (i = 0; i < c->n_users; i++)
		user_clear(&c->users[i]);
	free(c->users);
	named_policies_free(c->managed_policies, c->n_managed_policies);
	strs_free(c->account_ids, c->n_accounts);
	strs_free(c->account_names, c->n_accounts);
	free(c->path);
	free(c->public_url);
	free(c->account_id);
	free(c->state_dir);
	if (c->store != NULL)	/* may hold a Redis password */
		OPENSSL_cleanse(c->store, strlen(c->store));
	free(c->store);
	free(c->audit_log);
	free(c);
}

const struct gw_role *
gw_conf_find_role(const struct gw_conf *c, const char *arn)
{
	size_t i;

	if (c == NULL || arn == NULL)
		return NULL;
	for (i = 0; i < c->n_roles; i++)
		if (c->roles[i].arn != NULL && strcmp(c->roles[i].arn, arn) == 0)
			return &c->roles[i];
	return NULL;
}

const struct gw_user *
gw_conf_find_user_by_key(const struct gw_conf *c, const char *access_key_id,
			 const struct gw_access_key **key)
{
	size_t i, k;

	if (c == NULL || access_key_id == NULL)
		return NULL;
	for (i = 0; i < c->n_users; i++)
		for (k = 0; k < c->users[i].n_keys; k++)
			if (strcmp(c->users[i].keys[k].id, access_key_id) == 0) {
				if (key != NULL)
					*key = &c->users[i].keys[k];
				return &c->users[i];
			}
	return NULL;
}

const struct gw_user *
gw_conf_find_user(const struct gw_conf *c, const char *arn)
{
	size_t i;

	if (c == NULL || arn == NULL)
		return NULL;
	for (i = 0; i < c->n_users; i++)
		if (c->users[i].arn != NULL && strcmp(c->users[i].arn, arn) == 0)
			return &c->users[i];
	return NULL;
}

const struct gw_login_provider *
gw_conf_find_login(const struct gw_conf *c, const char *name)
{
	for (size_t i = 0; i < c->n_logins; i++)
		if (strcmp(c->logins[i].name, name) == 0)
			return &c->logins[i];
	return NULL;
}

const char *
gw_conf_account_name(const struct gw_conf *c, const char *account_id)
{
	for (size_t i = 0; i < c->n_accounts; i++)
		if (strcmp(c->account_ids[i], account_id) == 0)
			return c->account_names[i];
	return NULL;
}

const struct gw_named_policy *
gw_conf_find_managed_policy(const struct gw_conf *c, const char *arn)
{
	size_t i;

	if (c == NULL || arn == NULL)
		return NULL;
	for (i = 0; i < c->n_managed_policies; i++)
		if (c->managed_policies[i].arn != NULL &&
		    strcmp(c->managed_policies[i].arn, arn) == 0)
			return &c->managed_policies[i];
	return NULL;
}

/* Whether a12 (12 digits, not NUL-terminated) is a configured account. */
static int
conf_has_account(const struct gw_conf *c, const char *a12)
{
	size_t i;

#define ACCT_IS(s) ((s) != NULL && strncmp((s), a12, 12) == 0 && \
		    (s)[12] == '\0')
	if (ACCT_IS(c->account_id))
		return 1;
	for (i = 0; i < c->n_accounts; i++)
		if (ACCT_IS(c->account_ids[i]))
			return 1;
	for (i = 0; i < c->n_roles; i++)
		if (ACCT_IS(c->roles[i].account_id))
			return 1;
	for (i = 0; i < c->n_users; i++)
		if (ACCT_IS(c->users[i].account_id))
			return 1;
#undef ACCT_IS
	/* Managed policy ARNs: the account is at offset 13. */
	for (i = 0; i < c->n_managed_policies; i++)
		if (c->managed_policies[i].arn != NULL &&
		    strncmp(c->managed_policies[i].arn + 13, a12, 12) == 0)
			return 1;
	return 0;
}

/* arn:aws:iam::ACCT:saml-provider/NAME, exactly (IAM ARNs are
 * case-sensitive); NAME is the provider's whole name. */
int
gw_conf_find_saml_idp(const struct gw_conf *c, const char *principal_arn)
{
	static const char pre[] = "arn:aws:iam::", mid[] = ":saml-provider/";
	const char *acct, *name;
	size_t i;

	if (c == NULL || principal_arn == NULL ||
	    strncmp(principal_arn, pre, sizeof(pre) - 1) != 0)
		return -1;
	acct = principal_arn + sizeof(pre) - 1;
	for (i = 0; i < 12; i++)
		if (acct[i] < '0' || acct[i] > '9')
			return -1;
	if (strncmp(acct + 12, mid, sizeof(mid) - 1) != 0 ||
	    !conf_has_account(c, acct))
		return -1;
	name = acct + 12 + sizeof(mid) - 1;
	for (i = 0; i < c->n_saml_idps; i++)
		if (c->saml_idps[i].name != NULL &&
		    strcmp(c->saml_idps[i].name, name) == 0)
			return i > INT_MAX ? -1 : (int)i;
	return -1;
}
