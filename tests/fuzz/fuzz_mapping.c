/* fuzz_mapping.c - the gateway's small parsers of request-derived text:
 * the S3 mapping of /authorize (method, raw path, raw query from the
 * proxy) and the SAML Role attribute pair ("role,provider" either order).
 * Input: "METHOD\nPATH\nQUERY\nROLE_VALUE".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "federation/saml.h"
#include "gateway/authorize.h"
#include "gateway/saml_claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
next_field(char **cur)
{
	char *s = *cur, *nl;

	if (s == NULL)
		return NULL;
	nl = strchr(s, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*cur = nl + 1;
	} else {
		*cur = NULL;
	}
	return s;
}

static void
check_s3(const char *method, const char *path, const char *query)
{
	struct gw_s3_op op;
	const char *key;

	if (gw_s3_map(method, path, query, &op) == -1)
		return;
	/* A mapped request names an S3 action and an ARN a proxy stores
	 * under the same name: no dot or empty segments after the bucket. */
	if (strncmp(op.action, "s3:", 3) != 0 ||
	    strncmp(op.resource, "arn:aws:s3:::", 13) != 0 ||
	    strlen(op.bucket) < 3)
		abort();
	key = strchr(op.resource + 13, '/');
	if (key != NULL && (strstr(key, "//") != NULL ||
			    strstr(key, "/./") != NULL ||
			    strstr(key, "/../") != NULL ||
			    key[strlen(key) - 1] == '/'))
		abort();
}

static void
check_role_pair(char *value)
{
	struct fed_saml_attr attr = {0};
	struct fed_saml_assertion a = {0};
	char *values[1] = {value};
	const char *comma = strchr(value, ',');

	attr.name = (char *)GW_SAML_ATTR_PREFIX "Role";
	attr.values = values;
	attr.n_values = 1;
	a.attrs = &attr;
	a.n_attrs = 1;
	/* Without a comma no pair can match, whatever the ARNs. */
	if (gw_saml_role_pair(&a, "arn:aws:iam::111122223333:role/R",
			      "arn:aws:iam::111122223333:saml-provider/P") &&
	    comma == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *cur, *method, *path, *query, *role;

	if (size > 64 * 1024)
		return 0;
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	cur = buf;
	method = next_field(&cur);
	path = next_field(&cur);
	query = next_field(&cur);
	role = next_field(&cur);
	if (method != NULL && path != NULL)
		check_s3(method, path, query);
	if (role != NULL)
		check_role_pair(role);
	free(buf);
	return 0;
}
