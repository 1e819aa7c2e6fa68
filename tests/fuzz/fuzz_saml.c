/* tests/fuzz/fuzz_saml.c - the SAML Response entry point, fed_saml_validate
 *
 * The first input byte picks the mode: 'B' hands the rest over as the
 * base64 text itself (whitespace handling, length bounds, decoder); any
 * other byte base64-encodes the rest first, so the fuzzer mutates the XML
 * document (parser, structure checks, lasso, value reading). The validator
 * is fixed: the IdP metadata and SP key of tests/data/saml (embedded via
 * fuzz_material.h; a fuzz target reads no files). Time is fixed at the
 * fixtures' NOW so the valid seeds get past the time checks.
 * Seeds: tests/fuzz/corpus/fuzz_saml/, made by tests/data/saml/gen.py.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/b64.h"
#include "core/log.h"
#include "federation/saml_int.h"
#include "tests/data/saml/fuzz_material.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1893456000	/* 2030-01-01T00:00:00Z */
#define FUZZ_SKEW 60

static struct fed_saml *fuzz_saml;

static void
fuzz_init(void)
{
	struct fed_saml_sp_config sp = {0};
	const char *names[1] = {"test-idp"};
	const char *md[1] = {FUZZ_IDP_METADATA};
	struct core_err err = {0};

	core_log_init(CORE_LOG_ERROR);
	sp.entity_id = (char *)"urn:fedgate:sp";
	sp.acs_url = (char *)"https://fedgate.example.test/saml/acs";
	fuzz_saml = fed_saml_new_mem(&sp, names, md, 1, FUZZ_SP_CERT,
	    FUZZ_SP_KEY, &err);
	if (fuzz_saml == NULL)
		fatalx("fuzz_saml: %s", err.msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const outstanding[] = {"_req1"};
	struct fed_saml_replay *replay;
	struct fed_saml_assertion *a = NULL;
	struct core_err err = {0};
	char *b64;

	if (fuzz_saml == NULL)
		fuzz_init();
	if (size == 0)
		return 0;
	if (data[0] == 'B') {
		b64 = core_xmalloc(size);
		memcpy(b64, data + 1, size - 1);
		b64[size - 1] = '\0';
	} else
		b64 = core_b64_encode(data + 1, size - 1);
	replay = fed_saml_replay_new_cap(16);
	if (fed_saml_validate(fuzz_saml, replay, b64, data[0] == 'B' ?
	    size - 1 : strlen(b64), FUZZ_NOW, FUZZ_SKEW, outstanding, 1, &a,
	    &err, NULL) == 0) {
		if (a == NULL || a->assertion_id == NULL)
			abort();
		(void)fed_saml_attr(a, "groups");
		fed_saml_assertion_free(a);
	}
	fed_saml_replay_free(replay);
	free(b64);
	return 0;
}
