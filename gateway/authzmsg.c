/* gateway/authzmsg.c - sealing and opening authorization messages */
#include "gateway/authzmsg.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/mem.h"
#include "core/seal.h"
#include "gateway/app.h"
#include "gateway/authn.h"

#define AUTHZMSG_AAD "fedgate-authz-message-v1"
#define AUTHZMSG_TRACE_MAX 6000 /* keep the sealed blob under 10240 chars */

char *
gw_authzmsg_encode(struct gw_app *app, const struct gw_principal *p,
		   const char *action, const char *resource,
		   enum trust_decision d, const char *trace)
{
	json_t *o;
	char *text, *blob = NULL;
	char *tr = core_xstrndup(trace ? trace : "",
				 trace ? strnlen(trace, AUTHZMSG_TRACE_MAX) : 0);

	o = json_pack("{s:b, s:b, s:{s:{s:s, s:s}, s:s, s:s, s:s}, s:s}",
		      "allowed", d == TRUST_ALLOW,
		      "explicitDeny", d == TRUST_EXPLICIT_DENY,
		      "context", "principal", "id", p->user_id, "arn",
		      p->arn ? p->arn : "", "action", action, "resource",
		      resource ? resource : "", "decision",
		      trust_decision_name(d), "trace", tr);
	free(tr);
	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text != NULL)
		blob = core_seal(app->keyring, AUTHZMSG_AAD,
				 (const uint8_t *)text, strlen(text));
	free(text);
	return blob;
}

char *
gw_authzmsg_decode(struct gw_app *app, const char *encoded,
		   struct core_err *err)
{
	size_t n = strlen(encoded), ptlen = 0;
	uint8_t *pt = NULL;

	if (n > 0 && n <= GW_AUTHZMSG_MAX)
		pt = core_unseal(app->keyring, AUTHZMSG_AAD, encoded, n, &ptlen);
	if (pt == NULL)
		core_err_set(err, CORE_EINVALID_AUTH_MSG, "authz_message_invalid",
			     "The encoded authorization message is invalid.");
	return (char *)pt;
}
