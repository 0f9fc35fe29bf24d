/* cmd_serve.c - parley serve: run the relay until SIGINT or SIGTERM. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parley/listen.h"
#include "parley/relay.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley serve --key RELAY.key --db PATH|URI --listen HOST:PORT\n"
	"                    [--tls-cert CERT.pem --tls-key KEY.pem] [--port-file F] [--rate N]\n"
	"                    [--max-connections N] [--max-per-ip N] [--timeout SECONDS]\n"
	"                    [--deadline SECONDS]\n"
	"                    [--open-channels any | --open-channels allowlist FILE]\n"
	"                    [--open-rate N] [--open-max-per-key N]\n"
	"\n"
	"Run the relay: an HTTP server that stores channels and relays entries\n"
	"(routes in docs/api.md). The relay signs checkpoints with its key; a charter\n"
	"must name this key as its relay to be opened here.\n"
	"\n"
	"  --key RELAY.key        the relay's secret key (parley keygen)\n"
	"  --db PATH|URI          the store: an SQLite file, created if missing, or a\n"
	"                         PostgreSQL database, postgresql://USER@HOST/DB (any libpq\n"
	"                         URI; postgres:// too); the password from ~/.pgpass or\n"
	"                         PGPASSWORD rather than the command line\n"
	"  --listen HOST:PORT     where to listen: an IPv4 address (127.0.0.1:8443), an IPv6\n"
	"                         address in brackets ([::1]:8443), or a host name, bound on\n"
	"                         every address it resolves to (localhost:8443: 127.0.0.1\n"
	"                         and ::1); 0.0.0.0 / [::] for all; port 0 picks a free one\n"
	"  --tls-cert, --tls-key  serve HTTPS with these PEM files\n"
	"  --port-file F          write the port actually bound to F (for scripts)\n"
	"  --rate N               requests per second per party (default 200; 0: unlimited)\n"
	"  --max-connections N    concurrent connections (default 256)\n"
	"  --max-per-ip N         of which from one address (default 64, or a quarter); an\n"
	"                         address that holds some gets at most half of the free ones\n"
	"  --timeout SECONDS      idle connection timeout (default 15)\n"
	"  --deadline SECONDS     a request's headers and body must arrive whole within this,\n"
	"                         however slowly its bytes trickle in (default 30)\n"
	"  --open-channels any    any member of a charter that verifies and names this\n"
	"                         relay may open its channel (the default), within the\n"
	"                         limits below (429 open-rate-limited, channel-quota)\n"
	"  --open-channels allowlist FILE\n"
	"                         only charters whose id, or one of whose parties' keys\n"
	"                         (the 'sign' line of a .pub file), is a line of FILE\n"
	"                         (403 not-allowed-to-open for the others)\n"
	"  --open-rate N          channel opens (POST /v1/channels) per minute per source\n"
	"                         address (default 30)\n"
	"  --open-max-per-key N   channels one party key may be in, counted over the store\n"
	"                         (a restart keeps them; default 1000; and 16 MiB of charters)\n"
	"  --poll-max N           long polls (GET entries with wait=) waiting at once (default 64)\n"
	"  --poll-max-per-key N   of which by one party key (default 4); 429 beyond\n"
	"\n"
	"One relay per SQLite store: a second 'parley serve' on the same --db refuses to\n"
	"start (the lock file PATH.lock holds the running relay's PID). Several relays\n"
	"may share one PostgreSQL database, all with the same key (one log): appends\n"
	"take their channel's lock in the database, and any of them serves any request\n"
	"(docs/scaling.md).\n"
	"\n"
	"Logs one structured line per event on standard error. SIGINT or SIGTERM stop\n"
	"it gracefully: in-flight requests and appends finish, the store is closed.\n"
	"\n"
	"Routes (docs/api.md); all but health and metrics need a member's signed request:\n"
	"  GET  /v1/health                          {\"status\":\"ok\"}\n"
	"  GET  /v1/metrics                         Prometheus text: parley_entries_appended_total,\n"
	"                                           parley_requests_total{code},\n"
	"                                           parley_request_duration_seconds (histogram),\n"
	"                                           parley_connections_refused_total,\n"
	"                                           parley_connections_reaped_total,\n"
	"                                           parley_long_polls_waiting (gauge)\n"
	"  POST /v1/channels                        open a channel (a signed charter)\n"
	"  GET  /v1/channels/ID/charter\n"
	"  POST /v1/channels/ID/entries             append an entry\n"
	"  GET  /v1/channels/ID/entries?from=N&limit=M\n"
	"  GET  /v1/channels/ID/reads?party=KEYID&past=N\n"
	"  GET  /v1/channels/ID/checkpoint[?size=S | ?cosigned_by=KEYID[&min_size=N]]\n"
	"  GET  /v1/channels/ID/proof/inclusion?index=I&size=S\n"
	"  GET  /v1/channels/ID/proof/consistency?old=M&size=N\n"
	"  POST /v1/channels/ID/cosignatures        a member's cosignature of a checkpoint\n"
	"\n"
	"Example:\n"
	"  parley serve --key relay.key --db relay.db --listen 127.0.0.1:8443\n";

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "db", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "max-per-ip", required_argument, NULL, 'P' },
		{ "open-channels", required_argument, NULL, 'o' },
		{ "deadline", required_argument, NULL, 'D' },
		{ "open-rate", required_argument, NULL, 'R' },
		{ "open-max-per-key", required_argument, NULL, 'M' },
		{ "poll-max", required_argument, NULL, 'W' },
		{ "poll-max-per-key", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keypath = NULL, *db = NULL, *listen = NULL, *cert = NULL, *tkey = NULL, *portfile = NULL;
	parley_relay_config cfg;
	parley_seckey *key = NULL;
	parley_relay *relay = NULL;
	parley_err err = { 0 };
	parley_buf certb = PARLEY_BUF_INIT, keyb = PARLEY_BUF_INIT;
	char host[PARLEY_LISTEN_HOST_MAX + 1];
	uint64_t v;
	int c, ret;
	sigset_t set;

	memset(&cfg, 0, sizeof(cfg));
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'd': db = optarg; break;
		case 'l': listen = optarg; break;
		case 'c': cert = optarg; break;
		case 'K': tkey = optarg; break;
		case 'p': portfile = optarg; break;
		case 'r':
			if (!cli_parse_u64(optarg, 0, 1000000, &v))
				return cli_usage_error("serve", "--rate takes 0 to 1000000");
			cfg.rate = v ? (double)v : -1;
			break;
		case 'm':
			if (!cli_parse_u64(optarg, 1, 100000, &v))
				return cli_usage_error("serve", "--max-connections takes 1 to 100000");
			cfg.max_connections = (unsigned)v;
			break;
		case 'P':
			if (!cli_parse_u64(optarg, 1, 100000, &v))
				return cli_usage_error("serve", "--max-per-ip takes 1 to 100000");
			cfg.max_per_ip = (unsigned)v;
			break;
		case 't':
			if (!cli_parse_u64(optarg, 1, 3600, &v))
				return cli_usage_error("serve", "--timeout takes 1 to 3600 seconds");
			cfg.timeout_s = (unsigned)v;
			break;
		case 'o':
			if (strcmp(optarg, "any") == 0) {
				cfg.open_allowlist = NULL;
			} else if (strcmp(optarg, "allowlist") == 0 && optind < argc && argv[optind][0] != '-') {
				cfg.open_allowlist = argv[optind++];
			} else {
				return cli_usage_error("serve", "--open-channels takes 'any' or 'allowlist FILE'");
			}
			break;
		case 'D':
			if (!cli_parse_u64(optarg, 1, 3600, &v))
				return cli_usage_error("serve", "--deadline takes 1 to 3600 seconds");
			cfg.deadline_s = (unsigned)v;
			break;
		case 'R':
			if (!cli_parse_u64(optarg, 1, 1000000, &v))
				return cli_usage_error("serve", "--open-rate takes 1 to 1000000 a minute");
			cfg.open_rate = (unsigned)v;
			break;
		case 'M':
			if (!cli_parse_u64(optarg, 1, 1000000, &v))
				return cli_usage_error("serve", "--open-max-per-key takes 1 to 1000000");
			cfg.open_max_per_key = (unsigned)v;
			break;
		case 'W':
		case 'w':
			if (!cli_parse_u64(optarg, 1, 100000, &v))
				return cli_usage_error("serve", "--poll-max and --poll-max-per-key take 1 to 100000");
			*(c == 'W' ? &cfg.poll_max : &cfg.poll_max_per_key) = (unsigned)v;
			break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("serve", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (!keypath || !db || !listen)
		return cli_usage_error("serve", "--key, --db and --listen are required");
	if (!cert != !tkey)
		return cli_usage_error("serve", "--tls-cert and --tls-key go together");
	if (parley_listen_parse(listen, host, &cfg.port, &err))
		return cli_usage_error("serve", "--listen: %s", err.msg);
	cfg.host = host;
	if (cert) {
		if (parley_file_read(cert, 1 << 20, &certb, &err) ||
			(keyb.secret = 1, parley_file_read(tkey, 1 << 20, &keyb, &err))) {
			ret = cli_fail(&err);
			goto out;
		}
		cfg.tls_cert_pem = (const char *)certb.data;
		cfg.tls_key_pem = (const char *)keyb.data;
	}
	if ((ret = cli_load_seckey(keypath, &key)))
		goto out;
	cfg.key = key;
	cfg.db = db;
	cfg.log = stderr;

	/* signals go to sigwait below, not to the server's threads */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (parley_relay_start(&cfg, &relay, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (portfile) {
		char p[16];
		int n = snprintf(p, sizeof(p), "%u\n", parley_relay_port(relay));
		if (parley_file_write(portfile, p, (size_t)n, 0644, false, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
	}
	int sig = 0;
	sigwait(&set, &sig);
	fprintf(stderr, "%s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	ret = EXIT_OK;
out:
	parley_relay_stop(relay);
	parley_seckey_free(key);
	parley_buf_release(&certb);
	parley_buf_release(&keyb);
	return ret;
}
