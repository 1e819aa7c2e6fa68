/* gateway/audit.h - one CloudTrail-shaped JSON line per STS call */
#ifndef GW_AUDIT_H
#define GW_AUDIT_H

#include <stdint.h>

#include "core/err.h"

struct gw_audit;

/** "stdout", "off" or an absolute path (opened O_APPEND, mode 0600). */
struct gw_audit *gw_audit_open(const char *where, struct core_err *err);
void gw_audit_close(struct gw_audit *a);

/*
 * What one STS call did. Only identifiers: never the token, the secret
 * access key or the session token (the struct has no field for them).
 */
struct gw_audit_event {
	const char *event_name;		/* "AssumeRoleWithWebIdentity" */
	const char *request_id;
	const char *source_ip;
	const char *user_agent;
	int64_t time;
	/* userIdentity */
	const char *identity_type;	/* "WebIdentityUser" */
	const char *principal_id;	/* "<provider_id>:<aud>:<sub>" */
	const char *user_name;		/* sub */
	const char *identity_provider;	/* provider_id */
	const char *token_hash;		/* short hash of jti/token, to correlate */
	const char *arn;		/* signed calls: caller ARN */
	const char *account_id;		/* signed calls: caller account */
	const char *caller_key_id;	/* signed calls: key used (not secret) */
	/* requestParameters of other actions (AssumeRole, /authorize) */
	const char *action;		/* /authorize: evaluated action */
	const char *resource;		/* /authorize: evaluated resource */
	const char *decision;		/* /authorize: allowed | explicitDeny | implicitDeny */
	/* requestParameters */
	const char *role_arn;
	const char *role_session_name;
	int duration_seconds;		/* 0: not given */
	/* responseElements (success) */
	const char *access_key_id;
	int64_t expiration;
	const char *assumed_role_id;
	const char *assumed_role_arn;
	const char *provider;
	const char *audience;
	/* failure */
	const struct core_err *err;	/* NULL on success */
};

/** Write one line; thread-safe; never fails the request. */
void gw_audit_log(struct gw_audit *a, const struct gw_audit_event *ev);

#endif /* GW_AUDIT_H */
