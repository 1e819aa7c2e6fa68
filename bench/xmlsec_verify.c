/* bench/xmlsec_verify.c - reference for bench/saml.sh: raw xmlsec1 verify/s
 *
 * Usage: xmlsec_verify CERT.pem RESPONSES [MIN_CPU_SECONDS]
 *
 * RESPONSES is a bench/saml_mint.py file: one SAMLResponse per line,
 * base64 then percent-encoded, exactly the SAMLAssertion values wrk posts
 * to fedgate. All lines are decoded first (not timed). Then, on one
 * thread, documents are verified in turn (starting over at the end of the
 * list) until MIN_CPU_SECONDS (default 3) of process CPU time have passed
 * and every document has been verified at least once. Per document:
 * parse with libxml2 (no network), find the saml:Assertion child of the
 * Response, register its ID attribute, find its ds:Signature and verify it
 * with xmlSecDSigCtxVerify. The IdP certificate is loaded once; its key is
 * handed to every context as signKey (so xmlsec ignores KeyInfo, as
 * fedgate does) and taken back before the context is finalised, so no
 * document pays for a key copy or a keys-manager lookup.
 *
 * Prints one line for bench/saml.sh:
 *   XMLSEC docs=N distinct=N cpu_s=F rate=F
 * Exits 1 if any document fails to verify.
 *
 * Built by bench/saml.sh with cc against libxmlsec1-openssl; not part of
 * the meson build.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define MAX_LINE (1 << 20)	/* fedgate takes 100,000 chars; be generous */

struct doc {
	unsigned char *xml;
	int len;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decode s in place (the form encoding of '+', '/', '='). */
static int
pct_decode(char *s)
{
	char *w = s;

	for (char *r = s; *r != '\0'; r++) {
		if (*r == '%') {
			int hi = hexval((unsigned char)r[1]);
			int lo = hi < 0 ? -1 : hexval((unsigned char)r[2]);

			if (lo < 0)
				return -1;
			*w++ = (char)(hi * 16 + lo);
			r += 2;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return 0;
}

static int
decode_line(char *line, struct doc *d)
{
	size_t n;
	xmlSecSize len = 0;

	line[strcspn(line, "\r\n")] = '\0';
	if (pct_decode(line) == -1)
		return -1;
	n = strlen(line);
	d->xml = malloc(n / 4 * 3 + 4);
	if (d->xml == NULL)
		return -1;
	if (xmlSecBase64Decode_ex((const xmlChar *)line, d->xml,
				  (xmlSecSize)(n / 4 * 3 + 4), &len) < 0 ||
	    len == 0)
		return -1;
	d->len = (int)len;
	return 0;
}

static struct doc *
load_docs(const char *path, size_t *count)
{
	FILE *f = fopen(path, "r");
	char *line = malloc(MAX_LINE);
	struct doc *docs = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL || line == NULL) {
		fprintf(stderr, "xmlsec_verify: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (fgets(line, MAX_LINE, f) != NULL) {
		if (line[0] == '\n')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			docs = realloc(docs, cap * sizeof(*docs));
			if (docs == NULL)
				exit(2);
		}
		if (decode_line(line, &docs[n]) == -1) {
			fprintf(stderr, "xmlsec_verify: %s: bad line %zu\n",
				path, n + 1);
			exit(2);
		}
		n++;
	}
	fclose(f);
	free(line);
	if (n == 0) {
		fprintf(stderr, "xmlsec_verify: %s: no documents\n", path);
		exit(2);
	}
	*count = n;
	return docs;
}

static xmlNodePtr
find_assertion(xmlNodePtr root)
{
	for (xmlNodePtr c = root ? root->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    xmlSecCheckNodeName(c, BAD_CAST "Assertion",
					BAD_CAST NS_SAML))
			return c;
	return NULL;
}

/* Parse, register the Assertion's ID, verify its signature: 0 if valid. */
static int
verify_one(const struct doc *d, xmlSecKeyPtr key)
{
	xmlDocPtr doc;
	xmlNodePtr a, sig;
	xmlAttrPtr id;
	xmlChar *v;
	xmlSecDSigCtx ctx;
	int ok = 0;

	doc = xmlReadMemory((const char *)d->xml, d->len, NULL, NULL,
			    XML_PARSE_NONET);
	a = doc ? find_assertion(xmlDocGetRootElement(doc)) : NULL;
	id = a ? xmlHasProp(a, BAD_CAST "ID") : NULL;
	sig = a ? xmlSecFindNode(a, xmlSecNodeSignature, xmlSecDSigNs) : NULL;
	if (id == NULL || sig == NULL) {
		xmlFreeDoc(doc);
		return -1;
	}
	v = xmlNodeListGetString(doc, id->children, 1);
	xmlAddID(NULL, doc, v, id);
	xmlFree(v);
	if (xmlSecDSigCtxInitialize(&ctx, NULL) == 0) {
		ctx.enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
		ctx.signKey = key;
		ok = xmlSecDSigCtxVerify(&ctx, sig) == 0 &&
		     ctx.status == xmlSecDSigStatusSucceeded;
		ctx.signKey = NULL;	/* ours: the context must not free it */
		xmlSecDSigCtxFinalize(&ctx);
	}
	xmlFreeDoc(doc);
	return ok ? 0 : -1;
}

static double
cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static xmlSecKeyPtr
setup(const char *cert)
{
	xmlSecKeyPtr key;

	xmlInitParser();
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 ||
	    xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		fprintf(stderr, "xmlsec_verify: xmlsec initialisation failed\n");
		exit(2);
	}
	key = xmlSecCryptoAppKeyLoad(cert, xmlSecKeyDataFormatCertPem, NULL,
				     NULL, NULL);
	if (key == NULL) {
		fprintf(stderr, "xmlsec_verify: cannot load %s\n", cert);
		exit(2);
	}
	return key;
}

int
main(int argc, char **argv)
{
	struct doc *docs;
	size_t n, done = 0;
	double min = 3, t0, t;
	xmlSecKeyPtr key;

	if (argc < 3 || argc > 4 || (argc == 4 && (min = atof(argv[3])) <= 0)) {
		fprintf(stderr, "usage: xmlsec_verify CERT.pem RESPONSES "
			"[MIN_CPU_SECONDS]\n");
		return 2;
	}
	key = setup(argv[1]);
	docs = load_docs(argv[2], &n);
	t0 = cpu_seconds();
	do {
		if (verify_one(&docs[done % n], key) == -1) {
			fprintf(stderr, "xmlsec_verify: document %zu (line %zu) "
				"does not verify\n", done, done % n + 1);
			return 1;
		}
		done++;
		t = cpu_seconds() - t0;
	} while (done < n || t < min);
	printf("XMLSEC docs=%zu distinct=%zu cpu_s=%.3f rate=%.1f\n", done, n,
	       t, (double)done / t);
	xmlSecKeyDestroy(key);
	for (size_t i = 0; i < n; i++)
		free(docs[i].xml);
	free(docs);
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xmlCleanupParser();
	return 0;
}
