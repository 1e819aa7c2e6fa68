/* gateway/xml.c - XML rendering for the STS Query API
 *
 * Element order and namespace follow real STS responses (sts-wire.md §1.6,
 * §1.7); every text node is escaped.
 */
#include "gateway/xml.h"

/*
 * The response buffers are unbounded (max 0): their content is produced by
 * us from bounded inputs, so appends cannot fail.
 */
void
gw_xml_elem(struct core_buf *b, const char *name, const char *text)
{
	if (text == NULL)
		return;
	core_buf_printf(b, "<%s>", name);
	core_buf_put_xml(b, text);
	core_buf_printf(b, "</%s>", name);
}

void
gw_xml_elem_int(struct core_buf *b, const char *name, long long v)
{
	core_buf_printf(b, "<%s>%lld</%s>", name, v, name);
}

void
gw_xml_begin(struct core_buf *b, const char *action)
{
	core_buf_printf(b, "<%sResponse xmlns=\"" GW_STS_NS "\">\n  <%sResult>\n",
			action, action);
}

void
gw_xml_end(struct core_buf *b, const char *action, const char *request_id)
{
	core_buf_printf(b, "\n  </%sResult>\n  <ResponseMetadata>\n    ", action);
	gw_xml_elem(b, "RequestId", request_id);
	core_buf_printf(b, "\n  </ResponseMetadata>\n</%sResponse>\n", action);
}

void
gw_xml_error(struct core_buf *b, const struct core_err *err,
	     const char *request_id)
{
	core_buf_puts(b, "<ErrorResponse xmlns=\"" GW_STS_NS "\">\n  <Error>\n    ");
	gw_xml_elem(b, "Type", core_code_type(err->code));
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Code", core_code_sts(err->code));
	core_buf_puts(b, "\n    ");
	gw_xml_elem(b, "Message", err->msg);
	core_buf_puts(b, "\n  </Error>\n  ");
	gw_xml_elem(b, "RequestId", request_id);
	core_buf_puts(b, "\n</ErrorResponse>\n");
}
