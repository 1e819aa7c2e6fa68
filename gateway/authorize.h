/* gateway/authorize.h - decision endpoint for resource servers
 *
 * GET|POST /authorize, designed for nginx auth_request: the proxy passes
 * the original method and URI (X-Original-Method, X-Original-URI) and the
 * original Authorization / X-Amz-* / Host headers; fedgate verifies SigV4
 * (header or presigned form), maps the request to an action and resource
 * and evaluates the caller's permissions.
 */
#ifndef GW_AUTHORIZE_H
#define GW_AUTHORIZE_H

#include <stddef.h>

#include "gateway/http.h"

struct gw_app;

#define GW_AUTHORIZE_PATH "/authorize"

/* An S3-style mapping of a request to an IAM action and resource. */
struct gw_s3_op {
	char action[64];
	char resource[1152];	/* arn:aws:s3:::bucket[/key] */
	char bucket[64];
};

/**
 * Map method + raw path + raw query to an S3 action and resource
 * (PUT /b/k -> s3:PutObject on arn:aws:s3:::b/k, GET|HEAD /b/k ->
 * s3:GetObject, DELETE /b/k -> s3:DeleteObject, GET /b -> s3:ListBucket).
 * Sub-resources it does not know (?acl, ?policy, ...) are refused rather
 * than mapped to something weaker. 0 or -1.
 */
int gw_s3_map(const char *method, const char *raw_path, const char *raw_query,
	      struct gw_s3_op *op);

void gw_authorize_handle(struct gw_app *app, struct gw_req *req,
			 struct gw_resp *resp);

#endif /* GW_AUTHORIZE_H */
