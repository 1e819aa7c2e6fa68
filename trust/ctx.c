/* trust/ctx.c - one request's evaluation context */
#include "trust/policy.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "trust/policy_int.h"

struct trust_ctx *
trust_ctx_new(void)
{
	return core_xcalloc(1, sizeof(struct trust_ctx));
}

void
trust_ctx_free(struct trust_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (size_t i = 0; i < ctx->nprinc; i++) {
		free(ctx->princ[i].type);
		free(ctx->princ[i].value);
		free(ctx->princ[i].account);
	}
	free(ctx->princ);
	for (size_t i = 0; i < ctx->nkeys; i++) {
		for (size_t j = 0; j < ctx->keys[i].nvals; j++)
			free(ctx->keys[i].vals[j]);
		free(ctx->keys[i].vals);
		free(ctx->keys[i].name);
	}
	free(ctx->keys);
	free(ctx->action);
	free(ctx->resource);
	free(ctx);
}

static int
trust_is_account_id(const char *s, size_t n)
{
	if (n != 12)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/*
 * "111122223333" or any ARN "arn:PARTITION:SERVICE:REGION:ACCOUNT:...":
 * the account is the fifth component (IAMUG "IAM identifiers").
 */
char *
trust_account_of(const char *value)
{
	const char *p = value, *b;
	int colons = 0;

	if (trust_is_account_id(value, strlen(value)))
		return core_xstrdup(value);
	if (strncmp(value, "arn:", 4) != 0)
		return NULL;
	for (b = NULL; *p != '\0'; p++) {
		if (*p != ':')
			continue;
		colons++;
		if (colons == 4)
			b = p + 1;
		else if (colons == 5)
			break;
	}
	if (colons != 5 || b == NULL ||
	    !trust_is_account_id(b, (size_t)(p - b)))
		return NULL;
	return core_xstrndup(b, (size_t)(p - b));
}

void
trust_ctx_add_principal(struct trust_ctx *ctx, const char *type,
			const char *value)
{
	struct trust_ctx_princ *p;

	if (ctx == NULL || type == NULL || value == NULL)
		return;
	ctx->princ = core_xrealloc(ctx->princ,
				   (ctx->nprinc + 1) * sizeof(*ctx->princ));
	p = &ctx->princ[ctx->nprinc++];
	p->type = core_xstrdup(type);
	p->value = core_xstrdup(value);
	p->account = strcmp(type, "AWS") == 0 ? trust_account_of(value) : NULL;
}

void
trust_ctx_set_action(struct trust_ctx *ctx, const char *action)
{
	if (ctx == NULL)
		return;
	free(ctx->action);
	ctx->action = action != NULL ? core_xstrdup(action) : NULL;
}

void
trust_ctx_set_resource(struct trust_ctx *ctx, const char *arn)
{
	if (ctx == NULL)
		return;
	free(ctx->resource);
	ctx->resource = arn != NULL ? core_xstrdup(arn) : NULL;
}

const struct trust_ctx_key *
trust_ctx_find(const struct trust_ctx *ctx, const char *key)
{
	/* Condition key names compare case-insensitively (IAMUG). */
	for (size_t i = 0; i < ctx->nkeys; i++) {
		if (strcasecmp(ctx->keys[i].name, key) == 0)
			return &ctx->keys[i];
	}
	return NULL;
}

const char *
trust_ctx_single(const struct trust_ctx *ctx, const char *key)
{
	const struct trust_ctx_key *k = trust_ctx_find(ctx, key);

	/* Multi-valued keys cannot be policy variables (IAMUG). */
	if (k == NULL || k->nvals != 1)
		return NULL;
	return k->vals[0];
}

static struct trust_ctx_key *
trust_ctx_key_get(struct trust_ctx *ctx, const char *key)
{
	struct trust_ctx_key *k;

	for (size_t i = 0; i < ctx->nkeys; i++) {
		if (strcasecmp(ctx->keys[i].name, key) == 0)
			return &ctx->keys[i];
	}
	ctx->keys = core_xrealloc(ctx->keys,
				  (ctx->nkeys + 1) * sizeof(*ctx->keys));
	k = &ctx->keys[ctx->nkeys++];
	k->name = core_xstrdup(key);
	k->vals = NULL;
	k->nvals = 0;
	return k;
}

void
trust_ctx_add(struct trust_ctx *ctx, const char *key, const char *value)
{
	struct trust_ctx_key *k;

	if (ctx == NULL || key == NULL || value == NULL)
		return;
	k = trust_ctx_key_get(ctx, key);
	k->vals = core_xrealloc(k->vals, (k->nvals + 1) * sizeof(*k->vals));
	k->vals[k->nvals++] = core_xstrdup(value);
}

void
trust_ctx_add_empty_set(struct trust_ctx *ctx, const char *key)
{
	if (ctx == NULL || key == NULL)
		return;
	(void)trust_ctx_key_get(ctx, key);
}

void
trust_ctx_exact_principals(struct trust_ctx *ctx, int on)
{
	if (ctx != NULL)
		ctx->exact_principals = on != 0;
}
