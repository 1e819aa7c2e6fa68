/* gateway/logincmd_int.h - the parsers of `fedgate login` (logincmd.c)
 *
 * What the CLI reads from the network: the loopback callback request any
 * local process can send, and the redeem response (or a cache file). Kept
 * out of logincmd.h, which is the command's interface; the fuzz target
 * (tests/fuzz/fuzz_login.c) includes this.
 */
#ifndef GW_LOGINCMD_INT_H
#define GW_LOGINCMD_INT_H

#include <stddef.h>
#include <stdint.h>

/* Temporary credentials; every string malloc'd and wiped on free. */
struct login_creds {
	char *akid, *secret, *token;
	int64_t expires;
};

/**
 * The request line of one loopback request (req NUL-terminated, headers
 * may follow): 200 with *code set (malloc'd; wipe it) for
 * GET /callback?code=..&state=.. whose state equals state (constant
 * time), 404 for another path, 400 for anything else (*code untouched).
 */
int gw_login_callback_check(const char *req, const char *state, char **code);

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

#endif /* GW_LOGINCMD_INT_H */
