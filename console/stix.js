// stix.js - a readable view of a STIX 2.1 bundle: objects grouped by type with their key
// properties, relationships and sightings as a list of sentences. The content is hostile:
// every string goes into the page as text (dom.js), never as markup, and links are not made.
import { h } from './dom.js';

// the properties worth showing first, per type (the rest is behind "all properties")
const KEY = {
	'indicator': ['name', 'pattern', 'pattern_type', 'indicator_types', 'valid_from', 'valid_until', 'description'],
	'malware': ['name', 'malware_types', 'is_family', 'aliases', 'description'],
	'threat-actor': ['name', 'threat_actor_types', 'aliases', 'sophistication', 'primary_motivation', 'first_seen', 'last_seen', 'description'],
	'intrusion-set': ['name', 'aliases', 'first_seen', 'last_seen', 'goals', 'description'],
	'campaign': ['name', 'aliases', 'first_seen', 'last_seen', 'objective', 'description'],
	'attack-pattern': ['name', 'aliases', 'external_references', 'description'],
	'tool': ['name', 'tool_types', 'tool_version', 'description'],
	'vulnerability': ['name', 'external_references', 'description'],
	'identity': ['name', 'identity_class', 'sectors', 'contact_information'],
	'report': ['name', 'report_types', 'published', 'description'],
	'note': ['abstract', 'content', 'authors'],
	'opinion': ['opinion', 'explanation'],
	'observed-data': ['first_observed', 'last_observed', 'number_observed'],
	'course-of-action': ['name', 'description'],
	'infrastructure': ['name', 'infrastructure_types', 'description'],
	'location': ['name', 'country', 'region', 'city', 'latitude', 'longitude'],
	'grouping': ['name', 'context', 'description'],
	'incident': ['name', 'description'],
	'marking-definition': ['name', 'definition_type', 'definition'],
	'ipv4-addr': ['value'], 'ipv6-addr': ['value'], 'domain-name': ['value'], 'url': ['value'],
	'email-addr': ['value', 'display_name'], 'mac-addr': ['value'], 'autonomous-system': ['number', 'name'],
	'file': ['name', 'hashes', 'size', 'mime_type'],
	'network-traffic': ['src_port', 'dst_port', 'protocols'],
	'process': ['pid', 'command_line'], 'software': ['name', 'vendor', 'version', 'cpe'],
	'user-account': ['user_id', 'account_login', 'display_name'],
	'windows-registry-key': ['key'], 'x509-certificate': ['subject', 'issuer', 'serial_number'],
	'directory': ['path'], 'mutex': ['name'], 'artifact': ['mime_type', 'url', 'hashes'],
	'email-message': ['subject', 'date', 'is_multipart'],
};
const FALLBACK = ['name', 'value', 'description'];
const MAX = 600;

// a property's value as a short string
function show(v) {
	if (v === null || v === undefined) return '';
	if (typeof v === 'string') return v.length > MAX ? v.slice(0, MAX) + '…' : v;
	if (typeof v === 'number' || typeof v === 'boolean') return String(v);
	if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return v.join(', ');
	if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && 'source_name' in x)) {
		return v.map((r) => String(r.source_name) + (r.external_id ? ' ' + String(r.external_id) : '')).join(', ');
	}
	if (typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')) {
		return Object.entries(v).map(([k, x]) => k + ': ' + x).join(', ');
	}
	const s = JSON.stringify(v);
	return s.length > MAX ? s.slice(0, MAX) + '…' : s;
}

// the name a reader knows an object by
function label(o) {
	if (!o) return null;
	for (const k of ['name', 'value', 'abstract', 'path', 'key', 'user_id', 'subject', 'number']) {
		if (typeof o[k] === 'string' || typeof o[k] === 'number') return String(o[k]);
	}
	return null;
}

function objects(content) {
	if (!content || typeof content !== 'object') return [];
	if (Array.isArray(content.objects)) return content.objects.filter((o) => o && typeof o === 'object');
	if (typeof content.type === 'string') return [content];
	return [];
}

// the readable view (a <section>) of a bundle, or one STIX object
export function stixView(content, headingLevel) {
	const hl = 'h' + Math.min(6, headingLevel || 4);
	const sub = 'h' + Math.min(6, (headingLevel || 4) + 1);
	const objs = objects(content);
	const byId = new Map();
	for (const o of objs) if (typeof o.id === 'string') byId.set(o.id, o);
	const ref = (id) => {
		const o = byId.get(id);
		const l = label(o);
		return l ? l + ' (' + String(o.type) + ')' : String(id);
	};
	const rels = objs.filter((o) => o.type === 'relationship');
	const sightings = objs.filter((o) => o.type === 'sighting');
	const groups = new Map();
	for (const o of objs) {
		if (o.type === 'relationship' || o.type === 'sighting') continue;
		const t = typeof o.type === 'string' ? o.type : '(no type)';
		if (!groups.has(t)) groups.set(t, []);
		groups.get(t).push(o);
	}
	const sec = h('section', { class: 'stix', 'aria-label': 'STIX content' },
		h(hl, null, 'STIX content: ' + objs.length + (objs.length === 1 ? ' object' : ' objects')));
	for (const [t, list] of [...groups.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
		sec.appendChild(h(sub, null, t + ' (' + list.length + ')'));
		const ul = h('ul', { class: 'stix-objects' });
		for (const o of list) {
			const shown = label(o);
			const keys = (KEY[t] || FALLBACK).filter((k) => o[k] !== undefined && !(shown !== null && String(o[k]) === shown));
			const props = h('dl', { class: 'facts stix-props' });
			for (const k of keys) {
				props.appendChild(h('dt', null, k));
				props.appendChild(h('dd', null, show(o[k])));
			}
			const all = h('details', null, h('summary', null, 'all properties'),
				h('pre', { class: 'json' }, JSON.stringify(o, null, 1)));
			ul.appendChild(h('li', null,
				h('span', { class: 'stix-name' }, label(o) || String(o.id || t)),
				h('span', { class: 'stix-id' }, ' ' + String(o.id || '')),
				props, all));
		}
		sec.appendChild(ul);
	}
	if (rels.length) {
		sec.appendChild(h(sub, null, 'relationships (' + rels.length + ')'));
		sec.appendChild(h('ul', { class: 'stix-rels' }, rels.map((r) =>
			h('li', null, ref(r.source_ref), ' ', h('strong', null, String(r.relationship_type || 'related-to')), ' ',
				ref(r.target_ref), r.description ? ' — ' + show(r.description) : null))));
	}
	if (sightings.length) {
		sec.appendChild(h(sub, null, 'sightings (' + sightings.length + ')'));
		sec.appendChild(h('ul', { class: 'stix-rels' }, sightings.map((s) =>
			h('li', null, ref(s.sighting_of_ref), ' ', h('strong', null, 'sighted'),
				s.count !== undefined ? ' ' + show(s.count) + ' times' : '',
				Array.isArray(s.where_sighted_refs) ? ' by ' + s.where_sighted_refs.map(ref).join(', ') : '',
				s.first_seen ? ' from ' + show(s.first_seen) : '', s.last_seen ? ' to ' + show(s.last_seen) : ''))));
	}
	return sec;
}
