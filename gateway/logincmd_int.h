/* gateway/logincmd_int.h - the modules of `fedgate login`
 *
 * The command is split by concern, one file each:
 *   logincmd.c       options, the one login (cache, browser, callback,
 *                    redeem, print) and the output formats
 *   login_loopback.c the one-shot 127.0.0.1 listener for the callback
 *   login_cache.c    the credential cache on disk
 *   login_redeem.c   the redeem POST and the parsers of its answer
 * What the CLI reads from the network - the loopback callback request any
 * local process can send, and the redeem response (or a cache file) - is
 * parsed by the functions below. Kept out of logincmd.h, which is the
 * command's interface; the fuzz target (tests/fuzz/fuzz_login.c) includes
 * this.
 */
#ifndef GW_LOGINCMD_INT_H
#define GW_LOGINCMD_INT_H

#include <stddef.h>
#include <stdint.h>

#define LOGIN_MAX_RESPONSE 65536  /* redeem response, and a cache file */
#define LOGIN_PREFIX "fedgate login: "

/* Temporary credentials; every string malloc'd and wiped on free. */
struct login_creds {
	char *akid, *secret, *token;
	int64_t expires;
};

/* The loopback listener and its connections (login_loopback.c). */
struct login_server;

/* ---- login_loopback.c ---- */

/**
 * The request line of one loopback request (req NUL-terminated, headers
 * may follow): 200 with *code set (malloc'd; wipe it) for
 * GET /callback?code=..&state=.. whose state equals state (constant
 * time), 404 for another path, 400 for anything else (*code untouched).
 */
int gw_login_callback_check(const char *req, const char *state, char **code);

/**
 * Listen on 127.0.0.1, an ephemeral port (set in *port), for a callback
 * carrying state (borrowed: it must outlive the server). NULL after a
 * message on stderr.
 */
struct login_server *gw_login_loopback_new(const char *state, unsigned *port);

/**
 * Serve the listener until one request passes gw_login_callback_check or
 * timeout_ms pass: 0 with *code set (malloc'd; wipe it), -1 otherwise.
 */
int gw_login_loopback_wait(struct login_server *s, int64_t timeout_ms,
			   char **code);

/** Close every connection and the listener; NULL is a no-op. */
void gw_login_loopback_free(struct login_server *s);

/* ---- login_cache.c ---- */

/**
 * $XDG_CACHE_HOME/fedgate or ~/.cache/fedgate (made 0700 if missing) as
 * a directory fd, or -1 after a warning on stderr (no cache then).
 */
int gw_login_cache_open(void);

/** The entry's file name for (url, role, duration); role may be NULL. */
void gw_login_cache_name(const char *url, const char *role, long duration,
			 char name[33]);

/**
 * 0 with *c filled when the entry exists, is private to this user and
 * still valid for more than 15 minutes; -1 (a miss, *c untouched)
 * otherwise.
 */
int gw_login_cache_read(int dfd, const char *name, struct login_creds *c);

/**
 * Replace the entry with data (len bytes, the credential_process JSON)
 * atomically, mode 0600. A failure is only a warning on stderr.
 */
void gw_login_cache_write(int dfd, const char *name, const char *data,
			  size_t len);

/* ---- login_redeem.c ---- */

/**
 * The redeem response {"Version":1,"AccessKeyId":..,"SecretAccessKey":..,
 * "SessionToken":..,"Expiration":..} (buf, len bytes), also the cache
 * file's format. 0: *c filled (every string safe for shell and ini
 * output). -1: *c untouched.
 */
int gw_login_creds_parse(const char *buf, size_t len, struct login_creds *c);

/**
 * {"Error":{"Code":..,"Message":..}} (buf, len bytes): 0 if it was one,
 * printed to stderr without control characters; -1 otherwise.
 */
int gw_login_print_server_error(const char *buf, size_t len);

/**
 * POST code and verifier to base_url/login/cli/redeem: 0 with *c filled
 * with credentials not yet expired, -1 after a message on stderr.
 */
int gw_login_redeem(const char *base_url, const char *code,
		    const char *verifier, struct login_creds *c);

/** Wipe and free every string of c; c is reusable afterwards. */
void gw_login_creds_clear(struct login_creds *c);

/** Wipe and free the string *s (NULL is fine) and set *s to NULL. */
void gw_login_str_wipe_free(char **s);

#endif /* GW_LOGINCMD_INT_H */
