// compose.js - "New notification / request": recipients and category from the charter, TLP,
// text, and a STIX bundle validated on the spot (the validator's exact lines are shown).
import { h, fill, readFile, uid } from './dom.js';
import * as api from './api.js';
import * as ui from './ui.js';

const TLPS = ['clear', 'green', 'amber', 'amber+strict', 'red'];

function charterOf(detail) {
	const c = detail && detail.charter;
	return (c && c.charter) ? c.charter : (c || {});
}

export async function view(main, params, ctx) {
	fill(main, ui.pageHeading('New notification or request'), h('p', { class: 'muted' }, 'Loading the charter…'));
	let picker;
	try {
		picker = await ui.channelPicker('new-channel', params[0], (hex) => ctx.go('#/new/' + encodeURIComponent(hex)));
	} catch (err) {
		fill(main, ui.pageHeading('New notification or request'), ui.errorBox(err, 'cannot list channels'));
		return null;
	}
	if (!picker.list.length) {
		fill(main, ui.pageHeading('New notification or request'), h('p', null, 'This home has joined no channel.'));
		return null;
	}
	const chan = picker.select.value;
	let detail;
	try {
		detail = await api.get('/api/channels/' + api.enc(chan));
	} catch (err) {
		fill(main, ui.pageHeading('New notification or request'), ui.errorBox(err, 'cannot read the channel'));
		return null;
	}
	const charter = charterOf(detail);
	const me = api.party;
	const parties = (charter.parties || []).filter((p) => p && p.name !== me && (p.role || 'party') === 'party');
	const categories = ((charter.scope && charter.scope.categories) || []).map((c) => (typeof c === 'string' ? c : c.name));

	const recips = parties.map((p) => {
		const id = uid('to');
		return h('div', { class: 'check' },
			h('input', { type: 'checkbox', id, name: 'to', value: p.name, checked: parties.length === 1 }),
			h('label', { for: id }, String(p.name)));
	});
	const catId = uid('cat'); const tlpId = uid('tlp'); const textId = uid('text'); const fileId = uid('stix');
	const cat = h('select', { id: catId, name: 'category', required: true },
		h('option', { value: '' }, '— choose a category —'),
		categories.map((c) => h('option', { value: c }, String(c))));
	const defTlp = String(charter.tlp || 'amber');
	const tlp = h('select', { id: tlpId, name: 'tlp' },
		TLPS.map((t) => h('option', { value: t, selected: t === defTlp }, 'TLP:' + t.toUpperCase())));
	const kindN = uid('kind'); const kindR = uid('kind');
	const kind = h('fieldset', null, h('legend', null, 'Kind'),
		h('div', { class: 'check' }, h('input', { type: 'radio', id: kindN, name: 'kind', value: 'notification', checked: true }),
			h('label', { for: kindN }, 'Notification (an incident report)')),
		h('div', { class: 'check' }, h('input', { type: 'radio', id: kindR, name: 'kind', value: 'request' }),
			h('label', { for: kindR }, 'Request (asks the recipients for an answer)')));
	const text = h('textarea', { id: textId, name: 'text', rows: '6' });
	const file = h('input', { id: fileId, type: 'file', name: 'stix', accept: '.json,application/json', 'aria-describedby': fileId + '-out' });
	const stixOut = h('div', { id: fileId + '-out', class: 'validation', 'aria-live': 'polite' });
	const send = h('button', { type: 'submit' }, 'Send');
	const result = h('div', { class: 'result', 'aria-live': 'polite' });

	// the bundle chosen, once parsed and validated: undefined none, null invalid
	let stix;
	file.addEventListener('change', async () => {
		stix = undefined;
		fill(stixOut);
		if (!file.files.length) return;
		let bundle;
		try {
			bundle = JSON.parse(await readFile(file.files[0]));
		} catch (err) {
			stix = null;
			fill(stixOut, ui.errorBox(err, file.files[0].name + ' is not JSON'));
			return;
		}
		fill(stixOut, h('p', { class: 'muted' }, 'Validating ' + file.files[0].name + '…'));
		try {
			await api.post('/api/stix/validate', bundle);
			stix = bundle;
			fill(stixOut, h('p', { class: 'ok' }, file.files[0].name + ': valid STIX 2.1 (' +
				(Array.isArray(bundle.objects) ? bundle.objects.length + ' objects' : 'one object') + ').'));
		} catch (err) {
			stix = null;
			fill(stixOut, ui.errorBox(err, file.files[0].name + ': invalid STIX, it will not be sent'));
		}
	});

	const form = h('form', { class: 'compose wide', novalidate: true },
		h('div', { class: 'cols' },
			h('div', null,
				h('div', { class: 'field' }, h('label', { for: 'new-channel' }, 'Channel'), picker.select),
				h('fieldset', null, h('legend', null, 'Recipients'),
					recips.length ? recips : h('p', null, 'The charter names no other party.')),
				kind,
				h('div', { class: 'field' }, h('label', { for: catId }, 'Category'), cat),
				h('div', { class: 'field' }, h('label', { for: tlpId }, 'TLP'), tlp)),
			h('div', null,
				h('div', { class: 'field' }, h('label', { for: textId }, 'Text'), text),
				h('div', { class: 'field' }, h('label', { for: fileId }, 'STIX bundle (optional, validated on the spot)'), file, stixOut),
				h('div', { class: 'buttons' }, send),
				result)));
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		fill(result);
		const to = [...form.querySelectorAll('input[name=to]:checked')].map((x) => x.value);
		const problems = [];
		if (!to.length) problems.push('choose at least one recipient');
		if (!cat.value) problems.push('choose a category');
		if (!text.value.trim() && stix === undefined) problems.push('write a text or attach a STIX bundle');
		if (stix === null) problems.push('the STIX bundle is invalid (see the validator\'s lines above)');
		if (problems.length) {
			fill(result, h('div', { class: 'error', role: 'alert' }, h('p', null, 'Not sent:'), h('ul', null, problems.map((p) => h('li', null, p)))));
			return;
		}
		const request = form.querySelector('input[name=kind]:checked').value === 'request';
		const body = { to, category: cat.value, tlp: tlp.value, text: text.value, stix: stix || null, request };
		try {
			const r = await ui.busy(send, api.post('/api/channels/' + api.enc(chan) + '/notify', body));
			const msg = (request ? 'Request' : 'Notification') + ' sent to ' + to.join(', ') + ': ' + ui.recorded(r) + '.';
			fill(result, h('p', { class: 'ok', role: 'status' }, msg, ' ',
				typeof r.index === 'number' ? h('a', { href: '#/thread/' + encodeURIComponent(chan) + '/' + r.index }, 'Open the thread') : null));
			text.value = ''; file.value = ''; stix = undefined; fill(stixOut);
		} catch (err) {
			fill(result, ui.errorBox(err, 'Not sent'));
		}
	});
	fill(main, ui.pageHeading('New notification or request'),
		h('p', null, 'Recipients and categories are the charter\'s. The entry is signed, sealed to the recipients and stays in the log for good.'),
		form);
	return null;
}
