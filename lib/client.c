/* client.c - the relay client: signed requests over libcurl. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "parley/auth.h"
#include "parley/client.h"
#include "banned.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

parley_code parley_client_init(parley_client *c, const char *base_url, const parley_seckey *key, parley_err *err)
{
	size_t n = strlen(base_url);

	memset(c, 0, sizeof(*c));
	pthread_once(&once, global_init);
	if (n == 0 || n >= sizeof(c->base))
		return parley_fail(err, PARLEY_E_USAGE, "relay URL is empty or too long");
	if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
		return parley_fail(err, PARLEY_E_USAGE, "relay URL must start with http:// or https://");
	memcpy(c->base, base_url, n + 1);
	while (n > 0 && c->base[n - 1] == '/')
		c->base[--n] = 0;
	c->key = key;
	if (!(c->curl = curl_easy_init()))
		return parley_fail(err, PARLEY_E_NOMEM, "cannot create an HTTP client");
	return PARLEY_OK;
}

void parley_client_release(parley_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
	parley_buf *b = ud;
	size_t n = size * nmemb;
	return parley_buf_add(b, p, n) ? 0 : n; /* 0 aborts the transfer when over the cap */
}

static parley_code client_once(parley_client *c, const char *method, const char *target, const char *content_type,
	const uint8_t *body, size_t n, long *status, parley_buf *resp, parley_err *err)
{
	CURL *h = c->curl;
	struct curl_slist *hdrs = NULL;
	char url[1200], line[256];
	parley_auth_headers ah;
	CURLcode cc;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", c->base, target) >= sizeof(url))
		return parley_fail(err, PARLEY_E_USAGE, "URL too long");
	if (c->key) {
		uint64_t t = c->fixed_time_ms ? c->fixed_time_ms : parley_now_ms();
		if (parley_auth_sign(&ah, c->key, method, target, body, n, t, c->fixed_nonce[0] ? c->fixed_nonce : NULL))
			return parley_fail(err, PARLEY_E_NOMEM, "cannot sign the request");
		snprintf(line, sizeof(line), PARLEY_H_KEY ": %s", ah.key);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), PARLEY_H_TIME ": %s", ah.time);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), PARLEY_H_NONCE ": %s", ah.nonce);
		hdrs = curl_slist_append(hdrs, line);
		snprintf(line, sizeof(line), PARLEY_H_SIGNATURE ": %s", ah.sig);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (content_type) {
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (c->accept) {
		snprintf(line, sizeof(line), "Accept: %s", c->accept);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	c->resp_type[0] = '\0';
	parley_buf_reset(resp);
	if (!resp->max || resp->max > PARLEY_CLIENT_RESPONSE_MAX)
		resp->max = PARLEY_CLIENT_RESPONSE_MAX;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	if (c->ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
	}
	cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK)
		return parley_fail(err, PARLEY_E_IO, "relay %s: %s", c->base, curl_easy_strerror(cc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	const char *ct = NULL;
	if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct && strlen(ct) < sizeof(c->resp_type))
		memcpy(c->resp_type, ct, strlen(ct) + 1);
	return PARLEY_OK;
}

parley_code parley_client_do(parley_client *c, const char *method, const char *target, const char *content_type,
	const uint8_t *body, size_t n, long *status, parley_buf *resp, parley_err *err)
{
	bool retry = !c->no_retry && !c->fixed_time_ms && !c->fixed_nonce[0];
	uint64_t start = parley_now_ms(), pause = 50;
	parley_code rc;

	for (;;) {
		if ((rc = client_once(c, method, target, content_type, body, n, status, resp, err)) || *status != 429 ||
			!retry || parley_now_ms() - start + pause > PARLEY_CLIENT_RETRY_MS)
			return rc;
		struct timespec ts = { (time_t)(pause / 1000), (long)(pause % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		if (pause < 2000)
			pause *= 2;
	}
}

parley_code parley_client_problem(long status, const parley_buf *resp, parley_err *err)
{
	json_t *j = resp->len ? json_loadb((const char *)resp->data, resp->len, 0, NULL) : NULL;
	const char *detail = j ? json_string_value(json_object_get(j, "detail")) : NULL;
	parley_code code = status >= 400 && status < 500 ? PARLEY_E_VERIFY : PARLEY_E_IO;

	if (detail)
		parley_fail(err, code, "relay refused (%ld): %s", status, detail);
	else
		parley_fail(err, code, "relay answered %ld: %.200s", status, resp->len ? (const char *)resp->data : "");
	json_decref(j);
	return code;
}
