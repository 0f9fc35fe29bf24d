// channel.js - the channels, and one channel: its charter in readable form, the log's size,
// the latest checkpoint with its cosigners, and the timeliness report per party.
import { h, fill, dl, table } from './dom.js';
import * as api from './api.js';
import * as ui from './ui.js';
import { both, ms, secs } from './time.js';

export async function list(main) {
	fill(main, ui.pageHeading('Channels'), h('p', { class: 'muted' }, 'Loading…'));
	try {
		const chans = await ui.getChannels(true);
		fill(main, ui.pageHeading('Channels'),
			table('Channels this home joined', ['Channel', 'Id', 'Log size', 'Parties'],
				chans.map((c) => [h('a', { href: '#/channel/' + encodeURIComponent(c.channel) }, String(c.name)),
					h('code', null, String(c.channel).slice(0, 16) + '…'), String(c.size),
					(c.parties || []).map((p) => (typeof p === 'string' ? p : p.name)).join(', ')])));
	} catch (err) {
		fill(main, ui.pageHeading('Channels'), ui.errorBox(err, 'cannot list channels'));
	}
	return null;
}

function charterView(c) {
	const cats = ((c.scope && c.scope.categories) || []).map((x) => (typeof x === 'string' ? x : x.name));
	const types = (c.scope && c.scope.types) || [];
	const deadlines = Object.entries(c.deadlines || {});
	return [
		dl([
			['Title', c.title ? String(c.title) : null],
			['Valid', (c.valid_from || c.valid_until) ? 'from ' + String(c.valid_from || '—') + ' until ' + String(c.valid_until || '—') : null],
			['Default TLP', c.tlp ? ui.tlp(c.tlp) : null],
			['Relay', c.relay ? String(c.relay.url || '') : null],
			['Categories', cats.length ? cats.join(', ') : null],
			['Entry types', types.length ? types.join(', ') : null],
			['PSI limits', c.psi ? 'sets of ' + Number(c.psi.min_set) + ' to ' + Number(c.psi.max_set) + ' indicators, ' + Number(c.psi.requests_per_day) + ' requests a day' : null],
		]),
		table('Parties', ['Name', 'Role', 'Signing key'], (c.parties || []).map((p) =>
			[String(p.name), String(p.role || 'party'), h('code', null, String(p.sign || '').split('+').slice(0, 2).join('+'))])),
		deadlines.length ? table('Deadlines', ['Type', 'Acknowledge within', 'Respond within'],
			deadlines.map(([t, d]) => [String(t), d && d.acknowledge !== undefined ? secs(d.acknowledge) : '—', d && d.respond !== undefined ? secs(d.respond) : '—'])) : null,
		Array.isArray(c.escalation) && c.escalation.length ? h('div', null, h('h4', null, 'Escalation ladder'),
			h('ol', { class: 'ladder' }, c.escalation.map((x) => h('li', null, typeof x === 'string' ? x : JSON.stringify(x))))) : null,
	];
}

function reportView(r) {
	if (!r || !Array.isArray(r.parties)) return h('p', { class: 'muted' }, 'No report figures.');
	const rows = r.parties.map((p) => {
		const o = p.obligations || {};
		return [String(p.party), String(p.notifications ?? '—'), String(p.requests ?? '—'),
			String(o.met ?? 0) + ' / ' + String(o.decided ?? o.total ?? 0), String(o.late ?? 0), String((o.missed ?? 0) + (o.missed_unconfirmed ?? 0)),
			ms(p.acknowledge && p.acknowledge.median_ms), ms(p.respond && p.respond.median_ms), String(p.escalations ?? 0)];
	});
	const out = [table('Timeliness per party', ['Party', 'Notifications', 'Requests', 'Met / decided', 'Late', 'Missed', 'Median acknowledge', 'Median respond', 'Escalations'], rows)];
	if (Array.isArray(r.directions) && r.directions.length) {
		out.push(table('Per direction', ['From', 'To', 'Notifications', 'Requests', 'Met / decided', 'Late', 'Missed'],
			r.directions.map((d) => { const o = d.obligations || {}; return [String(d.from), String(d.to), String(d.notifications ?? 0), String(d.requests ?? 0),
				String(o.met ?? 0) + ' / ' + String(o.decided ?? 0), String(o.late ?? 0), String((o.missed ?? 0) + (o.missed_unconfirmed ?? 0))]; })));
	}
	return out;
}

export async function view(main, params) {
	const chan = params[0];
	fill(main, ui.pageHeading('Channel'), h('p', { class: 'muted' }, 'Loading…'));
	try {
		await ui.getChannels();
		const d = await api.get('/api/channels/' + api.enc(chan));
		const c = (d.charter && d.charter.charter) ? d.charter.charter : (d.charter || {});
		const cp = d.checkpoint || null;
		fill(main, ui.pageHeading('Channel ' + (c.title || ui.channelName(chan))),
			dl([['Channel id', h('code', null, String(d.channel || chan))], ['Log size', String(d.size) + ' entries']]),
			h('section', { 'aria-labelledby': 'h-cp' }, h('h3', { id: 'h-cp' }, 'Latest checkpoint'),
				cp ? dl([['Size', String(cp.size)], ['Root', h('code', null, String(cp.root || ''))], ['Time', cp.time_ms ? both(cp.time_ms) : null],
					['Cosigners', Array.isArray(cp.cosigners) && cp.cosigners.length ? cp.cosigners.join(', ') : 'none yet'],
					['Signed note', typeof cp.note === 'string' ? h('details', null, h('summary', null, 'the checkpoint as signed'), h('pre', { class: 'json' }, cp.note)) : null]])
					: h('p', { class: 'muted' }, 'No checkpoint yet.')),
			h('section', { 'aria-labelledby': 'h-ch' }, h('h3', { id: 'h-ch' }, 'Charter'), charterView(c)),
			h('section', { 'aria-labelledby': 'h-rep' }, h('h3', { id: 'h-rep' }, 'Report'), reportView(d.report)),
			h('p', null, h('a', { href: '#/psi/' + encodeURIComponent(chan) }, 'Private set intersection on this channel'), ' · ',
				h('a', { href: '#/new/' + encodeURIComponent(chan) }, 'New notification on this channel')));
	} catch (err) {
		fill(main, ui.pageHeading('Channel'), ui.errorBox(err, 'cannot read the channel'));
	}
	return null;
}
