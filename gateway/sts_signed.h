/* gateway/sts_signed.h - STS actions that require a SigV4 signature */
#ifndef GW_STS_SIGNED_H
#define GW_STS_SIGNED_H

#include "gateway/http.h"

struct gw_app;

/**
 * Handle a signed action (GetCallerIdentity, GetSessionToken, AssumeRole,
 * DecodeAuthorizationMessage). Returns 0 if action is one of them (resp
 * filled), -1 if it is not a signed action this gateway knows.
 */
int gw_sts_signed(struct gw_app *app, struct gw_req *req, const char *action,
		  struct gw_resp *resp);

#endif /* GW_STS_SIGNED_H */
