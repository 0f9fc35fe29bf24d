/* cmd_api.c - parley api: one signed HTTP request to a relay, for operators, scripts and tests. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "parley/client.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley api --relay URL [--key NAME.key] [--data FILE] [--content-type T]\n"
	"                  [--time MS] [--nonce HEX] [--ca CA.pem] METHOD PATH\n"
	"\n"
	"Send one request to a relay (docs/api.md), signed with --key when given, and\n"
	"print the HTTP status on the first line and the response body after it.\n"
	"Exit 0 for a 2xx status, 1 otherwise.\n"
	"\n"
	"  --data FILE       the request body (- for standard input)\n"
	"  --content-type T  its type (default application/octet-stream with --data)\n"
	"  --time MS         sign as if at this time (ms since the epoch) instead of now\n"
	"  --nonce HEX       use this nonce (32 hex digits) instead of a random one\n"
	"  --ca CA.pem       trust this CA certificate for an https relay\n"
	"\n"
	"--time and --nonce exist to show the relay refusing stale and replayed requests.\n"
	"\n"
	"Example:\n"
	"  parley api --relay http://127.0.0.1:8443 --key keys/cert-a.key GET /v1/health\n";

int cmd_api(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "relay", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "data", required_argument, NULL, 'd' },
		{ "content-type", required_argument, NULL, 'T' },
		{ "time", required_argument, NULL, 't' },
		{ "nonce", required_argument, NULL, 'n' },
		{ "ca", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *relay = NULL, *keypath = NULL, *data = NULL, *ctype = NULL, *nonce = NULL, *ca = NULL;
	uint64_t t = 0;
	parley_seckey *key = NULL;
	parley_client cl;
	parley_buf body = PARLEY_BUF_INIT, resp = PARLEY_BUF_INIT;
	parley_err err = { 0 };
	long status = 0;
	int c, ret;

	memset(&cl, 0, sizeof(cl));
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': relay = optarg; break;
		case 'k': keypath = optarg; break;
		case 'd': data = optarg; break;
		case 'T': ctype = optarg; break;
		case 't':
			if (!cli_parse_u64(optarg, 1, UINT64_MAX / 2, &t))
				return cli_usage_error("api", "--time takes milliseconds since the epoch");
			break;
		case 'n': nonce = optarg; break;
		case 'C': ca = optarg; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("api", "unknown option");
		}
	}
	if (!relay || optind + 2 != argc)
		return cli_usage_error("api", "expected --relay URL METHOD PATH");
	if (nonce && strlen(nonce) != 32)
		return cli_usage_error("api", "--nonce takes 32 hex digits");
	if (data && parley_file_read(data, (size_t)8 << 20, &body, &err))
		return cli_fail(&err);
	if (keypath && (ret = cli_load_seckey(keypath, &key)))
		goto out;
	if (parley_client_init(&cl, relay, key, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	cl.no_retry = 1; /* show what the relay answered, 429 included */
	cl.fixed_time_ms = t;
	if (ca)
		snprintf(cl.ca_file, sizeof(cl.ca_file), "%s", ca);
	if (nonce)
		snprintf(cl.fixed_nonce, sizeof(cl.fixed_nonce), "%s", nonce);
	if (parley_client_do(&cl, argv[optind], argv[optind + 1], data ? (ctype ? ctype : "application/octet-stream") : ctype,
		    body.data, body.len, &status, &resp, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	printf("%ld\n", status);
	cli_write_stdout(resp.data, resp.len);
	if (resp.len && resp.data[resp.len - 1] != '\n')
		putchar('\n');
	ret = status >= 200 && status < 300 ? EXIT_OK : EXIT_FAIL;
out:
	parley_client_release(&cl);
	parley_seckey_free(key);
	parley_buf_release(&body);
	parley_buf_release(&resp);
	return ret;
}
