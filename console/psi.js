// psi.js - private set intersection: start a request from a file, answer one, see results.
import { h, fill, table, readFile, uid } from './dom.js';
import * as api from './api.js';
import * as ui from './ui.js';

export async function view(main, params, ctx) {
	const title = 'Private set intersection';
	fill(main, ui.pageHeading(title), h('p', { class: 'muted' }, 'Loading…'));
	let picker;
	try {
		picker = await ui.channelPicker('psi-channel', params[0], (hex) => ctx.go('#/psi/' + encodeURIComponent(hex)));
	} catch (err) {
		fill(main, ui.pageHeading(title), ui.errorBox(err, 'cannot list channels'));
		return null;
	}
	if (!picker.list.length) { fill(main, ui.pageHeading(title), h('p', null, 'This home has joined no channel.')); return null; }
	const chan = picker.select.value;
	const base = '/api/channels/' + api.enc(chan) + '/psi';
	const me = api.party;
	const listBox = h('div');
	const answerStatus = h('div', { 'aria-live': 'polite' });
	let detail = null;
	try { detail = await api.get('/api/channels/' + api.enc(chan)); } catch (err) { /* the recipients list stays empty */ }
	const charter = detail && detail.charter ? (detail.charter.charter || detail.charter) : {};
	const others = (charter.parties || []).filter((p) => p.name !== me && (p.role || 'party') === 'party').map((p) => p.name);

	const answerForm = (r) => {
		const id = uid('psi-ans');
		const f = h('input', { type: 'file', id, accept: '.txt,text/plain' });
		const b = h('button', { type: 'button' }, 'Answer request #' + Number(r.request));
		const out = h('span', { 'aria-live': 'polite' });
		b.addEventListener('click', async () => {
			fill(out);
			if (!f.files.length) { fill(out, ui.errorBox('choose the file of your indicators first')); return; }
			try {
				const ind = await readFile(f.files[0]);
				const res = await ui.busy(b, api.post(base + '/' + Number(r.request) + '/respond', { indicators: ind }));
				// said above the table: the table is redrawn (the request is answered now)
				fill(answerStatus, res && res.refused
					? h('p', { class: 'warn', role: 'status' }, 'Refused, and the refusal logged: ' + String(res.reason || ''))
					: h('p', { class: 'ok', role: 'status' }, 'Answered request #' + Number(r.request) + (res && typeof res.index === 'number' ? ': ' + ui.recorded(res) : '') + '.'));
				load();
			} catch (err) { fill(out, ui.errorBox(err, 'Answer refused')); }
		});
		return h('div', { class: 'inline-form' }, h('label', { for: id }, 'Your indicators for #' + Number(r.request) + ' (one per line)'), f, b, out);
	};

	const load = async () => {
		try {
			const d = await api.get(base);
			const reqs = d.requests || [];
			fill(listBox, reqs.length ? table('PSI requests', ['Request', 'From', 'To', 'Mode', 'State', 'Result', 'Action'],
				reqs.map((r) => [
					'#' + Number(r.request), String(r.from), String(r.to), String(r.mode || '—'),
					r.reason ? String(r.state || '') + ': ' + String(r.reason) : String(r.state || ''),
					r.result ? (Array.isArray(r.result.common) && r.result.common.length
						? h('div', null, Number(r.result.count) + ' in common:', h('ul', { class: 'common' }, r.result.common.map((x) => h('li', null, h('code', null, String(x))))))
						: Number(r.result.count) + ' in common') : '—',
					r.to === me && r.from !== me && !['answered', 'refused', 'failed'].includes(String(r.state)) ? answerForm(r) : '',
				])) : h('p', { class: 'muted' }, 'No PSI request on this channel.'));
		} catch (err) { fill(listBox, ui.errorBox(err, 'cannot list PSI requests')); }
	};

	const toId = uid('psi-to'); const modeId = uid('psi-mode'); const fileId = uid('psi-file');
	const to = h('select', { id: toId }, others.map((n) => h('option', { value: n }, n)));
	const mode = h('select', { id: modeId },
		h('option', { value: 'intersection' }, 'the indicators in common'),
		h('option', { value: 'cardinality' }, 'only how many are in common'));
	const file = h('input', { type: 'file', id: fileId, accept: '.txt,text/plain' });
	const start = h('button', { type: 'submit' }, 'Start PSI request');
	const out = h('div', { 'aria-live': 'polite' });
	const form = h('form', { class: 'compose' },
		h('div', { class: 'field' }, h('label', { for: toId }, 'With'), to),
		h('div', { class: 'field' }, h('label', { for: modeId }, 'Learn'), mode),
		h('div', { class: 'field' }, h('label', { for: fileId }, 'Indicators file (one per line)'), file),
		h('div', { class: 'buttons' }, start), out);
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		fill(out);
		if (!file.files.length) { fill(out, ui.errorBox('choose the file of your indicators first')); return; }
		try {
			const ind = await readFile(file.files[0]);
			const r = await ui.busy(start, api.post(base + '/request', { to: to.value, indicators: ind, mode: mode.value }));
			fill(out, h('p', { class: 'ok', role: 'status' }, 'PSI request sent: ' + ui.recorded(r) + '.'));
			load();
		} catch (err) { fill(out, ui.errorBox(err, 'Request refused')); }
	});

	fill(main, ui.pageHeading(title),
		h('p', null, 'Each side learns only what is in common (or only how many) and both set sizes.'),
		h('div', { class: 'field' }, h('label', { for: 'psi-channel' }, 'Channel'), picker.select),
		h('section', { 'aria-labelledby': 'h-psi-list' }, h('h3', { id: 'h-psi-list' }, 'Requests and results'), answerStatus, listBox),
		h('section', { 'aria-labelledby': 'h-psi-new' }, h('h3', { id: 'h-psi-new' }, 'Start a request'), form));
	await load();
	let n = 0;
	return ctx.onAttention(() => { n += 1; if (n % 5 === 0) load(); });
}
