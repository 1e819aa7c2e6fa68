/* federation/mint.c - temporary credentials and self-contained session tokens
 *
 * A SessionToken is the session serialized as compact JSON and sealed with
 * core_seal() under the purpose string "fedgate-session-v1". Member names
 * are short to keep tokens small (AWS SDKs put the token in a header):
 *   v ak sk acct role rid sn arn si pol parns tags[{k,v,t}] fp sub ch iat exp
 */
#include "federation/mint.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/seal.h"
#include "core/secret.h"

#define MINT_AAD "fedgate-session-v1"
#define MINT_VERSION 1
#define MINT_AKID_PREFIX "ASIA"
#define MINT_AKID_RAND 16  /* 80 bits, AWS's length */
#define MINT_SECRET_LEN 40 /* 240 bits */
#define MINT_ROLE_ID_PREFIX "AROA"
#define MINT_ROLE_ID_CHARS 17

#define MINT_MSG_INVALID                                                       \
	"The security token included in the request is invalid."
#define MINT_MSG_EXPIRED "The security token included in the request is expired"

/* RFC 4648 §6 base32 alphabet, as in AWS key ids. */
static const char mint_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char mint_secret_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * n characters drawn uniformly from alpha (alen <= 256) into out[n + 1].
 * Bytes at or above the largest multiple of alen are rejected, so no
 * character is favoured whatever the alphabet size (for 32 and 64, the
 * alphabets used here, nothing is ever rejected).
 */
static void
mint_random_chars(char *out, size_t n, const char *alpha, size_t alen)
{
	uint8_t buf[64];
	size_t i = 0, j;
	unsigned limit = 256 - 256 % (unsigned)alen;

	while (i < n) {
		core_random(buf, sizeof(buf));
		for (j = 0; j < sizeof(buf) && i < n; j++)
			if (buf[j] < limit)
				out[i++] = alpha[buf[j] % alen];
	}
	out[n] = '\0';
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void
mint_secret_str_free(char *s)
{
	if (s != NULL)
		core_secret_free(s, strlen(s) + 1);
}

void
fed_mint_new_keys(struct fed_session *s)
{
	size_t plen = sizeof(MINT_AKID_PREFIX) - 1;
	char *ak, *sk;

	ak = core_xmalloc(plen + MINT_AKID_RAND + 1);
	memcpy(ak, MINT_AKID_PREFIX, plen);
	mint_random_chars(ak + plen, MINT_AKID_RAND, mint_b32,
			  sizeof(mint_b32) - 1);
	sk = core_xmalloc(MINT_SECRET_LEN + 1);
	mint_random_chars(sk, MINT_SECRET_LEN, mint_secret_alpha,
			  sizeof(mint_secret_alpha) - 1);
	free(s->access_key_id);
	mint_secret_str_free(s->secret_access_key);
	s->access_key_id = ak;
	s->secret_access_key = sk;
}

char *
fed_mint_role_id(const char *role_arn)
{
	return fed_mint_unique_id(MINT_ROLE_ID_PREFIX, role_arn);
}

char *
fed_mint_unique_id(const char *prefix, const char *arn)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	size_t plen, i, bit;
	char *out;
	unsigned v;

	if (arn == NULL || prefix == NULL)
		return NULL;
	plen = strlen(prefix);
	SHA256((const unsigned char *)arn, strlen(arn), md);
	out = core_xmalloc(plen + MINT_ROLE_ID_CHARS + 1);
	memcpy(out, prefix, plen);
	/* Base32 of the digest's leading 85 bits, most significant first. */
	for (i = 0; i < MINT_ROLE_ID_CHARS; i++) {
		bit = i * 5;
		v = (unsigned)md[bit / 8] << 8 | md[bit / 8 + 1];
		v = (v >> (11 - bit % 8)) & 0x1f;
		out[plen + i] = mint_b32[v];
	}
	out[plen + MINT_ROLE_ID_CHARS] = '\0';
	return out;
}

void
fed_session_free(struct fed_session *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->access_key_id);
	mint_secret_str_free(s->secret_access_key);
	free(s->account);
	free(s->role_arn);
	free(s->role_id);
	free(s->session_name);
	free(s->assumed_role_arn);
	free(s->source_identity);
	free(s->session_policy);
	for (i = 0; i < s->n_policy_arns; i++)
		free(s->policy_arns[i]);
	free(s->policy_arns);
	for (i = 0; i < s->n_tags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].value);
	}
	free(s->tags);
	free(s->federated_provider);
	free(s->subject);
	free(s->user_arn);
	free(s->user_id);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

/* Wire form of the session; members are described once, for both ways. */
enum mint_type {
	MT_VERSION,
	MT_STR,	   /* required string */
	MT_OPTSTR, /* string, omitted when NULL */
	MT_INT,
	MT_BOOL,
	MT_ARNS,
	MT_TAGS,
};

static const struct mint_field {
	const char *name;
	enum mint_type type;
	size_t off;
} mint_fields[] = {
    {"v", MT_VERSION, 0},
    {"ak", MT_STR, offsetof(struct fed_session, access_key_id)},
    {"sk", MT_STR, offsetof(struct fed_session, secret_access_key)},
    {"acct", MT_STR, offsetof(struct fed_session, account)},
    {"role", MT_OPTSTR, offsetof(struct fed_session, role_arn)},
    {"rid", MT_OPTSTR, offsetof(struct fed_session, role_id)},
    {"sn", MT_STR, offsetof(struct fed_session, session_name)},
    {"arn", MT_OPTSTR, offsetof(struct fed_session, assumed_role_arn)},
    {"uarn", MT_OPTSTR, offsetof(struct fed_session, user_arn)},
    {"uid", MT_OPTSTR, offsetof(struct fed_session, user_id)},
    {"si", MT_OPTSTR, offsetof(struct fed_session, source_identity)},
    {"pol", MT_OPTSTR, offsetof(struct fed_session, session_policy)},
    {"parns", MT_ARNS, 0},
    {"tags", MT_TAGS, 0},
    {"fp", MT_OPTSTR, offsetof(struct fed_session, federated_provider)},
    {"sub", MT_OPTSTR, offsetof(struct fed_session, subject)},
    {"ch", MT_BOOL, offsetof(struct fed_session, chained)},
    {"iat", MT_INT, offsetof(struct fed_session, issued_at)},
    {"exp", MT_INT, offsetof(struct fed_session, expires_at)},
};
#define MINT_NFIELDS (sizeof(mint_fields) / sizeof(mint_fields[0]))

#define MINT_FIELD(s, f, type) ((type *)(void *)((char *)(s) + (f)->off))

static json_t *
mint_arns_json(const struct fed_session *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->n_policy_arns; i++)
		if (json_array_append_new(a, json_string(s->policy_arns[i])))
			goto bad;
	return a;
bad:
	json_decref(a);
	return NULL;
}

static json_t *
mint_tags_json(const struct fed_session *s)
{
	json_t *a = json_array(), *t;
	size_t i;

	for (i = 0; i < s->n_tags; i++) {
		t = json_object();
		if (json_array_append_new(a, t) ||
		    json_object_set_new(t, "k", json_string(s->tags[i].key)) ||
		    json_object_set_new(t, "v",
					json_string(s->tags[i].value)) ||
		    json_object_set_new(t, "t",
					json_boolean(s->tags[i].transitive)))
			goto bad;
	}
	return a;
bad:
	json_decref(a);
	return NULL;
}

/* One member's JSON value; *skip when an optional member is absent. */
static json_t *
mint_field_json(const struct fed_session *s, const struct mint_field *f,
		const char *rid, int *skip)
{
	const char *str;

	*skip = 0;
	switch (f->type) {
	case MT_VERSION:
		return json_integer(MINT_VERSION);
	case MT_STR:
	case MT_OPTSTR:
		str = *MINT_FIELD(s, f, char *const);
		if (strcmp(f->name, "rid") == 0 && str == NULL)
			str = rid;
		*skip = (str == NULL && f->type == MT_OPTSTR);
		return str == NULL ? NULL : json_string(str);
	case MT_INT:
		return json_integer(*MINT_FIELD(s, f, const int64_t));
	case MT_BOOL:
		*skip = !*MINT_FIELD(s, f, const int);
		return *skip ? NULL : json_true();
	case MT_ARNS:
		*skip = (s->n_policy_arns == 0);
		return *skip ? NULL : mint_arns_json(s);
	case MT_TAGS:
		*skip = (s->n_tags == 0);
		return *skip ? NULL : mint_tags_json(s);
	}
	return NULL;
}

static json_t *
mint_to_json(const struct fed_session *s)
{
	json_t *o = json_object(), *v;
	char *rid = NULL;
	size_t i;
	int skip;

	/* A session belongs to a role or (GetSessionToken) to a user. */
	if ((s->role_arn == NULL) == (s->user_arn == NULL) ||
	    (s->role_arn != NULL && s->assumed_role_arn == NULL))
		return NULL;
	/* Callers may leave role_id to us: it is a function of the ARN. */
	if (s->role_id == NULL && s->role_arn != NULL)
		rid = fed_mint_role_id(s->role_arn);
	for (i = 0; i < MINT_NFIELDS; i++) {
		v = mint_field_json(s, &mint_fields[i], rid, &skip);
		if (skip)
			continue;
		if (json_object_set_new(o, mint_fields[i].name, v) == -1) {
			json_decref(o);
			o = NULL;
			break;
		}
	}
	free(rid);
	return o;
}

/* jansson frees without wiping: scrub the secret we know is in there. */
static void
mint_json_wipe(json_t *o)
{
	json_t *v = json_object_get(o, "sk");

	if (json_is_string(v))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v),
				json_string_length(v));
}

char *
fed_mint_seal(const struct core_keyring *kr, const struct fed_session *s,
	      struct core_err *err)
{
	json_t *o;
	char *buf = NULL, *tok = NULL;
	size_t n = 0;

	o = mint_to_json(s);
	/* json_dumpb writes straight into our buffer, so the only copies of
	 * the secret are ones we wipe. */
	if (o != NULL)
		n = json_dumpb(o, NULL, 0, JSON_COMPACT);
	if (n > 0) {
		buf = core_xmalloc(n);
		if (json_dumpb(o, buf, n, JSON_COMPACT) == n)
			tok = core_seal(kr, MINT_AAD, (const uint8_t *)buf, n);
		core_secret_free(buf, n);
	}
	if (o != NULL) {
		mint_json_wipe(o);
		json_decref(o);
	}
	if (tok == NULL) {
		log_warnx("%s: cannot seal session (missing member, bad UTF-8 "
			  "or no key)",
			  __func__);
		core_err_set(err, CORE_EINTERNAL, "seal_failed",
			     "We encountered an internal error. Please try "
			     "again.");
	}
	return tok;
}

static int
mint_arns_parse(json_t *a, struct fed_session *s)
{
	json_t *v;
	size_t i, n = json_array_size(a);

	if (!json_is_array(a) || n == 0)
		return -1;
	s->policy_arns = core_xcalloc(n, sizeof(char *));
	json_array_foreach (a, i, v) {
		if (!json_is_string(v))
			return -1;
		s->policy_arns[s->n_policy_arns++] =
		    core_xstrdup(json_string_value(v));
	}
	return 0;
}

static int
mint_tags_parse(json_t *a, struct fed_session *s)
{
	json_t *v;
	const char *k, *val;
	size_t i, n = json_array_size(a);
	int t;

	if (!json_is_array(a) || n == 0)
		return -1;
	s->tags = core_xcalloc(n, sizeof(struct fed_session_tag));
	json_array_foreach (a, i, v) {
		if (json_unpack_ex(v, NULL, JSON_STRICT, "{s:s, s:s, s:b}", "k",
				   &k, "v", &val, "t", &t) == -1)
			return -1;
		s->tags[i].key = core_xstrdup(k);
		s->tags[i].value = core_xstrdup(val);
		s->tags[i].transitive = t;
		s->n_tags++;
	}
	return 0;
}

static int
mint_field_parse(json_t *v, const struct mint_field *f, struct fed_session *s)
{
	switch (f->type) {
	case MT_VERSION:
		return (json_is_integer(v) &&
			json_integer_value(v) == MINT_VERSION)
			   ? 0
			   : -1;
	case MT_STR:
	case MT_OPTSTR:
		if (!json_is_string(v))
			return -1;
		*MINT_FIELD(s, f, char *) = core_xstrdup(json_string_value(v));
		return 0;
	case MT_INT:
		if (!json_is_integer(v))
			return -1;
		*MINT_FIELD(s, f, int64_t) = (int64_t)json_integer_value(v);
		return 0;
	case MT_BOOL:
		if (!json_is_boolean(v))
			return -1;
		*MINT_FIELD(s, f, int) = json_is_true(v);
		return 0;
	case MT_ARNS:
		return mint_arns_parse(v, s);
	case MT_TAGS:
		return mint_tags_parse(v, s);
	}
	return -1;
}

/* Strict: every member known, right type, every required one present. */
static struct fed_session *
mint_from_json(json_t *o)
{
	struct fed_session *s;
	const char *name;
	json_t *v;
	size_t i, required = 0, seen = 0;

	if (!json_is_object(o))
		return NULL;
	s = core_xcalloc(1, sizeof(*s));
	json_object_foreach (o, name, v) {
		for (i = 0; i < MINT_NFIELDS; i++)
			if (strcmp(name, mint_fields[i].name) == 0)
				break;
		if (i == MINT_NFIELDS ||
		    mint_field_parse(v, &mint_fields[i], s) == -1)
			goto bad;
		if (mint_fields[i].type != MT_OPTSTR &&
		    mint_fields[i].type != MT_BOOL &&
		    mint_fields[i].type != MT_ARNS &&
		    mint_fields[i].type != MT_TAGS)
			seen++;
	}
	for (i = 0; i < MINT_NFIELDS; i++)
		if (mint_fields[i].type == MT_VERSION ||
		    mint_fields[i].type == MT_STR ||
		    mint_fields[i].type == MT_INT)
			required++;
	/* Duplicates were refused by the parser, so counting suffices. */
	if (seen != required)
		goto bad;
	/* Exactly one owner: a role (with its assumed-role ARN) or a user. */
	if (s->user_arn != NULL
		? (s->role_arn != NULL || s->user_id == NULL)
		: (s->role_arn == NULL || s->role_id == NULL ||
		   s->assumed_role_arn == NULL))
		goto bad;
	return s;
bad:
	fed_session_free(s);
	return NULL;
}

int
fed_mint_unseal(const struct core_keyring *kr, const char *token, size_t len,
		int64_t now, struct fed_session **out, struct core_err *err)
{
	struct fed_session *s = NULL;
	json_t *o = NULL;
	uint8_t *pt = NULL;
	size_t ptlen = 0;

	/* Bound before decoding or decrypting anything. */
	if (token != NULL && len > 0 && len <= FED_MINT_TOKEN_MAX)
		pt = core_unseal(kr, MINT_AAD, token, len, &ptlen);
	if (pt != NULL) {
		o = json_loadb((const char *)pt, ptlen, JSON_REJECT_DUPLICATES,
			       NULL);
		core_secret_free(pt, ptlen + 1);
	}
	if (o != NULL) {
		s = mint_from_json(o);
		mint_json_wipe(o);
		json_decref(o);
	}
	if (s == NULL) {
		core_err_set(err, CORE_EINVALID_CLIENT, "session_token_invalid",
			     MINT_MSG_INVALID);
		return -1;
	}
	if (now >= s->expires_at) {
		fed_session_free(s);
		core_err_set(err, CORE_EEXPIRED_SESSION,
			     "session_token_expired", MINT_MSG_EXPIRED);
		return -1;
	}
	*out = s;
	return 0;
}
