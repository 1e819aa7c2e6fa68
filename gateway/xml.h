/* gateway/xml.h - AWS Query-protocol XML responses */
#ifndef GW_XML_H
#define GW_XML_H

#include "core/err.h"
#include "core/mem.h"

#define GW_STS_NS "https://sts.amazonaws.com/doc/2011-06-15/"

/** <ErrorResponse> for err with the wire code, type, message and id. */
void gw_xml_error(struct core_buf *b, const struct core_err *err,
		  const char *request_id);

/** Open "<ActionResponse xmlns=...><ActionResult>". */
void gw_xml_begin(struct core_buf *b, const char *action);
/** Close the result, add ResponseMetadata/RequestId, close the response. */
void gw_xml_end(struct core_buf *b, const char *action, const char *request_id);
/** "<name>escaped text</name>"; nothing if text is NULL. */
void gw_xml_elem(struct core_buf *b, const char *name, const char *text);
void gw_xml_elem_int(struct core_buf *b, const char *name, long long v);

#endif /* GW_XML_H */
