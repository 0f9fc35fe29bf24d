// console-test.cjs - the operator console in a real browser (Debian's chromium driven by
// playwright-core), against a real node under 'parley run --console'. Run by tests/cli/t0220-console.sh,
// which starts the relay and the node and checks the log with the CLI afterwards.
//
// Environment: PLAYWRIGHT_CORE (the package's directory), AXE (axe-core's axe.min.js), CHROMIUM (the browser), CONSOLE_URL_FILE
// (HOME/console.url of party A), PARLEY and B_HOME (party B sends with the CLI), SRCDIR, OUT (a
// directory for screenshots, the downloaded proof and results.json), PARLEY_TIME_FACTOR.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium, request } = require(process.env.PLAYWRIGHT_CORE);

const OUT = process.env.OUT;
const FACTOR = Number(process.env.PARLEY_TIME_FACTOR || 1);
const SRC = process.env.SRCDIR;
const WAIT = 30000 * FACTOR;           // for anything but the 3 s bound under test
const results = {};
let step = 'start';
const t0 = Date.now();

function log(msg) { console.log('[' + ((Date.now() - t0) / 1000).toFixed(1) + ' s] ' + msg); }
function check(cond, msg) { if (!cond) throw new Error('check failed: ' + msg); }
function b(...args) {
	return execFileSync(process.env.PARLEY, ['--home', process.env.B_HOME, ...args],
		{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
// the log index a 'Recorded as log entry #N' / 'log entry #N' message names
function indexIn(text) {
	const m = /log entry #(\d+)/.exec(text);
	check(m, 'no log index in "' + text + '"');
	return Number(m[1]);
}

async function main() {
	const url = fs.readFileSync(process.env.CONSOLE_URL_FILE, 'utf8').trim();
	check(/^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/.test(url), 'console.url is the address with a token: ' + url);
	const origin = new URL(url).origin;
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--disable-dev-shm-usage'],
	});
	let page = null;
	try {
		const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, timezoneId: 'Europe/Paris' });
		ctx.setDefaultTimeout(WAIT);
		page = await ctx.newPage();
		const problems = [];
		page.on('pageerror', (e) => problems.push('page error: ' + e.message));
		page.on('console', (m) => {
			// a CSP violation (inline script or style, a foreign origin) is reported on the console
			if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) problems.push('console: ' + m.text());
		});
		// each page shown is also checked by axe-core against WCAG 2.1 A and AA (contrast, labels,
		// names, structure); run through the DevTools protocol, which the page's CSP does not cover
		const axeSrc = fs.readFileSync(process.env.AXE, 'utf8');
		const a11y = [];
		const shot = async (name) => {
			await page.screenshot({ path: path.join(OUT, name) });
			if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSrc + ';0');
			const r = await page.evaluate(() => window.axe.run(document, {
				runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
			}));
			for (const v of r.violations) a11y.push(name + ': ' + v.id + ' (' + v.help + ') at ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
			log('screenshot ' + name + ', WCAG violations: ' + r.violations.length);
		};

		// --- login: the token in the fragment is exchanged for the cookie, then dropped
		step = 'login';
		const first = await page.goto(url);
		const csp = first.headers()['content-security-policy'] || '';
		check(/default-src 'none'/.test(csp) && /script-src 'self'/.test(csp), 'the page carries the strict CSP: ' + csp);
		await page.getByRole('columnheader', { name: 'Deadline', exact: true }).waitFor();
		check(!page.url().includes('token'), 'the token left the address bar: ' + page.url());
		const cookies = await ctx.cookies();
		const sess = cookies.find((c) => c.name === 'parley_console');
		check(sess && sess.httpOnly && sess.sameSite === 'Strict', 'an HttpOnly SameSite=Strict session cookie: ' + JSON.stringify(cookies));
		log('logged in');

		// --- B's request (sent before the login, its 3 s acknowledgement deadline long past) is
		// first in the list, overdue, in red
		step = 'overdue request';
		const rfi = page.getByRole('row').filter({ hasText: 'Do you see beaconing to 198.51.100.7' });
		await rfi.getByText(/^overdue by \d+/).waitFor();
		const red = await rfi.locator('.countdown').evaluate((el) => getComputedStyle(el).color);
		check(red === 'rgb(179, 38, 30)', 'an overdue deadline is red: ' + red);
		check((await page.getByRole('row').nth(1).textContent()).includes('Do you see beaconing'), 'the overdue request is first');
		await page.getByText(/^charter of channel [0-9a-f]{16}\.\.\. expires at /).waitFor();
		await page.getByText('test channel: up').waitFor();
		await page.getByRole('link', { name: 'Request #' + process.env.B_PSI_REQUEST }).waitFor();

		// --- a notification sent by B with the CLI shows up without reloading, within 3 s
		step = 'live notification';
		const marker = 'phishing wave against the election commission ' + process.pid;
		const navs = [];
		page.on('framenavigated', (f) => { if (f === page.mainFrame()) navs.push(f.url()); });
		const out = b('notify', '--to', 'cert-a', '--category', 'election-infrastructure', '--tlp', 'amber',
			'--text', marker + '\nThree ministries got the same lure at 09:00; sender domain lookalike.');
		const opener = Number(out.trim().split('\n').pop());
		const sent = Date.now();
		check(Number.isInteger(opener), 'notify printed the index: ' + out);
		results.opener = opener;
		const link = page.getByRole('link', { name: marker });
		await link.waitFor({ timeout: 3000 * FACTOR });
		results.appear_ms = Date.now() - sent;
		check(navs.length === 0, 'the page was not reloaded: ' + navs.join(', '));
		log('notification #' + opener + ' appeared after ' + results.appear_ms + ' ms');
		const row = page.getByRole('row').filter({ has: link });
		check(/in \d+ h \d+ min/.test(await row.textContent()), 'a live countdown in its row');
		check((await row.textContent()).includes('cert-a (you)'), 'whose turn: this party');
		await shot('console-attention.png');

		// --- the thread: Acknowledge, then Reply, with the buttons (keyboard for one of them)
		step = 'thread';
		await link.click();
		await page.getByRole('heading', { name: 'Thread #' + opener }).waitFor();
		await page.getByRole('heading', { name: '#' + opener + ' notification from cert-b' }).waitFor();
		const ack = page.getByRole('button', { name: 'Acknowledge', exact: true });
		await ack.focus();
		await page.keyboard.press('Enter');
		const ackMsg = page.getByText(/^Acknowledgement recorded as log entry #\d+\.$/);
		await ackMsg.waitFor();
		results.ack = indexIn(await ackMsg.textContent());
		await page.getByRole('heading', { name: '#' + results.ack + ' acknowledgement from cert-a' }).waitFor();
		check(await ack.count() === 0, 'Acknowledge is no longer offered once done');
		log('acknowledged: entry #' + results.ack);
		const replyText = 'We see it too: blocking the lookalike domain now. ' + process.pid;
		await page.getByLabel('Text of a reply or escalation').fill(replyText);
		await page.getByRole('button', { name: 'Reply', exact: true }).click();
		const replyMsg = page.getByText(/^Reply recorded as log entry #\d+\.$/);
		await replyMsg.waitFor();
		results.reply = indexIn(await replyMsg.textContent());
		await page.getByRole('heading', { name: '#' + results.reply + ' response from cert-a' }).waitFor();
		await page.getByText(replyText).waitFor();
		log('replied: entry #' + results.reply);
		for (const name of ['Reply', 'Escalate', 'Close', 'Prove']) {
			check(await page.getByRole('button', { name, exact: true }).count() === 1, 'the button ' + name);
		}
		await page.getByRole('cell', { name: 'met' }).first().waitFor();

		// --- Prove downloads the proof bundle (checked with the CLI by the shell test)
		step = 'prove';
		const [download] = await Promise.all([
			page.waitForEvent('download'),
			page.getByRole('button', { name: 'Prove', exact: true }).click(),
		]);
		results.proof = path.join(OUT, 'proof.json');
		await download.saveAs(results.proof);
		check(download.suggestedFilename() === 'proof-' + opener + '.json', 'the bundle is named proof-N.json: ' + download.suggestedFilename());
		await page.getByText(/^Proof bundle saved as/).waitFor();
		log('proof saved');
		await page.evaluate(() => window.scrollTo(0, 0));
		await shot('console-thread.png');

		// --- New notification: an invalid STIX upload is refused with the validator's line
		step = 'new notification';
		await page.getByRole('link', { name: 'New notification' }).click();
		await page.getByRole('heading', { name: 'New notification or request' }).waitFor();
		await page.getByLabel('cert-b').check();
		await page.getByLabel('Category').selectOption('ip-theft');
		await page.getByLabel('TLP').selectOption('green');
		await page.getByLabel('Text', { exact: true }).fill('Indicators of the PaperLamp backdoor, as STIX.');
		const stixInput = page.getByLabel(/^STIX bundle/);
		await stixInput.setInputFiles(path.join(SRC, 'tests/stix/invalid/confidence-101.json'));
		const line = 'tool--efab1fb5-8d88-4b1d-a2ec-4f383ffcbc6e: confidence: 101 is out of range 0 to 100';
		await page.getByText(line, { exact: true }).waitFor();
		await page.getByText(/invalid STIX, it will not be sent/).waitFor();
		log('invalid STIX refused on the spot');
		await shot('console-new-invalid.png');
		await page.getByRole('button', { name: 'Send', exact: true }).click();
		await page.getByText('Not sent:').waitFor();
		// the node refuses it too, whatever the page does: 422 with the validator's lines
		const bad = JSON.parse(fs.readFileSync(path.join(SRC, 'tests/stix/invalid/confidence-101.json'), 'utf8'));
		const chan = execFileSync(process.env.PARLEY, ['charter', 'verify', path.join(path.dirname(process.env.B_HOME), 'c.json')], { encoding: 'utf8' }).trim();
		const direct = await page.evaluate(async ([chan, bad]) => {
			const s = await (await fetch('/api/session')).json();
			const r = await fetch('/api/channels/' + chan + '/notify', {
				method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
				body: JSON.stringify({ to: ['cert-b'], category: 'ip-theft', tlp: 'green', text: 'x', stix: bad, request: false }),
			});
			return { status: r.status, body: await r.json() };
		}, [chan, bad]);
		check(direct.status === 422 && (direct.body.problems || []).includes(line), 'the node refuses invalid STIX with the validator\'s line: ' + JSON.stringify(direct));

		// a valid bundle whose strings are markup: sent, then shown as text, never run
		await stixInput.setInputFiles(path.join(SRC, 'tests/console/hostile-bundle.json'));
		await page.getByText(/hostile-bundle\.json: valid STIX 2\.1 \(3 objects\)/).waitFor();
		await page.getByRole('button', { name: 'Send', exact: true }).click();
		const sentMsg = page.getByText(/^Notification sent to cert-b: log entry #\d+\./);
		await sentMsg.waitFor();
		results.stix_notification = indexIn(await sentMsg.textContent());
		log('notification with STIX sent: entry #' + results.stix_notification);
		await page.getByRole('link', { name: 'Open the thread' }).click();
		await page.getByRole('heading', { name: '#' + results.stix_notification + ' notification from cert-a' }).waitFor();
		await page.getByText('STIX content: 3 objects').waitFor();
		await page.getByText('<img src=x onerror="window.__pwned=1">C2 address').first().waitFor();
		await page.getByText(/indicates/).first().waitFor();
		const injected = await page.evaluate(() => ({
			pwned: window.__pwned,
			imgs: document.querySelectorAll('main img').length,
			scripts: document.querySelectorAll('main script').length,
			onclick: document.querySelectorAll('main [onclick]').length,
		}));
		check(injected.pwned === undefined && injected.imgs === 0 && injected.scripts === 0 && injected.onclick === 0,
			'STIX strings stay text: ' + JSON.stringify(injected));
		await page.getByRole('heading', { name: 'STIX content: 3 objects' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
		await shot('console-stix.png');
		// Close asks once more, then closes: the thread leaves the attention list
		await page.getByRole('button', { name: 'Close', exact: true }).click();
		await page.getByRole('button', { name: 'Yes, close the thread' }).click();
		const closeMsg = page.getByText(/^Close recorded as log entry #\d+\.$/);
		await closeMsg.waitFor();
		results.close = indexIn(await closeMsg.textContent());
		await page.getByRole('link', { name: /Needs attention/ }).click();
		await page.getByRole('columnheader', { name: 'Deadline', exact: true }).waitFor();
		// (the list is redrawn from the next poll: wait for it)
		await page.getByRole('link', { name: 'Indicators of the PaperLamp backdoor, as STIX.' }).waitFor({ state: 'detached' });

		// --- Check a proof: the bundle Prove downloaded
		step = 'check a proof';
		await page.getByRole('link', { name: 'Check a proof' }).click();
		await page.getByLabel(/proof\.json/).setInputFiles(results.proof);
		await page.getByText(/^Valid proof: met: cert-a met every deadline of entry \d+$/).waitFor();
		await shot('console-proof.png');
		// and a tampered one is not valid
		const tampered = JSON.parse(fs.readFileSync(results.proof, 'utf8'));
		const tamperedPath = path.join(OUT, 'proof-tampered.json');
		fs.writeFileSync(tamperedPath, JSON.stringify(tampered).replace(/"cert-a"/, '"cert-x"'));
		await page.getByLabel(/proof\.json/).setInputFiles(tamperedPath);
		await page.getByText(/^Invalid proof/).waitFor();
		log('proof checked in the page');

		// --- Channel and PSI pages, Sync now
		step = 'channel';
		await page.getByRole('link', { name: 'Channels', exact: true }).click();
		await page.getByRole('link', { name: 'test channel' }).click();
		await page.getByRole('heading', { name: 'Latest checkpoint' }).waitFor();
		await page.getByRole('heading', { name: 'Escalation ladder' }).waitFor();
		await shot('console-channel.png');
		// --- PSI: answer B's request (sent before the login), start one of A's, see its result
		step = 'psi';
		const bReq = Number(process.env.B_PSI_REQUEST);
		await page.getByRole('link', { name: 'PSI', exact: true }).click();
		await page.getByRole('heading', { name: 'Requests and results' }).waitFor();
		await page.getByLabel('Your indicators for #' + bReq + ' (one per line)').setInputFiles(path.join(SRC, 'tests/console/a-indicators.txt'));
		await page.getByRole('button', { name: 'Answer request #' + bReq }).click();
		const answered = page.getByText(/^(Answered request|Refused, and the refusal logged|Answer refused)/);
		await answered.waitFor();
		check(/^Answered/.test(await answered.textContent()), 'the PSI answer: ' + await answered.textContent());
		log('answered B\'s PSI request #' + bReq);
		await page.getByLabel('With').selectOption('cert-b');
		await page.getByLabel(/^Indicators file/).setInputFiles(path.join(SRC, 'tests/console/a-indicators.txt'));
		await page.getByRole('button', { name: 'Start PSI request' }).click();
		const psiMsg = page.getByText(/^PSI request sent: log entry #\d+\.$/);
		await psiMsg.waitFor();
		results.psi_request = indexIn(await psiMsg.textContent());
		b('sync');
		b('psi', 'respond', String(results.psi_request), '--set', path.join(SRC, 'tests/console/b-indicators.txt'));
		log('B answered A\'s PSI request #' + results.psi_request + ' with the CLI');
		await page.getByRole('button', { name: 'Sync now' }).click();
		await page.getByText('3 in common:').waitFor();
		// each indicator as the set normalised it (type:value)
		for (const x of [/^ipv4-addr:198\.51\.100\.7$/, /^ipv4-addr:203\.0\.113\.5$/, /^domain-name:evil-lure\.example$/]) await page.getByRole('cell').getByText(x).waitFor();
		await shot('console-psi.png');
		step = 'sync';
		await page.getByRole('button', { name: 'Sync now' }).click();
		await page.getByText(/^Synced test channel: \d+ entries/).waitFor();

		// --- keyboard: Tab reaches the navigation, and the focus is visible
		step = 'keyboard';
		await page.getByRole('link', { name: /Needs attention/ }).click();
		await page.getByRole('columnheader', { name: 'Deadline', exact: true }).waitFor();
		await page.keyboard.press('Tab');
		const focus = await page.evaluate(() => {
			const el = document.activeElement;
			const st = getComputedStyle(el);
			return { text: el.textContent, outline: st.outlineStyle + ' ' + st.outlineWidth };
		});
		check(focus.outline.startsWith('solid') && focus.outline !== 'solid 0px', 'a visible focus ring: ' + JSON.stringify(focus));

		// --- refusals: no cookie → 401, wrong or missing CSRF token → 403, a used token → 401
		step = 'refusals';
		const anon = await request.newContext({ baseURL: origin });
		const r1 = await anon.get('/api/attention');
		check(r1.status() === 401, 'GET /api/attention without the cookie: ' + r1.status());
		const r2 = await anon.post('/api/sync', { data: {} });
		check(r2.status() === 401 || r2.status() === 403, 'POST /api/sync without the cookie: ' + r2.status());
		const token = url.split('#token=')[1];
		const r3 = await anon.post('/api/session', { data: { token } });
		check(r3.status() === 401, 'the one-time token a second time: ' + r3.status());
		await anon.dispose();
		const csrf = await page.evaluate(async () => {
			const post = (h) => fetch('/api/sync', { method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, h), body: '{}' }).then((r) => r.status);
			return { wrong: await post({ 'X-CSRF-Token': 'f'.repeat(64) }), missing: await post({}) };
		});
		check(csrf.wrong === 403 && csrf.missing === 403, 'POST with a wrong or no CSRF token: ' + JSON.stringify(csrf));
		log('refusals: ' + JSON.stringify({ nocookie: r1.status(), csrf }));

		// --- Log out: the node forgets the session (the cookie is refused from then on), the page
		// says how to log in again, and the next address console.url holds logs in, in the same tab
		step = 'logout';
		await page.getByRole('button', { name: 'Log out', exact: true }).click();
		await page.getByRole('heading', { name: 'Logged out', exact: true }).waitFor();
		await page.getByText('console.url', { exact: false }).first().waitFor();
		const after = await page.evaluate(() => fetch('/api/attention').then((r) => r.status));
		check(after === 401, 'the session after Log out: ' + after);
		check(await page.getByRole('button', { name: 'Log out', exact: true }).isHidden(), 'no Log out button once logged out');
		await shot('console-logged-out.png');
		const next = fs.readFileSync(process.env.CONSOLE_URL_FILE, 'utf8').trim();
		check(next !== url && /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/.test(next), 'console.url holds the next token: ' + next);
		await page.goto(next);
		await page.getByRole('columnheader', { name: 'Deadline', exact: true }).waitFor();
		check(!page.url().includes('token'), 'the next token left the address bar: ' + page.url());
		log('logged out, and in again with the next token of console.url');

		check(problems.length === 0, 'no script error or CSP violation: ' + problems.join('; '));
		check(a11y.length === 0, 'no WCAG violation (axe-core): ' + a11y.join('; '));
		await ctx.close();
	} catch (e) {
		// what the page showed when it failed, beside the other screenshots
		if (page) await page.screenshot({ path: path.join(OUT, 'console-failure.png'), fullPage: true }).catch(() => {});
		throw e;
	} finally {
		await browser.close();
	}
	fs.writeFileSync(path.join(OUT, 'results.json'), JSON.stringify(results, null, 1) + '\n');
	log('all checks passed');
}

main().catch((e) => {
	console.error('FAIL at step "' + step + '": ' + (e && e.stack ? e.stack : e));
	process.exit(1);
});
