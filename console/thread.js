// thread.js - one thread: every entry (sender, type, integration time in UTC and local time,
// delivery per recipient, text, a readable STIX view), the obligations with their outcomes,
// and the actions: Acknowledge, Reply, Escalate, Close, Prove.
import { h, fill, dl, table, readFile, uid } from './dom.js';
import * as api from './api.js';
import * as ui from './ui.js';
import { utc, local, both } from './time.js';
import { stixView } from './stix.js';

// entry types as a reader names them
const TYPE_NAME = { ack: 'acknowledgement' };
const typeName = (t) => TYPE_NAME[t] || String(t);

const ACTION_LABEL = { acknowledge: 'Acknowledge', reply: 'Reply', escalate: 'Escalate', close: 'Close' };

function entryView(e, recipients) {
	const delivery = (e.delivery || []).map((d) => h('li', null, String(d.party) + ': ',
		d.receipt_ms ? h('span', { class: 'ok' }, 'received ' + both(d.receipt_ms)) : h('span', { class: 'warn' }, 'no receipt yet')));
	const content = [];
	if (e.text !== null && e.text !== undefined) content.push(h('pre', { class: 'text' }, String(e.text)));
	if (e.stix) content.push(stixView(e.stix, 5));
	if (!content.length && e.readable === false) content.push(h('p', { class: 'muted' }, 'Content not readable by this party (not a recipient).'));
	return h('article', { class: 'entry entry-' + String(e.type).replace(/[^a-z-]/g, ''), id: 'entry-' + Number(e.index) },
		h('h4', null, '#' + Number(e.index) + ' ' + typeName(e.type) + ' from ' + String(e.sender)),
		dl([
			['Integrated (UTC)', h('time', { datetime: new Date(e.integrated_ms).toISOString() }, utc(e.integrated_ms))],
			['Integrated (local)', local(e.integrated_ms)],
			['TLP', e.tlp ? ui.tlp(e.tlp) : null],
			['Delivery', delivery.length ? h('ul', { class: 'delivery' }, delivery) : null],
		]),
		content);
}

function obligationsTable(obs) {
	if (!obs || !obs.length) return h('p', { class: 'muted' }, 'No obligations on this thread.');
	return table(null, ['Party', 'Obligation', 'Deadline', 'Outcome', 'Done at'],
		obs.map((o) => [
			String(o.party),
			o.kind === 'ack' ? 'acknowledge' : String(o.kind),
			o.outcome === 'pending' ? ui.countdown(o.deadline_ms) : utc(o.deadline_ms),
			h('span', { class: 'outcome outcome-' + String(o.outcome).replace(/[^a-z-]/g, '') }, String(o.outcome)),
			o.at_ms ? utc(o.at_ms) : '—',
		]));
}

export function view(main, params, ctx) {
	const chan = params[0];
	const n = Number(params[1]);
	const base = '/api/channels/' + api.enc(chan) + '/threads/' + n;
	const head = h('div');
	const body = h('div');
	const result = h('div', { class: 'result', 'aria-live': 'polite' });

	// the action form: one text field for Reply and Escalate, a STIX file for Reply
	const textId = uid('reply');
	const fileId = uid('stix');
	const text = h('textarea', { id: textId, name: 'text', rows: '4' });
	const file = h('input', { id: fileId, type: 'file', name: 'stix', accept: '.json,application/json' });
	const buttons = h('div', { class: 'buttons', role: 'group', 'aria-label': 'Actions on this thread' });
	const confirmBox = h('div');
	const form = h('form', { class: 'actions', 'aria-labelledby': 'h-act' },
		h('h3', { id: 'h-act' }, 'Act on this thread'),
		h('div', { class: 'field' }, h('label', { for: textId }, 'Text of a reply or escalation'), text),
		h('div', { class: 'field' }, h('label', { for: fileId }, 'STIX bundle for a reply (optional)'), file),
		buttons, confirmBox, result);
	form.addEventListener('submit', (e) => e.preventDefault());

	let current = null;
	const act = async (button, what) => {
		fill(result);
		let body = {};
		if (what === 'reply' || what === 'escalate') {
			const t = text.value.trim();
			if (!t && !(what === 'reply' && file.files.length)) {
				fill(result, ui.errorBox('write the text of the ' + (what === 'reply' ? 'reply' : 'escalation') + ' first'));
				text.focus();
				return;
			}
			body = { text: text.value };
			if (what === 'reply') {
				body.stix = null;
				if (file.files.length) {
					try { body.stix = JSON.parse(await readFile(file.files[0])); } catch (err) {
						fill(result, ui.errorBox(err, 'the STIX file is not JSON'));
						return;
					}
				}
			}
		}
		try {
			const r = await ui.busy(button, api.post(base + '/' + what, body));
			const done = { acknowledge: 'Acknowledgement', reply: 'Reply', escalate: 'Escalation', close: 'Close' }[what];
			const msg = done + ' recorded as ' + ui.recorded(r) + '.';
			fill(result, h('p', { class: 'ok', role: 'status' }, msg));
			if (what === 'reply' || what === 'escalate') { text.value = ''; file.value = ''; }
			await load();
		} catch (err) {
			fill(result, ui.errorBox(err, done(what) + ' refused'));
		}
	};
	const done = (w) => ACTION_LABEL[w] || w;

	const prove = h('button', { type: 'button', class: 'secondary' }, 'Prove');
	prove.addEventListener('click', async () => {
		fill(result);
		try {
			const name = await ui.busy(prove, api.download('/api/channels/' + api.enc(chan) + '/prove/' + n, 'proof-' + n + '.json'));
			fill(result, h('p', { class: 'ok', role: 'status' }, 'Proof bundle saved as ' + name + '. Anyone can check it with "parley check-proof ' + name + '" or on the Check a proof page.'));
		} catch (err) {
			fill(result, ui.errorBox(err, 'Prove failed'));
		}
	});

	const drawButtons = (actions) => {
		const allowed = Array.isArray(actions) ? actions : Object.keys(ACTION_LABEL);
		const keep = document.activeElement && buttons.contains(document.activeElement) ? document.activeElement.textContent : null;
		fill(buttons);
		for (const a of ['acknowledge', 'reply', 'escalate', 'close']) {
			if (!allowed.includes(a)) continue;
			const b = h('button', { type: 'button', class: a === 'close' ? 'danger' : '' }, ACTION_LABEL[a]);
			if (a === 'close') {
				b.addEventListener('click', () => {
					// the log keeps every entry for good: closing asks once more
					const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, close the thread');
					const no = h('button', { type: 'button' }, 'Cancel');
					yes.addEventListener('click', async () => { fill(confirmBox); await act(b, 'close'); });
					no.addEventListener('click', () => { fill(confirmBox); b.focus(); });
					fill(confirmBox, h('p', { class: 'confirm', role: 'alert' }, 'Close thread #' + n + '? The close entry stays in the log for good. ', yes, ' ', no));
					yes.focus();
				});
			} else {
				b.addEventListener('click', () => act(b, a));
			}
			buttons.appendChild(b);
		}
		buttons.appendChild(prove);
		if (keep) for (const b of buttons.querySelectorAll('button')) if (b.textContent === keep) b.focus();
	};

	fill(main, ui.pageHeading('Thread #' + n), h('div', { class: 'thread-top' }, head, form), body);
	drawButtons(null);

	let lastSig = null;
	const load = async () => {
		let t;
		try {
			t = await api.get(base);
		} catch (err) {
			fill(body, ui.errorBox(err, 'cannot read thread #' + n));
			return;
		}
		current = t;
		const sig = JSON.stringify(t);
		if (sig === lastSig) return;
		lastSig = sig;
		const opener = (t.entries || []).find((e) => Number(e.index) === n);
		fill(head, dl([
			['Channel', ui.channelName(chan)],
			['State', String(t.state)],
			['Opened by', t.requester ? String(t.requester) : null],
			['Type', t.type ? typeName(t.type) : (opener ? typeName(opener.type) : null)],
			['Category', t.category ? String(t.category) : (opener && opener.category ? String(opener.category) : null)],
			['Escalations', typeof t.escalations === 'number' && t.escalations > 0 ? String(t.escalations) : null],
			['TLP', opener && opener.tlp ? ui.tlp(opener.tlp) : null],
		]));
		drawButtons(t.actions);
		fill(body,
			h('section', { 'aria-labelledby': 'h-obl' }, h('h3', { id: 'h-obl' }, 'Obligations'), obligationsTable(t.obligations)),
			h('section', { 'aria-labelledby': 'h-ent' }, h('h3', { id: 'h-ent' }, 'Entries (' + (t.entries || []).length + ')'),
				(t.entries || []).map((e) => entryView(e))));
	};
	load();
	// a new entry in this thread shows up without reloading: re-read on each change of the
	// attention list, and every 5 s anyway (receipts do not change that list)
	let attSig = null;
	let lastLoad = Date.now();
	return ctx.onAttention((data) => {
		const sig = JSON.stringify(data && data.threads);
		if (current && (sig !== attSig || Date.now() - lastLoad > 5000)) {
			attSig = sig;
			lastLoad = Date.now();
			load();
		}
	});
}
