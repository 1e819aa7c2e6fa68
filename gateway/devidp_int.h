/* gateway/devidp_int.h - shared by devidp.c and devidp_code.c */
#ifndef GW_DEVIDP_INT_H
#define GW_DEVIDP_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "gateway/devidp.h"
#include "gateway/http.h"

#define DEV_CODE_TTL 60		/* seconds an authorization code lives */
#define DEV_CODES_MAX 1000	/* outstanding codes; more is refused */
#define DEV_CODE_LEN 43		/* base64url of 32 random bytes */
#define DEV_ID_TOKEN_TTL 300
#define DEV_PARAM_MAX 512	/* state, nonce, scope */
#define DEV_NAME_MAX 128
#define DEV_EMAIL_MAX 254
/* Form extras: half the mint's limit leaves room for nonce and email,
 * and a larger identity would not fit the web session cookie anyway. */
#define DEV_EXTRA_CLAIMS_MAX 4096

/* One issued authorization code and what its redemption must match. */
struct dev_code {
	char code[DEV_CODE_LEN + 1];
	int64_t expires;
	char *sub;
	char *email;		/* NULL: no email claim */
	char *nonce;
	char *challenge;
	char *redirect_uri;
	char *claims;		/* extra claims (JSON object) or NULL */
};

struct gw_devidp {
	EVP_PKEY *key;
	char *issuer;
	char kid[16];
	char *jwks;	 /* rendered once */
	char *discovery; /* rendered once */
	char *callback;	 /* the one redirect_uri accepted */
	pthread_mutex_t lock;	/* guards codes */
	struct dev_code *codes;	/* DEV_CODES_MAX slots, n_codes used */
	size_t n_codes;
};

/** Free a code's strings and wipe it. */
void gw_devidp_code_clear(struct dev_code *c);

/* devidp_code.c: GET/POST /dev/idp/authorize and POST /dev/idp/oauth/token */
void gw_devidp_authorize(struct gw_devidp *d, const struct gw_req *req,
			 struct gw_resp *resp);
void gw_devidp_code_token(struct gw_devidp *d, const struct gw_req *req,
			  struct gw_resp *resp);

#endif /* GW_DEVIDP_INT_H */
