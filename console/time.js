// time.js - times and durations as the console shows them

const pad = (n, w) => String(n).padStart(w || 2, '0');

// 2026-11-30 09:45:39 UTC
export function utc(ms) {
	if (ms === null || ms === undefined) return '—';
	const d = new Date(ms);
	return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
		pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
}

// the viewer's local time, with its zone
export function local(ms) {
	if (ms === null || ms === undefined) return '—';
	return new Date(ms).toLocaleString(undefined, {
		year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
		second: '2-digit', timeZoneName: 'short',
	});
}

// both, for a <time> element: "2026-11-30 09:45:39 UTC (30 Nov 2026, 10:45:39 CET)"
export function both(ms) {
	if (ms === null || ms === undefined) return '—';
	return utc(ms) + ' (' + local(ms) + ')';
}

export function iso(ms) { return new Date(ms).toISOString(); }

// a duration in words for the countdown: "1 d 2 h", "2 h 05 min", "4 min 09 s", "12 s"
export function span(ms) {
	let s = Math.floor(Math.abs(ms) / 1000);
	const d = Math.floor(s / 86400); s -= d * 86400;
	const hr = Math.floor(s / 3600); s -= hr * 3600;
	const m = Math.floor(s / 60); s -= m * 60;
	if (d > 0) return d + ' d ' + hr + ' h';
	if (hr > 0) return hr + ' h ' + pad(m) + ' min';
	if (m > 0) return m + ' min ' + pad(s) + ' s';
	return s + ' s';
}

// a duration in ms as the report gives it (median, p90): "368 ms", "2.5 s", "3 min 10 s"
export function ms(v) {
	if (v === null || v === undefined) return '—';
	if (v < 1000) return v + ' ms';
	if (v < 60000) return (v / 1000).toFixed(1) + ' s';
	return span(v);
}

// seconds of a charter deadline: "2 h", "48 h", "90 min"
export function secs(v) {
	if (typeof v !== 'number') return String(v);
	if (v % 3600 === 0) return (v / 3600) + ' h';
	if (v % 60 === 0) return (v / 60) + ' min';
	return v + ' s';
}

// parse an ISO time (check-proof's output) to ms, or null
export function parseIso(s) {
	if (typeof s !== 'string') return null;
	const t = Date.parse(s);
	return Number.isNaN(t) ? null : t;
}
