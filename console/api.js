// api.js - the node's JSON API (docs/console.md, CONSOLE-API): session, CSRF, errors.
// The CSRF value lives only in this module's memory; the session itself is an HttpOnly cookie
// the script never sees.

let csrf = null;
export let party = null;
let onEnded = null;

// fn(message) is called when the node answers 401 to a request of a session (expired, logged
// out elsewhere, the node restarted): the page then shows how to log in again
export function whenEnded(fn) { onEnded = fn; }

export class ApiError extends Error {
	constructor(status, body) {
		super((body && body.error) || ('HTTP ' + status));
		this.status = status;
		this.problems = (body && Array.isArray(body.problems)) ? body.problems : [];
		this.body = body;
	}
}

async function parse(res, inSession = true) {
	const type = res.headers.get('Content-Type') || '';
	let body = null;
	if (type.includes('json')) {
		try { body = await res.json(); } catch (e) { body = null; }
	} else {
		const t = await res.text();
		body = t ? { error: t.slice(0, 300) } : null;
	}
	if (!res.ok) {
		const err = new ApiError(res.status, body);
		if (res.status === 401 && inSession && csrf !== null) {
			csrf = null;
			if (onEnded) onEnded(err.message);
		}
		throw err;
	}
	return body;
}

// exchange the one-time token of console.url for the session cookie
export async function login(token) {
	const res = await fetch('/api/session', {
		method: 'POST', credentials: 'same-origin', cache: 'no-store',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ token }),
	});
	const b = await parse(res, false);
	csrf = b.csrf; party = b.party;
	return b;
}

// an existing session (a reload): the cookie is sent, the CSRF value comes back
export async function resume() {
	const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
	const b = await parse(res, false);
	csrf = b.csrf; party = b.party;
	return b;
}

export async function get(path) {
	const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
	return parse(res);
}

export async function post(path, body) {
	const res = await fetch(path, {
		method: 'POST', credentials: 'same-origin', cache: 'no-store',
		headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf || '' },
		body: typeof body === 'string' ? body : JSON.stringify(body === undefined ? {} : body),
	});
	return parse(res);
}

// end the session in the node (not only in this browser)
export async function logout() {
	const res = await fetch('/api/logout', {
		method: 'POST', credentials: 'same-origin', cache: 'no-store',
		headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf || '' },
		body: '{}',
	});
	csrf = null;
	return parse(res, false);
}

// a GET whose answer is a file to save (the proof bundle): fetched, then handed to the browser
export async function download(path, fallbackName) {
	const res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
	if (!res.ok) await parse(res);
	const blob = await res.blob();
	let name = fallbackName;
	const cd = res.headers.get('Content-Disposition') || '';
	const m = /filename="?([A-Za-z0-9._-]+)"?/.exec(cd);
	if (m) name = m[1];
	const url = URL.createObjectURL(blob);
	const a = document.createElement('a');
	a.href = url;
	a.download = name;
	a.hidden = true;
	document.body.appendChild(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 10000);
	return name;
}

export const enc = encodeURIComponent;
