/* gateway/sts.h - the STS Query API (Action=...&Version=2011-06-15) */
#ifndef GW_STS_H
#define GW_STS_H

#include "gateway/http.h"

struct gw_app;

#define GW_STS_VERSION "2011-06-15"

/** Handle an STS Query request on the API path (GET or POST). */
void gw_sts_handle(struct gw_app *app, struct gw_req *req, struct gw_resp *resp);

#endif /* GW_STS_H */
