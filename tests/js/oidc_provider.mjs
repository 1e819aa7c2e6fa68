// tests/js/oidc_provider.mjs - panva oidc-provider as the OIDC IdP of
// tests/integration/test_login_browser.py.
//
//   node oidc_provider.mjs PORT '{"redirect_uris": [...], "client_secret": "...",
//                                 "users": {"alice": {"password": "...",
//                                   "email": "...", "name": "...",
//                                   "groups": [...], "sub": "..."}}}'
//
// Issuer http://127.0.0.1:PORT. Two clients: "fedgate-web" (confidential,
// client_secret_basic or, with "auth_method", another method) and
// "fedgate-public" (no secret). Both: code flow only, PKCE S256 required.
// ID tokens (RS256, key made per run) carry sub, email, email_verified,
// name and the custom "groups" claim, because fedgate validates only the
// ID token and never calls userinfo.
//
// The login page is our own, not devInteractions: it checks the password,
// so a test can tell a real sign-in from a bypass, and it has stable
// field names (input[name=username], input[name=password],
// button#sign-in). Consent is granted without a page: fedgate is a
// first-party client. Prints "READY PORT" when listening; SIGTERM stops it.
import crypto from 'node:crypto';
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const opts = JSON.parse(process.argv[3] || '{}');
if (!Number.isInteger(port) || port <= 0 || !Array.isArray(opts.redirect_uris)) {
	console.error('usage: node oidc_provider.mjs PORT \'{"redirect_uris": [...], ...}\'');
	process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const users = opts.users || {};
const MAX_FORM = 4096;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

function account(id) {
	const u = users[id];
	if (!u)
		return undefined;
	return {
		accountId: id,
		async claims() {
			return {
				sub: u.sub || id,
				email: u.email,
				email_verified: u.email_verified !== undefined ? u.email_verified : true,
				name: u.name || id,
				groups: u.groups || [],
			};
		},
	};
}

const common = {
	redirect_uris: opts.redirect_uris,
	grant_types: ['authorization_code'],
	response_types: ['code'],
	id_token_signed_response_alg: 'RS256',
};

const provider = new Provider(issuer, {
	clients: [
		{ ...common, client_id: 'fedgate-web', client_secret: opts.client_secret || 'fedgate-web-secret',
		  token_endpoint_auth_method: opts.auth_method || 'client_secret_basic' },
		{ ...common, client_id: 'fedgate-public', token_endpoint_auth_method: 'none' },
	],
	jwks: { keys: [signingJwk] },
	cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
	pkce: { required: () => true },
	features: { devInteractions: { enabled: false } },
	conformIdTokenClaims: false,
	claims: {
		openid: ['sub'],
		email: ['email', 'email_verified'],
		profile: ['name', 'groups'],
		groups: ['groups'],
	},
	findAccount: async (_ctx, id) => account(id),
	interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
	ttl: { AuthorizationCode: 60, IdToken: 600, AccessToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

function esc(s) {
	return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(res, uid, clientId, message) {
	const body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test IdP sign-in</title>
<style>body{font-family:sans-serif;max-width:26em;margin:4em auto}label{display:block;margin:.6em 0}
input{width:100%;padding:.4em}button{margin-top:1em;padding:.5em 1.5em}.err{color:#a00}</style></head>
<body><h1>Test IdP (oidc-provider)</h1><p>Sign in to continue to <b>${esc(clientId)}</b>.</p>
${message ? `<p class="err" id="login-error">${esc(message)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label>Username <input name="username" autofocus></label>
<label>Password <input name="password" type="password"></label>
<button id="sign-in" type="submit">Sign in</button></form></body></html>`;
	res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
	res.end(body);
}

function readForm(req) {
	return new Promise((resolve, reject) => {
		let data = '';
		req.setEncoding('utf8');
		req.on('data', (chunk) => {
			data += chunk;
			if (data.length > MAX_FORM) {
				reject(new Error('form too large'));
				req.destroy();
			}
		});
		req.on('end', () => resolve(new URLSearchParams(data)));
		req.on('error', reject);
	});
}

// The grant a consent page would have made: everything still missing.
async function grantFor(details) {
	const { prompt: { details: missing }, params, session } = details;
	let grant = details.grantId ? await provider.Grant.find(details.grantId)
		: new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
	if (missing.missingOIDCScope)
		grant.addOIDCScope(missing.missingOIDCScope.join(' '));
	if (missing.missingOIDCClaims)
		grant.addOIDCClaims(missing.missingOIDCClaims);
	for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {}))
		grant.addResourceScope(indicator, scopes.join(' '));
	return grant.save();
}

async function interaction(req, res, uid, action) {
	const details = await provider.interactionDetails(req, res);
	if (details.uid !== uid) {
		res.writeHead(400).end('interaction mismatch');
		return;
	}
	const name = details.prompt.name;
	if (name === 'consent') {
		const grantId = await grantFor(details);
		await provider.interactionFinished(req, res, { consent: { grantId } },
			{ mergeWithLastSubmission: true });
		return;
	}
	if (name !== 'login') {
		res.writeHead(400).end(`unexpected prompt ${name}`);
		return;
	}
	if (req.method === 'GET' && !action) {
		loginPage(res, uid, details.params.client_id, '');
		return;
	}
	if (req.method !== 'POST' || action !== 'login') {
		res.writeHead(405).end();
		return;
	}
	const form = await readForm(req);
	const id = form.get('username') || '';
	const u = Object.hasOwn(users, id) ? users[id] : undefined;
	const given = Buffer.from(form.get('password') || '');
	const want = Buffer.from(u ? String(u.password) : '');
	if (!u || given.length !== want.length || !crypto.timingSafeEqual(given, want)) {
		loginPage(res, uid, details.params.client_id, 'Wrong username or password.');
		return;
	}
	await provider.interactionFinished(req, res, { login: { accountId: id } },
		{ mergeWithLastSubmission: false });
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
	const m = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login))?(?:\?.*)?$/.exec(req.url);
	if (!m) {
		callback(req, res);
		return;
	}
	interaction(req, res, m[1], m[2]).catch((err) => {
		console.error('interaction error', err);
		if (!res.headersSent)
			res.writeHead(500, { 'Content-Type': 'text/plain' });
		res.end(`interaction error: ${err.message}`);
	});
});
server.listen(port, '127.0.0.1', () => console.log(`READY ${port}`));
for (const sig of ['SIGTERM', 'SIGINT'])
	process.on(sig, () => process.exit(0));
