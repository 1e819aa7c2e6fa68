/* fuzz_form.c - urlencoded decoding and STS parameter validation */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/form.h"
#include "gateway/sts_params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_form f;
	struct gw_awi_params p;
	struct core_err err = {0};

	if (size > 256 * 1024)
		return 0;
	gw_form_init(&f);
	if (gw_form_parse(&f, (const char *)data, size, &err) == 0) {
		/* Invariants: every value is NUL-free and names are unique. */
		for (size_t i = 0; i < f.n; i++) {
			if (strlen(f.params[i].value) != f.params[i].value_len)
				abort();
			for (size_t j = i + 1; j < f.n; j++)
				if (strcmp(f.params[i].name, f.params[j].name) == 0)
					abort();
		}
		if (gw_sts_awi_params(&f, &p, &err) == 0) {
			if (p.token_len < 4 || p.token_len > 20000 ||
			    !gw_sts_valid_session_name(p.session_name))
				abort();
		} else if (err.code == CORE_OK) {
			abort();
		}
	} else if (err.code == CORE_OK) {
		abort();
	}
	gw_form_clear(&f);
	return 0;
}
