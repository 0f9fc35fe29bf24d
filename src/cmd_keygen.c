/* cmd_keygen.c - parley keygen: a party's key pair, the secret half encrypted at rest. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "parley/crypto.h"
#include "banned.h"

static const char usage_text[] =
	"usage: parley keygen --name NAME --out DIR [--no-passphrase] [--kdf LEVEL]\n"
	"\n"
	"Create a party's identity: DIR/NAME.key (secret, mode 0600) and DIR/NAME.pub\n"
	"(public: name, Ed25519 signing key as a C2SP verifier key, X25519 sealing key).\n"
	"Both keys derive from one random 32-byte seed.\n"
	"\n"
	"The secret file is encrypted with a key derived from a passphrase by Argon2id\n"
	"(XChaCha20-Poly1305). The passphrase is read from PARLEY_PASSPHRASE, or asked\n"
	"twice on the terminal without echo.\n"
	"\n"
	"  --name NAME       party name: a-z, 0-9, '-', '.'; at most 64 bytes\n"
	"  --out DIR         directory for the two files (created 0700 if missing)\n"
	"  --no-passphrase   store the secret key unencrypted (tests and demos only)\n"
	"  --kdf LEVEL       Argon2id cost: interactive, moderate (default), sensitive\n"
	"\n"
	"Existing files are never overwritten. Prints the verifier key.\n"
	"\n"
	"Example:\n"
	"  parley keygen --name cert-a --out keys\n";

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "out", required_argument, NULL, 'o' },
		{ "no-passphrase", no_argument, NULL, 'N' },
		{ "kdf", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *dir = NULL, *kdfname = "moderate";
	bool nopass = false;
	parley_kdf kdf;
	parley_err err = { 0 };
	parley_seckey *key = NULL;
	parley_buf sk = PARLEY_BUF_INIT, pk = PARLEY_BUF_INIT;
	char skpath[4096], pkpath[4096], vkey[PARLEY_VKEY_MAX], *pass = NULL;
	int c, ret = EXIT_FAIL;

	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'o': dir = optarg; break;
		case 'N': nopass = true; break;
		case 'k': kdfname = optarg; break;
		case 'h': return cli_help(usage_text);
		default: return cli_usage_error("keygen", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("keygen", "unexpected argument '%s'", argv[optind]);
	if (!name || !dir)
		return cli_usage_error("keygen", "--name and --out are required");
	if (parley_name_check(name, &err))
		return cli_usage_error("keygen", "invalid --name: %s", err.msg);
	if (parley_kdf_preset(kdfname, &kdf))
		return cli_usage_error("keygen", "--kdf must be interactive, moderate or sensitive");

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cli_failf("%s: cannot create directory: %s", dir, strerror(errno));
	if ((size_t)snprintf(skpath, sizeof(skpath), "%s/%s.key", dir, name) >= sizeof(skpath) ||
		(size_t)snprintf(pkpath, sizeof(pkpath), "%s/%s.pub", dir, name) >= sizeof(pkpath))
		return cli_failf("%s: path too long", dir);
	struct stat st;
	if (stat(skpath, &st) == 0 || stat(pkpath, &st) == 0)
		return cli_failf("%s/%s.{key,pub}: already exists, not overwriting", dir, name);

	if (!nopass) {
		char prompt[256];
		snprintf(prompt, sizeof(prompt), "passphrase for new key '%s': ", name);
		if (!(pass = cli_passphrase(prompt, true)))
			return EXIT_FAIL;
	}
	if (parley_seckey_generate(name, &key, &err) ||
		parley_seckey_encode(key, pass, pass ? strlen(pass) : 0, &kdf, &sk, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (parley_pubkey_encode(&key->pub, &pk)) {
		ret = cli_failf("out of memory");
		goto out;
	}
	if (parley_file_write(skpath, sk.data, sk.len, 0600, true, &err) ||
		parley_file_write(pkpath, pk.data, pk.len, 0644, true, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (nopass)
		fprintf(stderr, "parley: warning: %s is NOT encrypted (--no-passphrase); use it only for tests\n",
			skpath);
	parley_vkey_format(vkey, name, key->pub.sign_pk);
	printf("secret key: %s\npublic key: %s\nverifier key: %s\n", skpath, pkpath, vkey);
	ret = EXIT_OK;
out:
	cli_passphrase_free(pass);
	parley_seckey_free(key);
	parley_buf_release(&sk);
	parley_buf_release(&pk);
	return ret;
}
