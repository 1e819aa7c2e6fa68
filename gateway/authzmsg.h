/* gateway/authzmsg.h - encoded authorization (denial) messages
 *
 * Like AWS's encoded messages: a denial carries an opaque blob that only
 * callers allowed sts:DecodeAuthorizationMessage can read back, so the
 * details of the policies are not disclosed to whoever was denied.
 */
#ifndef GW_AUTHZMSG_H
#define GW_AUTHZMSG_H

#include <stddef.h>

#include "core/err.h"
#include "trust/policy.h"

struct gw_app;
struct gw_principal;

#define GW_AUTHZMSG_MAX 10240 /* EncodedMessage limit of the model */

/**
 * Seal a JSON description of the decision (principal, action, resource,
 * decision, and the evaluator's trace) under the key ring. malloc'd.
 */
char *gw_authzmsg_encode(struct gw_app *app, const struct gw_principal *p,
			 const char *action, const char *resource,
			 enum trust_decision d, const char *trace);

/**
 * Open an encoded message: malloc'd JSON text, or NULL with
 * CORE_EINVALID_AUTH_MSG.
 */
char *gw_authzmsg_decode(struct gw_app *app, const char *encoded,
			 struct core_err *err);

#endif /* GW_AUTHZMSG_H */
