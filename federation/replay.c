/* federation/replay.c - single-use assertion IDs on a core/store
 *
 * SAML core §2.5.1.2 / profiles §4.1.4.5: a bearer assertion is used once.
 * Each (issuer, ID) is recorded in the store until the assertion's
 * NotOnOrAfter (plus skew), so with a shared Redis an assertion accepted by
 * one instance is refused by every other. The store key is SHA-256 of
 * issuer and ID: fixed length whatever the IdP sends, and nothing an IdP
 * chose ends up verbatim in Redis. When the store cannot answer, or the
 * memory store is full of unexpired IDs, the assertion is refused (fail
 * closed): accepting it would reopen the replay window.
 */
#include "federation/replay.h"

#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "core/store.h"
#include "federation/saml_int.h"

struct fed_saml_replay {
	struct core_store *store;	/* owned */
};

struct fed_saml_replay *
fed_saml_replay_new_store(struct core_store *store)
{
	struct fed_saml_replay *r = core_xcalloc(1, sizeof(*r));

	r->store = store;
	return r;
}

struct fed_saml_replay *
fed_saml_replay_new_cap(size_t max)
{
	return fed_saml_replay_new_store(core_store_open_memory(max));
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
	core_store_close(r->store);
	free(r);
}

struct core_store *
fed_saml_replay_store(struct fed_saml_replay *r)
{
	return r->store;
}

/* Issuer and ID both go into the key: IDs are unique per issuer only. */
static void
replay_key(const char *issuer, const char *id, char out[65])
{
	size_t il = strlen(issuer), dl = strlen(id);
	char *buf = core_xmalloc(il + 1 + dl);

	memcpy(buf, issuer, il + 1);
	memcpy(buf + il + 1, id, dl);
	core_sha256_hex(buf, il + 1 + dl, out);
	free(buf);
}

int
fed_saml_replay_add(struct fed_saml_replay *r, const char *issuer,
		    const char *id, int64_t expires, int64_t now,
		    struct core_err *err)
{
	struct core_err lerr = {0};
	char key[65];
	int rc;

	replay_key(issuer, id, key);
	rc = core_store_add_once_at(r->store, FED_SAML_REPLAY_NS, key, expires,
				    now, &lerr);
	if (rc == 1)
		return 0;
	if (rc == 0)
		core_err_set(err, CORE_EINVALID_TOKEN, "replay",
		    "Invalid SAML response: assertion already used");
	else if (lerr.reason != NULL && strcmp(lerr.reason, "store_full") == 0)
		core_err_set(err, CORE_EUNAVAILABLE, "replay_store_full",
		    "Service is busy, try again later");
	else {
		log_debug("%s: replay check impossible (%s): assertion "
			  "refused", __func__, core_store_describe(r->store));
		core_err_set(err, CORE_EUNAVAILABLE, "replay_store_unavailable",
		    "The replay cache is unavailable; try again later");
	}
	return -1;
}

size_t
fed_saml_replay_count(struct fed_saml_replay *r)
{
	return core_store_count(r->store);
}
