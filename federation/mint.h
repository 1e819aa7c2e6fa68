/* federation/mint.h - temporary credentials and self-contained session tokens
 *
 * SessionToken = sealed blob (AES-256-GCM under the key ring, core/seal.h)
 * carrying everything a later SigV4 verification needs, so any instance that
 * holds the key ring can verify without a database.
 */
#ifndef FED_MINT_H
#define FED_MINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct core_keyring;

struct fed_session_tag {
	char *key;
	char *value;
	int transitive;
};

/*
 * The contents of a session; strings owned by the struct. A session belongs
 * either to a role (AssumeRole*: role_arn, role_id, assumed_role_arn set) or
 * to an IAM user (GetSessionToken: user_arn, user_id set, role fields NULL).
 */
struct fed_session {
	char *access_key_id;	/* "ASIA" + 16 base32 chars */
	char *secret_access_key; /* 40 chars */
	char *account;		/* role's (or user's) account id */
	char *role_arn;		/* arn:aws:iam::ACCT:role/NAME */
	char *role_id;		/* "AROA..." stable id of the role */
	char *session_name;	/* role session name; user sessions: user name */
	char *assumed_role_arn;	/* arn:aws:sts::ACCT:assumed-role/NAME/SESSION */
	char *user_arn;		/* user sessions: arn:aws:iam::ACCT:user/NAME */
	char *user_id;		/* user sessions: "AIDA..." */
	char *source_identity;	/* may be NULL */
	char *session_policy;	/* inline Policy JSON, may be NULL */
	char **policy_arns;
	size_t n_policy_arns;
	struct fed_session_tag *tags;
	size_t n_tags;
	char *federated_provider; /* provider ARN or id, may be NULL */
	char *subject;		/* web identity sub, may be NULL */
	int chained;		/* obtained by role chaining */
	int64_t issued_at;
	int64_t expires_at;
};

/**
 * Fill access_key_id and secret_access_key from the CSPRNG (in place,
 * replacing any old values).
 */
void fed_mint_new_keys(struct fed_session *s);

/**
 * Seal s into a session token (base64url text, malloc'd).
 * NULL on failure with err CORE_EINTERNAL.
 */
char *fed_mint_seal(const struct core_keyring *kr, const struct fed_session *s,
		    struct core_err *err);

/**
 * Unseal and check a session token: authenticity under any key of the ring,
 * then expiry against now (CORE_EEXPIRED_SESSION if passed).
 * Bounded: tokens over FED_MINT_TOKEN_MAX are refused unparsed.
 * On success *out is a new session (caller frees).
 * err: CORE_EINVALID_CLIENT (malformed, unknown key, tampered),
 * CORE_EEXPIRED_SESSION.
 */
#define FED_MINT_TOKEN_MAX 16384
int fed_mint_unseal(const struct core_keyring *kr, const char *token,
		    size_t len, int64_t now, struct fed_session **out,
		    struct core_err *err);

void fed_session_free(struct fed_session *s);

/** Stable role id "AROA" + 17 base32 chars derived from the role ARN. */
char *fed_mint_role_id(const char *role_arn);

/** Stable unique id: prefix ("AIDA", "AROA") + 17 base32 chars of SHA-256(arn). */
char *fed_mint_unique_id(const char *prefix, const char *arn);

#endif /* FED_MINT_H */
