/* gateway/http.c - small helpers over gw_req / gw_resp */
#include "gateway/http.h"

#include <stdlib.h>
#include <strings.h>

#include "core/mem.h"

#include "gateway/xml.h"

void
gw_resp_error(struct gw_resp *resp, const struct gw_req *req,
	      const struct core_err *err)
{
	resp->status = core_code_http(err->code);
	resp->content_type = "text/xml";
	core_buf_reset(&resp->body);
	gw_xml_error(&resp->body, err, req->request_id);
}

void
gw_resp_text(struct gw_resp *resp, int status, const char *ctype,
	     const char *text)
{
	resp->status = status;
	resp->content_type = ctype;
	core_buf_reset(&resp->body);
	core_buf_puts(&resp->body, text);
}

const char *
gw_req_header(const struct gw_req *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers && i < GW_MAX_HEADERS; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

void
gw_resp_header(struct gw_resp *resp, const char *name, const char *value)
{
	char *v;

	if (resp->n_headers == GW_RESP_MAX_HEADERS || value == NULL)
		return;
	/* Header injection is impossible: CR, LF and other controls go. */
	v = core_xstrdup(value);
	for (char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	resp->headers[resp->n_headers].name = name;
	resp->headers[resp->n_headers++].value = v;
}

void
gw_resp_clear_headers(struct gw_resp *resp)
{
	for (size_t i = 0; i < resp->n_headers; i++)
		free(resp->headers[i].value);
	resp->n_headers = 0;
	free(resp->location);
	resp->location = NULL;
}
