/* gateway/audit.c - audit log sink (JSON lines, CloudTrail field names) */
#include "gateway/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/timeutil.h"

struct gw_audit {
	int fd;		/* -1: off */
	int owns_fd;
	pthread_mutex_t lock;
};

struct gw_audit *
gw_audit_open(const char *where, struct core_err *err)
{
	struct gw_audit *a = core_xcalloc(1, sizeof(*a));

	pthread_mutex_init(&a->lock, NULL);
	a->fd = -1;
	if (where == NULL || strcmp(where, "stdout") == 0)
		a->fd = STDOUT_FILENO;
	else if (strcmp(where, "off") != 0) {
		a->fd = open(where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			     0600);
		if (a->fd == -1) {
			core_err_set(err, CORE_ECONFIG, "audit",
				     "audit_log %s: %s", where, strerror(errno));
			free(a);
			return NULL;
		}
		a->owns_fd = 1;
	}
	return a;
}

void
gw_audit_close(struct gw_audit *a)
{
	if (a == NULL)
		return;
	if (a->owns_fd)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static void
put_str(struct core_buf *b, const char *name, const char *v, int comma)
{
	if (v == NULL)
		return;
	core_buf_printf(b, "%s\"%s\":\"", comma ? "," : "", name);
	core_buf_put_json(b, v);
	core_buf_puts(b, "\"");
}

static void
put_time(struct core_buf *b, const char *name, int64_t t)
{
	char ts[32];

	core_time_iso8601(t, ts, sizeof(ts));
	put_str(b, name, ts, 1);
}

static void
put_identity(struct core_buf *b, const struct gw_audit_event *ev)
{
	core_buf_puts(b, ",\"userIdentity\":{");
	put_str(b, "type", ev->identity_type ? ev->identity_type : "Unknown", 0);
	put_str(b, "principalId", ev->principal_id, 1);
	put_str(b, "userName", ev->user_name, 1);
	put_str(b, "identityProvider", ev->identity_provider, 1);
	put_str(b, "tokenHash", ev->token_hash, 1);
	put_str(b, "arn", ev->arn, 1);
	put_str(b, "accountId", ev->account_id, 1);
	put_str(b, "accessKeyId", ev->caller_key_id, 1);
	core_buf_puts(b, "}");
}

static void
put_request(struct core_buf *b, const struct gw_audit_event *ev)
{
	core_buf_puts(b, ",\"requestParameters\":{");
	if (ev->action != NULL) {
		put_str(b, "action", ev->action, 0);
	} else {
		put_str(b, "roleArn", ev->role_arn ? ev->role_arn : "", 0);
		put_str(b, "roleSessionName", ev->role_session_name, 1);
	}
	put_str(b, "resource", ev->resource, 1);
	put_str(b, "decision", ev->decision, 1);
	if (ev->duration_seconds > 0)
		core_buf_printf(b, ",\"durationSeconds\":%d",
				ev->duration_seconds);
	core_buf_puts(b, "}");
}

static void
put_response(struct core_buf *b, const struct gw_audit_event *ev)
{
	if (ev->err != NULL || ev->access_key_id == NULL) {
		core_buf_puts(b, ",\"responseElements\":null");
		return;
	}
	core_buf_puts(b, ",\"responseElements\":{\"credentials\":{");
	put_str(b, "accessKeyId", ev->access_key_id, 0);
	put_time(b, "expiration", ev->expiration);
	core_buf_puts(b, "},\"assumedRoleUser\":{");
	put_str(b, "assumedRoleId", ev->assumed_role_id, 0);
	put_str(b, "arn", ev->assumed_role_arn, 1);
	core_buf_puts(b, "}");
	put_str(b, "provider", ev->provider, 1);
	put_str(b, "audience", ev->audience, 1);
	core_buf_puts(b, "}");
}

void
gw_audit_log(struct gw_audit *a, const struct gw_audit_event *ev)
{
	struct core_buf b;

	if (a == NULL || a->fd == -1)
		return;
	core_buf_init(&b, 0);
	core_buf_puts(&b, "{\"eventVersion\":\"1.08\"");
	put_time(&b, "eventTime", ev->time);
	put_str(&b, "eventSource", "sts.amazonaws.com", 1);
	put_str(&b, "eventName", ev->event_name, 1);
	put_str(&b, "sourceIPAddress", ev->source_ip, 1);
	put_str(&b, "userAgent", ev->user_agent, 1);
	put_str(&b, "requestID", ev->request_id, 1);
	put_identity(&b, ev);
	put_request(&b, ev);
	put_response(&b, ev);
	if (ev->err != NULL) {
		put_str(&b, "errorCode", core_code_sts(ev->err->code), 1);
		put_str(&b, "errorMessage", ev->err->msg, 1);
		put_str(&b, "reason", ev->err->reason ? ev->err->reason : "unspecified", 1);
	}
	core_buf_puts(&b, "}\n");
	/* One write per line under a lock: lines never interleave. */
	pthread_mutex_lock(&a->lock);
	if (write(a->fd, b.data, b.len) != (ssize_t)b.len)
		log_warn("audit log write failed");
	pthread_mutex_unlock(&a->lock);
	core_buf_reset(&b);
}
