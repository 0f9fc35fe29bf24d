// dom.js - build DOM nodes without ever parsing markup.
// Everything shown on the page that comes from the log (text, STIX, names) goes through
// h(), fill() and append(): strings become text nodes, never HTML. There is no innerHTML anywhere.

// h('tag', {attrs}, child, ...): attrs are set with setAttribute (or as properties for
// 'onclick'-style handlers given as functions); children are nodes, strings (text nodes),
// numbers, arrays of children, or null/undefined/false (skipped).
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === null || v === undefined || v === false) continue;
			if (typeof v === 'function') {
				el.addEventListener(k.replace(/^on/, ''), v);
			} else if (k === 'class') {
				el.className = String(v);
			} else if (k === 'value') {
				el.value = String(v);
			} else if (k === 'checked' || k === 'selected' || k === 'disabled') {
				el[k] = Boolean(v);
			} else {
				el.setAttribute(k, v === true ? '' : String(v));
			}
		}
	}
	append(el, children);
	return el;
}

export function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else if (c instanceof Node) el.appendChild(c);
		else el.appendChild(document.createTextNode(String(c)));
	}
	return el;
}

// replace the children of el with the given ones
export function fill(el, ...children) {
	el.replaceChildren();
	return append(el, children);
}

// a definition list from [term, description] pairs (descriptions null/undefined are left out)
export function dl(pairs, cls) {
	const d = h('dl', { class: cls || 'facts' });
	for (const [t, v] of pairs) {
		if (v === null || v === undefined || v === '') continue;
		d.appendChild(h('dt', null, t));
		d.appendChild(h('dd', null, v));
	}
	return d;
}

// a table: headers are strings, rows are arrays of cells (nodes or strings)
export function table(caption, headers, rows, cls) {
	return h('table', { class: cls || 'grid' },
		caption ? h('caption', null, caption) : null,
		h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c))))));
}

// read a File chosen or dropped by the user as text
export function readFile(file) {
	return new Promise((resolve, reject) => {
		const r = new FileReader();
		r.onload = () => resolve(String(r.result));
		r.onerror = () => reject(new Error('cannot read ' + file.name));
		r.readAsText(file);
	});
}

// a drop zone around a file input: dropping a file there sets it as the input's file
export function dropZone(input, label) {
	const zone = h('div', { class: 'dropzone' }, label, input);
	zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
	zone.addEventListener('dragleave', () => zone.classList.remove('over'));
	zone.addEventListener('drop', (e) => {
		e.preventDefault();
		zone.classList.remove('over');
		if (e.dataTransfer && e.dataTransfer.files.length) {
			input.files = e.dataTransfer.files;
			input.dispatchEvent(new Event('change'));
		}
	});
	return zone;
}

let idSeq = 0;
export function uid(prefix) { idSeq += 1; return (prefix || 'f') + '-' + idSeq; }
