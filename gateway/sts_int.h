/* gateway/sts_int.h - shared between the signed STS action handlers */
#ifndef GW_STS_INT_H
#define GW_STS_INT_H

#include "federation/mint.h"
#include "gateway/authn.h"
#include "gateway/http.h"
#include "gateway/sts_params.h"

struct gw_app;
struct gw_role;

/* One signed call: who, what it produced, for audit and rendering. */
struct gw_signed_call {
	const char *action;
	struct gw_principal caller;
	int authenticated;
	struct gw_ar_params ar;
	const struct gw_role *role;
	struct fed_session s;
	int have_session;
	char *session_token;
	int packed;
};

/** "<Credentials>...</Credentials>" of a Result. */
void gw_sts_render_credentials(struct core_buf *b, const struct fed_session *s,
			       const char *token);

/** AssumeRole: trust (both sides for cross-account), chaining, tags. */
int gw_sts_assume_role(struct gw_app *app, const struct gw_req *req,
		       struct gw_signed_call *c, struct gw_resp *resp,
		       struct core_err *err);

#endif /* GW_STS_INT_H */
