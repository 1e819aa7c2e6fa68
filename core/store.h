/* core/store.h - shared state: single-use keys, counters, small values
 *
 * One interface, two backends: "memory" (embedded, bounded, per process)
 * and "redis://..." (hiredis; every fedgate instance pointed at the same
 * Redis sees the same state). Keys are (namespace, key) pairs; on Redis
 * they become "fedgate:NS:KEY". Values are short strings and must never be
 * secrets: a Redis is often shared and its contents are not encrypted.
 *
 * Every operation that needs the backend returns -1 with err
 * CORE_EUNAVAILABLE (reason "store_unavailable" or "store_full") when it
 * cannot be done. Callers that rely on the answer for security (replay
 * protection, revocation) must then refuse the request: fail closed.
 * All functions are thread-safe.
 */
#ifndef CORE_STORE_H
#define CORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CORE_STORE_MAX_NS 32		/* [a-z0-9_], 1..32 characters */
#define CORE_STORE_MAX_KEY 256		/* bytes 0x21..0x7e and >= 0x80 */
#define CORE_STORE_MAX_VALUE 1024	/* bytes, no NUL */
#define CORE_STORE_MAX_WINDOW 86400	/* incr_window, take_token: seconds */
#define CORE_STORE_MAX_BURST 1000000	/* take_token: requests and burst */
#define CORE_STORE_MEM_MAX 1000000	/* memory: entries held at once */
#define CORE_STORE_MAX_PASSWORD 128	/* redis:// password */
#define CORE_STORE_PASSWORD_ENV "FEDGATE_REDIS_PASSWORD"

struct core_store;

/* A parsed "redis://[:PASSWORD@]HOST:PORT[/DB]". */
struct core_store_url {
	char host[256];			/* without brackets for IPv6 */
	int port;			/* 1..65535 */
	int db;				/* 0..255, default 0 */
	char password[CORE_STORE_MAX_PASSWORD + 1]; /* "" if none */
};

/**
 * Check a store setting: "memory" or redis://[:PASSWORD@]HOST:PORT[/DB].
 * NULL if acceptable, else a message for the config file (never echoes
 * the password). *has_password (may be NULL) is set to 1 when the URL
 * carries a password, so that the caller can insist on a private file.
 */
const char *core_store_url_check(const char *url, int *has_password);

/**
 * Parse a redis:// URL into *out (wiped first). NULL on success, else the
 * same message as core_store_url_check. The caller wipes out->password.
 */
const char *core_store_url_parse(const char *url, struct core_store_url *out);

/**
 * Open a store: "memory" (CORE_STORE_MEM_MAX entries) or a redis:// URL
 * (password from the URL, else from $FEDGATE_REDIS_PASSWORD). Redis is
 * connected lazily, so an unreachable Redis does not fail here.
 * NULL with err CORE_ECONFIG on a bad URL.
 */
struct core_store *core_store_open(const char *url, struct core_err *err);

/** A memory store holding at most max_entries (>= 1). Never NULL. */
struct core_store *core_store_open_memory(size_t max_entries);

/** Close connections and free everything; NULL is a no-op. */
void core_store_close(struct core_store *s);

/** "memory" or "redis://HOST:PORT/DB" (no password). Borrowed. */
const char *core_store_describe(const struct core_store *s);

/**
 * Record ns:key until expires_at (seconds since the epoch) unless it is
 * already recorded and unexpired. 1: added (first use). 0: already present
 * (a replay). -1: err CORE_EUNAVAILABLE (unreachable, or memory store full
 * of unexpired entries: nothing is evicted early, since forgetting would
 * reopen the replay window), CORE_EINTERNAL for a bad ns/key.
 * An expires_at already past is "added" without being stored.
 */
int core_store_add_once(struct core_store *s, const char *ns, const char *key,
			int64_t expires_at, struct core_err *err);

/** core_store_add_once with the caller's clock (memory backend expiry). */
int core_store_add_once_at(struct core_store *s, const char *ns,
			   const char *key, int64_t expires_at, int64_t now,
			   struct core_err *err);

/**
 * Fixed-window counter for rate limits: count one hit of ns:key in the
 * window of window_seconds (1..CORE_STORE_MAX_WINDOW) that contains now,
 * aligned to the epoch. 0 with *count = hits in this window including
 * this one; -1 with err as for add_once (*count untouched).
 */
int core_store_incr_window(struct core_store *s, const char *ns,
			   const char *key, int window_seconds, int64_t now,
			   int64_t *count, struct core_err *err);

/**
 * Token bucket for rate limits: ns:key holds at most burst tokens
 * (1..CORE_STORE_MAX_BURST), starts full, and refills continuously at
 * requests tokens per per_seconds (1..CORE_STORE_MAX_BURST per
 * 1..CORE_STORE_MAX_WINDOW). Takes one token at now_ms (milliseconds since
 * the epoch; instances sharing a Redis should agree on time, a clock
 * behind the bucket's last use refills nothing). Exact integer arithmetic
 * on both backends; atomic on Redis (one Lua script). 0 with *allowed 1 (a
 * token was taken) or 0 (the bucket is empty; nothing taken); -1 with err
 * as for add_once (*allowed untouched). A bucket is forgotten once it
 * would be full again, which changes nothing.
 */
int core_store_take_token(struct core_store *s, const char *ns,
			  const char *key, int requests, int per_seconds,
			  int burst, int64_t now_ms, int *allowed,
			  struct core_err *err);

/**
 * Set ns:key to value (a string, at most CORE_STORE_MAX_VALUE bytes) until
 * expires_at. 0 or -1 with err as for add_once.
 */
int core_store_set(struct core_store *s, const char *ns, const char *key,
		   const char *value, int64_t expires_at, struct core_err *err);

/**
 * Read ns:key into buf (NUL-terminated). 1: found. 0: absent or expired
 * (buf[0] = '\0'). -1: err CORE_EUNAVAILABLE, or CORE_EINTERNAL when the
 * value does not fit in size bytes.
 */
int core_store_get(struct core_store *s, const char *ns, const char *key,
		   char *buf, size_t size, struct core_err *err);

/** Delete ns:key. 1: deleted, 0: was absent, -1 with err. */
int core_store_del(struct core_store *s, const char *ns, const char *key,
		   struct core_err *err);

/** Operations that failed for want of the backend (metrics). */
uint64_t core_store_errors(const struct core_store *s);

/** Entries held by a memory store (tests); 0 for Redis. */
size_t core_store_count(struct core_store *s);

#endif /* CORE_STORE_H */
