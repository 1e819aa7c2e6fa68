// tests/js/login_flows.mjs - drives fedgate's login page in headless
// Chromium (Debian's /usr/bin/chromium through playwright-core) for
// tests/integration/test_login_browser.py.
//
//   node login_flows.mjs FLOW '{"base": "http://127.0.0.1:PORT", ...}'
//
// Prints one JSON object on stdout: {"ok": true|false, "flow", "pages":
// [{method, url, status}] (every top-level navigation, query strings
// cut), "screenshots": [paths], ...flow results}, or "error" when a step
// failed (exit status 1; a screenshot of where it stopped is taken).
//
// Flows (params in brackets are optional):
//   web      start [at "start", default base/login] -> click provider ->
//            IdP sign-in -> read the role picker [filter] -> [choose
//            role_arn with duration] -> read the credentials page
//            [refresh] [logout, then GET /roles]
//   capture  sign in at the IdP but stop the request to fedgate's
//            "stop_at" path (/saml/acs or /oidc/callback): returns that
//            request (url, form fields) and the browser's cookies, so
//            the test can replay or tamper with it outside the browser
//   session  sign in; returns the landing page (kind, csrf) and cookies
//   cli      open "start" (the URL `fedgate login` printed), sign in,
//            confirm form#cli-send, wait for the CLI's loopback page
//   visit    open each of "paths" on fedgate, signed out, and read it
// "no_js": true runs any flow with JavaScript disabled.
//
// IdP sign-in ("idp": "ssp" or "oidc", "user", "password"): fills the
// SimpleSAMLphp or oidc_provider.mjs login form; an IdP that still has a
// session shows no form and is passed straight through.
//
// Screenshots go to params.shots (default ./screenshots) as
// PREFIX-NN-LABEL.png, full page.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
	'--disable-background-networking'];
const STEP_TIMEOUT = 15000;

const flow = process.argv[2];
const params = JSON.parse(process.argv[3] || '{}');
const base = (params.base || '').replace(/\/+$/, '');
const shotsDir = params.shots || path.resolve('screenshots');
const prefix = (params.prefix || flow || 'flow').replace(/[^A-Za-z0-9_.-]/g, '_');
const out = { ok: false, flow, pages: [], screenshots: [] };
let shotNo = 0;
const t0 = Date.now();
out.timing = [];
function mark(what) {
	out.timing.push(`${what}@${Date.now() - t0}`);
}

function cutQuery(u) {
	try {
		const x = new URL(u);
		const keys = [...x.searchParams.keys()];
		return x.origin + x.pathname + (keys.length ? `?${keys.join('&')}` : '');
	} catch {
		return u;
	}
}

async function snap(page, label) {
	mark(label);
	shotNo += 1;
	const file = path.join(shotsDir, `${prefix}-${String(shotNo).padStart(2, '0')}-${label}.png`);
	try {
		await page.screenshot({ path: file, fullPage: true, timeout: 5000 });
		out.screenshots.push(file);
	} catch (e) {
		out.screenshots.push(`${file} (failed: ${e.message.split('\n')[0]})`);
	}
}

function pathOf(page) {
	try {
		return new URL(page.url()).pathname;
	} catch {
		return '';
	}
}

async function textOf(page, sel) {
	const el = await page.$(sel);
	return el ? (await el.textContent()).trim() : null;
}

// fedgate's error page contract (gateway/web_html.h), or null.
async function errorPage(page) {
	const code = await textOf(page, 'code#error-code');
	if (code === null)
		return null;
	return { title: await textOf(page, 'h1#error-title'),
		message: await textOf(page, 'p#error-message'), code };
}

async function settle(page) {
	await page.waitForLoadState('load', { timeout: STEP_TIMEOUT });
}

// True when page is on fedgate (same origin as base).
function onFedgate(page) {
	try {
		return new URL(page.url()).origin === new URL(base).origin;
	} catch {
		return false;
	}
}

async function clickProvider(page) {
	if (!params.provider)
		return;
	await settle(page);
	if (pathOf(page) !== '/login' || !onFedgate(page))
		return;
	await snap(page, 'login');
	out.login_buttons = await page.$$eval('a.provider', (as) => as.map((a) => ({
		provider: a.dataset.provider, href: a.getAttribute('href'), text: a.textContent.trim() })));
	await Promise.all([
		page.waitForURL((u) => u.origin !== new URL(base).origin, { timeout: STEP_TIMEOUT }),
		page.click(`a.provider[data-provider="${params.provider}"]`),
	]);
}

// Fill the IdP's form; returns when the browser has left the IdP.
async function idpLogin(page) {
	await settle(page);
	if (onFedgate(page))
		return;		// IdP session: straight back
	const user = page.locator('input[name=username]');
	try {
		await user.waitFor({ timeout: STEP_TIMEOUT });
	} catch {
		throw new Error(`no login form at the IdP (${cutQuery(page.url())})`);
	}
	await snap(page, `idp-${params.idp || 'login'}`);
	await user.fill(params.user || '');
	await page.fill('input[name=password]', params.password || '');
	if (params.expect_idp_error) {
		await Promise.all([page.waitForNavigation({ timeout: STEP_TIMEOUT }),
			page.press('input[name=password]', 'Enter')]);
		out.idp_error = { at_idp: !onFedgate(page), message: await textOf(page, '#login-error') };
		await snap(page, 'idp-error');
		return;
	}
	const leave = page.waitForURL((u) => u.origin === new URL(base).origin, { timeout: STEP_TIMEOUT });
	await page.press('input[name=password]', 'Enter');
	mark('submitted');
	await leave;
	mark('left-idp');
}

// What fedgate shows after sign-in (or any fedgate page): its kind and data.
async function readPage(page, label) {
	await settle(page);
	const p = { path: pathOf(page), kind: 'other' };
	const err = await errorPage(page);
	if (err) {
		p.kind = 'error';
		p.error = err;
	} else if (await page.$('pre#cred-process')) {
		p.kind = 'credentials';
		p.credentials = await readCredentials(page);
	} else if (await page.$('form#cli-send')) {
		p.kind = 'cli-confirm';
		p.cli_text = (await page.textContent('main, body')).replace(/\s+/g, ' ').trim();
	} else if (await page.$('input#role-filter') || await page.$('li.role')) {
		p.kind = 'roles';
		p.roles = await readRoles(page);
	} else if (await page.$('a.provider')) {
		p.kind = 'login';
	}
	p.signed_in = (await page.$('form#logout')) !== null;
	p.csrf = await page.$eval('input[name=csrf]', (i) => i.value).catch(() => null);
	p.title = await page.title();
	await snap(page, label ? `${label}-${p.kind}` : p.kind);
	return p;
}

async function readRoles(page) {
	return page.$$eval('section.account', (secs) => secs.map((s) => ({
		account: s.dataset.account,
		heading: (s.querySelector('h2')?.textContent || '').replace(/\s+/g, ' ').trim(),
		roles: [...s.querySelectorAll('li.role')].map((li) => ({
			arn: li.dataset.roleArn,
			text: li.textContent.replace(/\s+/g, ' ').trim(),
			durations: [...li.querySelectorAll('select[name=duration] option')].map((o) => o.value),
			selected: li.querySelector('select[name=duration]')?.value ?? null,
		})),
	})));
}

async function visibleRoles(page) {
	const out = [];
	for (const li of await page.$$('li.role'))
		if (await li.isVisible())
			out.push(await li.getAttribute('data-role-arn'));
	return out;
}

async function readCredentials(page) {
	const c = {
		env: await textOf(page, 'pre#cred-env'),
		ini: await textOf(page, 'pre#cred-ini'),
		process_text: await textOf(page, 'pre#cred-process'),
		expiration: await page.$eval('time#expiration', (t) => t.getAttribute('datetime')).catch(() => null),
		countdown: await textOf(page, 'span#countdown'),
		copy_buttons: await page.$$eval('button.copy', (bs) => bs.map((b) => b.dataset.copy)),
		has_refresh: (await page.$('form#refresh')) !== null,
	};
	try {
		c.process = JSON.parse(c.process_text);
	} catch {
		c.process = null;
	}
	return c;
}

// Submit a form on the page and wait for the next document.
async function submit(page, formSel, buttonSel) {
	const btn = `${formSel} ${buttonSel || 'button[type=submit], input[type=submit]'}`;
	await Promise.all([
		page.waitForNavigation({ timeout: STEP_TIMEOUT }),
		page.locator(btn).first().click(),
	]);
}

async function chooseRole(page, arn, duration) {
	const li = `li.role[data-role-arn="${arn}"]`;
	if (duration !== undefined && duration !== null)
		await page.selectOption(`${li} select[name=duration]`, String(duration));
	await submit(page, `${li} form.choose`);
}

async function signIn(page) {
	await page.goto(params.start || `${base}/login`, { timeout: STEP_TIMEOUT });
	await clickProvider(page);
	await idpLogin(page);
}

async function flowWeb(page, context) {
	await signIn(page);
	if (params.expect_idp_error)
		return;
	let p = await readPage(page, 'after-login');
	out.landing = p;
	if (p.kind === 'roles' && params.filter !== undefined) {
		await page.fill('input#role-filter', params.filter);
		await page.waitForTimeout(200);
		out.filtered = await visibleRoles(page);
		await snap(page, 'roles-filtered');
		await page.fill('input#role-filter', '');
		await page.waitForTimeout(100);
		out.unfiltered = await visibleRoles(page);
	}
	if (p.kind === 'roles' && params.role_arn) {
		await chooseRole(page, params.role_arn, params.duration);
		p = await readPage(page, 'chosen');
		out.chosen = p;
	}
	if (p.kind === 'credentials') {
		out.credentials = p.credentials;
		if (params.countdown) {
			// two readings of the script's own ticks, 2 s apart
			out.credentials.countdown_ticks = [await textOf(page, 'span#countdown')];
			await page.waitForTimeout(2100);
			out.credentials.countdown_ticks.push(await textOf(page, 'span#countdown'));
		}
		if (params.copy) {
			await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
			await page.click('button.copy[data-copy="cred-process"]');
			await page.waitForTimeout(200);
			out.copied = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => `error: ${e.message}`);
		}
		if (params.refresh) {
			await submit(page, 'form#refresh');
			out.refreshed = await readPage(page, 'refreshed');
		}
	}
	if (params.logout) {
		await submit(page, 'form#logout');
		out.signed_out = await readPage(page, 'signed-out');
		const r = await page.goto(`${base}/roles`, { timeout: STEP_TIMEOUT });
		out.after_logout = { path: pathOf(page), status: r ? r.status() : null };
		await snap(page, 'after-logout');
	}
}

// Through the DevTools protocol's Fetch domain, not page.route(): the
// OIDC callback is the target of the IdP's redirect, and Playwright does
// not route requests that a redirect made.
async function flowCapture(page, context) {
	const stop = params.stop_at;
	if (!stop)
		throw new Error('capture needs stop_at');
	const cdp = await context.newCDPSession(page);
	let resolveHit;
	const hit = new Promise((r) => { resolveHit = r; });
	cdp.on('Fetch.requestPaused', async (e) => {
		const u = new URL(e.request.url);
		let body = e.request.postData;
		if (body === undefined && e.request.postDataEntries)
			body = e.request.postDataEntries.map((x) => Buffer.from(x.bytes || '', 'base64').toString()).join('');
		resolveHit({ method: e.request.method, url: e.request.url,
			form: body ? Object.fromEntries(new URLSearchParams(body)) : null,
			query: Object.fromEntries(u.searchParams) });
		await cdp.send('Fetch.fulfillRequest', { requestId: e.requestId, responseCode: 200,
			responseHeaders: [{ name: 'Content-Type', value: 'text/plain' }],
			body: Buffer.from('captured by the test').toString('base64') }).catch(() => {});
	});
	await cdp.send('Fetch.enable', { patterns: [
		{ urlPattern: `${base}${stop}*`, requestStage: 'Request' }] });
	await signIn(page);
	let timer;
	out.request = await Promise.race([hit, new Promise((_, rej) => {
		timer = setTimeout(() => rej(new Error(`no request to ${stop}`)), STEP_TIMEOUT);
	})]).finally(() => clearTimeout(timer));
	out.cookies = await context.cookies(base);
}

async function flowSession(page, context) {
	await signIn(page);
	out.landing = await readPage(page, 'after-login');
	out.cookies = await context.cookies(base);
}

async function flowCli(page) {
	if (!params.start)
		throw new Error('cli needs start (the URL fedgate login opened)');
	await signIn(page);
	const p = await readPage(page, 'cli');
	out.landing = p;
	if (p.kind !== 'cli-confirm')
		throw new Error(`expected the CLI confirm page, got ${p.kind} at ${p.path}`);
	const action = await page.$eval('form#cli-send', (f) => f.getAttribute('action'));
	out.cli_form_action = action;
	const respP = page.waitForResponse((r) => r.request().isNavigationRequest() &&
		new URL(r.url()).pathname === '/callback', { timeout: STEP_TIMEOUT });
	await Promise.all([
		page.waitForURL((u) => u.hostname === '127.0.0.1' && u.origin !== new URL(base).origin,
			{ timeout: STEP_TIMEOUT }),
		page.locator('form#cli-send button[type=submit], form#cli-send input[type=submit]').first().click(),
	]);
	await settle(page).catch(() => {});
	const r = await respP.catch(() => null);
	out.cli_callback = Object.fromEntries(new URL(page.url()).searchParams);
	out.cli_page = { url: cutQuery(page.url()), status: r ? r.status() : null,
		text: (await page.textContent('body').catch(() => '') || '').trim().slice(0, 500) };
	await snap(page, 'cli-done');
}

// Open each of params.paths on fedgate (no sign-in) and read what it shows.
async function flowVisit(page) {
	out.visited = [];
	for (const [i, p] of (params.paths || []).entries()) {
		const r = await page.goto(`${base}${p}`, { timeout: STEP_TIMEOUT });
		const seen = await readPage(page, `visit${i + 1}`);
		seen.status = r ? r.status() : null;
		out.visited.push(seen);
	}
}

const flows = { web: flowWeb, capture: flowCapture, session: flowSession, cli: flowCli,
	visit: flowVisit };

async function main() {
	if (!flows[flow])
		throw new Error(`unknown flow ${flow}; one of ${Object.keys(flows).join(', ')}`);
	if (!base)
		throw new Error('params.base (fedgate URL) is required');
	fs.mkdirSync(shotsDir, { recursive: true });
	const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
	try {
		const context = await browser.newContext({ viewport: { width: 1100, height: 800 },
			locale: 'en-US', timezoneId: 'UTC', javaScriptEnabled: !params.no_js });
		const page = await context.newPage();
		page.setDefaultTimeout(STEP_TIMEOUT);
		page.on('response', (r) => {
			const req = r.request();
			if (req.isNavigationRequest() && req.frame() === page.mainFrame())
				out.pages.push({ method: req.method(), url: cutQuery(r.url()), status: r.status() });
		});
		out.console_errors = [];
		page.on('console', (m) => {
			if (m.type() === 'error')
				out.console_errors.push({ url: cutQuery(m.location().url || page.url()),
					text: m.text().slice(0, 300) });
		});
		try {
			await flows[flow](page, context);
			out.ok = true;
		} catch (e) {
			out.error = e.message.split('\n').slice(0, 3).join(' ');
			out.error_at = cutQuery(page.url());
			await snap(page, 'error');
		}
	} finally {
		await browser.close();
	}
}

main().catch((e) => {
	out.error = String(e && e.message || e);
}).finally(() => {
	process.stdout.write(`${JSON.stringify(out)}\n`);
	process.exitCode = out.ok ? 0 : 1;
});
