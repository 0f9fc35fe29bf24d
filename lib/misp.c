/* misp.c - MISP events to STIX 2.1 bundles (MISP's own export choices) and the STIX content of threads back to a MISP feed. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "parley/jcs.h"
#include "parley/misp.h"
#include "parley/msg.h"
#include "parley/payload.h"
#include "banned.h"

/* ---- small helpers ---- */

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (!s || strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++)
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* RFC 4122 version 5 (SHA-1) of a name in a namespace given as a UUID string (lower case). */
static void uuid5(const char *ns, const char *name, char out[37])
{
	uint8_t nsb[16], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char hex[33];
	size_t n = strlen(name);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	for (size_t i = 0, j = 0; i < 16; j++) {
		if (ns[j] == '-')
			continue;
		char h[3] = { ns[j], ns[j + 1], 0 };
		nsb[i++] = (uint8_t)strtoul(h, NULL, 16);
		j++;
	}
	if (!c || EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1 || EVP_DigestUpdate(c, nsb, 16) != 1 ||
		EVP_DigestUpdate(c, name, n) != 1 || EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen < 16)
		PARLEY_BUG("SHA-1 failed");
	EVP_MD_CTX_free(c);
	md[6] = (uint8_t)((md[6] & 0x0f) | 0x50);
	md[8] = (uint8_t)((md[8] & 0x3f) | 0x80);
	parley_hex(hex, md, 16);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

/* parley's namespace for the ids it derives (events of threads, attributes of patterns). */
#define NS_PARLEY "5d1b6a0e-3f0c-4c2e-9a8e-7b3f2d6c1e90"

static void lower_uuid(const char *in, char out[37])
{
	for (size_t i = 0; i < 36; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[36] = 0;
}

/* A MISP timestamp (seconds, as a string or a number) as a STIX timestamp; now when absent. */
static void stix_time(const json_t *v, char out[32])
{
	int64_t secs = (int64_t)time(NULL);
	char b[21];
	if (json_is_integer(v))
		secs = (int64_t)json_integer_value(v);
	else if (json_is_string(v)) {
		char *end;
		long long x = strtoll(json_string_value(v), &end, 10);
		if (*json_string_value(v) && !*end && x > 0 && x < 253402300799LL)
			secs = x;
	}
	if (secs < 0 || secs > 253402300799LL)
		secs = (int64_t)time(NULL);
	parley_time_fmt(b, secs);
	b[19] = 0;
	snprintf(out, 32, "%s.000Z", b);
}

/* The value of a STIX pattern string literal: ' and \ escaped. */
static parley_code quote(parley_buf *b, const char *v)
{
	parley_code rc = parley_buf_addstr(b, "'");
	for (const char *p = v; !rc && *p; p++) {
		if (*p == '\'' || *p == '\\')
			rc = parley_buf_add(b, "\\", 1);
		if (!rc)
			rc = parley_buf_add(b, p, 1);
	}
	return rc ? rc : parley_buf_addstr(b, "'");
}

/* ---- the mapping (README "MISP") ---- */

enum kind {
	K_NONE, /* no STIX mapping: kept as a note */
	K_IP_SRC, K_IP_DST, K_DOMAIN, K_URL, K_MD5, K_SHA1, K_SHA256, K_FILENAME, K_EMAIL_SRC, K_EMAIL_SUBJECT,
	K_VULN, K_SHA512, K_EMAIL_DST,
};

static const struct amap {
	const char *type, *category;
	enum kind k;
} amaps[] = {
	{ "ip-src", "Network activity", K_IP_SRC },
	{ "ip-dst", "Network activity", K_IP_DST },
	{ "domain", "Network activity", K_DOMAIN },
	{ "hostname", "Network activity", K_DOMAIN },
	{ "url", "Network activity", K_URL },
	{ "link", "External analysis", K_URL },
	{ "md5", "Payload delivery", K_MD5 },
	{ "sha1", "Payload delivery", K_SHA1 },
	{ "sha256", "Payload delivery", K_SHA256 },
	{ "sha512", "Payload delivery", K_SHA512 },
	{ "filename", "Payload delivery", K_FILENAME },
	{ "email-src", "Payload delivery", K_EMAIL_SRC },
	{ "email-dst", "Payload delivery", K_EMAIL_DST },
	{ "email-subject", "Payload delivery", K_EMAIL_SUBJECT },
	{ "vulnerability", "External analysis", K_VULN },
};

static const struct amap *amap_of(const char *type)
{
	for (size_t i = 0; type && i < sizeof(amaps) / sizeof(amaps[0]); i++)
		if (strcmp(amaps[i].type, type) == 0)
			return &amaps[i];
	return NULL;
}

/* The pattern path of a kind (ip-src/ip-dst use network-traffic refs, as MISP's export does). */
static const char *path_of(enum kind k)
{
	switch (k) {
	case K_IP_SRC: return "network-traffic:src_ref.value";
	case K_IP_DST: return "network-traffic:dst_ref.value";
	case K_DOMAIN: return "domain-name:value";
	case K_URL: return "url:value";
	case K_MD5: return "file:hashes.MD5";
	case K_SHA1: return "file:hashes.'SHA-1'";
	case K_SHA256: return "file:hashes.'SHA-256'";
	case K_SHA512: return "file:hashes.'SHA-512'";
	case K_FILENAME: return "file:name";
	case K_EMAIL_SRC: return "email-message:from_ref.value";
	case K_EMAIL_DST: return "email-message:to_refs[*].value";
	case K_EMAIL_SUBJECT: return "email-message:subject";
	default: return NULL;
	}
}

/*
 * Object templates with a STIX mapping (README "MISP"): file, url, domain-ip, ip-port,
 * email, network-connection. Each relation: its MISP type and its pattern path; obs,
 * when set, is the path of its observable instead: a SCO of its own in the
 * observed-data (an address the main SCO does not refer to). Two relations of one
 * template never share a path, except ip-port's ip and ip-dst (MISP's own export maps
 * both to dst_ref: it comes back as the first, ip, with its type ip-dst).
 */
static const struct rmap {
	const char *tmpl, *relation, *type, *path, *obs;
} rmaps[] = {
	{ "file", "filename", "filename", "file:name", NULL },
	{ "file", "md5", "md5", "file:hashes.MD5", NULL },
	{ "file", "sha1", "sha1", "file:hashes.'SHA-1'", NULL },
	{ "file", "sha256", "sha256", "file:hashes.'SHA-256'", NULL },
	{ "file", "sha512", "sha512", "file:hashes.'SHA-512'", NULL },
	{ "file", "size-in-bytes", "size-in-bytes", "file:size", NULL },
	{ "url", "url", "url", "url:value", NULL },
	{ "url", "domain", "domain", "url:x_misp_domain", NULL },
	{ "url", "host", "hostname", "url:x_misp_host", NULL },
	{ "url", "port", "port", "url:x_misp_port", NULL },
	{ "url", "resource_path", "text", "url:x_misp_resource_path", NULL },
	{ "url", "query_string", "text", "url:x_misp_query_string", NULL },
	{ "url", "scheme", "text", "url:x_misp_scheme", NULL },
	{ "domain-ip", "domain", "domain", "domain-name:value", NULL },
	{ "domain-ip", "hostname", "hostname", "domain-name:x_misp_hostname", NULL },
	{ "domain-ip", "ip", "ip-dst", "domain-name:resolves_to_refs[*].value", "ipv4-addr:value" },
	{ "domain-ip", "port", "port", "domain-name:x_misp_port", NULL },
	{ "ip-port", "ip", "ip-dst", "network-traffic:dst_ref.value", NULL },
	{ "ip-port", "ip-dst", "ip-dst", "network-traffic:dst_ref.value", NULL },
	{ "ip-port", "ip-src", "ip-src", "network-traffic:src_ref.value", NULL },
	{ "ip-port", "dst-port", "port", "network-traffic:dst_port", NULL },
	{ "ip-port", "src-port", "port", "network-traffic:src_port", NULL },
	{ "ip-port", "domain", "domain", "network-traffic:x_misp_domain", NULL },
	{ "ip-port", "hostname", "hostname", "network-traffic:x_misp_hostname", NULL },
	{ "email", "from", "email-src", "email-message:from_ref.value", NULL },
	{ "email", "to", "email-dst", "email-message:to_refs[*].value", NULL },
	{ "email", "cc", "email-dst", "email-message:cc_refs[*].value", NULL },
	{ "email", "subject", "email-subject", "email-message:subject", NULL },
	{ "email", "message-id", "email-message-id", "email-message:message_id", NULL },
	{ "email", "reply-to", "email-reply-to", "email-message:x_misp_reply_to", NULL },
	{ "email", "x-mailer", "email-x-mailer", "email-message:x_misp_x_mailer", NULL },
	{ "network-connection", "ip-src", "ip-src", "network-traffic:src_ref.value", NULL },
	{ "network-connection", "ip-dst", "ip-dst", "network-traffic:dst_ref.value", NULL },
	{ "network-connection", "src-port", "port", "network-traffic:src_port", NULL },
	{ "network-connection", "dst-port", "port", "network-traffic:dst_port", NULL },
	{ "network-connection", "hostname-src", "hostname", "network-traffic:x_misp_hostname_src", NULL },
	{ "network-connection", "hostname-dst", "hostname", "network-traffic:x_misp_hostname_dst", NULL },
	{ "network-connection", "layer3-protocol", "text", "network-traffic:x_misp_layer3_protocol", NULL },
	{ "network-connection", "layer4-protocol", "text", "network-traffic:x_misp_layer4_protocol", NULL },
	{ "network-connection", "layer7-protocol", "text", "network-traffic:x_misp_layer7_protocol", NULL },
};

static const struct rmap *rmap_of(const char *tmpl, const char *relation)
{
	for (size_t i = 0; i < sizeof(rmaps) / sizeof(rmaps[0]); i++)
		if (strcmp(rmaps[i].tmpl, tmpl) == 0 && strcmp(rmaps[i].relation, relation) == 0)
			return &rmaps[i];
	return NULL;
}

static bool template_known(const char *tmpl)
{
	for (size_t i = 0; tmpl && i < sizeof(rmaps) / sizeof(rmaps[0]); i++)
		if (strcmp(rmaps[i].tmpl, tmpl) == 0)
			return true;
	return false;
}

/* The property a path names ("dst_ref.value" of "network-traffic:dst_ref.value"). */
static const char *prop_of(const char *path)
{
	return strchr(path, ':') + 1;
}

/* Properties that are integers in STIX: unquoted in patterns, digits only. */
static bool int_prop(const char *prop)
{
	return strcmp(prop, "size") == 0 || strcmp(prop, "src_port") == 0 || strcmp(prop, "dst_port") == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const struct tlp_mark {
	const char *tag, *id, *name;
} tlps[] = {
	{ "white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white" },
	{ "clear", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white" },
	{ "green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green" },
	{ "amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber" },
	{ "amber+strict", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber" },
	{ "red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red" },
};

static const struct tlp_mark *tlp_of_tag(const char *tag)
{
	if (!tag || strncasecmp(tag, "tlp:", 4) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(tlps) / sizeof(tlps[0]); i++)
		if (strcasecmp(tag + 4, tlps[i].tag) == 0)
			return &tlps[i];
	return NULL;
}

static json_t *tlp_definition(const struct tlp_mark *t)
{
	char name[16];
	snprintf(name, sizeof(name), "TLP:%s", t->name);
	for (char *p = name + 4; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type", "marking-definition", "spec_version", "2.1",
		"id", t->id, "created", "2017-01-20T00:00:00.000Z", "definition_type", "tlp", "name", name, "definition",
		"tlp", t->name);
}

/* ---- MISP -> STIX ---- */

struct conv {
	json_t *objs;     /* the bundle's objects */
	json_t *refs;     /* the report's object_refs */
	json_t *marks;    /* object_marking_refs for every object (TLP of the event), or NULL */
	json_t *unknown;  /* "TYPE: VALUE" */
	const char *creator; /* identity id, or NULL */
	char report_id[48];
	parley_err *err;
};

static void common(struct conv *cv, json_t *o, const char *created, const char *modified)
{
	json_object_set_new(o, "spec_version", json_string("2.1"));
	if (created) {
		json_object_set_new(o, "created", json_string(created));
		json_object_set_new(o, "modified", json_string(modified ? modified : created));
	}
	if (cv->creator && created)
		json_object_set_new(o, "created_by_ref", json_string(cv->creator));
	if (cv->marks)
		json_object_set(o, "object_marking_refs", cv->marks);
}

static json_t *misp_labels(const char *type, const char *category, bool to_ids, const char *name, const char *meta)
{
	json_t *l = json_array();
	char b[300];
	if (name) {
		snprintf(b, sizeof(b), "misp:name=\"%s\"", name);
		json_array_append_new(l, json_string(b));
		if (meta) {
			snprintf(b, sizeof(b), "misp:meta-category=\"%s\"", meta);
			json_array_append_new(l, json_string(b));
		}
	} else {
		snprintf(b, sizeof(b), "misp:type=\"%s\"", type);
		json_array_append_new(l, json_string(b));
		snprintf(b, sizeof(b), "misp:category=\"%s\"", category);
		json_array_append_new(l, json_string(b));
	}
	if (to_ids)
		json_array_append_new(l, json_string("misp:to_ids=\"True\""));
	return l;
}

static void add(struct conv *cv, json_t *o, bool ref)
{
	if (ref)
		json_array_append(cv->refs, json_object_get(o, "id"));
	json_array_append_new(cv->objs, o);
}

static void id_of(char out[96], const char *type, const char *uuid)
{
	snprintf(out, 96, "%s--%s", type, uuid);
}

/* The SCOs of one attribute value, added to the bundle; their ids appended to refs. */
static void scos(struct conv *cv, enum kind k, const char *value, const char *uuid, json_t *refs)
{
	char id[96], id2[96], u2[37];
	json_t *o = NULL, *o2 = NULL;

	switch (k) {
	case K_IP_SRC:
	case K_IP_DST: {
		bool v6 = strchr(value, ':') != NULL;
		uuid5(uuid, "address", u2);
		id_of(id2, v6 ? "ipv6-addr" : "ipv4-addr", u2);
		o2 = json_pack("{s:s, s:s, s:s, s:s}", "type", v6 ? "ipv6-addr" : "ipv4-addr", "spec_version", "2.1", "id",
			id2, "value", value);
		id_of(id, "network-traffic", uuid);
		o = json_pack("{s:s, s:s, s:s, s:s, s:[s]}", "type", "network-traffic", "spec_version", "2.1", "id", id,
			k == K_IP_SRC ? "src_ref" : "dst_ref", id2, "protocols", v6 ? "ipv6" : "ipv4");
		break;
	}
	case K_DOMAIN:
		id_of(id, "domain-name", uuid);
		o = json_pack("{s:s, s:s, s:s, s:s}", "type", "domain-name", "spec_version", "2.1", "id", id, "value", value);
		break;
	case K_URL:
		id_of(id, "url", uuid);
		o = json_pack("{s:s, s:s, s:s, s:s}", "type", "url", "spec_version", "2.1", "id", id, "value", value);
		break;
	case K_MD5:
	case K_SHA1:
	case K_SHA256:
	case K_SHA512:
		id_of(id, "file", uuid);
		o = json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "file", "spec_version", "2.1", "id", id, "hashes",
			k == K_MD5 ? "MD5" : k == K_SHA1 ? "SHA-1" : k == K_SHA256 ? "SHA-256" : "SHA-512", value);
		break;
	case K_FILENAME:
		id_of(id, "file", uuid);
		o = json_pack("{s:s, s:s, s:s, s:s}", "type", "file", "spec_version", "2.1", "id", id, "name", value);
		break;
	case K_EMAIL_SRC:
		uuid5(uuid, "from", u2);
		id_of(id2, "email-addr", u2);
		o2 = json_pack("{s:s, s:s, s:s, s:s}", "type", "email-addr", "spec_version", "2.1", "id", id2, "value", value);
		id_of(id, "email-message", uuid);
		o = json_pack("{s:s, s:s, s:s, s:b, s:s}", "type", "email-message", "spec_version", "2.1", "id", id,
			"is_multipart", 0, "from_ref", id2);
		break;
	case K_EMAIL_DST:
		uuid5(uuid, "to", u2);
		id_of(id2, "email-addr", u2);
		o2 = json_pack("{s:s, s:s, s:s, s:s}", "type", "email-addr", "spec_version", "2.1", "id", id2, "value", value);
		id_of(id, "email-message", uuid);
		o = json_pack("{s:s, s:s, s:s, s:b, s:[s]}", "type", "email-message", "spec_version", "2.1", "id", id,
			"is_multipart", 0, "to_refs", id2);
		break;
	case K_EMAIL_SUBJECT:
		id_of(id, "email-message", uuid);
		o = json_pack("{s:s, s:s, s:s, s:b, s:s}", "type", "email-message", "spec_version", "2.1", "id", id,
			"is_multipart", 0, "subject", value);
		break;
	default: return;
	}
	if (o) {
		json_array_append(refs, json_object_get(o, "id"));
		json_array_append_new(cv->objs, o);
	}
	if (o2) {
		json_array_append(refs, json_object_get(o2, "id"));
		json_array_append_new(cv->objs, o2);
	}
}

static parley_code attr_value(const json_t *a, const char **type, const char **value, const char *where, parley_err *err)
{
	*type = str(a, "type");
	*value = str(a, "value");
	if (!json_is_object(a) || !*type || !**type || strlen(*type) > 100)
		return parley_fail(err, PARLEY_E_FORMAT, "MISP %s: an attribute without a type", where);
	if (!*value || !**value)
		return parley_fail(err, PARLEY_E_FORMAT, "MISP %s: attribute of type '%s' without a value", where, *type);
	return PARLEY_OK;
}

static bool to_ids_of(const json_t *a)
{
	const json_t *t = json_object_get(a, "to_ids");
	return json_is_true(t) || (json_is_string(t) && (strcmp(json_string_value(t), "1") == 0 ||
							 strcasecmp(json_string_value(t), "true") == 0)) ||
		(json_is_integer(t) && json_integer_value(t) != 0);
}

static void attr_uuid(const json_t *a, const char *parent, size_t idx, char out[37])
{
	if (is_uuid(str(a, "uuid")))
		lower_uuid(str(a, "uuid"), out);
	else {
		char name[200];
		snprintf(name, sizeof(name), "attribute %zu %s", idx, str(a, "type") ? str(a, "type") : "");
		uuid5(parent, name, out);
	}
}

/* A note for what has no STIX mapping: the value kept, the type in MISP's labels, and reported. */
static void keep_as_note(struct conv *cv, const char *uuid, const char *type, const char *category, const char *value,
	const char *comment, const char *ts, const char *tmpl)
{
	char id[96], content[600], rep[400];
	json_t *o;
	id_of(id, "note", uuid);
	if (tmpl)
		snprintf(content, sizeof(content), "MISP object '%s' (no STIX mapping in parley): %s", tmpl, value);
	else
		snprintf(content, sizeof(content), "MISP attribute %s (%s), no STIX mapping in parley: %s", type, category,
			value);
	o = json_pack("{s:s, s:s, s:s, s:[s], s:s}", "type", "note", "id", id, "content", content, "object_refs",
		cv->report_id, "x_misp_value", value);
	common(cv, o, ts, NULL);
	json_object_set_new(o, "labels", misp_labels(type, category, false, tmpl, NULL));
	if (comment && *comment)
		json_object_set_new(o, "x_misp_comment", json_string(comment));
	add(cv, o, true);
	snprintf(rep, sizeof(rep), "%s: %.300s", tmpl ? tmpl : type, value);
	json_array_append_new(cv->unknown, json_string(rep));
}

static parley_code convert_attribute(struct conv *cv, const json_t *a, const char *event_uuid, size_t idx)
{
	const char *type, *value, *comment = str(a, "comment");
	char where[64], uuid[37], id[96], ts[32];
	const struct amap *m;
	parley_code rc;
	json_t *o;

	snprintf(where, sizeof(where), "Attribute[%zu]", idx);
	if ((rc = attr_value(a, &type, &value, where, cv->err)))
		return rc;
	attr_uuid(a, event_uuid, idx, uuid);
	stix_time(json_object_get(a, "timestamp"), ts);
	m = amap_of(type);
	const char *category = str(a, "category") ? str(a, "category") : m ? m->category : "Other";
	if (!m) {
		keep_as_note(cv, uuid, type, category, value, comment, ts, NULL);
		return PARLEY_OK;
	}
	if (m->k == K_VULN) {
		id_of(id, "vulnerability", uuid);
		o = json_pack("{s:s, s:s, s:s}", "type", "vulnerability", "id", id, "name", value);
		if (strncasecmp(value, "CVE-", 4) == 0)
			json_object_set_new(o, "external_references",
				json_pack("[{s:s, s:s}]", "source_name", "cve", "external_id", value));
	} else if (to_ids_of(a)) {
		parley_buf p = PARLEY_BUF_INIT;
		id_of(id, "indicator", uuid);
		if ((m->k == K_IP_SRC || m->k == K_IP_DST) &&
			(rc = parley_buf_addf(&p, "[network-traffic:%s.type = '%s' AND ", m->k == K_IP_SRC ? "src_ref" : "dst_ref",
				 strchr(value, ':') ? "ipv6-addr" : "ipv4-addr")))
			return parley_fail(cv->err, rc, "out of memory");
		if ((rc = parley_buf_addf(&p, "%s%s = ", p.len ? "" : "[", path_of(m->k))) || (rc = quote(&p, value)) ||
			(rc = parley_buf_addstr(&p, "]"))) {
			parley_buf_release(&p);
			return parley_fail(cv->err, rc, "MISP %s: value too long", where);
		}
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "indicator", "id", id, "name", value, "pattern",
			(const char *)p.data, "pattern_type", "stix", "pattern_version", "2.1", "valid_from", ts);
		parley_buf_release(&p);
	} else {
		json_t *refs = json_array();
		id_of(id, "observed-data", uuid);
		scos(cv, m->k, value, uuid, refs);
		o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "type", "observed-data", "id", id, "first_observed", ts,
			"last_observed", ts, "number_observed", 1, "object_refs", refs);
	}
	if (!o)
		return parley_fail(cv->err, PARLEY_E_NOMEM, "out of memory");
	common(cv, o, ts, NULL);
	json_object_set_new(o, "labels", misp_labels(type, category, m->k != K_VULN && to_ids_of(a), NULL, NULL));
	if (comment && *comment)
		json_object_set_new(o, "description", json_string(comment));
	add(cv, o, true);
	return PARLEY_OK;
}

static parley_code convert_object(struct conv *cv, const json_t *ob, const char *event_uuid, size_t idx)
{
	const char *name = str(ob, "name"), *meta = str(ob, "meta-category");
	const json_t *attrs = json_object_get(ob, "Attribute");
	char where[64], uuid[37], id[96], ts[32];
	bool to_ids = false, mapped = template_known(name), have = false;
	parley_code rc;
	json_t *a, *o;
	size_t i;

	snprintf(where, sizeof(where), "Object[%zu]", idx);
	if (!json_is_object(ob) || !name || !*name || strlen(name) > 100)
		return parley_fail(cv->err, PARLEY_E_FORMAT, "MISP %s: an object without a name", where);
	if (!json_is_array(attrs) || json_array_size(attrs) == 0)
		return parley_fail(cv->err, PARLEY_E_FORMAT, "MISP %s (%s): no attributes", where, name);
	if (is_uuid(str(ob, "uuid")))
		lower_uuid(str(ob, "uuid"), uuid);
	else {
		char nm[160];
		snprintf(nm, sizeof(nm), "object %zu %s", idx, name);
		uuid5(event_uuid, nm, uuid);
	}
	stix_time(json_object_get(ob, "timestamp"), ts);
	json_array_foreach(attrs, i, a) {
		const char *type, *value, *rel = str(a, "object_relation");
		char w2[96];
		snprintf(w2, sizeof(w2), "%s.Attribute[%zu]", where, i);
		if ((rc = attr_value(a, &type, &value, w2, cv->err)))
			return rc;
		if (!rel || !*rel)
			return parley_fail(cv->err, PARLEY_E_FORMAT, "MISP %s: no object_relation", w2);
		const struct rmap *r = mapped ? rmap_of(name, rel) : NULL;
		if (!r) {
			mapped = false;
		} else {
			const char *prop = prop_of(r->path);
			/* integers are digits; a property holds one value (lists: *_refs, and observables of their own) */
			if (int_prop(prop) && (strspn(value, "0123456789") != strlen(value) || strlen(value) > 18))
				mapped = false;
			if (!r->obs && !ends_with(prop, "_refs[*].value"))
				for (size_t j = 0; j < i; j++) {
					const struct rmap *r2 = rmap_of(name, str(json_array_get(attrs, j), "object_relation"));
					if (r2 && strcmp(r2->path, r->path) == 0)
						mapped = false;
				}
		}
		to_ids = to_ids || to_ids_of(a);
	}
	/* what the template's STIX object cannot be without (a url, a domain, an endpoint, a name or hash) */
	json_array_foreach(attrs, i, a) {
		const struct rmap *r = mapped ? rmap_of(name, str(a, "object_relation")) : NULL;
		if (!r)
			continue;
		const char *prop = prop_of(r->path);
		if (strcmp(name, "url") == 0 || strcmp(name, "domain-ip") == 0)
			have = have || strcmp(prop, "value") == 0;
		else if (strcmp(name, "ip-port") == 0 || strcmp(name, "network-connection") == 0)
			have = have || ends_with(prop, "_ref.value");
		else if (strcmp(name, "file") == 0)
			have = have || strcmp(prop, "name") == 0 || strncmp(prop, "hashes.", 7) == 0;
		else
			have = true;
	}
	if (mapped && !have)
		mapped = false;
	if (!mapped) {
		/* every relation kept: "relation (type): value; ..." */
		parley_buf b = PARLEY_BUF_INIT;
		json_array_foreach(attrs, i, a) {
			if (parley_buf_addf(&b, "%s%s (%s): %s", i ? "; " : "", str(a, "object_relation"), str(a, "type"),
				    str(a, "value"))) {
				parley_buf_release(&b);
				return parley_fail(cv->err, PARLEY_E_LIMIT, "MISP %s: too large", where);
			}
		}
		keep_as_note(cv, uuid, NULL, NULL, (const char *)b.data, str(ob, "comment"), ts, name);
		json_t *note = json_array_get(cv->objs, json_array_size(cv->objs) - 1);
		json_t *kept = json_array();
		json_array_foreach(attrs, i, a) json_array_append_new(kept, json_pack("{s:s, s:s, s:s}", "object_relation",
			str(a, "object_relation"), "type", str(a, "type"), "value", str(a, "value")));
		json_object_set_new(note, "x_misp_attributes", kept);
		if (meta) {
			char ml[200];
			snprintf(ml, sizeof(ml), "misp:meta-category=\"%s\"", meta);
			json_array_append_new(json_object_get(note, "labels"), json_string(ml));
		}
		parley_buf_release(&b);
		return PARLEY_OK;
	}
	if (to_ids) {
		parley_buf p = PARLEY_BUF_INIT;
		rc = parley_buf_addstr(&p, "[");
		json_array_foreach(attrs, i, a) {
			const struct rmap *r = rmap_of(name, str(a, "object_relation"));
			if (!rc)
				rc = parley_buf_addf(&p, "%s%s = ", i ? " AND " : "", r->path);
			if (!rc)
				rc = int_prop(prop_of(r->path)) ? parley_buf_addstr(&p, str(a, "value")) : quote(&p, str(a, "value"));
		}
		if (rc || (rc = parley_buf_addstr(&p, "]"))) {
			parley_buf_release(&p);
			return parley_fail(cv->err, rc, "MISP %s: too large", where);
		}
		id_of(id, "indicator", uuid);
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "indicator", "id", id, "name", name, "pattern",
			(const char *)p.data, "pattern_type", "stix", "pattern_version", "2.1", "valid_from", ts);
		parley_buf_release(&p);
	} else {
		/* the template's SCO, and the addresses it refers to (or that stand beside it) */
		const char *p0 = rmap_of(name, str(json_array_get(attrs, 0), "object_relation"))->path;
		char stype[32], sid[96];
		json_t *sco = json_object(), *hashes = json_object(), *orefs = json_array();
		bool v6 = false;
		snprintf(stype, sizeof(stype), "%.*s", (int)(strchr(p0, ':') - p0), p0);
		if (strcmp(name, "domain-ip") == 0)
			snprintf(stype, sizeof(stype), "domain-name");
		id_of(sid, stype, uuid);
		json_object_set_new(sco, "type", json_string(stype));
		json_object_set_new(sco, "spec_version", json_string("2.1"));
		json_object_set_new(sco, "id", json_string(sid));
		if (strcmp(stype, "email-message") == 0)
			json_object_set_new(sco, "is_multipart", json_false());
		json_array_append_new(orefs, json_string(sid));
		json_array_foreach(attrs, i, a) {
			const struct rmap *r = rmap_of(name, str(a, "object_relation"));
			const char *prop = prop_of(r->path), *v = str(a, "value");
			if (r->obs || ends_with(prop, "_ref.value") || ends_with(prop, "_refs[*].value")) {
				/* an address: its own SCO, referred to by the template's (or beside it) */
				char au[37], aid[96], nm[300], base[64];
				const char *at = strcmp(stype, "email-message") == 0 ? "email-addr"
					: strchr(v, ':') ? "ipv6-addr"
					: strspn(v, "0123456789.") == strlen(v) ? "ipv4-addr" : "domain-name";
				v6 = v6 || strcmp(at, "ipv6-addr") == 0;
				snprintf(nm, sizeof(nm), "%s %s", str(a, "object_relation"), v);
				uuid5(uuid, nm, au);
				id_of(aid, at, au);
				json_array_append_new(cv->objs, json_pack("{s:s, s:s, s:s, s:s}", "type", at, "spec_version", "2.1",
									"id", aid, "value", v));
				json_array_append_new(orefs, json_string(aid));
				if (r->obs)
					continue;
				snprintf(base, sizeof(base), "%.*s", (int)strcspn(prop, ".["), prop);
				if (ends_with(prop, "_ref.value")) {
					json_object_set_new(sco, base, json_string(aid));
				} else {
					if (!json_is_array(json_object_get(sco, base)))
						json_object_set_new(sco, base, json_array());
					json_array_append_new(json_object_get(sco, base), json_string(aid));
				}
			} else if (strncmp(prop, "hashes.", 7) == 0) {
				const char *h = prop + 7;
				json_object_set_new(hashes,
					strcmp(h, "MD5") == 0 ? "MD5" : strstr(h, "SHA-1") ? "SHA-1" : strstr(h, "SHA-512") ? "SHA-512" : "SHA-256",
					json_string(v));
			} else if (int_prop(prop)) {
				json_object_set_new(sco, prop, json_integer((json_int_t)strtoll(v, NULL, 10)));
			} else {
				json_object_set_new(sco, prop, json_string(v));
			}
		}
		if (json_object_size(hashes))
			json_object_set(sco, "hashes", hashes);
		json_decref(hashes);
		if (strcmp(stype, "network-traffic") == 0)
			json_object_set_new(sco, "protocols", json_pack("[s]", v6 ? "ipv6" : "ipv4"));
		json_array_append_new(cv->objs, sco);
		id_of(id, "observed-data", uuid);
		o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "type", "observed-data", "id", id, "first_observed", ts,
			"last_observed", ts, "number_observed", 1, "object_refs", orefs);
	}
	if (!o)
		return parley_fail(cv->err, PARLEY_E_NOMEM, "out of memory");
	common(cv, o, ts, NULL);
	json_object_set_new(o, "labels", misp_labels(NULL, NULL, to_ids, name, meta));
	if (str(ob, "comment") && *str(ob, "comment"))
		json_object_set_new(o, "description", json_string(str(ob, "comment")));
	add(cv, o, true);
	return PARLEY_OK;
}

/* Galaxy clusters that map to an SDO: threat actors, malware, attack patterns, intrusion sets, tools. */
static void convert_galaxies(struct conv *cv, const json_t *ev, const char *event_uuid, const char *ts)
{
	size_t i, j;
	json_t *g, *c;
	json_array_foreach(json_object_get(ev, "Galaxy"), i, g) {
		const char *gt = str(g, "type"), *sdo = NULL;
		if (!gt)
			continue;
		if (strcmp(gt, "threat-actor") == 0)
			sdo = "threat-actor";
		else if (strcmp(gt, "mitre-attack-pattern") == 0)
			sdo = "attack-pattern";
		else if (strcmp(gt, "mitre-malware") == 0 || strcmp(gt, "malpedia") == 0)
			sdo = "malware";
		else if (strcmp(gt, "mitre-intrusion-set") == 0)
			sdo = "intrusion-set";
		else if (strcmp(gt, "mitre-tool") == 0)
			sdo = "tool";
		if (!sdo)
			continue;
		json_array_foreach(json_object_get(g, "GalaxyCluster"), j, c) {
			const char *v = str(c, "value");
			char u[37], id[96], label[200], nm[300];
			if (!v || !*v)
				continue;
			if (is_uuid(str(c, "uuid")))
				lower_uuid(str(c, "uuid"), u);
			else {
				snprintf(nm, sizeof(nm), "galaxy %s %s", gt, v);
				uuid5(event_uuid, nm, u);
			}
			id_of(id, sdo, u);
			json_t *o = json_pack("{s:s, s:s, s:s}", "type", sdo, "id", id, "name", v);
			if (strcmp(sdo, "malware") == 0)
				json_object_set_new(o, "is_family", json_true());
			if (str(c, "description"))
				json_object_set_new(o, "description", json_string(str(c, "description")));
			common(cv, o, ts, NULL);
			snprintf(label, sizeof(label), "misp:galaxy-type=\"%s\"", gt);
			json_object_set_new(o, "labels", json_pack("[s]", label));
			add(cv, o, true);
		}
	}
}

parley_code parley_misp_to_stix(const json_t *event, json_t **bundle, json_t **unknown, parley_err *err)
{
	const json_t *ev = json_object_get(event, "Event");
	char euuid[37], ts[32], pub[32], bid[64], ident[96];
	struct conv cv = { 0 };
	parley_code rc = PARLEY_OK;
	size_t i, nitems;
	json_t *a, *tags, *t;
	const struct tlp_mark *tlp = NULL;

	*bundle = NULL;
	*unknown = NULL;
	if (!json_is_object(ev))
		ev = event; /* a bare event object is accepted too */
	if (!json_is_object(ev) || !str(ev, "info"))
		return parley_fail(err, PARLEY_E_FORMAT, "not a MISP event ({\"Event\": {\"info\": ..., ...}})");
	if (json_object_get(ev, "Attribute") && !json_is_array(json_object_get(ev, "Attribute")))
		return parley_fail(err, PARLEY_E_FORMAT, "MISP event: 'Attribute' is not a list");
	if (json_object_get(ev, "Object") && !json_is_array(json_object_get(ev, "Object")))
		return parley_fail(err, PARLEY_E_FORMAT, "MISP event: 'Object' is not a list");
	nitems = json_array_size(json_object_get(ev, "Attribute")) + json_array_size(json_object_get(ev, "Object"));
	if (nitems > PARLEY_MISP_ITEMS_MAX)
		return parley_fail(err, PARLEY_E_LIMIT, "MISP event: more than %d attributes and objects", PARLEY_MISP_ITEMS_MAX);
	if (nitems == 0)
		return parley_fail(err, PARLEY_E_FORMAT, "MISP event: no attributes and no objects");
	if (is_uuid(str(ev, "uuid")))
		lower_uuid(str(ev, "uuid"), euuid);
	else
		uuid5(NS_PARLEY, str(ev, "info"), euuid);
	stix_time(json_object_get(ev, "timestamp"), ts);
	stix_time(json_object_get(ev, "publish_timestamp") ? json_object_get(ev, "publish_timestamp")
							  : json_object_get(ev, "timestamp"),
		pub);
	tags = json_array();
	cv.objs = json_array();
	cv.refs = json_array();
	cv.unknown = json_array();
	cv.err = err;
	snprintf(cv.report_id, sizeof(cv.report_id), "report--%s", euuid);

	/* tags: TLP to a marking (the most restrictive when several), the rest to the report's labels */
	json_array_foreach(json_object_get(ev, "Tag"), i, t) {
		const char *n = str(t, "name");
		const struct tlp_mark *m = tlp_of_tag(n);
		if (m) {
			if (!tlp || strcmp(m->id, tlps[5].id) == 0 ||
				(strcmp(m->id, tlps[3].id) == 0 && strcmp(tlp->id, tlps[5].id) != 0) ||
				(strcmp(m->id, tlps[2].id) == 0 && strcmp(tlp->id, tlps[0].id) == 0))
				tlp = m;
		} else if (n && *n) {
			json_array_append_new(tags, json_string(n));
		}
	}
	if (tlp) {
		json_array_append_new(cv.objs, tlp_definition(tlp));
		cv.marks = json_pack("[s]", tlp->id);
	}
	const json_t *org = json_object_get(ev, "Orgc");
	if (str(org, "name")) {
		char ou[37];
		if (is_uuid(str(org, "uuid")))
			lower_uuid(str(org, "uuid"), ou);
		else
			uuid5(NS_PARLEY, str(org, "name"), ou);
		id_of(ident, "identity", ou);
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type", "identity", "id", ident, "name", str(org, "name"),
			"identity_class", "organization");
		common(&cv, o, ts, NULL);
		json_array_append_new(cv.objs, o);
		cv.creator = json_string_value(json_object_get(o, "id"));
	}
	json_array_foreach(json_object_get(ev, "Attribute"), i, a) if ((rc = convert_attribute(&cv, a, euuid, i))) goto fail;
	json_array_foreach(json_object_get(ev, "Object"), i, a) if ((rc = convert_object(&cv, a, euuid, i))) goto fail;
	convert_galaxies(&cv, ev, euuid, ts);
	{
		json_t *r = json_pack("{s:s, s:s, s:s, s:s, s:O}", "type", "report", "id", cv.report_id, "name",
			str(ev, "info"), "published", pub, "object_refs", cv.refs);
		common(&cv, r, ts, NULL);
		json_array_append_new(tags, json_string("misp:tool=\"parley\""));
		json_object_set(r, "labels", tags);
		json_array_append_new(cv.objs, r);
	}
	uuid5(euuid, "bundle", bid + 8);
	memcpy(bid, "bundle--", 8);
	*bundle = json_pack("{s:s, s:s, s:O}", "type", "bundle", "id", bid, "objects", cv.objs);
	*unknown = json_incref(cv.unknown);
	if (!*bundle)
		rc = parley_fail(err, PARLEY_E_NOMEM, "out of memory");
fail:
	json_decref(cv.objs);
	json_decref(cv.refs);
	json_decref(cv.marks);
	json_decref(cv.unknown);
	json_decref(tags);
	if (rc) {
		json_decref(*unknown);
		*unknown = NULL;
	}
	return rc;
}

parley_code parley_misp_parse(const char *text, size_t len, json_t **bundle, json_t **unknown, parley_err *err)
{
	json_t *j = NULL;
	parley_code rc;

	*bundle = NULL;
	*unknown = NULL;
	if (len > PARLEY_MISP_EVENT_MAX)
		return parley_fail(err, PARLEY_E_LIMIT, "the MISP event is over %zu bytes", PARLEY_MISP_EVENT_MAX);
	if ((rc = parley_json_parse(text, len, PARLEY_MISP_EVENT_MAX, &j, err)))
		return parley_wrap(err, rc, "MISP event");
	rc = parley_misp_to_stix(j, bundle, unknown, err);
	json_decref(j);
	return rc;
}

/* ---- STIX -> MISP ---- */

/* One "path = value" comparison of a pattern. */
struct cmpx {
	char path[128];
	char value[8192];
};

/* The '=' comparisons of a STIX pattern, in order (others are skipped). Returns how many (at most max). */
static size_t pattern_parse(const char *p, struct cmpx *out, size_t max)
{
	size_t n = 0;
	while (p && *p && n < max) {
		while (*p && (*p == '[' || *p == ']' || *p == '(' || *p == ')' || isspace((unsigned char)*p)))
			p++;
		if (!*p)
			break;
		if (strncmp(p, "AND ", 4) == 0 || strncmp(p, "OR ", 3) == 0) {
			p += *p == 'A' ? 4 : 3;
			continue;
		}
		/* a path: up to a space, with quoted parts ('SHA-256') kept */
		size_t pl = 0;
		bool q = false;
		while (*p && (q || !isspace((unsigned char)*p)) && pl + 1 < sizeof(out[n].path)) {
			if (*p == '\'')
				q = !q;
			out[n].path[pl++] = *p++;
		}
		out[n].path[pl] = 0;
		while (isspace((unsigned char)*p))
			p++;
		bool eq = *p == '=' && p[1] != '=';
		while (*p && !isspace((unsigned char)*p) && *p != '\'')
			p++;
		while (isspace((unsigned char)*p))
			p++;
		size_t vl = 0;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (vl + 1 < sizeof(out[n].value))
					out[n].value[vl++] = *p;
			}
			if (*p == '\'')
				p++;
		} else {
			while (*p && !isspace((unsigned char)*p) && *p != ']' && vl + 1 < sizeof(out[n].value))
				out[n].value[vl++] = *p++;
		}
		out[n].value[vl] = 0;
		if (eq && pl)
			n++;
		/* skip to the next AND/OR or the end of the observation */
		while (*p && isspace((unsigned char)*p))
			p++;
		if (*p && *p != ']' && strncmp(p, "AND ", 4) != 0 && strncmp(p, "OR ", 3) != 0 && *p != ')')
			while (*p && !isspace((unsigned char)*p))
				p++;
	}
	return n;
}

/* The MISP type of a pattern path of a plain attribute (not of an object). */
static const char *type_of_path(const char *path)
{
	static const struct {
		const char *path, *type;
	} t[] = {
		{ "network-traffic:src_ref.value", "ip-src" }, { "network-traffic:dst_ref.value", "ip-dst" },
		{ "ipv4-addr:value", "ip-dst" }, { "ipv6-addr:value", "ip-dst" }, { "domain-name:value", "domain" },
		{ "url:value", "url" }, { "file:hashes.MD5", "md5" }, { "file:hashes.'MD5'", "md5" },
		{ "file:hashes.'SHA-1'", "sha1" }, { "file:hashes.SHA1", "sha1" }, { "file:hashes.'SHA-256'", "sha256" },
		{ "file:hashes.SHA256", "sha256" }, { "file:hashes.'SHA-512'", "sha512" }, { "file:hashes.SHA512", "sha512" },
		{ "email-message:to_refs[*].value", "email-dst" }, { "file:name", "filename" }, { "file:size", "size-in-bytes" },
		{ "email-message:from_ref.value", "email-src" }, { "email-addr:value", "email-src" },
		{ "email-message:subject", "email-subject" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].path, path) == 0)
			return t[i].type;
	return NULL;
}

/* The value of label prefix="VALUE" ("misp:type"), copied; false when absent. */
static bool label_of(const json_t *o, const char *prefix, char *out, size_t max)
{
	size_t i, pl = strlen(prefix);
	json_t *l;
	json_array_foreach(json_object_get(o, "labels"), i, l) {
		const char *s = json_string_value(l);
		if (s && strncmp(s, prefix, pl) == 0 && s[pl] == '=' && s[pl + 1] == '"') {
			size_t n = strlen(s + pl + 2);
			if (n == 0 || s[pl + 2 + n - 1] != '"')
				continue;
			snprintf(out, max, "%.*s", (int)(n - 1), s + pl + 2);
			return true;
		}
	}
	return false;
}

static const char *default_category(const char *type)
{
	const struct amap *m = amap_of(type);
	return m ? m->category : strcmp(type, "comment") == 0 || strcmp(type, "text") == 0 ? "Other" : "Other";
}

struct ev {
	json_t *attrs;   /* Attribute */
	json_t *objects; /* Object */
	json_t *tags;    /* names */
	char info[400];
	const char *event_uuid;
	char timestamp[24];
};

static json_t *mkattr(struct ev *e, const char *uuid, const char *type, const char *category, const char *value,
	bool to_ids, const char *comment, const char *relation)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:b}", "uuid", uuid, "type", type, "category",
		category && *category ? category : default_category(type), "value", value, "to_ids", to_ids, "timestamp",
		e->timestamp, "comment", comment ? comment : "", "disable_correlation", 0);
	if (a && relation)
		json_object_set_new(a, "object_relation", json_string(relation));
	return a;
}

/* Replace (same uuid) or append. */
static void put(json_t *list, json_t *item)
{
	size_t i;
	json_t *x;
	if (!item)
		return;
	json_array_foreach(list, i, x) if (strcmp(str(x, "uuid"), str(item, "uuid")) == 0) {
		json_array_set_new(list, i, item);
		return;
	}
	json_array_append_new(list, item);
}

static void uuid_of_id(const char *id, char out[37])
{
	const char *dd = id ? strstr(id, "--") : NULL;
	if (dd && is_uuid(dd + 2))
		lower_uuid(dd + 2, out);
	else
		uuid5(NS_PARLEY, id ? id : "", out);
}

static void add_tag(struct ev *e, const char *name)
{
	size_t i;
	json_t *t;
	json_array_foreach(e->tags, i, t) if (strcmp(json_string_value(t), name) == 0) return;
	json_array_append_new(e->tags, json_string(name));
}

/* The values of the SCOs an observed-data (or a lone SCO) holds, as (path, value) comparisons. */
static size_t sco_values(const json_t *sco, const json_t *byid, struct cmpx *out, size_t max)
{
	const char *t = str(sco, "type");
	size_t n = 0;
	const char *k;
	json_t *v;
	if (!t)
		return 0;
	json_object_foreach((json_t *)sco, k, v) {
		char path[128];
		if (n >= max)
			break;
		if (strcmp(k, "type") == 0 || strcmp(k, "id") == 0 || strcmp(k, "spec_version") == 0 ||
			strcmp(k, "is_multipart") == 0 || strcmp(k, "protocols") == 0 || strcmp(k, "object_marking_refs") == 0)
			continue;
		if (strcmp(k, "hashes") == 0) {
			const char *h;
			json_t *hv;
			json_object_foreach(v, h, hv) {
				if (n >= max || !json_is_string(hv))
					continue;
				snprintf(out[n].path, sizeof(out[n].path),
					strchr(h, '-') ? "file:hashes.'%s'" : "file:hashes.%s", h);
				snprintf(out[n].value, sizeof(out[n].value), "%s", json_string_value(hv));
				n++;
			}
			continue;
		}
		if (ends_with(k, "_ref") && json_is_string(v)) {
			const json_t *ref = json_object_get(byid, json_string_value(v));
			if (str(ref, "value")) {
				snprintf(out[n].path, sizeof(out[n].path), "%s:%s.value", t, k);
				snprintf(out[n].value, sizeof(out[n].value), "%s", str(ref, "value"));
				n++;
			}
			continue;
		}
		if (ends_with(k, "_refs") && json_is_array(v)) {
			size_t j;
			json_t *r;
			json_array_foreach(v, j, r) {
				const json_t *ref = json_object_get(byid, json_string_value(r) ? json_string_value(r) : "");
				if (n >= max || !str(ref, "value"))
					continue;
				snprintf(out[n].path, sizeof(out[n].path), "%s:%s[*].value", t, k);
				snprintf(out[n].value, sizeof(out[n].value), "%s", str(ref, "value"));
				n++;
			}
			continue;
		}
		snprintf(path, sizeof(path), "%s:%s", t, k);
		if (json_is_string(v))
			snprintf(out[n].value, sizeof(out[n].value), "%s", json_string_value(v));
		else if (json_is_integer(v))
			snprintf(out[n].value, sizeof(out[n].value), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		else
			continue;
		snprintf(out[n].path, sizeof(out[n].path), "%s", path);
		n++;
	}
	return n;
}

#define CMP_MAX 32

/* One STIX object into the event (MISP's labels first, then the generic mapping). */
static void from_object(struct ev *e, const json_t *o, const json_t *byid, json_t *referenced)
{
	const char *type = str(o, "type"), *id = str(o, "id");
	char mtype[128], mcat[128], mname[128], mmeta[128], uuid[37];
	struct cmpx *c;
	size_t n = 0;
	bool to_ids = false;

	if (!type || !id)
		return;
	uuid_of_id(id, uuid);
	bool has_type = label_of(o, "misp:type", mtype, sizeof(mtype));
	bool has_cat = label_of(o, "misp:category", mcat, sizeof(mcat));
	bool has_name = label_of(o, "misp:name", mname, sizeof(mname));
	bool has_meta = label_of(o, "misp:meta-category", mmeta, sizeof(mmeta));
	const char *comment = str(o, "description");

	if (strcmp(type, "report") == 0) {
		size_t i;
		json_t *l;
		if (!e->info[0] && str(o, "name"))
			snprintf(e->info, sizeof(e->info), "%s", str(o, "name"));
		json_array_foreach(json_object_get(o, "labels"), i, l) {
			const char *s = json_string_value(l);
			if (s && strncmp(s, "misp:", 5) != 0)
				add_tag(e, s);
		}
		return;
	}
	if (strcmp(type, "vulnerability") == 0 && str(o, "name")) {
		put(e->attrs, mkattr(e, uuid, "vulnerability", has_cat ? mcat : NULL, str(o, "name"), false, comment, NULL));
		return;
	}
	if (strcmp(type, "note") == 0) {
		if (has_name && json_is_array(json_object_get(o, "x_misp_attributes"))) {
			/* an object of a template without a mapping, kept whole */
			json_t *ob = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "uuid", uuid, "name", mname, "meta-category",
				has_meta ? mmeta : "misc", "timestamp", e->timestamp, "Attribute");
			size_t i;
			json_t *a;
			json_array_foreach(json_object_get(o, "x_misp_attributes"), i, a) {
				char au[37], nm[300];
				if (!str(a, "type") || !str(a, "value") || !str(a, "object_relation"))
					continue;
				snprintf(nm, sizeof(nm), "%s %s", str(a, "object_relation"), str(a, "value"));
				uuid5(uuid, nm, au);
				json_array_append_new(json_object_get(ob, "Attribute"),
					mkattr(e, au, str(a, "type"), NULL, str(a, "value"), false, NULL, str(a, "object_relation")));
			}
			put(e->objects, ob);
		} else if (has_type && str(o, "x_misp_value")) {
			put(e->attrs, mkattr(e, uuid, mtype, has_cat ? mcat : NULL, str(o, "x_misp_value"), false,
					      str(o, "x_misp_comment"), NULL));
		} else if (str(o, "content")) {
			put(e->attrs, mkattr(e, uuid, "comment", "Other", str(o, "content"), false, NULL, NULL));
		}
		return;
	}
	if (strcmp(type, "threat-actor") == 0 || strcmp(type, "malware") == 0 || strcmp(type, "attack-pattern") == 0 ||
		strcmp(type, "intrusion-set") == 0 || strcmp(type, "tool") == 0) {
		char gt[128], tag[400];
		if (!str(o, "name"))
			return;
		if (!label_of(o, "misp:galaxy-type", gt, sizeof(gt)))
			snprintf(gt, sizeof(gt), "%s", strcmp(type, "malware") == 0 ? "mitre-malware"
						  : strcmp(type, "threat-actor") == 0 ? "threat-actor"
						  : strcmp(type, "tool") == 0 ? "mitre-tool"
						  : strcmp(type, "intrusion-set") == 0 ? "mitre-intrusion-set" : "mitre-attack-pattern");
		snprintf(tag, sizeof(tag), "misp-galaxy:%s=\"%s\"", gt, str(o, "name"));
		add_tag(e, tag);
		return;
	}
	if (!(c = calloc(CMP_MAX, sizeof(*c))))
		return;
	if (strcmp(type, "indicator") == 0 && str(o, "pattern") &&
		(!str(o, "pattern_type") || strcmp(str(o, "pattern_type"), "stix") == 0)) {
		n = pattern_parse(str(o, "pattern"), c, CMP_MAX);
		to_ids = true;
	} else if (strcmp(type, "observed-data") == 0) {
		size_t i;
		json_t *r;
		json_t *inner = json_object(); /* SCOs another SCO of this observation refers to: its values already */
		json_array_foreach(json_object_get(o, "object_refs"), i, r) {
			const json_t *sco = json_object_get(byid, json_string_value(r) ? json_string_value(r) : "");
			const char *k;
			json_t *v;
			json_object_set_new(referenced, json_string_value(r) ? json_string_value(r) : "", json_true());
			json_object_foreach((json_t *)sco, k, v) {
				size_t j;
				json_t *x;
				if (ends_with(k, "_ref") && json_is_string(v))
					json_object_set_new(inner, json_string_value(v), json_true());
				else if (ends_with(k, "_refs") && json_is_array(v))
					json_array_foreach(v, j, x) if (json_is_string(x))
						json_object_set_new(inner, json_string_value(x), json_true());
			}
		}
		json_array_foreach(json_object_get(o, "object_refs"), i, r) {
			const json_t *sco = json_object_get(byid, json_string_value(r) ? json_string_value(r) : "");
			if (sco && !json_object_get(inner, json_string_value(r)))
				n += sco_values(sco, byid, c + n, CMP_MAX - n);
		}
		json_decref(inner);
		/* addresses referred to by nothing else in it (a bare ipv4-addr observation) */
		if (n == 0)
			json_array_foreach(json_object_get(o, "object_refs"), i, r) {
				const json_t *sco = json_object_get(byid, json_string_value(r));
				if (sco)
					n += sco_values(sco, byid, c + n, CMP_MAX - n);
			}
	} else if (json_object_get(referenced, id)) {
		free(c);
		return; /* an SCO of an observed-data */
	} else if (str(o, "spec_version") || !json_object_get(o, "created")) {
		n = sco_values(o, byid, c, CMP_MAX); /* a lone SCO */
	}
	if (n == 0) {
		free(c);
		return;
	}
	if (has_name) {
		/* a MISP object: each comparison is one of its relations */
		json_t *ob = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "uuid", uuid, "name", mname, "meta-category",
			has_meta ? mmeta : mname, "timestamp", e->timestamp, "Attribute");
		if (comment)
			json_object_set_new(ob, "comment", json_string(comment));
		for (size_t i = 0; i < n; i++) {
			const struct rmap *r = NULL;
			const char *cp = strcmp(c[i].path, "ipv6-addr:value") == 0 ? "ipv4-addr:value" : c[i].path;
			for (size_t k = 0; !r && k < sizeof(rmaps) / sizeof(rmaps[0]); k++)
				if (strcmp(rmaps[k].tmpl, mname) == 0 &&
					(strcmp(rmaps[k].path, c[i].path) == 0 || (rmaps[k].obs && strcmp(rmaps[k].obs, cp) == 0)))
					r = &rmaps[k];
			/* an observable's hashes come without quotes: match on the hash name too */
			for (size_t k = 0; !r && k < sizeof(rmaps) / sizeof(rmaps[0]); k++)
				if (strcmp(rmaps[k].tmpl, mname) == 0 && type_of_path(c[i].path) &&
					strcmp(rmaps[k].type, type_of_path(c[i].path)) == 0)
					r = &rmaps[k];
			/* a template parley maps: what is none of its relations (a pattern's dst_ref.type) is no attribute */
			if (!r && template_known(mname))
				continue;
			const char *rel = r ? r->relation : strchr(c[i].path, ':') ? strchr(c[i].path, ':') + 1 : c[i].path;
			if (!r && strncmp(rel, "x_misp_", 7) == 0)
				rel += 7;
			char au[37], nm[8400];
			snprintf(nm, sizeof(nm), "%s %s", rel, c[i].value);
			uuid5(uuid, nm, au);
			json_array_append_new(json_object_get(ob, "Attribute"),
				mkattr(e, au, r ? r->type : "text", NULL, c[i].value, to_ids, NULL, rel));
		}
		put(e->objects, ob);
	} else {
		for (size_t i = 0; i < n; i++) {
			const char *t = type_of_path(c[i].path);
			char au[37], nm[8400];
			if (!t)
				continue;
			if (has_type && (n == 1 || strcmp(t, "ip-src") == 0 || strcmp(t, "ip-dst") == 0 ||
					       strcmp(t, "email-src") == 0 || strcmp(t, "md5") == 0 || strcmp(t, "sha1") == 0 ||
					       strcmp(t, "sha256") == 0 || strcmp(t, "filename") == 0 ||
					       strcmp(t, "domain") == 0 || strcmp(t, "url") == 0 ||
					       strcmp(t, "email-subject") == 0 || strcmp(t, "email-dst") == 0 ||
					       strcmp(t, "sha512") == 0)) {
				/* MISP's own attribute: its type and uuid, one value */
				put(e->attrs, mkattr(e, uuid, mtype, has_cat ? mcat : NULL, c[i].value, to_ids, comment, NULL));
				break;
			}
			snprintf(nm, sizeof(nm), "%s %s", t, c[i].value);
			uuid5(uuid, nm, au);
			put(e->attrs, mkattr(e, au, t, NULL, c[i].value, to_ids, comment, NULL));
		}
	}
	free(c);
}

/* The TLP of a set of objects: the most restrictive of their marking refs, as a MISP tag. */
static void tlp_tags(struct ev *e, const json_t *objects)
{
	int best = -1;
	size_t i, j;
	json_t *o, *m;
	static const char *const order[] = { "white", "green", "amber", "red" };
	json_array_foreach(objects, i, o) json_array_foreach(json_object_get(o, "object_marking_refs"), j, m) {
		const char *id = json_string_value(m);
		for (int k = 0; id && k < 6; k++)
			if (strcmp(id, tlps[k].id) == 0)
				for (int r = 0; r < 4; r++)
					if (strcmp(tlps[k].name, order[r]) == 0 && r > best)
						best = r;
	}
	if (best >= 0) {
		char tag[16];
		snprintf(tag, sizeof(tag), "tlp:%s", order[best]);
		add_tag(e, tag);
	}
}

parley_code parley_misp_from_stix(const json_t *objects, const char *uuid, const char *info, uint64_t date_ms,
	json_t **event, parley_err *err)
{
	struct ev e = { 0 };
	json_t *byid = json_object(), *referenced = json_object(), *o;
	size_t i;
	char date[21];

	*event = NULL;
	if (!json_is_array(objects))
		return parley_fail(err, PARLEY_E_FORMAT, "STIX: not a list of objects");
	e.attrs = json_array();
	e.objects = json_array();
	e.tags = json_array();
	e.event_uuid = uuid;
	snprintf(e.timestamp, sizeof(e.timestamp), "%" PRIu64, date_ms / 1000);
	json_array_foreach(objects, i, o) if (str(o, "id")) json_object_set(byid, str(o, "id"), o);
	/* observed-data first claims its SCOs, so that they are not taken again as lone SCOs */
	json_array_foreach(objects, i, o) if (str(o, "type") && strcmp(str(o, "type"), "observed-data") == 0) {
		size_t k;
		json_t *r;
		json_array_foreach(json_object_get(o, "object_refs"), k, r) if (json_string_value(r)) {
			json_object_set_new(referenced, json_string_value(r), json_true());
			const json_t *sco = json_object_get(byid, json_string_value(r));
			const char *refs[] = { "src_ref", "dst_ref", "from_ref" };
			for (size_t q = 0; q < 3; q++)
				if (str(sco, refs[q]))
					json_object_set_new(referenced, str(sco, refs[q]), json_true());
		}
	}
	json_array_foreach(objects, i, o) from_object(&e, o, byid, referenced);
	tlp_tags(&e, objects);
	if (!e.info[0])
		snprintf(e.info, sizeof(e.info), "%s", info ? info : "parley");
	parley_time_fmt(date, (int64_t)(date_ms / 1000));
	date[10] = 0;
	json_t *tags = json_array(), *t;
	json_array_foreach(e.tags, i, t) json_array_append_new(tags, json_pack("{s:O}", "name", t));
	*event = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:o, s:o, s:o}}", "Event", "uuid", uuid, "info",
		e.info, "date", date, "timestamp", e.timestamp, "publish_timestamp", e.timestamp, "published", 1, "analysis",
		"2", "threat_level_id", "4", "distribution", "0", "Tag", tags, "Attribute", e.attrs, "Object", e.objects);
	json_decref(e.tags);
	json_decref(byid);
	json_decref(referenced);
	if (!*event)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	return PARLEY_OK;
}

/* ---- the feed ---- */

struct thread_acc {
	uint8_t chan[32];
	uint64_t opener, first_ms, last_ms;
	json_t *objects;
	char text[200];
	char sender[PARLEY_NAME_MAX + 1];
	char category[PARLEY_NAME_MAX + 1];
};

struct feed {
	struct thread_acc *t;
	size_t n, cap;
};

static void feed_release(struct feed *f)
{
	for (size_t i = 0; i < f->n; i++)
		json_decref(f->t[i].objects);
	free(f->t);
	memset(f, 0, sizeof(*f));
}

static struct thread_acc *feed_thread(struct feed *f, const uint8_t chan[32], uint64_t opener)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->t[i].opener == opener && memcmp(f->t[i].chan, chan, 32) == 0)
			return &f->t[i];
	if (f->n == f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 16;
		struct thread_acc *nt = realloc(f->t, nc * sizeof(*nt));
		if (!nt)
			return NULL;
		f->t = nt;
		f->cap = nc;
	}
	struct thread_acc *t = &f->t[f->n++];
	memset(t, 0, sizeof(*t));
	memcpy(t->chan, chan, 32);
	t->opener = opener;
	t->objects = json_array();
	return t;
}

/* Every thread with STIX content this node can read, of channel (NULL: all). */
static parley_code feed_collect(parley_node *n, const uint8_t *channel, struct feed *f, parley_err *err)
{
	parley_code rc;
	for (size_t c = 0; c < parley_node_nchannels(n); c++) {
		const uint8_t *chan = parley_node_channel_at(n, c);
		uint64_t size;
		if (channel && memcmp(channel, chan, 32) != 0)
			continue;
		if ((rc = parley_store_size(parley_node_store(n), chan, &size, err)))
			return rc;
		for (uint64_t i = 0; i < size; i++) {
			parley_node_entry e;
			parley_payload p;
			if ((rc = parley_node_entry_get(n, chan, i, &e, err)))
				return rc;
			if (!e.opened || !e.payload.len || parley_payload_decode(e.payload.data, e.payload.len, &p, NULL)) {
				parley_node_entry_release(&e);
				continue;
			}
			bool opens = parley_type_opens_thread(e.e.h.type);
			uint64_t opener = opens ? i : e.e.h.thread;
			struct thread_acc *t = NULL;
			if (p.stix || opens) {
				for (size_t k = 0; k < f->n && !t; k++)
					if (f->t[k].opener == opener && memcmp(f->t[k].chan, chan, 32) == 0)
						t = &f->t[k];
				if (!t && (p.stix || opens) && !(t = feed_thread(f, chan, opener))) {
					parley_payload_release(&p);
					parley_node_entry_release(&e);
					return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
				}
			}
			if (t) {
				if (opens) {
					t->first_ms = e.integrated_ms;
					snprintf(t->sender, sizeof(t->sender), "%s", e.sender ? e.sender->key.name : "?");
					snprintf(t->category, sizeof(t->category), "%s", e.e.h.category);
					if (p.text)
						snprintf(t->text, sizeof(t->text), "%s", p.text);
				}
				if (p.stix) {
					json_array_extend(t->objects, json_object_get(p.stix, "objects"));
					t->last_ms = e.integrated_ms;
				}
			}
			parley_payload_release(&p);
			parley_node_entry_release(&e);
		}
	}
	return PARLEY_OK;
}

static void event_uuid(const struct thread_acc *t, char out[37])
{
	char hex[65], name[100];
	parley_hex(hex, t->chan, 32);
	snprintf(name, sizeof(name), "%s:%" PRIu64, hex, t->opener);
	uuid5(NS_PARLEY, name, out);
}

/* The events of the feed: uuid -> {"Event": ...} (threads without STIX content are left out). */
static parley_code feed_events(const struct feed *f, json_t **out, parley_err *err)
{
	json_t *events = json_object();
	parley_code rc;
	for (size_t i = 0; i < f->n; i++) {
		const struct thread_acc *t = &f->t[i];
		char u[37], info[300], ou[37];
		json_t *ev;
		if (json_array_size(t->objects) == 0)
			continue;
		event_uuid(t, u);
		if (t->text[0])
			snprintf(info, sizeof(info), "%s", t->text);
		else
			snprintf(info, sizeof(info), "parley thread %" PRIu64 " from %s (%s)", t->opener, t->sender, t->category);
		if ((rc = parley_misp_from_stix(t->objects, u, info, t->last_ms ? t->last_ms : t->first_ms, &ev, err))) {
			json_decref(events);
			return rc;
		}
		json_t *e = json_object_get(ev, "Event");
		char d[21];
		parley_time_fmt(d, (int64_t)((t->first_ms ? t->first_ms : t->last_ms) / 1000));
		d[10] = 0;
		json_object_set_new(e, "date", json_string(d));
		uuid5(NS_PARLEY, t->sender, ou);
		json_object_set_new(e, "Orgc", json_pack("{s:s, s:s}", "name", t->sender, "uuid", ou));
		char tag[PARLEY_NAME_MAX + 40];
		snprintf(tag, sizeof(tag), "parley:category=\"%s\"", t->category);
		json_array_append_new(json_object_get(e, "Tag"), json_pack("{s:s}", "name", tag));
		json_object_set_new(events, u, ev);
	}
	*out = events;
	return PARLEY_OK;
}

static json_t *manifest_record(const json_t *ev)
{
	const json_t *e = json_object_get(ev, "Event");
	return json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "info", json_object_get(e, "info"), "Orgc",
		json_object_get(e, "Orgc"), "analysis", json_object_get(e, "analysis"), "threat_level_id",
		json_object_get(e, "threat_level_id"), "timestamp", json_object_get(e, "timestamp"), "date",
		json_object_get(e, "date"), "published", json_object_get(e, "published"), "Tag", json_object_get(e, "Tag"));
}

static parley_code md5_hex(const char *s, char out[33])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL) != 1 || n != 16)
		return PARLEY_E_CRYPTO;
	parley_hex(out, md, 16);
	return PARLEY_OK;
}

/* hashes.csv lines of one event: md5(value),uuid for each attribute (both halves of a composite). */
static parley_code hash_lines(const char *uuid, const json_t *ev, parley_buf *b)
{
	const json_t *e = json_object_get(ev, "Event");
	json_t *lists[2] = { json_object_get(e, "Attribute"), NULL }, *a, *o;
	size_t i, j;
	parley_code rc = PARLEY_OK;
	json_t *all = json_array();

	json_array_foreach(lists[0], i, a) json_array_append(all, a);
	json_array_foreach(json_object_get(e, "Object"), i, o) json_array_foreach(json_object_get(o, "Attribute"), j, a)
		json_array_append(all, a);
	json_array_foreach(all, i, a) {
		const char *v = str(a, "value");
		char h[33];
		if (!v)
			continue;
		if (strchr(v, '|') && strchr(str(a, "type") ? str(a, "type") : "", '|')) {
			char left[2048];
			snprintf(left, sizeof(left), "%.*s", (int)(strchr(v, '|') - v), v);
			if (!(rc = md5_hex(left, h)))
				rc = parley_buf_addf(b, "%s,%s\n", h, uuid);
			v = strchr(v, '|') + 1;
		}
		if (!rc && !(rc = md5_hex(v, h)))
			rc = parley_buf_addf(b, "%s,%s\n", h, uuid);
		if (rc)
			break;
	}
	json_decref(all);
	return rc;
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and de-duplicate the lines of b. */
static parley_code unique_lines(parley_buf *b)
{
	size_t n = 0, cap = 0;
	char **lines = NULL;
	parley_buf out = PARLEY_BUF_INIT;
	parley_code rc = PARLEY_OK;
	for (char *p = (char *)b->data; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (*p) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				char **nlines = realloc(lines, cap * sizeof(*lines));
				if (!nlines) {
					free(lines);
					return PARLEY_E_NOMEM;
				}
				lines = nlines;
			}
			lines[n++] = p;
		}
		p = nl ? nl + 1 : NULL;
	}
	if (n)
		qsort(lines, n, sizeof(*lines), cmp_lines);
	for (size_t i = 0; i < n && !rc; i++)
		if (i == 0 || strcmp(lines[i], lines[i - 1]) != 0)
			rc = parley_buf_addf(&out, "%s\n", lines[i]);
	free(lines);
	if (!rc) {
		parley_buf_release(b);
		*b = out;
	} else {
		parley_buf_release(&out);
	}
	return rc;
}

static parley_code dump(const json_t *j, parley_buf *out, parley_err *err)
{
	char *s = json_dumps(j, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	parley_code rc;
	if (!s)
		return parley_fail(err, PARLEY_E_NOMEM, "out of memory");
	parley_buf_reset(out);
	rc = parley_buf_addstr(out, s);
	free(s);
	return rc ? parley_fail(err, rc, "feed file too large") : PARLEY_OK;
}

parley_code parley_misp_feed_file(parley_node *n, const uint8_t *channel, const char *file, parley_buf *out,
	parley_err *err)
{
	struct feed f = { 0 };
	json_t *events = NULL;
	parley_code rc;
	char u[37];

	bool manifest = strcmp(file, "manifest.json") == 0, hashes = strcmp(file, "hashes.csv") == 0;
	size_t fl = strlen(file);
	if (!manifest && !hashes && !(fl == 41 && strcmp(file + 36, ".json") == 0))
		return parley_fail(err, PARLEY_E_NOTFOUND, "%.60s: no such feed file", file);
	if ((rc = feed_collect(n, channel, &f, err)) || (rc = feed_events(&f, &events, err))) {
		feed_release(&f);
		return rc;
	}
	feed_release(&f);
	parley_buf_reset(out);
	if (manifest) {
		json_t *m = json_object(), *ev;
		const char *k;
		json_object_foreach(events, k, ev) json_object_set_new(m, k, manifest_record(ev));
		rc = dump(m, out, err);
		json_decref(m);
	} else if (hashes) {
		const char *k;
		json_t *ev;
		rc = PARLEY_OK;
		json_object_foreach(events, k, ev) if (!rc) rc = hash_lines(k, ev, out);
		if (!rc)
			rc = unique_lines(out);
		if (rc)
			rc = parley_fail(err, rc, "hashes.csv");
	} else {
		memcpy(u, file, 36);
		u[36] = 0;
		json_t *ev = json_object_get(events, u);
		rc = ev ? dump(ev, out, err) : parley_fail(err, PARLEY_E_NOTFOUND, "%s: no such event", file);
	}
	json_decref(events);
	return rc;
}

static parley_code read_if(const char *path, parley_buf *b, bool *found, parley_err *err)
{
	parley_code rc = parley_file_read(path, (size_t)256 << 20, b, err);
	*found = rc == PARLEY_OK;
	return rc == PARLEY_E_NOTFOUND ? PARLEY_OK : rc;
}

parley_code parley_misp_feed_write(parley_node *n, const uint8_t *channel, const char *dir,
	parley_misp_feed_report *rep, parley_err *err)
{
	struct feed f = { 0 };
	json_t *events = NULL, *manifest = NULL, *ev;
	parley_buf b = PARLEY_BUF_INIT, cur = PARLEY_BUF_INIT, hashes = PARLEY_BUF_INIT;
	char path[1200];
	const char *k;
	parley_code rc;
	bool found;

	memset(rep, 0, sizeof(*rep));
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return parley_fail(err, PARLEY_E_IO, "%s: cannot create the directory: %s", dir, strerror(errno));
	if ((rc = feed_collect(n, channel, &f, err)) || (rc = feed_events(&f, &events, err)))
		goto out;
	/* the events: written when new or changed */
	json_object_foreach(events, k, ev) {
		snprintf(path, sizeof(path), "%s/%s.json", dir, k);
		if ((rc = dump(ev, &b, err)) || (rc = read_if(path, &cur, &found, err)))
			goto out;
		rep->events++;
		if (found && cur.len == b.len && memcmp(cur.data, b.data, b.len) == 0) {
			rep->unchanged++;
			continue;
		}
		if ((rc = parley_file_write(path, b.data, b.len, 0644, false, err)))
			goto out;
		if (found)
			rep->updated++;
		else
			rep->added++;
	}
	/* manifest.json: what is there, with these events set (by uuid: never twice) */
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if ((rc = read_if(path, &cur, &found, err)))
		goto out;
	if (found && (parley_json_parse((const char *)cur.data, cur.len, (size_t)256 << 20, &manifest, NULL) ||
			     !json_is_object(manifest))) {
		json_decref(manifest);
		manifest = NULL;
	}
	if (!manifest)
		manifest = json_object();
	json_object_foreach(events, k, ev) json_object_set_new(manifest, k, manifest_record(ev));
	if ((rc = dump(manifest, &b, err)) || (rc = parley_file_write(path, b.data, b.len, 0644, false, err)))
		goto out;
	/* hashes.csv: the lines of other events kept, these events' lines replaced */
	snprintf(path, sizeof(path), "%s/hashes.csv", dir);
	if ((rc = read_if(path, &cur, &found, err)))
		goto out;
	for (char *p = found ? (char *)cur.data : NULL; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		char *comma = strchr(p, ',');
		if (comma && !json_object_get(events, comma + 1) && (rc = parley_buf_addf(&hashes, "%s\n", p)))
			goto out;
		p = nl ? nl + 1 : NULL;
	}
	json_object_foreach(events, k, ev) if ((rc = hash_lines(k, ev, &hashes))) goto out;
	if ((rc = unique_lines(&hashes)) ||
		(rc = parley_file_write(path, hashes.len ? hashes.data : (const uint8_t *)"", hashes.len, 0644, false, err)))
		goto out;
out:
	if (rc && err && !err->msg[0])
		parley_fail(err, rc, "%s: writing the feed", dir);
	feed_release(&f);
	json_decref(events);
	json_decref(manifest);
	parley_buf_release(&b);
	parley_buf_release(&cur);
	parley_buf_release(&hashes);
	return rc;
}
