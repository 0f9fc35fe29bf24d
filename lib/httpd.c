/* httpd.c - a node-hosted HTTP server: MHD on every address of a host, request bodies collected under a cap. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "httpd_internal.h"
#include "parley/util.h"
#include "banned.h"

struct request {
	parley_buf body;
	bool too_big, answered;
};

static enum MHD_Result answer(parley_httpd *h, struct MHD_Connection *conn, const char *url, const char *method,
	struct request *rq)
{
	if (!rq->too_big && parley_buf_add(&rq->body, "", 1) == PARLEY_OK)
		return h->answer(h->cls, conn, url, method, (const char *)rq->body.data, rq->body.len - 1, false);
	return h->answer(h->cls, conn, url, method, "", 0, true);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	parley_httpd *h = cls;
	struct request *rq = *con_cls;
	(void)version;

	if (!rq) {
		if (!(rq = calloc(1, sizeof(*rq))))
			return MHD_NO;
		parley_buf_init(&rq->body, h->body_max + 1); /* + the NUL the answer gets */
		*con_cls = rq;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && (strlen(cl) > 19 || strtoull(cl, NULL, 10) > h->body_max)) {
			rq->too_big = rq->answered = true; /* answered now: the body is never read */
			return answer(h, conn, url, method, rq);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (!rq->too_big && (rq->body.len + *upload_size > h->body_max ||
					    parley_buf_add(&rq->body, upload, *upload_size))) {
			rq->too_big = true;
			parley_buf_release(&rq->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->answered)
		return MHD_YES;
	rq->answered = true;
	return answer(h, conn, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct request *rq = *con_cls;
	(void)cls;
	(void)conn;
	(void)toe;
	if (rq) {
		parley_buf_release(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

parley_code parley_httpd_start(parley_httpd *h, const parley_httpd_config *cfg, parley_err *err)
{
	int fds[PARLEY_LISTEN_MAX];
	size_t nfds = 0;
	bool tls = cfg->tls_cert_pem != NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | (tls ? MHD_USE_TLS : 0u);
	parley_code rc;

	memset(h, 0, sizeof(*h));
	if (!cfg->answer || tls != (cfg->tls_key_pem != NULL))
		return parley_fail(err, PARLEY_E_USAGE, "http server: an answer, and TLS certificate and key both or neither");
	h->body_max = cfg->body_max;
	h->answer = cfg->answer;
	h->cls = cfg->cls;
	if ((rc = parley_listen_open(cfg->host, cfg->port, fds, &nfds, &h->port, err)))
		return rc;
	for (size_t i = 0; i < nfds; i++) {
		parley_listen_addr(fds[i], h->addr[i]);
		h->mhd[i] = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_LISTEN_SOCKET, fds[i],
			MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 32u, MHD_OPTION_CONNECTION_TIMEOUT,
			cfg->timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
			completed, h, tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg->tls_cert_pem,
			MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem, MHD_OPTION_END);
		if (!h->mhd[i]) {
			char addr[PARLEY_LISTEN_ADDR_MAX];
			memcpy(addr, h->addr[i], sizeof(addr));
			/* the daemons started own (and close) theirs; MHD may have closed the one it refused */
			parley_listen_close(fds + i + 1, nfds - i - 1);
			parley_httpd_stop(h);
			return parley_fail(err, PARLEY_E_IO, "cannot serve on %s (TLS files invalid?)", addr);
		}
		h->n = i + 1;
	}
	return PARLEY_OK;
}

void parley_httpd_stop(parley_httpd *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->mhd[i])
			MHD_stop_daemon(h->mhd[i]);
	memset(h, 0, sizeof(*h));
}

bool parley_httpd_is_bound_addr(const parley_httpd *h, const char *hostport)
{
	for (size_t i = 0; hostport && i < h->n; i++)
		if (strcmp(h->addr[i], hostport) == 0)
			return true;
	return false;
}
