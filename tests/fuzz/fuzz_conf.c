/* tests/fuzz/fuzz_conf.c - config loader (YAML/JSON, policies) on untrusted bytes */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct gw_conf *c;
	size_t i;
	int nerr = -1;

	if (devnull == NULL) {
		devnull = fopen("/dev/null", "w");
		if (devnull == NULL)
			abort();
	}
	c = gw_conf_load_string((const char *)data, size, "fuzz.yaml",
				devnull, &nerr);
	/* Invariants: NULL exactly when errors were counted; a loaded
	 * config is complete (every role has an ARN and a compiled policy). */
	if ((c == NULL) != (nerr > 0))
		abort();
	if (c == NULL)
		return 0;
	if (c->n_listen == 0 || c->public_url == NULL || c->account_id == NULL)
		abort();
	for (i = 0; i < c->n_roles; i++) {
		if (c->roles[i].arn == NULL || c->roles[i].trust == NULL ||
		    c->roles[i].trust_json == NULL ||
		    gw_conf_find_role(c, c->roles[i].arn) == NULL)
			abort();
	}
	for (i = 0; i < c->n_providers; i++)
		if (c->providers[i].name == NULL ||
		    c->providers[i].issuer == NULL ||
		    c->providers[i].n_audiences == 0 ||
		    c->providers[i].n_algorithms == 0)
			abort();
	gw_conf_free(c);
	return 0;
}
