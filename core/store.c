/* core/store.c - store front end, URL parsing and the memory backend
 *
 * The front end checks namespaces and keys once for every backend and
 * counts backend failures. The memory backend is a mutex-guarded chained
 * hash of SHA-256(full key): fixed-size entries whatever the key length,
 * so its bound (CORE_STORE_MEM_MAX entries, CORE_STORE_MEM_MAX_BYTES of
 * values) is a bound on memory. Expired entries are purged at most once a
 * minute and whenever the store is full; when it is full of unexpired
 * entries a new one is refused rather than an old one forgotten early.
 */
#include "core/store.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/store_int.h"
#include "core/timeutil.h"

#define MEM_PURGE_EVERY 60
#define CORE_STORE_MEM_MAX_BYTES (64 * 1024 * 1024)
#define STORE_MAX_TIME 253402300799LL	/* 9999-12-31T23:59:59Z */

/* ---- redis:// URLs ---- */

static int
parse_uint(const char *s, size_t n, long max, long *out)
{
	long v = 0;

	/* No sign, no leading zero, no overflow: "06379" is refused. */
	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* userinfo ":PASSWORD", percent-decoded as in other Redis clients. */
static const char *
parse_password(const char *s, size_t n, struct core_store_url *u)
{
	size_t o = 0;

	if (n < 2 || s[0] != ':')
		return "only a password is supported before '@': "
		       "redis://:PASSWORD@HOST:PORT[/DB]";
	for (size_t i = 1; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? core_hexval((unsigned char)s[i + 1])
					   : -1;
			int lo = hi >= 0 ? core_hexval((unsigned char)s[i + 2])
					 : -1;

			if (lo < 0)
				return "password: bad %-escape";
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x21 || c == 0x7f)
			return "password: control characters and spaces are "
			       "not allowed";
		if (o >= CORE_STORE_MAX_PASSWORD)
			return "password longer than 128 bytes";
		u->password[o++] = (char)c;
	}
	u->password[o] = '\0';
	return NULL;
}

static const char *
parse_hostport(const char *s, size_t n, struct core_store_url *u)
{
	const char *colon, *h = s;
	size_t hl;
	long port;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || rb + 1 >= s + n || rb[1] != ':')
			return "bad [IPv6]:PORT";
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
		if (hl == 0 || strspn(h, "0123456789abcdefABCDEF:.") < hl)
			return "bad IPv6 address";
	} else {
		colon = memchr(s, ':', n);
		if (colon == NULL)
			return "a port is required: redis://HOST:PORT[/DB]";
		hl = (size_t)(colon - s);
		if (hl == 0 || hl > 253 ||
		    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789.-") < hl)
			return "bad host name";
	}
	if (hl >= sizeof(u->host))
		return "bad host name";
	if (parse_uint(colon + 1, (size_t)(s + n - colon - 1), 65535,
		       &port) == -1 || port == 0)
		return "port must be 1..65535";
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	u->port = (int)port;
	return NULL;
}

const char *
core_store_url_parse(const char *url, struct core_store_url *u)
{
	const char *p, *at, *slash, *msg;
	long db = 0;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "rediss://", 9) == 0)
		return "TLS (rediss://) is not supported; use redis:// on a "
		       "private network or through a local TLS tunnel";
	if (strncmp(url, "redis://", 8) != 0)
		return "must be 'memory' or redis://[:PASSWORD@]HOST:PORT[/DB]";
	p = url + 8;
	if (strlen(p) > 512 || strpbrk(p, "?#") != NULL)
		return "must be redis://[:PASSWORD@]HOST:PORT[/DB] (no query "
		       "or fragment)";
	/* The last '@': a host never contains one, a password may. */
	at = strrchr(p, '@');
	if (at != NULL) {
		msg = parse_password(p, (size_t)(at - p), u);
		if (msg != NULL)
			return msg;
		p = at + 1;
	}
	slash = strchr(p, '/');
	msg = parse_hostport(p, slash ? (size_t)(slash - p) : strlen(p), u);
	if (msg != NULL)
		return msg;
	if (slash != NULL &&
	    parse_uint(slash + 1, strlen(slash + 1), 255, &db) == -1)
		return "database must be a number 0..255: "
		       "redis://HOST:PORT/DB";
	u->db = (int)db;
	return NULL;
}

const char *
core_store_url_check(const char *url, int *has_password)
{
	struct core_store_url u;
	const char *msg = NULL;

	if (has_password != NULL)
		*has_password = 0;
	if (strcmp(url, "memory") != 0) {
		msg = core_store_url_parse(url, &u);
		if (msg == NULL && has_password != NULL)
			*has_password = u.password[0] != '\0';
		OPENSSL_cleanse(u.password, sizeof(u.password));
	}
	return msg;
}

/* ---- front end ---- */

struct core_store *
core_store_open(const char *url, struct core_err *err)
{
	struct core_store_url u;
	struct core_store *s;
	const char *msg, *env;

	if (strcmp(url, "memory") == 0)
		return core_store_open_memory(CORE_STORE_MEM_MAX);
	msg = core_store_url_parse(url, &u);
	if (msg != NULL) {
		core_err_set(err, CORE_ECONFIG, "store_url", "store: %s", msg);
		return NULL;
	}
	env = getenv(CORE_STORE_PASSWORD_ENV);
	if (u.password[0] == '\0' && env != NULL && env[0] != '\0' &&
	    core_strlcpy(u.password, env, sizeof(u.password)) == -1) {
		core_err_set(err, CORE_ECONFIG, "store_password",
			     "store: $%s longer than %d bytes",
			     CORE_STORE_PASSWORD_ENV, CORE_STORE_MAX_PASSWORD);
		OPENSSL_cleanse(u.password, sizeof(u.password));
		return NULL;
	}
	s = core_store_redis_new(&u);
	OPENSSL_cleanse(u.password, sizeof(u.password));
	return s;
}

void
core_store_close(struct core_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

const char *
core_store_describe(const struct core_store *s)
{
	return s->desc;
}

uint64_t
core_store_errors(const struct core_store *s)
{
	return atomic_load(&s->errors);
}

size_t
core_store_count(struct core_store *s)
{
	return s->ops->count(s);
}

static int
ns_ok(const char *ns)
{
	size_t n = strspn(ns, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return n > 0 && n <= CORE_STORE_MAX_NS && ns[n] == '\0';
}

/* Keys go to Redis as binary-safe arguments; printable-only keeps them
 * readable in redis-cli and out of any log-injection trouble. */
static int
key_ok(const char *key)
{
	size_t i;

	for (i = 0; key[i] != '\0' && i <= CORE_STORE_MAX_KEY; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c < 0x21 || c == 0x7f)
			return 0;
	}
	return i > 0 && i <= CORE_STORE_MAX_KEY;
}

static int
full_key(char out[CORE_STORE_FULLKEY_MAX], const char *ns, const char *key,
	 struct core_err *err)
{
	if (!ns_ok(ns) || !key_ok(key)) {
		log_warnx("%s: refused namespace or key (bug)", __func__);
		core_err_set(err, CORE_EINTERNAL, "store_key",
			     "Internal error");
		return -1;
	}
	snprintf(out, CORE_STORE_FULLKEY_MAX, "fedgate:%s:%s", ns, key);
	return 0;
}

/* Count backend failures and hand the first error to the caller. */
static int
finish(struct core_store *s, int rc, const struct core_err *lerr,
       struct core_err *err)
{
	if (rc != -1)
		return rc;
	if (lerr->code == CORE_EUNAVAILABLE)
		atomic_fetch_add(&s->errors, 1);
	if (err != NULL && err->code == CORE_OK)
		*err = *lerr;
	return -1;
}

static int
time_ok(int64_t t, struct core_err *err)
{
	if (t <= 0 || t > STORE_MAX_TIME) {
		core_err_set(err, CORE_EINTERNAL, "store_time",
			     "Internal error");
		return 0;
	}
	return 1;
}

int
core_store_add_once_at(struct core_store *s, const char *ns, const char *key,
		       int64_t expires_at, int64_t now, struct core_err *err)
{
	char fk[CORE_STORE_FULLKEY_MAX];
	struct core_err lerr = {0};

	if (full_key(fk, ns, key, err) == -1 || !time_ok(expires_at, err))
		return -1;
	/* Nothing to remember: an expired entry would be forgotten at once. */
	if (expires_at <= now)
		return 1;
	return finish(s, s->ops->add_once(s, fk, expires_at, now, &lerr),
		      &lerr, err);
}

int
core_store_add_once(struct core_store *s, const char *ns, const char *key,
		    int64_t expires_at, struct core_err *err)
{
	return core_store_add_once_at(s, ns, key, expires_at, core_now(), err);
}

int
core_store_incr_window(struct core_store *s, const char *ns, const char *key,
		       int window_seconds, int64_t now, int64_t *count,
		       struct core_err *err)
{
	char fk[CORE_STORE_FULLKEY_MAX];
	struct core_err lerr = {0};
	int64_t start, n = 0;
	size_t len;
	int rc;

	if (full_key(fk, ns, key, err) == -1 || !time_ok(now, err))
		return -1;
	if (window_seconds < 1 || window_seconds > CORE_STORE_MAX_WINDOW) {
		core_err_set(err, CORE_EINTERNAL, "store_window",
			     "Internal error");
		return -1;
	}
	/* The window's start in the key: a counter whose expiry was lost can
	 * never leak into the next window. */
	start = now - now % window_seconds;
	len = strlen(fk);
	snprintf(fk + len, sizeof(fk) - len, ":%" PRId64, start);
	rc = s->ops->incr(s, fk, start + window_seconds, now, &n, &lerr);
	if (rc == 0)
		*count = n;
	return finish(s, rc, &lerr, err);
}

int
core_store_take_token(struct core_store *s, const char *ns, const char *key,
		      int requests, int per_seconds, int burst, int64_t now_ms,
		      int *allowed, struct core_err *err)
{
	char fk[CORE_STORE_FULLKEY_MAX];
	struct core_err lerr = {0};
	struct core_bucket b;
	int ok = 0, rc;

	if (full_key(fk, ns, key, err) == -1 || !time_ok(now_ms / 1000, err))
		return -1;
	if (requests < 1 || requests > CORE_STORE_MAX_BURST ||
	    burst < 1 || burst > CORE_STORE_MAX_BURST ||
	    per_seconds < 1 || per_seconds > CORE_STORE_MAX_WINDOW) {
		core_err_set(err, CORE_EINTERNAL, "store_bucket",
			     "Internal error");
		return -1;
	}
	b.per_token = (int64_t)per_seconds * 1000;
	b.cap = (int64_t)burst * b.per_token;
	b.refill = requests;
	rc = s->ops->take(s, fk, &b, now_ms, &ok, &lerr);
	if (rc == 0)
		*allowed = ok;
	return finish(s, rc, &lerr, err);
}

int
core_store_set(struct core_store *s, const char *ns, const char *key,
	       const char *value, int64_t expires_at, struct core_err *err)
{
	char fk[CORE_STORE_FULLKEY_MAX];
	struct core_err lerr = {0};
	int64_t now = core_now();

	if (full_key(fk, ns, key, err) == -1 || !time_ok(expires_at, err))
		return -1;
	if (strlen(value) > CORE_STORE_MAX_VALUE) {
		core_err_set(err, CORE_EINTERNAL, "store_value",
			     "Internal error");
		return -1;
	}
	if (expires_at <= now)
		return core_store_del(s, ns, key, err) == -1 ? -1 : 0;
	return finish(s, s->ops->set(s, fk, value, expires_at, now, &lerr),
		      &lerr, err);
}

int
core_store_get(struct core_store *s, const char *ns, const char *key,
	       char *buf, size_t size, struct core_err *err)
{
	char fk[CORE_STORE_FULLKEY_MAX];
	struct core_err lerr = {0};

	if (size > 0)
		buf[0] = '\0';
	if (full_key(fk, ns, key, err) == -1)
		return -1;
	return finish(s, s->ops->get(s, fk, buf, size, core_now(), &lerr),
		      &lerr, err);
}

int
core_store_del(struct core_store *s, const char *ns, const char *key,
	       struct core_err *err)
{
	char fk[CORE_STORE_FULLKEY_MAX];
	struct core_err lerr = {0};

	if (full_key(fk, ns, key, err) == -1)
		return -1;
	return finish(s, s->ops->del(s, fk, core_now(), &lerr), &lerr, err);
}

/* ---- memory backend ---- */

struct mem_entry {
	struct mem_entry *next;
	int64_t expires;
	int64_t n;		/* counter; 1 for add_once; bucket units */
	int64_t t_ms;		/* bucket: when n was last brought up to date */
	char *val;		/* set: the value; else NULL */
	unsigned char dig[32];
};

struct store_mem {
	struct core_store base;
	pthread_mutex_t mu;
	struct mem_entry **buckets;
	size_t nbuckets;	/* power of two */
	size_t count, max;
	size_t vbytes;		/* sum of value lengths */
	int64_t next_purge;
	int64_t next_full_log;	/* a flood must not flood the log too */
};

static void
mem_free_entry(struct store_mem *m, struct mem_entry *e)
{
	if (e->val != NULL) {
		m->vbytes -= strlen(e->val);
		free(e->val);
	}
	free(e);
	m->count--;
}

static void
mem_purge(struct store_mem *m, int64_t now)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mem_entry **pp = &m->buckets[i];

		while (*pp != NULL) {
			struct mem_entry *e = *pp;

			if (e->expires <= now) {
				*pp = e->next;
				mem_free_entry(m, e);
			} else
				pp = &e->next;
		}
	}
	m->next_purge = now + MEM_PURGE_EVERY;
}

/* The bucket slot pointing at key's entry (*slot NULL if absent). */
static struct mem_entry **
mem_slot(struct store_mem *m, const char *key, unsigned char dig[32])
{
	struct mem_entry **pp;
	size_t b;

	if (EVP_Digest(key, strlen(key), dig, NULL, EVP_sha256(), NULL) != 1)
		fatalx("%s: SHA-256 failed", __func__);
	memcpy(&b, dig, sizeof(b));
	pp = &m->buckets[b & (m->nbuckets - 1)];
	while (*pp != NULL && memcmp((*pp)->dig, dig, 32) != 0)
		pp = &(*pp)->next;
	return pp;
}

/*
 * Find key's entry, or make room for and insert a new one with expires 0.
 * NULL with err when full of unexpired entries (fail closed).
 */
static struct mem_entry *
mem_lookup_or_add(struct store_mem *m, const char *key, size_t vlen,
		  int64_t now, struct core_err *err)
{
	unsigned char dig[32];
	struct mem_entry **pp, *e;

	if (now >= m->next_purge)
		mem_purge(m, now);
	pp = mem_slot(m, key, dig);
	if (*pp != NULL)
		return *pp;
	if (m->count >= m->max ||
	    m->vbytes + vlen > CORE_STORE_MEM_MAX_BYTES) {
		mem_purge(m, now);
		pp = mem_slot(m, key, dig);	/* the chain may have changed */
	}
	if (m->count >= m->max || m->vbytes + vlen > CORE_STORE_MEM_MAX_BYTES) {
		if (core_now() >= m->next_full_log) {
			log_warnx("%s: memory store full (%zu entries): new "
				  "entries refused", __func__, m->count);
			m->next_full_log = core_now() + 10;
		}
		core_err_set(err, CORE_EUNAVAILABLE, "store_full",
			     "Service is busy, try again later");
		return NULL;
	}
	e = core_xcalloc(1, sizeof(*e));
	memcpy(e->dig, dig, 32);
	/* Appended where the search ended: *pp is the chain's last link. */
	*pp = e;
	m->count++;
	return e;
}

static void
mem_reset(struct store_mem *m, struct mem_entry *e, int64_t expires)
{
	if (e->val != NULL) {
		m->vbytes -= strlen(e->val);
		free(e->val);
		e->val = NULL;
	}
	e->expires = expires;
	e->n = 1;
}

static int
mem_add_once(struct core_store *s, const char *key, int64_t expires_at,
	     int64_t now, struct core_err *err)
{
	struct store_mem *m = (struct store_mem *)s;
	struct mem_entry *e;
	int rc = -1;

	pthread_mutex_lock(&m->mu);
	e = mem_lookup_or_add(m, key, 0, now, err);
	if (e != NULL && e->expires > now)
		rc = 0;
	else if (e != NULL) {
		mem_reset(m, e, expires_at);
		rc = 1;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static int
mem_incr(struct core_store *s, const char *key, int64_t expires_at,
	 int64_t now, int64_t *count, struct core_err *err)
{
	struct store_mem *m = (struct store_mem *)s;
	struct mem_entry *e;
	int rc = -1;

	pthread_mutex_lock(&m->mu);
	e = mem_lookup_or_add(m, key, 0, now, err);
	if (e != NULL) {
		if (e->expires > now && e->n < INT64_MAX)
			e->n++;
		else if (e->expires <= now)
			mem_reset(m, e, expires_at);
		*count = e->n;
		rc = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

/* Units in b after now_ms, starting from units at t_ms (never above cap). */
static int64_t
bucket_refill(const struct core_bucket *b, int64_t units, int64_t t_ms,
	      int64_t now_ms)
{
	int64_t missing = b->cap - units;

	if (now_ms <= t_ms || missing <= 0)
		return units < b->cap ? units : b->cap;
	/* Compared before multiplying: a long idle time cannot overflow. */
	if (now_ms - t_ms >= missing / b->refill + 1)
		return b->cap;
	return units + (now_ms - t_ms) * b->refill;
}

static int
mem_take(struct core_store *s, const char *key, const struct core_bucket *b,
	 int64_t now_ms, int *allowed, struct core_err *err)
{
	struct store_mem *m = (struct store_mem *)s;
	int64_t now = now_ms / 1000, full_in;
	struct mem_entry *e;
	int rc = -1;

	pthread_mutex_lock(&m->mu);
	e = mem_lookup_or_add(m, key, 0, now, err);
	if (e != NULL) {
		/* New or forgotten: a bucket nobody used lately is full. */
		if (e->expires <= now) {
			mem_reset(m, e, 0);
			e->n = b->cap;
			e->t_ms = now_ms;
		}
		e->n = bucket_refill(b, e->n, e->t_ms, now_ms);
		if (now_ms > e->t_ms)
			e->t_ms = now_ms;
		*allowed = e->n >= b->per_token;
		if (*allowed)
			e->n -= b->per_token;
		/* Kept until it would be full again: then it is the same as
		 * a new one, and forgetting it changes nothing. */
		full_in = (b->cap - e->n + b->refill - 1) / b->refill;
		e->expires = (e->t_ms + full_in) / 1000 + 1;
		rc = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static int
mem_set(struct core_store *s, const char *key, const char *value,
	int64_t expires_at, int64_t now, struct core_err *err)
{
	struct store_mem *m = (struct store_mem *)s;
	size_t vlen = strlen(value);
	struct mem_entry *e;
	int rc = -1;

	pthread_mutex_lock(&m->mu);
	e = mem_lookup_or_add(m, key, vlen, now, err);
	if (e != NULL) {
		mem_reset(m, e, expires_at);
		e->val = core_xstrdup(value);
		m->vbytes += vlen;
		rc = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static int
mem_get(struct core_store *s, const char *key, char *buf, size_t size,
	int64_t now, struct core_err *err)
{
	struct store_mem *m = (struct store_mem *)s;
	unsigned char dig[32];
	struct mem_entry *e;
	char num[24];
	const char *v;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	e = *mem_slot(m, key, dig);
	if (e != NULL && e->expires > now) {
		/* As Redis would answer: counters and add_once keys read as
		 * their decimal count. */
		snprintf(num, sizeof(num), "%" PRId64, e->n);
		v = e->val != NULL ? e->val : num;
		rc = 1;
		if (core_strlcpy(buf, v, size) == -1) {
			core_err_set(err, CORE_EINTERNAL, "store_value",
				     "Internal error");
			rc = -1;
		}
	}
	pthread_mutex_unlock(&m->mu);
	if (rc != 1 && size > 0)
		buf[0] = '\0';
	return rc;
}

static int
mem_del(struct core_store *s, const char *key, int64_t now,
	struct core_err *err)
{
	struct store_mem *m = (struct store_mem *)s;
	unsigned char dig[32];
	struct mem_entry **pp, *e;
	int rc = 0;

	pthread_mutex_lock(&m->mu);
	pp = mem_slot(m, key, dig);
	e = *pp;
	if (e != NULL) {
		rc = e->expires > now;
		*pp = e->next;
		mem_free_entry(m, e);
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}

static size_t
mem_count(struct core_store *s)
{
	struct store_mem *m = (struct store_mem *)s;
	size_t n;

	pthread_mutex_lock(&m->mu);
	n = m->count;
	pthread_mutex_unlock(&m->mu);
	return n;
}

static void
mem_close(struct core_store *s)
{
	struct store_mem *m = (struct store_mem *)s;

	for (size_t i = 0; i < m->nbuckets; i++) {
		struct mem_entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e->val);
			free(e);
		}
	}
	free(m->buckets);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const struct core_store_ops mem_ops = {
	.add_once = mem_add_once,
	.incr = mem_incr,
	.take = mem_take,
	.set = mem_set,
	.get = mem_get,
	.del = mem_del,
	.count = mem_count,
	.close = mem_close,
};

struct core_store *
core_store_open_memory(size_t max_entries)
{
	struct store_mem *m = core_xcalloc(1, sizeof(*m));
	size_t nb = 64;

	while (nb < max_entries / 4 && nb < ((size_t)1 << 18))
		nb <<= 1;
	m->base.ops = &mem_ops;
	atomic_init(&m->base.errors, 0);
	snprintf(m->base.desc, sizeof(m->base.desc), "memory");
	m->buckets = core_xcalloc(nb, sizeof(*m->buckets));
	m->nbuckets = nb;
	m->max = max_entries > 0 ? max_entries : 1;
	pthread_mutex_init(&m->mu, NULL);
	return &m->base;
}
