/* gateway/sts_saml.h - AssumeRoleWithSAML */
#ifndef GW_STS_SAML_H
#define GW_STS_SAML_H

#include "gateway/http.h"

struct gw_app;

void gw_sts_assume_role_with_saml(struct gw_app *app, const struct gw_req *req,
				  struct gw_resp *resp);

#endif /* GW_STS_SAML_H */
