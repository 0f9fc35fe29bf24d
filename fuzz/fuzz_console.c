/*
 * fuzz_console.c - libFuzzer harness for the operator console's router (parley_console_handle):
 * what a browser, or anything else on the host, sends the console. The input is split at NUL
 * bytes into method, path, Cookie, X-CSRF-Token, Origin, Host and body; first byte: bit 0 logs in
 * first with the console's token and, with bit 1, uses the session's cookie and CSRF token instead
 * of the input's; bit 2 marks the body as too big. No node: routes that need it answer 503, the
 * others (session, STIX validation, proof checking, static files) run in full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char page[] = "<!doctype html><title>t</title>";
static const parley_console_asset assets[] = { { "index.html", page, sizeof(page) - 1 }, { NULL, NULL, 0 } };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	parley_console_config cfg;
	parley_console *c = NULL;
	parley_console_request rq;
	parley_console_response r;
	const char *field[7] = { "GET", "/", NULL, NULL, NULL, NULL, "" };
	char cookie[128] = "", csrf[80] = "";
	size_t nf = 0, body_len = 0;
	char *s;

	if (size < 1 || size > ((size_t)1 << 20))
		return 0;
	if (!(s = malloc(size + 1)))
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = 0;
	/* the fields, NUL-separated; the body is the rest */
	for (char *p = s; nf < 7 && p <= s + size - 1; nf++) {
		field[nf] = p;
		if (nf == 6) {
			body_len = (size_t)(s + size - 1 - p);
			break;
		}
		p += strlen(p) + 1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.assets = assets;
	cfg.nassets = 1;
	if (parley_console_new(&cfg, &c, NULL))
		abort();
	if (data[0] & 1) {
		char login[200];
		snprintf(login, sizeof(login), "{\"token\":\"%s\"}", parley_console_token(c));
		memset(&rq, 0, sizeof(rq));
		rq.method = "POST";
		rq.path = "/api/session";
		rq.body = login;
		rq.body_len = strlen(login);
		parley_console_handle(c, &rq, &r);
		if (r.status != 200)
			abort(); /* the token must log in once */
		const char *v = strchr(r.set_cookie, ';');
		if (v && (size_t)(v - r.set_cookie) < sizeof(cookie)) {
			memcpy(cookie, r.set_cookie, (size_t)(v - r.set_cookie));
			cookie[v - r.set_cookie] = 0;
		}
		const char *k = strstr((const char *)r.body.data, "\"csrf\":\"");
		if (k && strlen(k + 8) >= 64) {
			memcpy(csrf, k + 8, 64);
			csrf[64] = 0;
		}
		parley_console_response_release(&r);
	}
	memset(&rq, 0, sizeof(rq));
	rq.method = field[0];
	rq.path = field[1];
	rq.cookie = (data[0] & 3) == 3 ? cookie : field[2];
	rq.csrf = (data[0] & 3) == 3 ? csrf : field[3];
	rq.origin = field[4] && *field[4] ? field[4] : NULL;
	rq.host = field[5] && *field[5] ? field[5] : NULL;
	rq.body = field[6];
	rq.body_len = body_len;
	rq.too_big = (data[0] & 4) != 0;
	parley_console_handle(c, &rq, &r);
	if (r.status < 200 || r.status > 599 || !r.type)
		abort();
	parley_console_response_release(&r);
	parley_console_stop(c);
	free(s);
	return 0;
}
