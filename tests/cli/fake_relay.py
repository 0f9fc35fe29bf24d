#!/usr/bin/env python3
"""fake_relay.py - a lying relay for tests: it checks nothing and serves, for any channel,
whatever the test put in DIR: log.json (a list of {"integrated_ms", "entry" (base64)}) and
checkpoint.note (a signed checkpoint), and proof.json (inclusion.json) for any consistency
(inclusion) proof asked for when the test put one there. It answers every write with success, and keeps each
entry written to it (each entry of a batch, docs/api.md) as DIR/posted-N.bin (N = 1, 2, ...)
for the test to serve, or not.
With --proxy URL it instead forwards every request to the real relay at URL and changes one
byte of every consistency proof it passes back (a network attacker, or a relay's own bug);
--pass URL forwards without changing anything. Forwarding, while DIR/hang holds a number N,
a GET of entries from N on stalls (DIR/hung appears) until DIR/hang is removed: a test
kills a node mid-sync there. While DIR/drop exists, the next POST of entries is forwarded and
its answer dropped (the connection closed, DIR/dropped holds the relay's status; drop removed).
A channel whose id names a subdirectory of DIR is served from there instead (several channels,
e.g. a charter and its successor), with DIR/ID/charter.json as its charter when present.
Usage: fake_relay.py DIR PORTFILE [--proxy URL | --pass URL]
(listens on 127.0.0.1, a free port written to PORTFILE)"""
import json, os, sys, time, urllib.error, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

DIR, PORTFILE = sys.argv[1], sys.argv[2]
UPSTREAM = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] in ('--proxy', '--pass') else None
TAMPER = len(sys.argv) > 4 and sys.argv[3] == '--proxy'

class Liar(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send(self, status, body, ctype='application/json'):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def forward(self, method):
        n = int(self.headers.get('Content-Length', 0))
        body = self.rfile.read(n) if n else None
        hang = os.path.join(DIR, 'hang')
        if method == 'GET' and '/entries' in self.path and os.path.exists(hang):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            if int(q.get('from', ['0'])[0]) >= int(open(hang).read().strip() or 0):
                open(os.path.join(DIR, 'hung'), 'w').close()
                for _ in range(600):
                    if not os.path.exists(hang):
                        break
                    time.sleep(0.05)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ('host', 'content-length', 'connection')}
        req = urllib.request.Request(UPSTREAM + self.path, data=body, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req) as r:
                status, data, ctype = r.status, r.read(), r.headers.get('Content-Type', 'application/json')
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get('Content-Type', 'application/json')
        drop = os.path.join(DIR, 'drop')
        if method == 'POST' and self.path.endswith('/entries') and os.path.exists(drop):
            os.unlink(drop)
            open(os.path.join(DIR, 'dropped'), 'w').write('%d\n' % status)
            self.close_connection = True
            return  # the relay answered; the client never hears it (a connection lost after the commit)
        if TAMPER and '/proof/consistency' in self.path and status == 200:
            doc = json.loads(data)
            if doc['hashes']:
                h = doc['hashes'][0]
                doc['hashes'][0] = ('1' if h[0] == '0' else '0') + h[1:]
            data = json.dumps(doc).encode()
        self.send(status, data, ctype)

    def do_POST(self):
        if UPSTREAM:
            return self.forward('POST')
        n = int(self.headers.get('Content-Length', 0))
        body = self.rfile.read(n)
        if self.path.endswith('/entries'):
            batch = self.headers.get('Content-Type', '').split(';')[0].strip().lower() == 'application/vnd.parley.entries'
            entries, off = [], 0
            while batch and off + 4 <= len(body):
                n = int.from_bytes(body[off:off + 4], 'big')
                entries.append(body[off + 4:off + 4 + n])
                off += 4 + n
            k = 1
            for e in (entries if batch else [body]):
                while os.path.exists(os.path.join(DIR, 'posted-%d.bin' % k)):
                    k += 1
                with open(os.path.join(DIR, 'posted-%d.bin' % k), 'wb') as f:
                    f.write(e)
            if batch:
                return self.send(201, json.dumps({'entries': [{'index': i, 'integrated_ms': 0} for i in range(len(entries))]}))
        self.send(201, json.dumps({'channel': 'x', 'index': 0, 'integrated_ms': 0, 'size': 0, 'signer': 'x'}))

    def do_GET(self):
        if UPSTREAM:
            return self.forward('GET')
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        parts = u.path.split('/')
        d = DIR
        if len(parts) > 3 and parts[1] == 'v1' and parts[2] == 'channels' and parts[3] and \
                os.path.isdir(os.path.join(DIR, os.path.basename(parts[3]))):
            d = os.path.join(DIR, os.path.basename(parts[3]))
        if u.path.endswith('/charter') and os.path.exists(os.path.join(d, 'charter.json')):
            return self.send(200, open(os.path.join(d, 'charter.json')).read())
        if u.path.endswith('/checkpoint'):
            return self.send(200, open(os.path.join(d, 'checkpoint.note')).read(), 'text/plain')
        if u.path.endswith('/entries'):
            log = json.load(open(os.path.join(d, 'log.json')))
            start = int(q.get('from', ['0'])[0])
            page = [dict(e, index=start + i) for i, e in enumerate(log[start:start + 500])]
            return self.send(200, json.dumps({'size': len(log), 'entries': page}))
        if '/proof/consistency' in u.path and os.path.exists(os.path.join(DIR, 'proof.json')):
            return self.send(200, open(os.path.join(DIR, 'proof.json')).read())
        if '/proof/inclusion' in u.path and os.path.exists(os.path.join(DIR, 'inclusion.json')):
            return self.send(200, open(os.path.join(DIR, 'inclusion.json')).read())
        if u.path == '/v1/health':
            return self.send(200, '{"status":"ok"}')
        self.send(404, '{}')

# forwarding, one thread per request: a standing node's long poll does not hold up the others
server = (ThreadingHTTPServer if UPSTREAM else HTTPServer)(('127.0.0.1', 0), Liar)
with open(PORTFILE + '.tmp', 'w') as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + '.tmp', PORTFILE)
server.serve_forever()
