// attention.js - "Needs attention": open threads across every channel, most urgent first,
// pending PSI requests, relay state and charter warnings. Redrawn from each /api/attention poll.
import { h, fill } from './dom.js';
import * as ui from './ui.js';
import { both, utc } from './time.js';

const TYPE_LABEL = { notification: 'notification', request: 'request', ping: 'ping' };

function threadKey(t) { return t.channel + '/' + t.opener; }

function threadsTable(data) {
	const rows = (data.threads || []).map((t) => {
		const href = '#/thread/' + encodeURIComponent(t.channel) + '/' + Number(t.opener);
		const turn = Array.isArray(t.turn) && t.turn.length ? t.turn.join(', ') : '—';
		const mine = Array.isArray(t.turn) && t.turn.includes(data.party);
		return h('tr', { 'data-key': threadKey(t), class: (t.overdue ? 'row-overdue' : '') + (mine ? ' row-mine' : '') },
			h('td', null, ui.countdown(t.deadline_ms, t.deadline_kind === 'ack' ? 'acknowledge' : t.deadline_kind)),
			h('td', null, mine ? h('strong', null, turn + ' (you)') : turn),
			h('td', null, t.channel_name || ui.channelName(t.channel)),
			h('td', null, TYPE_LABEL[t.type] || String(t.type)),
			h('td', null, String(t.category || '—')),
			h('td', null, ui.tlp(t.tlp)),
			h('td', { class: 'summary' },
				h('a', { href, 'data-key': threadKey(t) }, String(t.summary || '(no text)')),
				h('span', { class: 'muted' }, ' #' + Number(t.opener) + (t.requester ? ' from ' + t.requester : ''))),
			h('td', null, String(t.state || '')));
	});
	return h('table', { class: 'grid attention', id: 'attention-table' },
		h('caption', null, 'Open threads, most urgent first'),
		h('thead', null, h('tr', null,
			['Deadline', 'Whose turn', 'Channel', 'Type', 'Category', 'TLP', 'Summary', 'State']
				.map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', null, rows.length ? rows : h('tr', null, h('td', { colspan: '8', class: 'muted' }, 'Nothing open: no thread waits for anyone.'))));
}

function psiList(data) {
	const list = data.psi_pending || [];
	if (!list.length) return h('p', { class: 'muted' }, 'No PSI request pending.');
	return h('ul', null, list.map((p) => h('li', null,
		h('a', { href: '#/psi/' + encodeURIComponent(p.channel) }, 'Request #' + Number(p.request)),
		' from ' + String(p.from) + ' to ' + String(p.to) + ' on ' + ui.channelName(p.channel) + ': ' + String(p.state))));
}

function relayList(data) {
	const list = data.relays || [];
	if (!list.length) return h('p', { class: 'muted' }, 'No relay state known yet.');
	return h('ul', { class: 'relays' }, list.map((r) => {
		const st = String(r.state);
		const cls = st === 'up' ? 'ok' : 'bad';
		return h('li', null, ui.channelName(r.channel) + ': ',
			h('span', { class: 'relay-' + cls }, st === 'up' ? 'up' : st === 'down' ? 'down' : st),
			r.since_ms ? ' since ' + both(r.since_ms) : '',
			r.evidence ? h('span', null, ' — evidence: ', h('code', null, String(r.evidence))) : '');
	}));
}

function warningList(data) {
	const list = data.warnings || [];
	if (!list.length) return h('p', { class: 'muted' }, 'No charter warnings.');
	return h('ul', { class: 'warnings' }, list.map((w) => h('li', null, String(w))));
}

export function view(main, params, ctx) {
	const tableBox = h('div', { class: 'table-wrap' }, h('p', { class: 'muted' }, 'Loading…'));
	const psiBox = h('div');
	const relayBox = h('div');
	const warnBox = h('div');
	const stamp = h('p', { class: 'muted small' });
	fill(main,
		ui.pageHeading('Needs attention'),
		stamp,
		h('section', { 'aria-labelledby': 'h-threads' }, h('h3', { id: 'h-threads' }, 'Open threads'), tableBox),
		h('div', { class: 'columns' },
			h('section', { 'aria-labelledby': 'h-psi' }, h('h3', { id: 'h-psi' }, 'Pending PSI'), psiBox),
			h('section', { 'aria-labelledby': 'h-relays' }, h('h3', { id: 'h-relays' }, 'Relays'), relayBox),
			h('section', { 'aria-labelledby': 'h-warn' }, h('h3', { id: 'h-warn' }, 'Charter warnings'), warnBox)));

	let last = null;
	const draw = (data) => {
		if (!data) return;
		fill(stamp, 'As of ' + utc(data.now_ms) + ' (updated every second)');
		const sig = JSON.stringify([data.threads, data.psi_pending, data.relays, data.warnings]);
		if (sig === last) return;
		last = sig;
		// keep the keyboard focus on the same thread's link across a redraw
		const focused = document.activeElement && document.activeElement.getAttribute('data-key');
		fill(tableBox, threadsTable(data));
		fill(psiBox, psiList(data));
		fill(relayBox, relayList(data));
		fill(warnBox, warningList(data));
		if (focused) {
			const again = tableBox.querySelector('a[data-key="' + CSS.escape(focused) + '"]');
			if (again) again.focus();
		}
	};
	draw(ctx.attention());
	return ctx.onAttention(draw);
}
