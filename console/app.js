// app.js - the operator console's entry point: login from the one-time token in the URL's
// fragment, the page router (#/...), the attention poll (every second) and the Sync now button.
// No framework, no build step; every module is served by the node from /static/.
import { h, fill } from './dom.js';
import * as api from './api.js';
import * as ui from './ui.js';
import * as attention from './attention.js';
import * as thread from './thread.js';
import * as compose from './compose.js';
import * as proof from './proof.js';
import * as channel from './channel.js';
import * as psi from './psi.js';

const HEX = '([0-9a-fA-F]{1,128})';
const ROUTES = [
	[/^$/, attention.view, 'attention'],
	[new RegExp('^/thread/' + HEX + '/([0-9]{1,19})$'), thread.view, 'attention'],
	[/^\/new$/, compose.view, 'new'],
	[new RegExp('^/new/' + HEX + '$'), compose.view, 'new'],
	[/^\/check$/, proof.view, 'check'],
	[/^\/channels$/, channel.list, 'channels'],
	[new RegExp('^/channel/' + HEX + '$'), channel.view, 'channels'],
	[/^\/psi$/, psi.view, 'psi'],
	[new RegExp('^/psi/' + HEX + '$'), psi.view, 'psi'],
];

const main = document.getElementById('main');
let latest = null;             // the last /api/attention answer
const listeners = new Set();   // pages that redraw from it
let cleanup = null;
let loggedIn = false;

const ctx = {
	attention: () => latest,
	onAttention(fn) { listeners.add(fn); return () => listeners.delete(fn); },
	go(hash) { if (location.hash !== hash) location.hash = hash; else route(); },
};

let generation = 0;
async function route() {
	if (!loggedIn) return;
	const gen = ++generation;
	let path = location.hash.replace(/^#/, '');
	if (path === '/' || !path.startsWith('/')) path = '';
	if (cleanup) { cleanup(); cleanup = null; }
	for (const [re, fn, nav] of ROUTES) {
		const m = re.exec(path);
		if (!m) continue;
		for (const a of document.querySelectorAll('nav a')) {
			if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
		}
		const params = m.slice(1).map((x) => decodeURIComponent(x).toLowerCase());
		const c = await fn(main, params, ctx);
		if (gen !== generation) { if (typeof c === 'function') c(); return; } // left meanwhile
		cleanup = typeof c === 'function' ? c : null;
		const head = document.getElementById('page-heading');
		if (head) {
			document.title = head.textContent + ' — parley console';
			if (routed) head.focus();
		}
		routed = true;
		return;
	}
	fill(main, ui.pageHeading('Not found'), h('p', null, 'No such page. ', h('a', { href: '#/' }, 'Needs attention')));
}
let routed = false;

// the attention poll: one request at a time, about every second
let seen = null;
let failures = 0;
async function poll() {
	try {
		const data = await api.get('/api/attention');
		failures = 0;
		ui.setServerNow(data.now_ms);
		announceNew(data);
		latest = data;
		const n = (data.threads || []).filter((t) => Array.isArray(t.turn) && t.turn.includes(data.party)).length;
		fill(document.getElementById('attention-count'), n ? ' (' + n + ')' : '');
		setConn(null);
		for (const fn of [...listeners]) fn(data);
	} catch (err) {
		failures += 1;
		if (err.status === 401) return; // the session ended: ended() shows the login, no more polling
		if (err.status === 503 && latest) {
			// the node's own sync holds it (a slow relay): what the page shows is kept, and said to be old
			setConn('The node is busy (a sync with a slow relay?): the page shows what it had at ' +
				new Date(latest.now_ms).toLocaleTimeString() + '; it catches up by itself.');
			failures = 0;
		}
		if (failures >= 3) setConn('The node does not answer: ' + err.message);
	}
	setTimeout(poll, 1000);
}

// a thread that was not there at the previous poll is announced (screen readers too)
function announceNew(data) {
	const keys = new Set((data.threads || []).map((t) => t.channel + '/' + t.opener));
	if (seen) {
		const fresh = (data.threads || []).filter((t) => !seen.has(t.channel + '/' + t.opener) && t.requester !== data.party);
		if (fresh.length === 1) ui.say('New ' + fresh[0].type + ' from ' + (fresh[0].requester || '?') + ': ' + (fresh[0].summary || ''));
		else if (fresh.length > 1) ui.say(fresh.length + ' new threads.');
	}
	seen = keys;
}

function setConn(msg) {
	const el = document.getElementById('conn');
	if (!msg) { if (el.textContent) fill(el); el.hidden = true; return; }
	el.hidden = false;
	fill(el, msg);
}

async function syncNow(e) {
	const b = e.currentTarget;
	ui.say('Syncing…');
	try {
		const r = await ui.busy(b, api.post('/api/sync', {}));
		await ui.getChannels(true);
		const parts = (r.channels || []).map((c) => ui.channelName(c.channel) + ': ' + Number(c.size) + ' entries');
		ui.say('Synced ' + (parts.length ? parts.join('; ') : 'no channel') + ' at ' + new Date().toLocaleTimeString() + '.');
		route();
	} catch (err) {
		ui.say('Sync failed: ' + err.message);
	}
}

// how to log in (again): the node writes a fresh one-time address to HOME/console.url
function loginHelp() {
	return h('p', null, h('code', null, 'cat ~/.parley/console.url'), ' (or HOME/console.url with --home), then open that address.');
}

// the session is over (expired, logged out, the node restarted): back to the login
function ended(title, why) {
	if (!loggedIn) return;
	loggedIn = false;
	++generation;
	if (cleanup) { cleanup(); cleanup = null; }
	listeners.clear();
	latest = null;
	setConn(null);
	document.getElementById('session').hidden = true;
	document.getElementById('logout').hidden = true;
	fill(document.getElementById('attention-count'), '');
	fill(main, ui.pageHeading(title), h('p', null, why),
		h('p', null, 'To log in again, open the new one-time address the node wrote to its home:'), loginHelp());
	document.title = title + ' — parley console';
	const head = document.getElementById('page-heading');
	if (head) head.focus();
}

async function logout(e) {
	try {
		await ui.busy(e.currentTarget, api.logout());
	} catch (err) {
		if (err.status !== 401) { ui.say('Log out failed: ' + err.message); return; }
	}
	ended('Logged out', 'This session is over: the node forgot it.');
}

async function start() {
	document.getElementById('sync').addEventListener('click', syncNow);
	document.getElementById('logout').addEventListener('click', logout);
	// a login address opened in this tab again (only its fragment differs): start over with it
	window.addEventListener('hashchange', () => { if (/^#token=/.test(location.hash)) location.reload(); });
	api.whenEnded((msg) => ended('Session ended', 'The node ended this session (' + msg + ').'));
	document.getElementById('skip').addEventListener('click', (e) => {
		e.preventDefault();
		const head = document.getElementById('page-heading') || main;
		head.focus();
	});
	const m = /^#token=([0-9A-Za-z]{1,256})$/.exec(location.hash);
	try {
		if (m) {
			// the one-time token never stays in the address bar or the history
			history.replaceState(null, '', location.pathname + location.search);
			await api.login(m[1]);
		} else {
			await api.resume();
		}
	} catch (err) {
		fill(main, ui.pageHeading('Not logged in'),
			h('p', null, m ? 'The token was refused (' + err.message + '): it works once, and the node writes a new one after each login and at each start.'
				: 'This page needs the address the node wrote to its home:'),
			loginHelp());
		return;
	}
	loggedIn = true;
	fill(document.getElementById('party'), api.party);
	document.getElementById('session').hidden = false;
	document.getElementById('logout').hidden = false;
	try { await ui.getChannels(); } catch (err) { /* shown by the pages that need them */ }
	window.addEventListener('hashchange', route);
	setInterval(ui.tick, 1000);
	await poll();
	await route();
}

start();
