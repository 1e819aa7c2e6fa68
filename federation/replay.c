/* federation/replay.c - single-use assertion IDs, memory backend
 *
 * A mutex-guarded chained hash of SHA-256(issuer, ID) with an expiry per
 * entry. The store is bounded: when it is full of unexpired IDs a new
 * assertion is refused rather than an old one forgotten early, because
 * forgetting would reopen the replay window (fail closed). Expired
 * entries are purged at most once a minute, and whenever the store is full.
 */
#include "federation/saml_int.h"

#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/log.h"

#define REPLAY_PURGE_EVERY 60

struct replay_entry {
	struct replay_entry *next;
	int64_t expires;
	unsigned char key[32];
};

struct fed_saml_replay {
	pthread_mutex_t mu;
	struct replay_entry **buckets;
	size_t nbuckets;	/* power of two */
	size_t count;
	size_t max;
	int64_t next_purge;
};

struct fed_saml_replay *
fed_saml_replay_new_cap(size_t max)
{
	struct fed_saml_replay *r = core_xcalloc(1, sizeof(*r));
	size_t nb = 64;

	while (nb < max / 4 && nb < ((size_t)1 << 18))
		nb <<= 1;
	r->buckets = core_xcalloc(nb, sizeof(*r->buckets));
	r->nbuckets = nb;
	r->max = max > 0 ? max : 1;
	pthread_mutex_init(&r->mu, NULL);
	return r;
}

struct fed_saml_replay *
fed_saml_replay_new(void)
{
	return fed_saml_replay_new_cap(FED_SAML_REPLAY_MAX);
}

void
fed_saml_replay_free(struct fed_saml_replay *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct replay_entry *e = r->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(r->buckets);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Issuer and ID both go into the key: IDs are unique per issuer only. */
static void
replay_key(const char *issuer, const char *id, unsigned char key[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 32;

	if (md == NULL)
		fatalx("%s: out of memory", __func__);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, issuer, strlen(issuer) + 1);
	EVP_DigestUpdate(md, id, strlen(id));
	EVP_DigestFinal_ex(md, key, &n);
	EVP_MD_CTX_free(md);
}

static void
replay_purge(struct fed_saml_replay *r, int64_t now)
{
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct replay_entry **pp = &r->buckets[i];

		while (*pp != NULL) {
			struct replay_entry *e = *pp;

			if (e->expires <= now) {
				*pp = e->next;
				free(e);
				r->count--;
			} else
				pp = &e->next;
		}
	}
	r->next_purge = now + REPLAY_PURGE_EVERY;
}

static int
replay_add_locked(struct fed_saml_replay *r, const unsigned char key[32],
		  int64_t expires, int64_t now, struct core_err *err)
{
	size_t b;
	struct replay_entry *e;

	if (now >= r->next_purge)
		replay_purge(r, now);
	memcpy(&b, key, sizeof(b));
	b &= r->nbuckets - 1;
	for (e = r->buckets[b]; e != NULL; e = e->next) {
		if (memcmp(e->key, key, 32) != 0)
			continue;
		if (e->expires > now) {
			core_err_set(err, CORE_EINVALID_TOKEN, "replay",
			    "Invalid SAML response: assertion already used");
			return -1;
		}
		e->expires = expires;	/* expired entry: reuse it */
		return 0;
	}
	if (r->count >= r->max)
		replay_purge(r, now);
	if (r->count >= r->max) {
		log_warnx("%s: replay store full (%zu IDs)", __func__, r->max);
		core_err_set(err, CORE_EUNAVAILABLE, "replay_store_full",
		    "Service is busy, try again later");
		return -1;
	}
	e = core_xmalloc(sizeof(*e));
	memcpy(e->key, key, 32);
	e->expires = expires;
	e->next = r->buckets[b];
	r->buckets[b] = e;
	r->count++;
	return 0;
}

int
fed_saml_replay_add(struct fed_saml_replay *r, const char *issuer,
		    const char *id, int64_t expires, int64_t now,
		    struct core_err *err)
{
	unsigned char key[32];
	int rc;

	replay_key(issuer, id, key);
	pthread_mutex_lock(&r->mu);
	rc = replay_add_locked(r, key, expires, now, err);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

size_t
fed_saml_replay_count(struct fed_saml_replay *r)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->count;
	pthread_mutex_unlock(&r->mu);
	return n;
}
