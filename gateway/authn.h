/* gateway/authn.h - who signed this request? (SigV4 -> principal) */
#ifndef GW_AUTHN_H
#define GW_AUTHN_H

#include <stdint.h>

#include "core/err.h"
#include "federation/sigv4.h"

struct gw_app;
struct gw_req;
struct gw_user;
struct gw_role;
struct fed_session;

enum gw_principal_kind {
	GW_PRINCIPAL_USER,		/* long-term AKIA key of a configured user */
	GW_PRINCIPAL_USER_SESSION,	/* GetSessionToken credentials */
	GW_PRINCIPAL_ROLE_SESSION,	/* AssumeRole* credentials */
};

/* An authenticated caller. Strings point into config or session. */
struct gw_principal {
	enum gw_principal_kind kind;
	const char *account;
	const char *arn;	/* user ARN, or arn:aws:sts::A:assumed-role/R/S */
	const char *name;	/* user name, or role session name */
	const char *access_key_id;
	const struct gw_user *user;	/* USER, USER_SESSION */
	const struct gw_role *role;	/* ROLE_SESSION */
	struct fed_session *session;	/* sessions; owned */
	char user_id[256];	/* AIDA..., or AROA...:SESSION (aws:userid) */
	char signing_service[64];
};

/* Where the signed request came from: an API call or an /authorize query. */
struct gw_signed_msg {
	struct fed_sigv4_header headers[100];
	struct fed_sigv4_msg msg;
};

/**
 * Build the SigV4 message of req itself (STS calls).
 */
void gw_authn_msg_from_req(const struct gw_req *req, struct gw_signed_msg *m);

/**
 * Verify the SigV4 signature of m and resolve its credentials: sessions
 * issued by this gateway (session token unsealed with the key ring, access
 * key id matched, expiry checked) or configured users' long-term keys.
 * service: required scope service ("sts", "s3") or NULL for any.
 * err: CORE_EMISSING_AUTH, CORE_EINCOMPLETE_SIG, CORE_EREQUEST_EXPIRED,
 * CORE_EINVALID_CLIENT, CORE_EEXPIRED_SESSION, CORE_ESIGNATURE.
 * On success the caller must gw_principal_clear(out).
 */
int gw_authn_verify(struct gw_app *app, const struct fed_sigv4_msg *m,
		    const char *service, int64_t now, struct gw_principal *out,
		    struct core_err *err);

void gw_principal_clear(struct gw_principal *p);

#endif /* GW_AUTHN_H */
