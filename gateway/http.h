/* gateway/http.h - the request/response pair handlers see
 *
 * server.c does all HTTP plumbing (body caps, form decoding, request ids);
 * handlers get a complete gw_req and fill a gw_resp.
 */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>

#include "core/mem.h"
#include "gateway/form.h"

#define GW_REQUEST_ID_LEN 36
#define GW_MAX_HEADERS 100

struct gw_header {
	const char *name;	/* as received; compare case-insensitively */
	const char *value;
};

struct gw_req {
	const char *method;	/* "GET", "POST", ... */
	const char *path;	/* without query string, percent-decoded */
	const char *raw_path;	/* exactly as on the request line (SigV4) */
	const char *raw_query;	/* after '?', undecoded; NULL if none */
	struct gw_header headers[GW_MAX_HEADERS];
	size_t n_headers;	/* more than GW_MAX_HEADERS: 400 before handlers */
	const char *content_type; /* may be NULL */
	const char *user_agent;	/* may be NULL; bounded by server.c */
	char source_ip[64];
	char request_id[GW_REQUEST_ID_LEN + 1];
	struct gw_form form;	/* query string + urlencoded body, merged */
	int form_error;		/* form refused: err holds why */
	struct core_err form_err;
	int body_not_form;	/* a body was sent with another content type */
	const char *body;	/* raw body (NUL-terminated), may be empty */
	size_t body_len;
};

#define GW_RESP_MAX_HEADERS 16

struct gw_resp {
	int status;
	const char *content_type; /* static string */
	struct core_buf body;
	char *location;		/* optional Location header (malloc'd) */
	struct {
		const char *name; /* static string */
		char *value;	  /* malloc'd */
	} headers[GW_RESP_MAX_HEADERS];
	size_t n_headers;
};

/** Add a response header (value copied; control characters dropped). */
void gw_resp_header(struct gw_resp *resp, const char *name, const char *value);
/** Release what gw_resp_header and location allocated. */
void gw_resp_clear_headers(struct gw_resp *resp);

/** First header named name (case-insensitive), or NULL. */
const char *gw_req_header(const struct gw_req *req, const char *name);

/** Fill resp with an AWS ErrorResponse for err (see xml.c). */
void gw_resp_error(struct gw_resp *resp, const struct gw_req *req,
		   const struct core_err *err);

/** Plain JSON/text helpers. */
void gw_resp_text(struct gw_resp *resp, int status, const char *ctype,
		  const char *text);

#endif /* GW_HTTP_H */
