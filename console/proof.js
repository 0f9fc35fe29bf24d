// proof.js - "Check a proof": drop or choose a proof.json, see the verdict (like
// 'parley check-proof': any channel's bundle, nothing but the bundle is trusted).
import { h, fill, dl, table, readFile, dropZone, uid } from './dom.js';
import * as api from './api.js';
import * as ui from './ui.js';
import { utc, parseIso } from './time.js';

const when = (s) => { const t = parseIso(s); return t === null ? (s ? String(s) : '—') : utc(t); };

function verdictView(r) {
	const valid = r.valid !== undefined ? Boolean(r.valid) : Boolean(r.ok);
	const parts = [h('p', { class: valid ? 'verdict ok' : 'verdict bad', role: 'status' },
		valid ? 'Valid proof' : 'Invalid proof',
		r.verdict && r.verdict.text ? ': ' + String(r.verdict.text) : (r.error ? ': ' + String(r.error) : ''))];
	const s = r.subject || {};
	parts.push(dl([
		['Channel', r.title ? String(r.title) + ' (' + String(r.channel || '').slice(0, 16) + '…)' : (r.channel ? String(r.channel) : null)],
		['Checkpoint', r.checkpoint ? 'size ' + Number(r.checkpoint.size) + ', signed by ' + String(r.checkpoint.relay || 'the relay') +
			(Array.isArray(r.checkpoint.cosigned_by) && r.checkpoint.cosigned_by.length ? ', cosigned by ' + r.checkpoint.cosigned_by.join(', ') : '') : null],
		['Entry', s.index !== undefined ? '#' + Number(s.index) + ' ' + String(s.type || '') + ' from ' + String(s.sender || '') : null],
		['To', Array.isArray(s.to) ? s.to.join(', ') : null],
		['Category', s.category ? String(s.category) : null],
		['TLP', s.tlp ? ui.tlp(s.tlp) : null],
		['Integrated', s.integrated_at ? when(s.integrated_at) : null],
		['Verdict code', r.verdict && r.verdict.code ? String(r.verdict.code) : null],
	]));
	if (Array.isArray(r.delivery) && r.delivery.length) {
		parts.push(table('Delivery', ['Recipient', 'Delivered', 'Evidence', 'At'],
			r.delivery.map((d) => [String(d.party), d.delivered ? 'yes' : 'no', String(d.evidence || '—'), when(d.at)])));
	}
	if (Array.isArray(r.obligations) && r.obligations.length) {
		parts.push(table('Obligations', ['Party', 'Obligation', 'Deadline', 'Outcome', 'At', 'Late by'],
			r.obligations.map((o) => [String(o.party), String(o.kind), when(o.deadline),
				h('span', { class: 'outcome outcome-' + String(o.outcome).replace(/[^a-z-]/g, '') }, String(o.outcome)),
				when(o.at), o.late_by_ms ? Math.round(o.late_by_ms / 1000) + ' s' : '—'])));
	}
	if (r.content !== undefined && r.content !== null) {
		parts.push(h('h3', null, 'Revealed content'), h('pre', { class: 'text' }, typeof r.content === 'string' ? r.content : JSON.stringify(r.content, null, 1)));
	}
	return parts;
}

export function view(main) {
	const id = uid('proof');
	const input = h('input', { type: 'file', id, name: 'proof', accept: '.json,application/json' });
	const out = h('div', { class: 'result', 'aria-live': 'polite' });
	input.addEventListener('change', async () => {
		fill(out);
		if (!input.files.length) return;
		const f = input.files[0];
		let text;
		try { text = await readFile(f); JSON.parse(text); } catch (err) {
			fill(out, ui.errorBox(err, f.name + ' is not a JSON proof bundle'));
			return;
		}
		fill(out, h('p', { class: 'muted' }, 'Checking ' + f.name + '…'));
		try {
			const r = await api.post('/api/check-proof', text);
			fill(out, h('h3', null, f.name), verdictView(r));
		} catch (err) {
			if (err.body && typeof err.body === 'object' && ('valid' in err.body || 'ok' in err.body)) fill(out, h('h3', null, f.name), verdictView(err.body));
			else fill(out, h('h3', null, f.name), h('p', { class: 'verdict bad', role: 'status' }, 'Invalid proof'), ui.errorBox(err));
		}
	});
	fill(main, ui.pageHeading('Check a proof'),
		h('p', null, 'A proof bundle (from Prove, or "parley prove N") shows what was sent to whom, when, and who met which deadline. ' +
			'It is checked with nothing but the bundle, whatever its channel.'),
		dropZone(input, h('label', { for: id }, 'Drop a proof.json here, or choose the file')),
		out);
	return null;
}
