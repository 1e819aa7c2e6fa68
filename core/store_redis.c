/* core/store_redis.c - the hiredis backend of core/store
 *
 * A small pool of blocking connections, each behind its own mutex: a
 * thread takes the first free one (or waits for one), so there are never
 * more than REDIS_CONNS connections per process whatever the thread count.
 * Connect and command timeouts are short because a request waits on them.
 * A broken connection is dropped and reconnected on next use, at most once
 * per REDIS_BACKOFF_MS per connection, so a Redis that is down costs each
 * request a quick refusal instead of a connect storm.
 *
 * Expiries are sent relative (PX, PEXPIRE) from the caller's clock: this
 * works on any Redis since 2.6.12 and does not need Redis's clock to agree
 * with ours (PXAT would).
 */
#include "core/store_int.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "core/log.h"
#include "core/mem.h"

#define REDIS_CONNS 8
#define REDIS_CONNECT_MS 200
#define REDIS_COMMAND_MS 500
#define REDIS_BACKOFF_MS 1000
#define REDIS_LOG_EVERY_MS 10000
#define REDIS_MAX_ARGS 8
#define REDIS_MAX_CMDS 2

struct rconn {
	pthread_mutex_t mu;
	redisContext *ctx;	/* NULL: not connected */
	int64_t last_attempt;	/* monotonic ms of the last connect */
};

struct store_redis {
	struct core_store base;
	struct core_store_url url;	/* password wiped on close */
	struct rconn conns[REDIS_CONNS];
	atomic_uint next;
	atomic_int down;		/* last outcome, to log transitions only */
	atomic_int_least64_t last_log;	/* rate limit for reply errors */
	char bucket_sha[41];		/* SHA-1 hex of BUCKET_LUA (EVALSHA) */
};

/*
 * The token bucket of core_store_take_token, atomic because Redis runs a
 * script alone. Same integer arithmetic as the memory backend (store.c
 * mem_take); every number stays below 2^53, so Lua's doubles are exact.
 * ARGV: cap, units per token, refill units per ms, caller's now in ms.
 * The hash is forgotten when it would be full again.
 */
static const char BUCKET_LUA[] =
    "local cap, tok, refill, now = tonumber(ARGV[1]), tonumber(ARGV[2]), "
    "tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local v = redis.call('HMGET', KEYS[1], 'u', 't')\n"
    "local u, t = tonumber(v[1]), tonumber(v[2])\n"
    "if u == nil or t == nil then u, t = cap, now end\n"
    "if now > t then\n"
    "  if now - t >= math.floor((cap - u) / refill) + 1 then u = cap\n"
    "  else u = u + (now - t) * refill end\n"
    "  t = now\n"
    "end\n"
    "if u > cap then u = cap end\n"
    "local ok = 0\n"
    "if u >= tok then u = u - tok; ok = 1 end\n"
    "redis.call('HMSET', KEYS[1], 'u', string.format('%.0f', u), "
    "'t', string.format('%.0f', t))\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil((cap - u) / refill) + 1000)\n"
    "return ok\n";

/* Arguments are C strings: keys and values never contain NUL. */
struct rcmd {
	int argc;
	const char *argv[REDIS_MAX_ARGS];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct timeval
tv_ms(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	return tv;
}

static void
note_down(struct store_redis *r, const char *why)
{
	if (atomic_exchange(&r->down, 1) == 0)
		log_warnx("store: %s unreachable: %s (operations that need "
			  "it fail until it is back)", r->base.desc, why);
}

static void
note_up(struct store_redis *r)
{
	if (atomic_exchange(&r->down, 0) == 1)
		log_info("store: %s reachable again", r->base.desc);
}

/* Error replies (NOAUTH, READONLY, OOM...) may come on every request. */
static void
log_reply_error(struct store_redis *r, const char *what, const char *msg)
{
	int64_t now = mono_ms(), last = atomic_load(&r->last_log);

	if (now - last >= REDIS_LOG_EVERY_MS &&
	    atomic_compare_exchange_strong(&r->last_log, &last, now))
		log_warnx("store: %s: %s: %.200s", r->base.desc, what, msg);
}

static int
simple_cmd(redisContext *ctx, int argc, const char **argv, const char *want)
{
	redisReply *rep = redisCommandArgv(ctx, argc, argv, NULL);
	int ok = rep != NULL && rep->type == REDIS_REPLY_STATUS &&
		 strcmp(rep->str, want) == 0;

	if (rep != NULL)
		freeReplyObject(rep);
	return ok ? 0 : -1;
}

/* AUTH and SELECT on a new connection; no secrets in the log. */
static int
rconn_setup(struct store_redis *r, redisContext *ctx)
{
	const char *auth[] = {"AUTH", r->url.password};
	const char *sel[] = {"SELECT", NULL};
	char db[8];

	if (redisSetTimeout(ctx, tv_ms(REDIS_COMMAND_MS)) != REDIS_OK)
		return -1;
	(void)redisEnableKeepAlive(ctx);
	if (r->url.password[0] != '\0' &&
	    simple_cmd(ctx, 2, auth, "OK") == -1) {
		note_down(r, "AUTH failed (check the password)");
		return -1;
	}
	if (r->url.db != 0) {
		snprintf(db, sizeof(db), "%d", r->url.db);
		sel[1] = db;
		if (simple_cmd(ctx, 2, sel, "OK") == -1) {
			note_down(r, "SELECT failed");
			return -1;
		}
	}
	return 0;
}

static int
rconn_connect(struct store_redis *r, struct rconn *c)
{
	redisContext *ctx;
	int64_t now = mono_ms();

	if (c->ctx != NULL)
		return 0;
	if (now - c->last_attempt < REDIS_BACKOFF_MS)
		return -1;
	c->last_attempt = now;
	ctx = redisConnectWithTimeout(r->url.host, r->url.port,
				      tv_ms(REDIS_CONNECT_MS));
	if (ctx == NULL || ctx->err) {
		note_down(r, ctx != NULL ? ctx->errstr : "out of memory");
		if (ctx != NULL)
			redisFree(ctx);
		return -1;
	}
	if (rconn_setup(r, ctx) == -1) {
		note_down(r, ctx->err ? ctx->errstr : "connection setup");
		redisFree(ctx);
		return -1;
	}
	c->ctx = ctx;
	note_up(r);
	return 0;
}

static struct rconn *
rconn_acquire(struct store_redis *r)
{
	unsigned start = atomic_fetch_add(&r->next, 1);

	for (unsigned i = 0; i < REDIS_CONNS; i++) {
		struct rconn *c = &r->conns[(start + i) % REDIS_CONNS];

		if (pthread_mutex_trylock(&c->mu) == 0)
			return c;
	}
	pthread_mutex_lock(&r->conns[start % REDIS_CONNS].mu);
	return &r->conns[start % REDIS_CONNS];
}

/* Send all commands, then read all replies. -1: the connection failed. */
static int
pipeline(redisContext *ctx, struct rcmd *cmds, int n, redisReply **rep)
{
	int i;

	for (i = 0; i < n; i++)
		if (redisAppendCommandArgv(ctx, cmds[i].argc, cmds[i].argv,
					   NULL) != REDIS_OK)
			return -1;
	for (i = 0; i < n; i++) {
		void *p = NULL;

		if (redisGetReply(ctx, &p) != REDIS_OK || p == NULL) {
			while (i-- > 0) {
				freeReplyObject(rep[i]);
				rep[i] = NULL;
			}
			return -1;
		}
		rep[i] = p;
	}
	return 0;
}

/*
 * The peer closed a connection we had not used for a while (Redis
 * restarted, or its idle timeout): the command was not executed, so one
 * retry on a fresh connection is safe. Timeouts are not retried: the
 * command may have run.
 */
static int
stale(const redisContext *ctx)
{
	return ctx->err == REDIS_ERR_EOF ||
	       (ctx->err == REDIS_ERR_IO &&
		(errno == ECONNRESET || errno == EPIPE));
}

static int
redis_exec(struct store_redis *r, struct rcmd *cmds, int n,
	   redisReply **rep, struct core_err *err)
{
	struct rconn *c = rconn_acquire(r);
	int rc = -1;

	for (int attempt = 0; attempt < 2; attempt++) {
		int retry;

		if (rconn_connect(r, c) == -1)
			break;
		if (pipeline(c->ctx, cmds, n, rep) == 0) {
			note_up(r);
			rc = 0;
			break;
		}
		retry = attempt == 0 && stale(c->ctx);
		if (!retry)
			note_down(r, c->ctx->errstr);
		redisFree(c->ctx);
		c->ctx = NULL;
		if (!retry)
			break;
		/* The old connection was fine until now: reconnect at once. */
		c->last_attempt = mono_ms() - REDIS_BACKOFF_MS;
	}
	pthread_mutex_unlock(&c->mu);
	if (rc == -1)
		core_err_set(err, CORE_EUNAVAILABLE, "store_unavailable",
			     "The shared state store is unavailable; try "
			     "again later");
	return rc;
}

/* A reply of an unexpected type: Redis answered but cannot be used. */
static int
bad_reply(struct store_redis *r, const char *what, const redisReply *rep,
	  struct core_err *err)
{
	log_reply_error(r, what, rep->type == REDIS_REPLY_ERROR ? rep->str :
			"unexpected reply type");
	core_err_set(err, CORE_EUNAVAILABLE, "store_unavailable",
		     "The shared state store is unavailable; try again later");
	return -1;
}

static void
ttl_ms(char out[24], int64_t expires_at, int64_t now)
{
	/* store.c passes only expires_at > now. */
	snprintf(out, 24, "%" PRId64, (expires_at - now) * 1000);
}

static int
redis_add_once(struct core_store *s, const char *key, int64_t expires_at,
	       int64_t now, struct core_err *err)
{
	struct store_redis *r = (struct store_redis *)s;
	char ms[24];
	/* SET key 1 NX PX ms: an atomic test-and-set with expiry. */
	struct rcmd cmd = {6, {"SET", key, "1", "NX", "PX", ms}};
	redisReply *rep = NULL;
	int rc;

	ttl_ms(ms, expires_at, now);
	if (redis_exec(r, &cmd, 1, &rep, err) == -1)
		return -1;
	if (rep->type == REDIS_REPLY_STATUS && strcmp(rep->str, "OK") == 0)
		rc = 1;
	else if (rep->type == REDIS_REPLY_NIL)
		rc = 0;
	else
		rc = bad_reply(r, "SET NX", rep, err);
	freeReplyObject(rep);
	return rc;
}

static int
redis_incr(struct core_store *s, const char *key, int64_t expires_at,
	   int64_t now, int64_t *count, struct core_err *err)
{
	struct store_redis *r = (struct store_redis *)s;
	char ms[24];
	/* Pipelined, not MULTI: the window is in the key, so a lost PEXPIRE
	 * costs a little memory until the next hit, never a wrong count. */
	struct rcmd cmds[2] = {{2, {"INCR", key}},
			       {3, {"PEXPIRE", key, ms}}};
	redisReply *rep[2] = {NULL, NULL};
	int rc = 0;

	ttl_ms(ms, expires_at, now);
	if (redis_exec(r, cmds, 2, rep, err) == -1)
		return -1;
	if (rep[0]->type != REDIS_REPLY_INTEGER)
		rc = bad_reply(r, "INCR", rep[0], err);
	else if (rep[1]->type != REDIS_REPLY_INTEGER)
		rc = bad_reply(r, "PEXPIRE", rep[1], err);
	else
		*count = rep[0]->integer;
	freeReplyObject(rep[0]);
	freeReplyObject(rep[1]);
	return rc;
}

static void
i64(char out[24], int64_t v)
{
	snprintf(out, 24, "%" PRId64, v);
}

/* 1 if rep is Redis's answer to EVALSHA of a script it does not hold. */
static int
noscript(const redisReply *rep)
{
	return rep->type == REDIS_REPLY_ERROR &&
	       strncmp(rep->str, "NOSCRIPT", 8) == 0;
}

/*
 * EVALSHA first (the script is not resent on every request); a Redis that
 * does not hold it yet (new, restarted, SCRIPT FLUSH) answers NOSCRIPT,
 * and EVAL then runs and caches it.
 */
static int
redis_take(struct core_store *s, const char *key, const struct core_bucket *b,
	   int64_t now_ms, int *allowed, struct core_err *err)
{
	struct store_redis *r = (struct store_redis *)s;
	char cap[24], tok[24], refill[24], now[24];
	struct rcmd cmd = {8, {"EVALSHA", r->bucket_sha, "1", key, cap, tok,
			       refill, now}};
	redisReply *rep = NULL;
	int rc = 0;

	i64(cap, b->cap);
	i64(tok, b->per_token);
	i64(refill, b->refill);
	i64(now, now_ms);
	if (redis_exec(r, &cmd, 1, &rep, err) == -1)
		return -1;
	if (noscript(rep)) {
		freeReplyObject(rep);
		rep = NULL;
		cmd.argv[0] = "EVAL";
		cmd.argv[1] = BUCKET_LUA;
		if (redis_exec(r, &cmd, 1, &rep, err) == -1)
			return -1;
	}
	if (rep->type == REDIS_REPLY_INTEGER)
		*allowed = rep->integer == 1;
	else
		rc = bad_reply(r, "EVAL token bucket", rep, err);
	freeReplyObject(rep);
	return rc;
}

static int
redis_set(struct core_store *s, const char *key, const char *value,
	  int64_t expires_at, int64_t now, struct core_err *err)
{
	struct store_redis *r = (struct store_redis *)s;
	char ms[24];
	struct rcmd cmd = {5, {"SET", key, value, "PX", ms}};
	redisReply *rep = NULL;
	int rc = 0;

	ttl_ms(ms, expires_at, now);
	if (redis_exec(r, &cmd, 1, &rep, err) == -1)
		return -1;
	if (rep->type != REDIS_REPLY_STATUS || strcmp(rep->str, "OK") != 0)
		rc = bad_reply(r, "SET", rep, err);
	freeReplyObject(rep);
	return rc;
}

static int
redis_get(struct core_store *s, const char *key, char *buf, size_t size,
	  int64_t now, struct core_err *err)
{
	struct store_redis *r = (struct store_redis *)s;
	struct rcmd cmd = {2, {"GET", key}};
	redisReply *rep = NULL;
	int rc = 0;

	if (redis_exec(r, &cmd, 1, &rep, err) == -1)
		return -1;
	if (rep->type == REDIS_REPLY_STRING) {
		rc = 1;
		if (rep->len >= size || memchr(rep->str, '\0', rep->len)) {
			core_err_set(err, CORE_EINTERNAL, "store_value",
				     "Internal error");
			rc = -1;
		} else
			memcpy(buf, rep->str, rep->len + 1);
	} else if (rep->type != REDIS_REPLY_NIL)
		rc = bad_reply(r, "GET", rep, err);
	freeReplyObject(rep);
	return rc;
}

static int
redis_del(struct core_store *s, const char *key, int64_t now,
	  struct core_err *err)
{
	struct store_redis *r = (struct store_redis *)s;
	struct rcmd cmd = {2, {"DEL", key}};
	redisReply *rep = NULL;
	int rc;

	if (redis_exec(r, &cmd, 1, &rep, err) == -1)
		return -1;
	if (rep->type == REDIS_REPLY_INTEGER)
		rc = rep->integer > 0;
	else
		rc = bad_reply(r, "DEL", rep, err);
	freeReplyObject(rep);
	return rc;
}

static size_t
redis_count(struct core_store *s)
{
	return 0;
}

static void
redis_close(struct core_store *s)
{
	struct store_redis *r = (struct store_redis *)s;

	for (int i = 0; i < REDIS_CONNS; i++) {
		if (r->conns[i].ctx != NULL)
			redisFree(r->conns[i].ctx);
		pthread_mutex_destroy(&r->conns[i].mu);
	}
	OPENSSL_cleanse(r->url.password, sizeof(r->url.password));
	free(r);
}

static const struct core_store_ops redis_ops = {
	.add_once = redis_add_once,
	.incr = redis_incr,
	.take = redis_take,
	.set = redis_set,
	.get = redis_get,
	.del = redis_del,
	.count = redis_count,
	.close = redis_close,
};

/* Redis names scripts by the SHA-1 hex of their text (EVALSHA). */
static void
bucket_sha1(char out[41])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA_DIGEST_LENGTH];

	SHA1((const unsigned char *)BUCKET_LUA, strlen(BUCKET_LUA), md);
	for (int i = 0; i < SHA_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[40] = '\0';
}

struct core_store *
core_store_redis_new(const struct core_store_url *u)
{
	struct store_redis *r = core_xcalloc(1, sizeof(*r));
	int v6 = strchr(u->host, ':') != NULL;
	int64_t now = mono_ms();

	r->base.ops = &redis_ops;
	atomic_init(&r->base.errors, 0);
	r->url = *u;
	snprintf(r->base.desc, sizeof(r->base.desc), "redis://%s%s%s:%d/%d",
		 v6 ? "[" : "", u->host, v6 ? "]" : "", u->port, u->db);
	atomic_init(&r->next, 0);
	atomic_init(&r->down, 0);
	atomic_init(&r->last_log, now - REDIS_LOG_EVERY_MS);
	bucket_sha1(r->bucket_sha);
	for (int i = 0; i < REDIS_CONNS; i++) {
		pthread_mutex_init(&r->conns[i].mu, NULL);
		r->conns[i].last_attempt = now - REDIS_BACKOFF_MS;
	}
	return &r->base;
}
