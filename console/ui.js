// ui.js - pieces shared by the pages: status line, errors, TLP badges, countdowns, caches
import { h, fill } from './dom.js';
import * as api from './api.js';
import { span, utc } from './time.js';

// the polite status line in the header (screen readers announce it)
export function say(msg) {
	const s = document.getElementById('status');
	if (s) fill(s, msg);
}

// an error box (role=alert) with the node's message and, for refused STIX, the validator's lines
export function errorBox(err, prefix) {
	const msg = err instanceof Error ? err.message : String(err);
	const box = h('div', { class: 'error', role: 'alert' },
		h('p', null, (prefix ? prefix + ': ' : '') + msg));
	if (err && err.problems && err.problems.length) {
		box.appendChild(h('ul', { class: 'problems' }, err.problems.map((p) => h('li', null, h('code', null, String(p))))));
	}
	return box;
}

export function tlp(level) {
	const l = String(level || 'unknown').toLowerCase();
	const cls = 'tlp tlp-' + l.replace(/[^a-z]/g, '-');
	return h('span', { class: cls }, 'TLP:' + l.toUpperCase());
}

// the node's clock minus ours, from the last /api/attention answer
let offset = 0;
export function setServerNow(nowMs) {
	if (typeof nowMs === 'number') offset = nowMs - Date.now();
}
export function serverNow() { return Date.now() + offset; }

// the text of a countdown to deadline ms
function countdownText(deadline) {
	const left = deadline - serverNow();
	return left >= 0 ? 'in ' + span(left) : 'overdue by ' + span(-left);
}

// a live countdown: updated every second by tick()
export function countdown(deadline, kind) {
	if (deadline === null || deadline === undefined) return h('span', { class: 'muted' }, 'no deadline');
	const live = h('span', { class: 'countdown', 'data-deadline': String(deadline) }, countdownText(deadline));
	if (deadline - serverNow() < 0) live.classList.add('overdue');
	return h('span', { class: 'deadline' },
		live,
		h('span', { class: 'when' }, (kind ? kind + ' by ' : 'by ') + utc(deadline)));
}

export function tick() {
	for (const el of document.querySelectorAll('[data-deadline]')) {
		const d = Number(el.getAttribute('data-deadline'));
		const t = countdownText(d);
		if (el.textContent !== t) el.textContent = t;
		el.classList.toggle('overdue', d - serverNow() < 0);
	}
}

// the channels this home joined, cached (GET /api/channels); refresh() after a sync
let channels = null;
export async function getChannels(refresh) {
	if (!channels || refresh) channels = (await api.get('/api/channels')).channels || [];
	return channels;
}
export function channelName(hex) {
	const c = (channels || []).find((x) => x.channel === hex);
	return c ? c.name : String(hex).slice(0, 12);
}

// a channel <select>, labelled; calls onchange(hex) and picks `current` (or the first)
export async function channelPicker(id, current, onchange) {
	const list = await getChannels();
	const sel = h('select', { id, name: 'channel' },
		list.map((c) => h('option', { value: c.channel, selected: c.channel === current }, c.name + ' (' + c.channel.slice(0, 8) + '…)')));
	sel.addEventListener('change', () => onchange(sel.value));
	return { select: sel, value: sel.value || (list[0] && list[0].channel), list };
}

// a page heading that takes the focus when the page changes (keyboard and screen-reader users
// land on it)
export function pageHeading(text) {
	return h('h2', { id: 'page-heading', tabindex: '-1' }, text);
}

export function busy(button, promise) {
	button.disabled = true;
	button.setAttribute('aria-busy', 'true');
	return promise.finally(() => { button.disabled = false; button.removeAttribute('aria-busy'); });
}

// what an action's answer says happened: {"index": N}, or {"index": null, "queued": true} when the
// relay is down (the node keeps the signed entry in its outbox and sends it when the relay is back)
export function recorded(r) {
	if (r && typeof r.index === 'number') return 'log entry #' + r.index;
	if (r && r.queued) return 'queued in the node\'s outbox (the relay is down; it is sent when the relay is back)';
	return 'done';
}
