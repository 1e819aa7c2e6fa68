/* core/store_int.h - backend interface of core/store.c (shared with
 * core/store_redis.c and the unit tests). */
#ifndef CORE_STORE_INT_H
#define CORE_STORE_INT_H

#include "core/store.h"

#include <stdatomic.h>

/* "fedgate:" + ns + ":" + key + ":" + a window number, and a NUL. */
#define CORE_STORE_FULLKEY_MAX \
	(8 + CORE_STORE_MAX_NS + 1 + CORE_STORE_MAX_KEY + 1 + 20 + 1)

/*
 * A token bucket in integer units: one token is unit_per_token units, the
 * bucket holds at most cap units and gains refill units per millisecond.
 * With one token = per_seconds * 1000 units, refill = requests: exact.
 * Largest values: cap 3.6e12, well inside a Lua (double) integer.
 */
struct core_bucket {
	int64_t cap;
	int64_t per_token;
	int64_t refill;
};

/*
 * Backend operations on a full key ("fedgate:NS:KEY"), already checked.
 * Return values as in store.h; now is the caller's clock in seconds.
 */
struct core_store_ops {
	int (*add_once)(struct core_store *, const char *key,
			int64_t expires_at, int64_t now, struct core_err *);
	int (*incr)(struct core_store *, const char *key, int64_t expires_at,
		    int64_t now, int64_t *count, struct core_err *);
	int (*take)(struct core_store *, const char *key,
		    const struct core_bucket *b, int64_t now_ms, int *allowed,
		    struct core_err *);
	int (*set)(struct core_store *, const char *key, const char *value,
		   int64_t expires_at, int64_t now, struct core_err *);
	int (*get)(struct core_store *, const char *key, char *buf,
		   size_t size, int64_t now, struct core_err *);
	int (*del)(struct core_store *, const char *key, int64_t now,
		   struct core_err *);
	size_t (*count)(struct core_store *);
	void (*close)(struct core_store *);
};

/* Each backend's struct starts with this. */
struct core_store {
	const struct core_store_ops *ops;
	atomic_uint_least64_t errors;
	char desc[300];
};

/** The hiredis backend (store_redis.c). Takes a copy of *u. Never NULL. */
struct core_store *core_store_redis_new(const struct core_store_url *u);

#endif /* CORE_STORE_INT_H */
