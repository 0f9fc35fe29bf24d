/* cmd_taxii.c - parley taxii (the node's TAXII 2.1 listener, its token, its defaults) and parley export --misp-feed. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "parley/listen.h"
#include "parley/misp.h"
#include "parley/stix.h"
#include "parley/node.h"
#include "parley/taxii.h"
#include "banned.h"

static const char *home_of(char *buf, size_t max)
{
	const char *h;
	if (cli_home_dir)
		return cli_home_dir;
	if ((h = getenv("PARLEY_HOME")) && *h)
		return h;
	snprintf(buf, max, "%s/.parley", getenv("HOME") ? getenv("HOME") : ".");
	return buf;
}

static const char taxii_usage[] =
	"usage: parley [--home DIR] taxii --listen HOST:PORT [--tls-cert CERT.pem --tls-key KEY.pem]\n"
	"                                 [--sync-interval SECONDS] [--port-file F]\n"
	"       parley [--home DIR] taxii token [--rotate]\n"
	"       parley [--home DIR] taxii set-default [--category CAT] [--thread N|none] [--channel ID]\n"
	"\n"
	"Serve this node's channels over TAXII 2.1 (API root /taxii2/parley/, one\n"
	"collection per channel) and their MISP feed under /misp/, until SIGINT or\n"
	"SIGTERM. HTTP Basic authentication: user 'parley', password the token of\n"
	"DIR/taxii.token (created 0600 on first use). Objects POSTed to a collection are\n"
	"validated and sent as one notification to the charter's other parties (or as\n"
	"a response to thread N: request header X-Parley-Thread: N, or set-default\n"
	"--thread N). The listener syncs every --sync-interval seconds (default 30;\n"
	"0: never), so that what the other parties send shows in the collections.\n"
	"  --listen HOST:PORT   an IPv4 address, an IPv6 address in brackets ([::1]:9443)\n"
	"                       or a host name (every address it resolves to); :PORT\n"
	"                       is 127.0.0.1:PORT; port 0 picks a free one\n"
	"  --tls-cert, --tls-key  serve HTTPS with these PEM files\n"
	"  --port-file F        write the port actually bound to F (for scripts)\n"
	"  token                print the token (creating it when missing)\n"
	"  token --rotate       replace it with a new one (clients must be given it)\n"
	"  set-default          the channel's category for objects that name none\n"
	"                       (--category '' clears it) and the thread they answer\n"
	"                       (--thread none clears it)\n"
	"The category of POSTed objects: an object's \"x_parley_category\", else a label\n"
	"\"parley:category=CAT\" or a label that is a category of the charter, else the\n"
	"channel's default, else the charter's first category.\n"
	"\n"
	"Example:\n"
	"  parley --home ~/hotline taxii --listen 127.0.0.1:9443 --tls-cert c.pem --tls-key k.pem\n";

static int taxii_token(int argc, char **argv, const char *home)
{
	bool rotate = false;
	char tok[65];
	parley_err err = { 0 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--rotate") == 0)
			rotate = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cli_help(taxii_usage);
		else
			return cli_usage_error("taxii token", "unexpected argument '%s'", argv[i]);
	}
	if (parley_dir_check_private(home, "home", &err) || parley_taxii_token(home, rotate, tok, &err))
		return cli_fail(&err);
	printf("%s\n", tok);
	sodium_memzero(tok, sizeof(tok));
	return EXIT_OK;
}

static int taxii_set_default(int argc, char **argv, const char *home)
{
	static const struct option opts[] = {
		{ "category", required_argument, NULL, 'C' },
		{ "thread", required_argument, NULL, 't' },
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cat = NULL, *chan = NULL;
	uint64_t thread = PARLEY_TAXII_THREAD_KEEP;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	uint8_t id[32];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': cat = optarg; break;
		case 'c': chan = optarg; break;
		case 't':
			if (strcmp(optarg, "none") == 0)
				thread = PARLEY_TAXII_THREAD_NONE;
			else if (!cli_parse_u64(optarg, 0, (uint64_t)INT64_MAX, &thread))
				return cli_usage_error("taxii set-default",
					"--thread takes the index of a thread's opening entry, or none");
			break;
		case 'h': return cli_help(taxii_usage);
		default: return cli_usage_error("taxii set-default", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("taxii set-default", "unexpected argument '%s'", argv[optind]);
	if (!cat && thread == PARLEY_TAXII_THREAD_KEEP)
		return cli_usage_error("taxii set-default", "give --category and/or --thread");
	if ((ret = cli_open_node(&key, &node)))
		return ret;
	if (parley_node_channel(node, chan, id, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (cat && *cat && !parley_charter_allows_category(parley_node_charter(node, id), cat)) {
		ret = cli_failf("category '%s' is not in the charter's scope", cat);
		goto out;
	}
	if (parley_taxii_set_default(home, id, cat, thread, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	printf("defaults of the channel's collection saved in %s/%s\n", home, PARLEY_TAXII_CONFIG_FILE);
out:
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}

static int taxii_listen(int argc, char **argv, const char *home)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "sync-interval", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *cert = NULL, *tkey = NULL, *portfile = NULL;
	parley_buf certb = PARLEY_BUF_INIT, keyb = PARLEY_BUF_INIT;
	parley_taxii_config cfg;
	parley_taxii *tx = NULL;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t interval = 30;
	char host[PARLEY_LISTEN_HOST_MAX + 1], spec[PARLEY_LISTEN_HOST_MAX + 32];
	int c, ret;
	sigset_t set;

	memset(&cfg, 0, sizeof(cfg));
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'c': cert = optarg; break;
		case 'K': tkey = optarg; break;
		case 'p': portfile = optarg; break;
		case 's':
			if (!cli_parse_u64(optarg, 0, 86400, &interval))
				return cli_usage_error("taxii", "--sync-interval takes 0 to 86400 seconds");
			break;
		case 'h': return cli_help(taxii_usage);
		default: return cli_usage_error("taxii", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("taxii", "unexpected argument '%s'", argv[optind]);
	if (!listen)
		return cli_usage_error("taxii", "--listen HOST:PORT is required");
	if (!cert != !tkey)
		return cli_usage_error("taxii", "--tls-cert and --tls-key go together");
	/* ":PORT" is the loopback address */
	snprintf(spec, sizeof(spec), "%s%.*s", listen[0] == ':' && !strchr(listen + 1, ':') ? "127.0.0.1" : "", (int)PARLEY_LISTEN_HOST_MAX + 16, listen);
	if (parley_listen_parse(spec, host, &cfg.port, &err))
		return cli_usage_error("taxii", "--listen: %s", err.msg);
	cfg.host = host;
	if (cert) {
		if (parley_file_read(cert, 1 << 20, &certb, &err) ||
			(keyb.secret = 1, parley_file_read(tkey, 1 << 20, &keyb, &err)))
			return cli_fail(&err);
		cfg.tls_cert_pem = (const char *)certb.data;
		cfg.tls_key_pem = (const char *)keyb.data;
	}
	if ((ret = cli_open_node(&key, &node)))
		goto out;
	cfg.home = home;
	cfg.node = node;
	cfg.node_lock = &lock;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (parley_taxii_start(&cfg, &tx, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (portfile) {
		char p[16];
		int n = snprintf(p, sizeof(p), "%u\n", parley_taxii_port(tx));
		if (parley_file_write(portfile, p, (size_t)n, 0644, false, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
	}
	fprintf(stderr, "parley: TAXII 2.1 on %s://%s%s%s:%u/taxii2/ (API root /taxii2/parley/, MISP feed /misp/)\n",
		cert ? "https" : "http", strchr(cfg.host, ':') ? "[" : "", cfg.host, strchr(cfg.host, ':') ? "]" : "",
		parley_taxii_port(tx));
	for (;;) {
		struct timespec ts = { interval ? (time_t)interval : 3600, 0 };
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM) {
			fprintf(stderr, "parley: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
			break;
		}
		if (!interval)
			continue;
		pthread_mutex_lock(&lock);
		for (size_t i = 0; i < parley_node_nchannels(node); i++) {
			parley_sync_report rep;
			parley_err se = { 0 };
			if (parley_node_sync(node, parley_node_channel_at(node, i), &rep, &se))
				fprintf(stderr, "parley: taxii: sync: %s\n", se.msg);
		}
		pthread_mutex_unlock(&lock);
	}
	ret = EXIT_OK;
out:
	parley_taxii_stop(tx);
	parley_node_close(node);
	parley_seckey_free(key);
	parley_buf_release(&certb);
	parley_buf_release(&keyb);
	return ret;
}

int cmd_taxii(int argc, char **argv)
{
	char buf[1024];
	const char *home = home_of(buf, sizeof(buf));

	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return taxii_token(argc - 1, argv + 1, home);
	if (argc >= 2 && strcmp(argv[1], "set-default") == 0)
		return taxii_set_default(argc - 1, argv + 1, home);
	return taxii_listen(argc, argv, home);
}

int cli_load_misp(const char *path, json_t **stix)
{
	parley_buf b = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	json_t *unknown = NULL, *u;
	size_t i;

	*stix = NULL;
	if (parley_file_read(path, PARLEY_MISP_EVENT_MAX, &b, &err) ||
		parley_misp_parse((const char *)b.data, b.len, stix, &unknown, &err) || parley_stix_validate(*stix, &err)) {
		parley_buf_release(&b);
		json_decref(*stix);
		json_decref(unknown);
		*stix = NULL;
		parley_wrap(&err, err.code, "%s", path);
		return cli_fail(&err);
	}
	parley_buf_release(&b);
	json_array_foreach(unknown, i, u)
		fprintf(stderr, "parley: %s: no STIX mapping, kept as a note: %s\n", path, json_string_value(u));
	if (json_array_size(unknown))
		fprintf(stderr, "parley: %s: %zu attribute%s or object%s kept as notes (README \"MISP\")\n", path,
			json_array_size(unknown), json_array_size(unknown) == 1 ? "" : "s", json_array_size(unknown) == 1 ? "" : "s");
	json_decref(unknown);
	return EXIT_OK;
}

static const char export_usage[] =
	"usage: parley [--home DIR] export --misp-feed DIR [--channel ID]\n"
	"\n"
	"Write what this node can read of its channels (received and sent) as a MISP\n"
	"feed in DIR: one UUID.json event per thread with STIX content (its uuid\n"
	"derived from the channel and the thread, so that a re-run updates it),\n"
	"manifest.json and hashes.csv. Incremental: events are rewritten only when\n"
	"they changed; events already in DIR stay; nothing is listed twice. Without\n"
	"--channel, every joined channel. Run 'parley sync' first. In MISP: Sync\n"
	"Actions -> Feeds -> Add feed, source format 'MISP Feed', URL the directory\n"
	"(input source 'local') or http(s)://NODE:PORT/misp of 'parley taxii'.\n"
	"\n"
	"Example:\n"
	"  parley sync && parley export --misp-feed /srv/misp-feed\n";

int cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "misp-feed", required_argument, NULL, 'm' },
		{ "channel", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *chan = NULL;
	parley_seckey *key = NULL;
	parley_node *node = NULL;
	parley_err err = { 0 };
	parley_misp_feed_report rep;
	uint8_t id[32];
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm': dir = optarg; break;
		case 'c': chan = optarg; break;
		case 'h': return cli_help(export_usage);
		default: return cli_usage_error("export", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (!dir)
		return cli_usage_error("export", "--misp-feed DIR is required");
	if ((ret = cli_open_node(&key, &node)))
		return ret;
	if (chan && parley_node_channel(node, chan, id, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (parley_misp_feed_write(node, chan ? id : NULL, dir, &rep, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	printf("MISP feed in %s: %llu event%s (%llu new, %llu updated, %llu unchanged)\n", dir,
		(unsigned long long)rep.events, rep.events == 1 ? "" : "s", (unsigned long long)rep.added,
		(unsigned long long)rep.updated, (unsigned long long)rep.unchanged);
out:
	parley_node_close(node);
	parley_seckey_free(key);
	return ret;
}
