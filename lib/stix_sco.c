/*
 * stix_sco.c - STIX 2.1 cyber-observable objects (section 6): their properties,
 * predefined extensions and value syntax (addresses, domain names, e-mail
 * addresses, URLs, hashes).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stix_internal.h"
#include "banned.h"

/* ---- value syntax ---- */

static bool prefix_len(const char *s, int max)
{
	int v = 0;
	if (!*s || strlen(s) > 3 || (s[0] == '0' && s[1]))
		return false;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return false;
		v = v * 10 + (*p - '0');
	}
	return v <= max;
}

bool stix_ipv4_ok(const char *s, bool cidr)
{
	int parts = 0;
	const char *p = s;
	for (;;) {
		int v = 0, n = 0;
		while (isdigit((unsigned char)*p) && n < 4) {
			v = v * 10 + (*p++ - '0');
			n++;
		}
		if (n == 0 || n > 3 || v > 255)
			return false;
		parts++;
		if (parts == 4)
			break;
		if (*p++ != '.')
			return false;
	}
	if (*p == '/' && cidr)
		return prefix_len(p + 1, 32);
	return *p == 0;
}

bool stix_ipv6_ok(const char *s, bool cidr)
{
	char buf[64];
	unsigned char out[16];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET6, buf, out) != 1)
		return false;
	if (slash)
		return cidr && prefix_len(slash + 1, 128);
	return true;
}

/* RFC 1034/1123 host names, with RFC 5890 U-labels (UTF-8) and '_' (service labels) allowed. */
bool stix_domain_ok(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > (size_t)(253 + (s[n - 1] == '.')))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '-' || c == '_' || c >= 0x80))
			return false;
		if (label == 0 && c == '-')
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 ? s[n - 1] != '-' : n > 1;
}

/* RFC 5322 addr-spec: dot-atom or quoted local part, '@', a domain or an address literal. */
bool stix_email_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	if (!at || at == s || !at[1] || (size_t)(at - s) > 64)
		return false;
	if (s[0] == '"') {
		if (at - s < 2 || at[-1] != '"')
			return false;
		for (const char *p = s + 1; p < at - 1; p++) {
			if (*p == '\\') {
				p++;
				continue;
			}
			if (*p == '"' || (unsigned char)*p < 0x20)
				return false;
		}
	} else {
		static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
		if (s[0] == '.' || at[-1] == '.')
			return false;
		for (const char *p = s; p < at; p++) {
			unsigned char c = (unsigned char)*p;
			if (c == '.' && p[1] == '.')
				return false;
			if (!(isalnum(c) || c == '.' || strchr(atext, c) || c >= 0x80))
				return false;
		}
	}
	const char *d = at + 1;
	if (d[0] == '[') {
		size_t n = strlen(d);
		char buf[64];
		if (d[n - 1] != ']' || n - 2 >= sizeof(buf))
			return false;
		memcpy(buf, d + 1, n - 2);
		buf[n - 2] = 0;
		return strncmp(buf, "IPv6:", 5) == 0 ? stix_ipv6_ok(buf + 5, false) : stix_ipv4_ok(buf, false);
	}
	return stix_domain_ok(d) && d[strlen(d) - 1] != '.';
}

/* RFC 3986: scheme ":" then no whitespace or control characters. */
bool stix_url_ok(const char *s)
{
	const char *p = s;
	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':' || !p[1])
		return false;
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\' ||
			*p == '^' || *p == '`' || *p == '{' || *p == '|' || *p == '}')
			return false;
	return true;
}

bool stix_mac_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return false;
		} else if (!(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

bool stix_base64_ok(const char *s, size_t n)
{
	size_t pad = 0;
	if (n % 4)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '=') {
			pad++;
			if (pad > 2 || i < n - 2)
				return false;
		} else if (pad || !(isalnum(c) || c == '+' || c == '/')) {
			return false;
		}
	}
	return true;
}

const char *const stix_hash_algs[] = { "MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH",
	NULL };

static bool all_hex(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

const char *stix_hash_problem(const char *alg, const char *v)
{
	static const struct {
		const char *alg;
		size_t hex;
		const char *why;
	} fixed[] = {
		{ "MD5", 32, "an MD5 hash is 32 hex digits" },
		{ "SHA-1", 40, "a SHA-1 hash is 40 hex digits" },
		{ "SHA-256", 64, "a SHA-256 hash is 64 hex digits" },
		{ "SHA-512", 128, "a SHA-512 hash is 128 hex digits" },
		{ "SHA3-256", 64, "a SHA3-256 hash is 64 hex digits" },
		{ "SHA3-512", 128, "a SHA3-512 hash is 128 hex digits" },
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(alg, fixed[i].alg) == 0)
			return all_hex(v, fixed[i].hex) ? NULL : fixed[i].why;
	if (strcmp(alg, "SSDEEP") == 0) {
		/* blocksize:hash:hash */
		const char *p = v;
		if (!isdigit((unsigned char)*p))
			return "an SSDEEP hash is blocksize:hash:hash";
		while (isdigit((unsigned char)*p))
			p++;
		for (int part = 0; part < 2; part++) {
			if (*p++ != ':')
				return "an SSDEEP hash is blocksize:hash:hash";
			while (isalnum((unsigned char)*p) || *p == '+' || *p == '/')
				p++;
		}
		return *p ? "an SSDEEP hash is blocksize:hash:hash" : NULL;
	}
	if (strcmp(alg, "TLSH") == 0) {
		if (all_hex(v, 70) || ((v[0] == 'T' || v[0] == 't') && v[1] && all_hex(v + 2, 70)))
			return NULL;
		return "a TLSH hash is 70 hex digits (optionally after the version T1)";
	}
	return NULL;
}

/* ---- the SCO tables ---- */

#define END { NULL, 0, 0, NULL, 0, 0 }
#define P(n, t) { n, t, 0, NULL, 0, 0 }
#define R(n, t) { n, t, 1, NULL, 0, 0 }
#define PS(n, t, s) { n, t, 0, s, 0, 0 }
#define RS(n, t, s) { n, t, 1, s, 0, 0 }
#define PI(n, t, lo, hi) { n, t, 0, NULL, lo, hi }
#define RI(n, t, lo, hi) { n, t, 1, NULL, lo, hi }

static const char *const en_encryption[] = { "AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated", NULL };
static const char *const ov_account_type[] = { "facebook", "ldap", "nis", "openid", "radius", "skype", "tacacs",
	"twitter", "unix", "windows-local", "windows-domain", NULL };
static const char *const r_dir_file[] = { "file", "directory", NULL };
static const char *const r_resolves[] = { "ipv4-addr", "ipv6-addr", "domain-name", NULL };
static const char *const r_user[] = { "user-account", NULL };
static const char *const r_email[] = { "email-addr", NULL };
static const char *const r_artifact[] = { "artifact", NULL };
static const char *const r_directory[] = { "directory", NULL };
static const char *const r_sco[] = { "@sco", NULL };
static const char *const r_mac[] = { "mac-addr", NULL };
static const char *const r_as[] = { "autonomous-system", NULL };
static const char *const r_endpoint[] = { "ipv4-addr", "ipv6-addr", "mac-addr", "domain-name", NULL };
static const char *const r_traffic[] = { "network-traffic", NULL };
static const char *const r_process[] = { "process", NULL };
static const char *const r_file[] = { "file", NULL };
static const char *const r_artifact_file[] = { "artifact", "file", NULL };

static const stix_prop s_artifact[] = { P("mime_type", PT_STR), P("payload_bin", PT_BIN), P("url", PT_URL),
	P("hashes", PT_HASHES), PS("encryption_algorithm", PT_ENUM, en_encryption), P("decryption_key", PT_STR), END };
static const stix_prop s_as[] = { RI("number", PT_INT, 0, 4294967295.0), P("name", PT_STR), P("rir", PT_STR), END };
static const stix_prop s_directory[] = { R("path", PT_STR), P("path_enc", PT_STR), P("ctime", PT_TS),
	P("mtime", PT_TS), P("atime", PT_TS), PS("contains_refs", PT_REFS, r_dir_file), END };
static const stix_prop s_domain[] = { R("value", PT_STR), PS("resolves_to_refs", PT_REFS, r_resolves), END };
static const stix_prop s_email_addr[] = { R("value", PT_STR), P("display_name", PT_STR),
	PS("belongs_to_ref", PT_REF, r_user), END };
static const stix_prop s_email_msg[] = { R("is_multipart", PT_BOOL), P("date", PT_TS), P("content_type", PT_STR),
	PS("from_ref", PT_REF, r_email), PS("sender_ref", PT_REF, r_email), PS("to_refs", PT_REFS, r_email),
	PS("cc_refs", PT_REFS, r_email), PS("bcc_refs", PT_REFS, r_email), P("message_id", PT_STR), P("subject", PT_STR),
	P("received_lines", PT_STRS), P("additional_header_fields", PT_DICT), P("body", PT_STR),
	P("body_multipart", PT_LIST), PS("raw_email_ref", PT_REF, r_artifact), END };
static const stix_prop s_file[] = { P("hashes", PT_HASHES), PI("size", PT_INT, 0, 9.2e18), P("name", PT_STR),
	P("name_enc", PT_STR), P("magic_number_hex", PT_HEX), P("mime_type", PT_STR), P("ctime", PT_TS), P("mtime", PT_TS),
	P("atime", PT_TS), PS("parent_directory_ref", PT_REF, r_directory), PS("contains_refs", PT_REFS, r_sco),
	PS("content_ref", PT_REF, r_artifact), END };
static const stix_prop s_ipv4[] = { R("value", PT_STR), PS("resolves_to_refs", PT_REFS, r_mac),
	PS("belongs_to_refs", PT_REFS, r_as), END };
static const stix_prop s_mac[] = { R("value", PT_STR), END };
static const stix_prop s_mutex[] = { R("name", PT_STR), END };
static const stix_prop s_traffic[] = { P("start", PT_TS), P("end", PT_TS), P("is_active", PT_BOOL),
	PS("src_ref", PT_REF, r_endpoint), PS("dst_ref", PT_REF, r_endpoint), PI("src_port", PT_INT, 0, 65535),
	PI("dst_port", PT_INT, 0, 65535), R("protocols", PT_STRS), PI("src_byte_count", PT_INT, 0, 9.2e18),
	PI("dst_byte_count", PT_INT, 0, 9.2e18), PI("src_packets", PT_INT, 0, 9.2e18), PI("dst_packets", PT_INT, 0, 9.2e18),
	P("ipfix", PT_DICT), PS("src_payload_ref", PT_REF, r_artifact), PS("dst_payload_ref", PT_REF, r_artifact),
	PS("encapsulates_refs", PT_REFS, r_traffic), PS("encapsulated_by_ref", PT_REF, r_traffic), END };
static const stix_prop s_process[] = { P("is_hidden", PT_BOOL), P("pid", PT_INT), P("created_time", PT_TS),
	P("cwd", PT_STR), P("command_line", PT_STR), P("environment_variables", PT_DICT),
	PS("opened_connection_refs", PT_REFS, r_traffic), PS("creator_user_ref", PT_REF, r_user),
	PS("image_ref", PT_REF, r_file), PS("parent_ref", PT_REF, r_process), PS("child_refs", PT_REFS, r_process), END };
static const stix_prop s_software[] = { R("name", PT_STR), P("cpe", PT_STR), P("swid", PT_STR), P("languages", PT_STRS),
	P("vendor", PT_STR), P("version", PT_STR), END };
static const stix_prop s_url[] = { R("value", PT_STR), END };
static const stix_prop s_user[] = { P("user_id", PT_STR), P("credential", PT_STR), P("account_login", PT_STR),
	PS("account_type", PT_OV, ov_account_type), P("display_name", PT_STR), P("is_service_account", PT_BOOL),
	P("is_privileged", PT_BOOL), P("can_escalate_privs", PT_BOOL), P("is_disabled", PT_BOOL),
	P("account_created", PT_TS), P("account_expires", PT_TS), P("credential_last_changed", PT_TS),
	P("account_first_login", PT_TS), P("account_last_login", PT_TS), END };
static const stix_prop s_regkey[] = { P("key", PT_STR), P("values", PT_LIST), P("modified_time", PT_TS),
	PS("creator_user_ref", PT_REF, r_user), PI("number_of_subkeys", PT_INT, 0, 9.2e18), END };
static const stix_prop s_x509[] = { P("is_self_signed", PT_BOOL), P("hashes", PT_HASHES), P("version", PT_STR),
	P("serial_number", PT_STR), P("signature_algorithm", PT_STR), P("issuer", PT_STR),
	P("validity_not_before", PT_TS), P("validity_not_after", PT_TS), P("subject", PT_STR),
	P("subject_public_key_algorithm", PT_STR), P("subject_public_key_modulus", PT_STR),
	PI("subject_public_key_exponent", PT_INT, 0, 9.2e18), P("x509_v3_extensions", PT_DICT), END };

/* ---- hooks ---- */

static const char *const sco_common_names[] = { "type", "id", "spec_version", "object_marking_refs",
	"granular_markings", "defanged", "extensions", NULL };

/* "at least one property of this object (or an extension)" */
static void at_least_one(stix_ctx *x, const json_t *o, const char *what)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (!stix_in(k, sco_common_names) || strcmp(k, "extensions") == 0)
			return;
	}
	stix_error(x, "", "%s needs at least one property besides the common ones", what);
}

static void value_syntax(stix_ctx *x, const json_t *o, bool (*ok)(const char *), const char *what)
{
	const char *v = stix_str(o, "value");
	if (v && !ok(v))
		stix_error(x, "value", "'%s' is not %s", v, what);
}

static bool v4(const char *s)
{
	return stix_ipv4_ok(s, true);
}
static bool v6(const char *s)
{
	return stix_ipv6_ok(s, true);
}

static void h_ipv4(stix_ctx *x, const json_t *o)
{
	value_syntax(x, o, v4, "an IPv4 address or CIDR block");
	if (json_object_get(o, "resolves_to_refs"))
		stix_warn(x, "resolves_to_refs", "deprecated in STIX 2.1");
}
static void h_ipv6(stix_ctx *x, const json_t *o)
{
	value_syntax(x, o, v6, "an IPv6 address or CIDR block");
	if (json_object_get(o, "resolves_to_refs"))
		stix_warn(x, "resolves_to_refs", "deprecated in STIX 2.1");
}
static void h_domain(stix_ctx *x, const json_t *o)
{
	value_syntax(x, o, stix_domain_ok, "a domain name (RFC 1034, RFC 5890)");
}
static void h_email_addr(stix_ctx *x, const json_t *o)
{
	value_syntax(x, o, stix_email_ok, "an e-mail address (RFC 5322 addr-spec)");
}
static void h_url(stix_ctx *x, const json_t *o)
{
	value_syntax(x, o, stix_url_ok, "a URL (RFC 3986)");
}
static void h_mac(stix_ctx *x, const json_t *o)
{
	value_syntax(x, o, stix_mac_ok, "a lower-case colon-delimited MAC-48 address");
}

static void h_artifact(stix_ctx *x, const json_t *o)
{
	bool bin = json_object_get(o, "payload_bin") != NULL, url = json_object_get(o, "url") != NULL;
	if (bin == url)
		stix_error(x, bin ? "url" : "payload_bin", "an artifact has exactly one of payload_bin and url");
	if (url && !json_object_get(o, "hashes"))
		stix_error(x, "hashes", "required when url is given");
	if (json_object_get(o, "decryption_key") && !json_object_get(o, "encryption_algorithm"))
		stix_error(x, "decryption_key", "not allowed without encryption_algorithm");
}

static void h_file(stix_ctx *x, const json_t *o)
{
	if (!json_object_get(o, "hashes") && !json_object_get(o, "name"))
		stix_error(x, "", "a file needs hashes or name");
}

static void h_email_msg(stix_ctx *x, const json_t *o)
{
	const json_t *mp = json_object_get(o, "is_multipart"), *parts = json_object_get(o, "body_multipart");
	size_t i;
	json_t *p;
	char path[64];
	if (json_is_true(mp) && json_object_get(o, "body"))
		stix_error(x, "body", "not allowed when is_multipart is true (use body_multipart)");
	if (json_is_false(mp) && parts)
		stix_error(x, "body_multipart", "not allowed when is_multipart is false");
	json_array_foreach(parts, i, p) {
		snprintf(path, sizeof(path), "body_multipart[%zu]", i);
		if (!json_is_object(p)) {
			stix_error(x, path, "must be a MIME part object");
			continue;
		}
		bool b = json_object_get(p, "body") != NULL, r = json_object_get(p, "body_raw_ref") != NULL;
		if (b == r)
			stix_error(x, path, "a MIME part has exactly one of body and body_raw_ref");
		if (r && !stix_ref_ok(stix_str(p, "body_raw_ref"), r_artifact_file))
			stix_error(x, path, "body_raw_ref must refer to an artifact or file");
		if (b && !json_is_string(json_object_get(p, "body")))
			stix_error(x, path, "body must be a string");
	}
}

static void h_traffic(stix_ctx *x, const json_t *o)
{
	stix_time a, b;
	const char *s = stix_str(o, "start"), *e = stix_str(o, "end");
	if (!json_object_get(o, "src_ref") && !json_object_get(o, "dst_ref"))
		stix_error(x, "", "network traffic needs src_ref or dst_ref");
	if (json_is_true(json_object_get(o, "is_active")) && e)
		stix_error(x, "end", "not allowed when is_active is true");
	if (s && e && stix_time_parse(s, strlen(s), &a) && stix_time_parse(e, strlen(e), &b) && stix_time_cmp(&b, &a) < 0)
		stix_error(x, "end", "must be later than or equal to start");
	const json_t *pr = json_object_get(o, "protocols");
	size_t i;
	json_t *v;
	json_array_foreach(pr, i, v) {
		const char *p = json_string_value(v);
		for (; p && *p; p++)
			if (isupper((unsigned char)*p)) {
				stix_warn(x, "protocols", "protocol names should be lower case");
				break;
			}
	}
}

static void h_process(stix_ctx *x, const json_t *o)
{
	at_least_one(x, o, "a process");
}
static void h_user(stix_ctx *x, const json_t *o)
{
	at_least_one(x, o, "a user account");
}
static void h_x509(stix_ctx *x, const json_t *o)
{
	at_least_one(x, o, "an X.509 certificate");
}

static const char *const en_reg_datatype[] = { "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
	"REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ", "REG_RESOURCE_LIST",
	"REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE", NULL };

static void h_regkey(stix_ctx *x, const json_t *o)
{
	size_t i;
	json_t *v;
	char path[64];
	at_least_one(x, o, "a registry key");
	/* the hive is written out in full: HKEY_LOCAL_MACHINE, not HKLM (section 6.17) */
	const char *key = stix_str(o, "key");
	static const char *const abbrev[] = { "HKLM", "HKCU", "HKCR", "HKU", "HKCC", NULL };
	for (size_t k = 0; key && abbrev[k]; k++) {
		size_t n = strlen(abbrev[k]);
		if (strncasecmp(key, abbrev[k], n) == 0 && (key[n] == '\\' || key[n] == 0))
			stix_error(x, "key", "the hive must be written in full (%s is an abbreviation)", abbrev[k]);
	}
	json_array_foreach(json_object_get(o, "values"), i, v) {
		snprintf(path, sizeof(path), "values[%zu]", i);
		if (!json_is_object(v)) {
			stix_error(x, path, "must be a registry value object");
			continue;
		}
		const json_t *dt = json_object_get(v, "data_type");
		if (dt && !stix_in(json_string_value(dt), en_reg_datatype))
			stix_error(x, path, "data_type is not a windows-registry-datatype-enum value");
		static const char *const sk[] = { "name", "data", NULL };
		for (size_t k = 0; sk[k]; k++)
			if (json_object_get(v, sk[k]) && !json_is_string(json_object_get(v, sk[k])))
				stix_error(x, path, "%s must be a string", sk[k]);
	}
}

static const stix_type sco_types[] = {
	{ "artifact", SK_SCO, s_artifact, h_artifact },
	{ "autonomous-system", SK_SCO, s_as, NULL },
	{ "directory", SK_SCO, s_directory, NULL },
	{ "domain-name", SK_SCO, s_domain, h_domain },
	{ "email-addr", SK_SCO, s_email_addr, h_email_addr },
	{ "email-message", SK_SCO, s_email_msg, h_email_msg },
	{ "file", SK_SCO, s_file, h_file },
	{ "ipv4-addr", SK_SCO, s_ipv4, h_ipv4 },
	{ "ipv6-addr", SK_SCO, s_ipv4, h_ipv6 },
	{ "mac-addr", SK_SCO, s_mac, h_mac },
	{ "mutex", SK_SCO, s_mutex, NULL },
	{ "network-traffic", SK_SCO, s_traffic, h_traffic },
	{ "process", SK_SCO, s_process, h_process },
	{ "software", SK_SCO, s_software, NULL },
	{ "url", SK_SCO, s_url, h_url },
	{ "user-account", SK_SCO, s_user, h_user },
	{ "windows-registry-key", SK_SCO, s_regkey, h_regkey },
	{ "x509-certificate", SK_SCO, s_x509, h_x509 },
};

const stix_type *stix_sco_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(sco_types) / sizeof(sco_types[0]); i++)
		if (strcmp(sco_types[i].name, name) == 0)
			return &sco_types[i];
	return NULL;
}

/* ---- predefined extensions (section 6, per object) ---- */

static const char *const en_addr_family[] = { "AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS",
	"AF_INET6", "AF_IRDA", "AF_BTH", NULL };
static const char *const en_socket_type[] = { "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET",
	NULL };
static const char *const en_integrity[] = { "low", "medium", "high", "system", NULL };
static const char *const en_start_type[] = { "SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START",
	"SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT", NULL };
static const char *const en_service_type[] = { "SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER",
	"SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS", NULL };
static const char *const en_service_status[] = { "SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED",
	"SERVICE_RUNNING", "SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED", NULL };
static const char *const ov_pe_type[] = { "dll", "exe", "sys", NULL };

static const stix_prop e_archive[] = { RS("contains_refs", PT_REFS, r_dir_file), P("comment", PT_STR), END };
static const stix_prop e_ntfs[] = { P("sid", PT_STR), P("alternate_data_streams", PT_LIST), END };
static const stix_prop e_pdf[] = { P("version", PT_STR), P("is_optimized", PT_BOOL), P("document_info_dict", PT_DICT),
	P("pdfid0", PT_STR), P("pdfid1", PT_STR), END };
static const stix_prop e_raster[] = { P("image_height", PT_INT), P("image_width", PT_INT), P("bits_per_pixel", PT_INT),
	P("exif_tags", PT_DICT), END };
static const stix_prop e_pe[] = { RS("pe_type", PT_OV, ov_pe_type), P("imphash", PT_STR), P("machine_hex", PT_HEX),
	P("number_of_sections", PT_INT), P("time_date_stamp", PT_TS), P("pointer_to_symbol_table_hex", PT_HEX),
	P("number_of_symbols", PT_INT), P("size_of_optional_header", PT_INT), P("characteristics_hex", PT_HEX),
	P("file_header_hashes", PT_HASHES), P("optional_header", PT_DICT), P("sections", PT_LIST), END };
static const stix_prop e_http[] = { R("request_method", PT_STR), R("request_value", PT_STR),
	P("request_version", PT_STR), P("request_header", PT_DICT), P("message_body_length", PT_INT),
	PS("message_body_data_ref", PT_REF, r_artifact), END };
static const stix_prop e_icmp[] = { R("icmp_type_hex", PT_HEX), R("icmp_code_hex", PT_HEX), END };
static const stix_prop e_socket[] = { RS("address_family", PT_ENUM, en_addr_family), P("is_blocking", PT_BOOL),
	P("is_listening", PT_BOOL), P("options", PT_DICT), PS("socket_type", PT_ENUM, en_socket_type),
	P("socket_descriptor", PT_INT), P("socket_handle", PT_INT), END };
static const stix_prop e_tcp[] = { P("src_flags_hex", PT_HEX), P("dst_flags_hex", PT_HEX), END };
static const stix_prop e_winproc[] = { P("aslr_enabled", PT_BOOL), P("dep_enabled", PT_BOOL), P("priority", PT_STR),
	P("owner_sid", PT_STR), P("window_title", PT_STR), P("startup_info", PT_DICT),
	PS("integrity_level", PT_ENUM, en_integrity), END };
static const stix_prop e_winsvc[] = { P("service_name", PT_STR), P("descriptions", PT_STRS), P("display_name", PT_STR),
	P("group_name", PT_STR), PS("start_type", PT_ENUM, en_start_type), PS("service_dll_refs", PT_REFS, r_file),
	PS("service_type", PT_ENUM, en_service_type), PS("service_status", PT_ENUM, en_service_status), END };
static const stix_prop e_unix[] = { P("gid", PT_INT), P("groups", PT_STRS), P("home_dir", PT_STR), P("shell", PT_STR),
	END };

static const struct ext {
	const char *name, *on;
	const stix_prop *props;
} exts[] = {
	{ "archive-ext", "file", e_archive },
	{ "ntfs-ext", "file", e_ntfs },
	{ "pdf-ext", "file", e_pdf },
	{ "raster-image-ext", "file", e_raster },
	{ "windows-pebinary-ext", "file", e_pe },
	{ "http-request-ext", "network-traffic", e_http },
	{ "icmp-ext", "network-traffic", e_icmp },
	{ "socket-ext", "network-traffic", e_socket },
	{ "tcp-ext", "network-traffic", e_tcp },
	{ "windows-process-ext", "process", e_winproc },
	{ "windows-service-ext", "process", e_winsvc },
	{ "unix-account-ext", "user-account", e_unix },
};

void stix_sco_check_extension(stix_ctx *x, const stix_type *t, const char *name, const char *path, const json_t *v)
{
	char pp[240];
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if (strcmp(exts[i].name, name) != 0)
			continue;
		if (!t || strcmp(t->name, exts[i].on) != 0) {
			stix_warn(x, path, "%s is an extension of %s objects", name, exts[i].on);
			return;
		}
		if (json_object_size(v) == 0)
			stix_error(x, path, "an extension needs at least one property");
		for (const stix_prop *p = exts[i].props; p->name; p++) {
			const json_t *pv = json_object_get(v, p->name);
			snprintf(pp, sizeof(pp), "%s.%s", path, p->name);
			if (!pv && p->required)
				stix_error(x, pp, "required");
			else if (pv)
				stix_check_value(x, p, pp, pv);
		}
		return;
	}
}
