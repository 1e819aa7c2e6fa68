/* core/seal.h - key ring and AES-256-GCM sealing with key ids */
#ifndef CORE_SEAL_H
#define CORE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CORE_KEYRING_MAX_KEYS 16
#define CORE_SEAL_KEY_LEN 32

struct core_keyring; /* read-only after load; thread-safe */

/**
 * Load the key ring from DIR/keyring.json (mode must be 0600 or stricter,
 * directory 0700). The newest key ("active") seals; all keys unseal.
 * NULL with err CORE_ECONFIG (message says what is wrong) on failure.
 */
struct core_keyring *core_keyring_load(const char *dir, struct core_err *err);

/**
 * Create DIR (0700) if missing, and add a new random key that becomes the
 * active one; keep at most `keep` older keys (so tokens sealed under them
 * still open until they expire). Writes atomically (tmp + rename), 0600.
 * 0 or -1 with err.
 */
int core_keyring_rotate(const char *dir, int keep, struct core_err *err);

/** Load, creating a first key if DIR has no ring yet (dev and first start). */
struct core_keyring *core_keyring_load_or_create(const char *dir,
						 struct core_err *err);

void core_keyring_free(struct core_keyring *kr);
size_t core_keyring_count(const struct core_keyring *kr);
/** Active key id (8 hex chars), for logs and /readyz. */
const char *core_keyring_active_id(const struct core_keyring *kr);

/**
 * Seal plaintext with the active key: output = version(1) || key id(4) ||
 * nonce(12) || ciphertext || tag(16), as base64url (malloc'd).
 * aad binds the blob to a purpose ("fedgate-session-v1"), so a blob sealed
 * for one purpose never opens for another.
 */
char *core_seal(const struct core_keyring *kr, const char *aad,
		const uint8_t *pt, size_t ptlen);

/**
 * Open a sealed blob. Returns malloc'd plaintext (NUL-terminated) and
 * *ptlen, or NULL if malformed, key unknown or authentication fails.
 */
uint8_t *core_unseal(const struct core_keyring *kr, const char *aad,
		     const char *blob, size_t bloblen, size_t *ptlen);

#endif /* CORE_SEAL_H */
