/* federation/replay.h - the SAML replay cache on a core/store
 *
 * saml.h's fed_saml_replay_new() keeps a private memory store; a gateway
 * that shares state across instances builds the cache on its own store
 * (memory or Redis) with fed_saml_replay_new_store().
 */
#ifndef FED_REPLAY_H
#define FED_REPLAY_H

#include "federation/saml.h"

struct core_store;

#define FED_SAML_REPLAY_NS "saml_replay"	/* store namespace */

/**
 * A replay cache recording assertion IDs in store, which it takes over
 * (closed by fed_saml_replay_free). Never NULL.
 */
struct fed_saml_replay *fed_saml_replay_new_store(struct core_store *store);

/** The store underneath (metrics, other users of shared state). Borrowed. */
struct core_store *fed_saml_replay_store(struct fed_saml_replay *r);

#endif /* FED_REPLAY_H */
