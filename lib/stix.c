/*
 * stix.c - STIX 2.1 validation: the report, the bundle, the common properties
 * and the SDOs, SROs and meta objects (sections 3 to 7 of the specification).
 * Observables are in stix_sco.c, the patterning grammar in stix_pattern.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix_internal.h"
#include "banned.h"

/* ---- the report ---- */

void parley_stix_report_init(parley_stix_report *rep)
{
	memset(rep, 0, sizeof(*rep));
}

void parley_stix_report_release(parley_stix_report *rep)
{
	free(rep->problems);
	memset(rep, 0, sizeof(*rep));
}

/* Cut an incomplete UTF-8 sequence that truncation left at the end (reports go out as JSON too). */
static void utf8_trim(char *s)
{
	size_t n = strlen(s), i = n, k = 0;
	while (i > 0 && k < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i == 0)
		return;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
	if (lead >= 0x80 && need != k)
		s[i - 1] = 0;
}

static void add(stix_ctx *x, bool warning, const char *prop, const char *fmt, va_list ap) PARLEY_PRINTF(4, 0);

static void add(stix_ctx *x, bool warning, const char *prop, const char *fmt, va_list ap)
{
	parley_stix_report *r = x->rep;
	if (warning)
		r->warnings++;
	else
		r->errors++;
	if (r->n >= PARLEY_STIX_MAX_PROBLEMS) {
		r->truncated = true;
		return;
	}
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		parley_stix_problem *np = realloc(r->problems, nc * sizeof(*np));
		if (!np) {
			x->rc = PARLEY_E_NOMEM;
			return;
		}
		r->problems = np;
		r->cap = nc;
	}
	parley_stix_problem *p = &r->problems[r->n++];
	snprintf(p->id, sizeof(p->id), "%s", x->who);
	snprintf(p->property, sizeof(p->property), "%s", prop ? prop : "");
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	utf8_trim(p->id);
	utf8_trim(p->property);
	utf8_trim(p->message);
	p->is_warning = warning;
}

void stix_error(stix_ctx *x, const char *prop, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(x, false, prop, fmt, ap);
	va_end(ap);
}

void stix_warn(stix_ctx *x, const char *prop, const char *fmt, ...)
{
	va_list ap;
	if (!(x->flags & PARLEY_STIX_STRICT))
		return;
	va_start(ap, fmt);
	add(x, true, prop, fmt, ap);
	va_end(ap);
}

/* ---- small helpers ---- */

const char *stix_str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

bool stix_in(const char *s, const char *const *set)
{
	if (!s || !set)
		return false;
	for (size_t i = 0; set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	/* RFC 4122 (and 9562) variant: 10xx; upper case is the same UUID (RFC 4122 section 3) */
	return strchr("89abAB", s[19]) != NULL;
}

/* A STIX type name: 3-250 characters of a-z, 0-9 and '-' (sections 2.8 and 11.2). */
static bool type_name_ok(const char *t, size_t n)
{
	if (n < 3 || n > 250)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) || t[i] == '-'))
			return false;
	return true;
}

bool stix_is_id(const char *s, const char *want)
{
	const char *dd = s ? strstr(s, "--") : NULL;
	if (!dd || !type_name_ok(s, (size_t)(dd - s)))
		return false;
	if (want && ((size_t)(dd - s) != strlen(want) || strncmp(s, want, strlen(want)) != 0))
		return false;
	return is_uuid(dd + 2);
}

static const char *const sdo_types[] = { "attack-pattern", "campaign", "course-of-action", "grouping", "identity",
	"incident", "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note",
	"observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability", NULL };

bool stix_is_sdo_type(const char *t)
{
	return stix_in(t, sdo_types);
}

/* The type part of an identifier, into buf. */
static const char *id_type(const char *ref, char *buf, size_t n)
{
	const char *dd = strstr(ref, "--");
	size_t l = dd ? (size_t)(dd - ref) : 0;
	if (l >= n)
		l = n - 1;
	memcpy(buf, ref, l);
	buf[l] = 0;
	return buf;
}

bool stix_ref_ok(const char *ref, const char *const *set)
{
	char t[256];
	if (!stix_is_id(ref, NULL))
		return false;
	if (!set)
		return true;
	id_type(ref, t, sizeof(t));
	const stix_type *ty = stix_type_find(t);
	for (size_t i = 0; set[i]; i++) {
		if (strcmp(set[i], "@any") == 0)
			return true;
		/* a custom or extension-defined type may be an SDO or an SCO: it cannot be told from its id */
		if (strcmp(set[i], "@sdo") == 0 && (!ty || ty->kind == SK_SDO))
			return true;
		if (strcmp(set[i], "@sco") == 0 && (!ty || ty->kind == SK_SCO))
			return true;
		if (strcmp(set[i], "@sdo-sco") == 0 && (!ty || ty->kind == SK_SDO || ty->kind == SK_SCO))
			return true;
		if (strcmp(set[i], "@sco-sro") == 0 && (!ty || ty->kind == SK_SCO || strcmp(t, "relationship") == 0))
			return true;
		if (strcmp(set[i], t) == 0)
			return true;
	}
	return false;
}

/* "a, b or c" for messages */
static void set_text(const char *const *set, char *buf, size_t n)
{
	size_t k = 0, cnt = 0;
	buf[0] = 0;
	while (set && set[cnt])
		cnt++;
	for (size_t i = 0; i < cnt && k < n; i++) {
		const char *s = set[i];
		if (strcmp(s, "@sdo") == 0)
			s = "an SDO";
		else if (strcmp(s, "@sco") == 0)
			s = "an SCO";
		else if (strcmp(s, "@sdo-sco") == 0)
			s = "an SDO or SCO";
		else if (strcmp(s, "@sco-sro") == 0)
			s = "an SCO or relationship";
		else if (strcmp(s, "@any") == 0)
			s = "any object";
		int w = snprintf(buf + k, n - k, "%s%s", i == 0 ? "" : (i + 1 == cnt ? " or " : ", "), s);
		if (w < 0)
			break;
		k += (size_t)w;
	}
}

/* ---- timestamps (section 3.2: RFC 3339, UTC, 'Z', optional sub-second digits) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int dig(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

bool stix_time_parse(const char *s, size_t n, stix_time *t)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	memset(t, 0, sizeof(*t));
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[n - 1] != 'Z')
		return false;
	int y = dig(s, 4), mo = dig(s + 5, 2), d = dig(s + 8, 2), h = dig(s + 11, 2), mi = dig(s + 14, 2),
	    se = dig(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60)
		return false;
	int md = mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d > md)
		return false;
	if (n > 20) {
		if (s[19] != '.' || n == 21)
			return false;
		for (size_t i = 20; i < n - 1; i++) {
			if (!isdigit((unsigned char)s[i]))
				return false;
			if (i - 20 < sizeof(t->frac) - 1)
				t->frac[i - 20] = s[i];
		}
		t->ndigits = (int)(n - 21);
	} else if (s[19] != 'Z') {
		return false;
	}
	/* trailing zeros do not change the value */
	for (int i = (int)strlen(t->frac) - 1; i >= 0 && t->frac[i] == '0'; i--)
		t->frac[i] = 0;
	t->sec = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

int stix_time_cmp(const stix_time *a, const stix_time *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	int c = strcmp(a->frac, b->frac); /* zeros stripped: a shorter prefix is the smaller value */
	return c < 0 ? -1 : c > 0;
}

static bool get_time(const json_t *o, const char *k, stix_time *t)
{
	const char *s = stix_str(o, k);
	return s && stix_time_parse(s, strlen(s), t);
}

/* later >= earlier (or > when strictly) when both are present and valid. */
static void order(stix_ctx *x, const json_t *o, const char *earlier, const char *later, bool strictly)
{
	stix_time a, b;
	if (!get_time(o, earlier, &a) || !get_time(o, later, &b))
		return;
	int c = stix_time_cmp(&b, &a);
	if (c < 0 || (strictly && c == 0))
		stix_error(x, later, "must be %s %s", strictly ? "later than" : "later than or equal to", earlier);
}

/* ---- vocabularies (section 10) ---- */

static const char *const ov_attack_motivation[] = { "accidental", "coercion", "dominance", "ideology", "notoriety",
	"organizational-gain", "personal-gain", "personal-satisfaction", "revenge", "unpredictable", NULL };
static const char *const ov_resource_level[] = { "individual", "club", "contest", "team", "organization",
	"government", NULL };
static const char *const ov_grouping_context[] = { "suspicious-activity", "malware-analysis", "unspecified", NULL };
static const char *const ov_identity_class[] = { "individual", "group", "system", "organization", "class", "unknown",
	NULL };
static const char *const ov_impl_language[] = { "applescript", "bash", "c", "c++", "c#", "go", "java", "javascript",
	"lua", "objective-c", "perl", "php", "powershell", "python", "ruby", "scala", "swift", "typescript",
	"visual-basic", "x86-32", "x86-64", NULL };
static const char *const ov_indicator_type[] = { "anomalous-activity", "anonymization", "benign", "compromised",
	"malicious-activity", "attribution", "unknown", NULL };
static const char *const ov_infrastructure_type[] = { "amplification", "anonymization", "botnet",
	"command-and-control", "control-system", "exfiltration", "firewall", "hosting-malware", "hosting-target-lists",
	"phishing", "reconnaissance", "routers-switches", "staging", "workstation", "unknown", NULL };
static const char *const ov_malware_result[] = { "malicious", "suspicious", "benign", "unknown", NULL };
static const char *const ov_malware_type[] = { "adware", "backdoor", "bot", "bootkit", "ddos", "downloader",
	"dropper", "exploit-kit", "keylogger", "ransomware", "remote-access-trojan", "resource-exploitation",
	"rogue-security-software", "rootkit", "screen-capture", "spyware", "trojan", "unknown", "virus", "webshell",
	"wiper", "worm", NULL };
static const char *const ov_malware_capabilities[] = { "accesses-remote-machines", "anti-debugging",
	"anti-disassembly", "anti-emulation", "anti-memory-forensics", "anti-sandbox", "anti-vm", "captures-input",
	"captures-output", "captures-output", "cleans-traces-of-infection", "commits-fraud", "communicates-with-c2",
	"compromises-data-availability", "compromises-data-integrity", "compromises-system-availability",
	"controls-local-machine", "degrades-security-software", "degrades-system-updates", "determines-c2-server",
	"emails-spam", "escalates-privileges", "evades-av", "exfiltrates-data", "fingerprints-host", "hides-artifacts",
	"hides-executing-code", "infects-files", "infects-remote-machines", "installs-other-components",
	"persists-after-system-reboot", "prevents-artifact-access", "prevents-artifact-deletion",
	"probes-network-environment", "self-modifies", "steals-authentication-credentials", "violates-system-operational-integrity", NULL };
static const char *const ov_pattern_type[] = { "stix", "pcre", "sigma", "snort", "suricata", "yara", NULL };
static const char *const ov_processor_arch[] = { "alpha", "arm", "ia-64", "mips", "powerpc", "sparc", "x86",
	"x86-64", NULL };
static const char *const ov_report_type[] = { "attack-pattern", "campaign", "identity", "indicator",
	"intrusion-set", "malware", "observed-data", "threat-actor", "threat-report", "tool", "vulnerability", NULL };
static const char *const ov_threat_actor_type[] = { "activist", "competitor", "crime-syndicate", "criminal",
	"hacker", "insider-accidental", "insider-disgruntled", "nation-state", "sensationalist", "spy", "terrorist",
	"unknown", NULL };
static const char *const ov_threat_actor_role[] = { "agent", "director", "independent", "infrastructure-architect",
	"infrastructure-operator", "malware-author", "sponsor", NULL };
static const char *const ov_sophistication[] = { "none", "minimal", "intermediate", "advanced", "expert",
	"innovator", "strategic", NULL };
static const char *const ov_tool_type[] = { "denial-of-service", "exploitation", "information-gathering",
	"network-capture", "credential-exploitation", "remote-access", "vulnerability-scanning", "unknown", NULL };
static const char *const ov_region[] = { "africa", "eastern-africa", "middle-africa", "northern-africa",
	"southern-africa", "western-africa", "americas", "latin-america-caribbean", "south-america", "caribbean",
	"central-america", "northern-america", "asia", "central-asia", "eastern-asia", "southern-asia",
	"south-eastern-asia", "western-asia", "europe", "eastern-europe", "northern-europe", "southern-europe",
	"western-europe", "oceania", "antarctica", "australia-new-zealand", "melanesia", "micronesia", "polynesia", NULL };
static const char *const ov_industry_sector[] = { "agriculture", "aerospace", "automotive", "chemical", "commercial",
	"communications", "construction", "defense", "education", "energy", "entertainment", "financial-services",
	"government", "emergency-services", "government-local", "government-national", "government-public-services",
	"government-regional", "healthcare", "hospitality-leisure", "infrastructure", "dams", "nuclear", "water",
	"insurance", "manufacturing", "mining", "non-profit", "pharmaceuticals", "retail", "technology",
	"telecommunications", "transportation", "utilities", NULL };

static const char *const en_opinion[] = { "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree", NULL };
static const char *const en_extension_type[] = { "new-sdo", "new-sco", "new-sro", "property-extension",
	"toplevel-property-extension", NULL };

/* ---- reference target sets ---- */

static const char *const r_identity[] = { "identity", NULL };
static const char *const r_marking[] = { "marking-definition", NULL };
static const char *const r_any[] = { "@any", NULL };
static const char *const r_sdo[] = { "@sdo", NULL };
static const char *const r_sco[] = { "@sco", NULL };
static const char *const r_sdo_sco[] = { "@sdo-sco", NULL };
static const char *const r_sco_sro[] = { "@sco-sro", NULL };
static const char *const r_software[] = { "software", NULL };
static const char *const r_file_artifact[] = { "file", "artifact", NULL };
static const char *const r_malware_sample[] = { "file", "network-traffic", "artifact", NULL };
static const char *const r_observed_data[] = { "observed-data", NULL };
static const char *const r_where_sighted[] = { "identity", "location", NULL };

/* ---- the tables ---- */

#define END { NULL, 0, 0, NULL, 0, 0 }
#define P(n, t) { n, t, 0, NULL, 0, 0 }
#define R(n, t) { n, t, 1, NULL, 0, 0 }
#define PS(n, t, s) { n, t, 0, s, 0, 0 }
#define RS(n, t, s) { n, t, 1, s, 0, 0 }
#define PI(n, t, lo, hi) { n, t, 0, NULL, lo, hi }
#define RI(n, t, lo, hi) { n, t, 1, NULL, lo, hi }

/* section 3.2: common properties of SDOs and SROs (spec_version, created and modified required) */
static const stix_prop common_sdo[] = {
	R("type", PT_STR), R("spec_version", PT_STR), R("id", PT_STR), R("created", PT_TS), R("modified", PT_TS),
	PS("created_by_ref", PT_REF, r_identity), P("revoked", PT_BOOL), P("labels", PT_STRS),
	PI("confidence", PT_INT, 0, 100), P("lang", PT_STR), P("external_references", PT_LIST),
	PS("object_marking_refs", PT_REFS, r_marking), P("granular_markings", PT_LIST), P("extensions", PT_DICT), END
};
/* section 7.1: marking definitions have no modified, revoked, labels, confidence, lang */
static const stix_prop common_marking[] = {
	R("type", PT_STR), R("spec_version", PT_STR), R("id", PT_STR), R("created", PT_TS),
	PS("created_by_ref", PT_REF, r_identity), P("external_references", PT_LIST),
	PS("object_marking_refs", PT_REFS, r_marking), P("granular_markings", PT_LIST), P("extensions", PT_DICT), END
};
/* section 6.1: SCOs */
static const stix_prop common_sco[] = {
	R("type", PT_STR), P("spec_version", PT_STR), R("id", PT_STR), PS("object_marking_refs", PT_REFS, r_marking),
	P("granular_markings", PT_LIST), P("defanged", PT_BOOL), P("extensions", PT_DICT), END
};

static const stix_prop p_attack_pattern[] = { R("name", PT_STR), P("description", PT_STR), P("aliases", PT_STRS),
	P("kill_chain_phases", PT_KCP), END };
static const stix_prop p_campaign[] = { R("name", PT_STR), P("description", PT_STR), P("aliases", PT_STRS),
	P("first_seen", PT_TS), P("last_seen", PT_TS), P("objective", PT_STR), END };
static const stix_prop p_course_of_action[] = { R("name", PT_STR), P("description", PT_STR), END };
static const stix_prop p_grouping[] = { P("name", PT_STR), P("description", PT_STR),
	RS("context", PT_OV, ov_grouping_context), RS("object_refs", PT_REFS, r_any), END };
static const stix_prop p_identity[] = { R("name", PT_STR), P("description", PT_STR), P("roles", PT_STRS),
	PS("identity_class", PT_OV, ov_identity_class), PS("sectors", PT_OVS, ov_industry_sector),
	P("contact_information", PT_STR), END };
static const stix_prop p_incident[] = { R("name", PT_STR), P("description", PT_STR),
	P("kill_chain_phases", PT_KCP), END };
static const stix_prop p_indicator[] = { P("name", PT_STR), P("description", PT_STR),
	PS("indicator_types", PT_OVS, ov_indicator_type), R("pattern", PT_STR), RS("pattern_type", PT_OV, ov_pattern_type),
	P("pattern_version", PT_STR), R("valid_from", PT_TS), P("valid_until", PT_TS), P("kill_chain_phases", PT_KCP),
	END };
static const stix_prop p_infrastructure[] = { R("name", PT_STR), P("description", PT_STR),
	PS("infrastructure_types", PT_OVS, ov_infrastructure_type), P("aliases", PT_STRS), P("kill_chain_phases", PT_KCP),
	P("first_seen", PT_TS), P("last_seen", PT_TS), END };
static const stix_prop p_intrusion_set[] = { R("name", PT_STR), P("description", PT_STR), P("aliases", PT_STRS),
	P("first_seen", PT_TS), P("last_seen", PT_TS), P("goals", PT_STRS), PS("resource_level", PT_OV, ov_resource_level),
	PS("primary_motivation", PT_OV, ov_attack_motivation), PS("secondary_motivations", PT_OVS, ov_attack_motivation),
	END };
static const stix_prop p_location[] = { P("name", PT_STR), P("description", PT_STR),
	PI("latitude", PT_NUM, -90, 90), PI("longitude", PT_NUM, -180, 180), PI("precision", PT_NUM, 0, 1e300),
	PS("region", PT_OV, ov_region), P("country", PT_STR), P("administrative_area", PT_STR), P("city", PT_STR),
	P("street_address", PT_STR), P("postal_code", PT_STR), END };
static const stix_prop p_malware[] = { P("name", PT_STR), P("description", PT_STR),
	PS("malware_types", PT_OVS, ov_malware_type), R("is_family", PT_BOOL), P("aliases", PT_STRS),
	P("kill_chain_phases", PT_KCP), P("first_seen", PT_TS), P("last_seen", PT_TS),
	PS("operating_system_refs", PT_REFS, r_software), PS("architecture_execution_envs", PT_OVS, ov_processor_arch),
	PS("implementation_languages", PT_OVS, ov_impl_language), PS("capabilities", PT_OVS, ov_malware_capabilities),
	PS("sample_refs", PT_REFS, r_file_artifact), END };
static const stix_prop p_malware_analysis[] = { R("product", PT_STR), P("version", PT_STR),
	PS("host_vm_ref", PT_REF, r_software), PS("operating_system_ref", PT_REF, r_software),
	PS("installed_software_refs", PT_REFS, r_software), P("configuration_version", PT_STR), P("modules", PT_STRS),
	P("analysis_engine_version", PT_STR), P("analysis_definition_version", PT_STR), P("submitted", PT_TS),
	P("analysis_started", PT_TS), P("analysis_ended", PT_TS), P("result_name", PT_STR),
	PS("result", PT_OV, ov_malware_result), PS("analysis_sco_refs", PT_REFS, r_sco),
	PS("sample_ref", PT_REF, r_malware_sample), END };
static const stix_prop p_note[] = { P("abstract", PT_STR), R("content", PT_STR), P("authors", PT_STRS),
	RS("object_refs", PT_REFS, r_any), END };
static const stix_prop p_observed_data[] = { R("first_observed", PT_TS), R("last_observed", PT_TS),
	RI("number_observed", PT_INT, 1, 999999999), P("objects", PT_DICT), PS("object_refs", PT_REFS, r_sco_sro), END };
static const stix_prop p_opinion[] = { P("explanation", PT_STR), P("authors", PT_STRS),
	RS("opinion", PT_ENUM, en_opinion), RS("object_refs", PT_REFS, r_any), END };
static const stix_prop p_report[] = { R("name", PT_STR), P("description", PT_STR),
	PS("report_types", PT_OVS, ov_report_type), R("published", PT_TS), RS("object_refs", PT_REFS, r_any), END };
static const stix_prop p_threat_actor[] = { R("name", PT_STR), P("description", PT_STR),
	PS("threat_actor_types", PT_OVS, ov_threat_actor_type), P("aliases", PT_STRS), P("first_seen", PT_TS),
	P("last_seen", PT_TS), PS("roles", PT_OVS, ov_threat_actor_role), P("goals", PT_STRS),
	PS("sophistication", PT_OV, ov_sophistication), PS("resource_level", PT_OV, ov_resource_level),
	PS("primary_motivation", PT_OV, ov_attack_motivation), PS("secondary_motivations", PT_OVS, ov_attack_motivation),
	PS("personal_motivations", PT_OVS, ov_attack_motivation), END };
static const stix_prop p_tool[] = { R("name", PT_STR), P("description", PT_STR), PS("tool_types", PT_OVS, ov_tool_type),
	P("aliases", PT_STRS), P("kill_chain_phases", PT_KCP), P("tool_version", PT_STR), END };
static const stix_prop p_vulnerability[] = { R("name", PT_STR), P("description", PT_STR), END };
static const stix_prop p_relationship[] = { R("relationship_type", PT_STR), P("description", PT_STR),
	RS("source_ref", PT_REF, r_sdo_sco), RS("target_ref", PT_REF, r_sdo_sco), P("start_time", PT_TS),
	P("stop_time", PT_TS), END };
static const stix_prop p_sighting[] = { P("description", PT_STR), P("first_seen", PT_TS), P("last_seen", PT_TS),
	PI("count", PT_INT, 0, 999999999), RS("sighting_of_ref", PT_REF, r_sdo),
	PS("observed_data_refs", PT_REFS, r_observed_data), PS("where_sighted_refs", PT_REFS, r_where_sighted),
	P("summary", PT_BOOL), END };
static const stix_prop p_marking[] = { P("name", PT_STR), P("definition_type", PT_STR), P("definition", PT_DICT),
	END };
static const stix_prop p_language_content[] = { RS("object_ref", PT_REF, r_any), P("object_modified", PT_TS),
	R("contents", PT_DICT), END };
static const stix_prop p_extension_definition[] = { R("name", PT_STR), P("description", PT_STR), R("schema", PT_STR),
	R("version", PT_STR), RS("extension_types", PT_LIST, en_extension_type), P("extension_properties", PT_STRS), END };

/* ---- object hooks: what the tables cannot say ---- */

static void seen_order(stix_ctx *x, const json_t *o)
{
	order(x, o, "first_seen", "last_seen", false);
}

static void h_indicator(stix_ctx *x, const json_t *o)
{
	const char *pt = stix_str(o, "pattern_type"), *p = stix_str(o, "pattern");
	char why[200], warn[200];
	order(x, o, "valid_from", "valid_until", true);
	if (pt && p && strcmp(pt, "stix") == 0) {
		if (!stix_pattern_run(p, why, sizeof(why), warn, sizeof(warn)))
			stix_error(x, "pattern", "%s", why);
		else if (warn[0])
			stix_warn(x, "pattern", "%s", warn);
	}
}

static void h_location(stix_ctx *x, const json_t *o)
{
	bool lat = json_object_get(o, "latitude") != NULL, lon = json_object_get(o, "longitude") != NULL;
	if (!json_object_get(o, "region") && !json_object_get(o, "country") && !(lat && lon))
		stix_error(x, "", "a location needs region, country, or latitude and longitude");
	if (lat != lon)
		stix_error(x, lat ? "longitude" : "latitude", "latitude and longitude must be given together");
	if (json_object_get(o, "precision") && !(lat && lon))
		stix_error(x, "precision", "precision needs latitude and longitude");
	const char *c = stix_str(o, "country");
	if (c && !(strlen(c) == 2 && isupper((unsigned char)c[0]) && isupper((unsigned char)c[1])))
		stix_warn(x, "country", "should be an ISO 3166-1 alpha-2 code");
}

static void h_malware(stix_ctx *x, const json_t *o)
{
	if (json_is_true(json_object_get(o, "is_family")) && !json_object_get(o, "name"))
		stix_error(x, "name", "required when is_family is true");
	seen_order(x, o);
}

static void h_malware_analysis(stix_ctx *x, const json_t *o)
{
	if (!json_object_get(o, "result") && !json_object_get(o, "analysis_sco_refs"))
		stix_error(x, "", "a malware analysis needs result or analysis_sco_refs");
	order(x, o, "analysis_started", "analysis_ended", false);
}

static void h_observed_data(stix_ctx *x, const json_t *o)
{
	const json_t *objs = json_object_get(o, "objects"), *refs = json_object_get(o, "object_refs");
	order(x, o, "first_observed", "last_observed", false);
	if (!objs && !refs)
		stix_error(x, "object_refs", "required (or the deprecated objects)");
	if (objs && refs)
		stix_error(x, "objects", "must not be present together with object_refs");
	if (objs)
		stix_warn(x, "objects", "deprecated; use object_refs");
	if (json_is_object(objs)) {
		const char *k;
		json_t *v;
		char path[160];
		json_object_foreach((json_t *)objs, k, v) {
			snprintf(path, sizeof(path), "objects.%s", k);
			if (!json_is_object(v) || !json_is_string(json_object_get(v, "type"))) {
				stix_error(x, path, "must be a cyber-observable object with a type");
				continue;
			}
			const stix_type *t = stix_sco_find(stix_str(v, "type"));
			if (t) {
				for (const stix_prop *p = t->props; p->name; p++) {
					const json_t *pv = json_object_get(v, p->name);
					char pp[160];
					snprintf(pp, sizeof(pp), "objects.%s.%s", k, p->name);
					/* in the embedded form, references are dictionary keys, not identifiers */
					if (p->type == PT_REF || p->type == PT_REFS)
						continue;
					if (!pv && p->required)
						stix_error(x, pp, "required");
					else if (pv)
						stix_check_value(x, p, pp, pv);
				}
				/* value syntax and co-constraints (not the references: here they are keys) */
				if (t->hook && strcmp(t->name, "email-message") != 0)
					t->hook(x, v);
			}
		}
	}
}

static void h_relationship(stix_ctx *x, const json_t *o);

static void h_sighting(stix_ctx *x, const json_t *o)
{
	seen_order(x, o);
}

static const struct tlp_def {
	const char *id, *tlp, *name;
} tlp_ids[] = {
	{ "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", "white", "TLP:WHITE" },
	{ "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "green", "TLP:GREEN" },
	{ "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", "amber", "TLP:AMBER" },
	{ "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "red", "TLP:RED" },
};

/* Identifiers compare with the UUID case-insensitively (RFC 4122 section 3). */
static bool same_id(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n != strlen(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
			return false;
	return true;
}

/* section 7.2.1.4: the four TLP marking definitions are fixed objects */
static void h_marking(stix_ctx *x, const json_t *o)
{
	const char *dt = stix_str(o, "definition_type"), *id = stix_str(o, "id");
	const json_t *def = json_object_get(o, "definition");
	size_t k, n = sizeof(tlp_ids) / sizeof(tlp_ids[0]);

	for (k = 0; k < n; k++)
		if (id && same_id(id, tlp_ids[k].id))
			break;
	if (!dt && !def && !json_object_get(o, "extensions"))
		stix_error(x, "definition_type", "a marking definition needs definition_type and definition, or extensions");
	if ((dt != NULL) != (def != NULL))
		stix_error(x, dt ? "definition" : "definition_type", "definition and definition_type go together");
	if (k < n) {
		if (!dt || strcmp(dt, "tlp") != 0 || !json_is_object(def) || !stix_str(def, "tlp") ||
			strcmp(stix_str(def, "tlp"), tlp_ids[k].tlp) != 0)
			stix_error(x, "definition", "this is the standard %s marking: definition_type \"tlp\", definition "
				"{\"tlp\": \"%s\"}", tlp_ids[k].name, tlp_ids[k].tlp);
		if (stix_str(o, "name") && strcmp(stix_str(o, "name"), tlp_ids[k].name) != 0)
			stix_error(x, "name", "the standard TLP marking is named \"%s\"", tlp_ids[k].name);
		if (!stix_str(o, "created") || strcmp(stix_str(o, "created"), "2017-01-20T00:00:00.000Z") != 0)
			stix_error(x, "created", "the standard TLP markings were created 2017-01-20T00:00:00.000Z");
		if (json_object_get(o, "created_by_ref") || json_object_get(o, "external_references") ||
			json_object_get(o, "object_marking_refs") || json_object_get(o, "granular_markings"))
			stix_error(x, "", "the standard TLP marking has no other properties");
		return;
	}
	if (dt && strcmp(dt, "tlp") == 0) {
		stix_error(x, "id", "a TLP marking must be one of the four standard TLP marking definitions");
		return;
	}
	if (dt && strcmp(dt, "statement") == 0) {
		if (!json_is_object(def) || !json_is_string(json_object_get(def, "statement")))
			stix_error(x, "definition.statement", "a statement marking needs a statement string");
		else if (json_object_size(def) != 1)
			stix_warn(x, "definition", "a statement marking has only the statement property");
	} else if (dt) {
		stix_warn(x, "definition_type", "should be \"statement\" or \"tlp\" (or an extension)");
	}
}

static void h_language_content(stix_ctx *x, const json_t *o)
{
	const json_t *c = json_object_get(o, "contents");
	const char *k;
	json_t *v;
	char path[160];
	if (!json_is_object(c))
		return;
	json_object_foreach((json_t *)c, k, v) {
		snprintf(path, sizeof(path), "contents.%s", k);
		if (!json_is_object(v) || json_object_size(v) == 0)
			stix_error(x, path, "must be a non-empty dictionary of translated properties");
	}
}

static void h_extension_definition(stix_ctx *x, const json_t *o)
{
	const json_t *et = json_object_get(o, "extension_types");
	size_t i;
	json_t *v;
	bool top = false;
	if (!json_object_get(o, "created_by_ref"))
		stix_error(x, "created_by_ref", "required for an extension definition");
	json_array_foreach(et, i, v) {
		char path[64];
		snprintf(path, sizeof(path), "extension_types[%zu]", i);
		if (!stix_in(json_string_value(v), en_extension_type))
			stix_error(x, path, "must be new-sdo, new-sco, new-sro, property-extension or toplevel-property-extension");
		else if (strcmp(json_string_value(v), "toplevel-property-extension") == 0)
			top = true;
	}
	if (json_object_get(o, "extension_properties") && !top)
		stix_error(x, "extension_properties", "only for a toplevel-property-extension");
}

static const stix_type types[] = {
	{ "attack-pattern", SK_SDO, p_attack_pattern, NULL },
	{ "campaign", SK_SDO, p_campaign, seen_order },
	{ "course-of-action", SK_SDO, p_course_of_action, NULL },
	{ "grouping", SK_SDO, p_grouping, NULL },
	{ "identity", SK_SDO, p_identity, NULL },
	{ "incident", SK_SDO, p_incident, NULL },
	{ "indicator", SK_SDO, p_indicator, h_indicator },
	{ "infrastructure", SK_SDO, p_infrastructure, seen_order },
	{ "intrusion-set", SK_SDO, p_intrusion_set, seen_order },
	{ "location", SK_SDO, p_location, h_location },
	{ "malware", SK_SDO, p_malware, h_malware },
	{ "malware-analysis", SK_SDO, p_malware_analysis, h_malware_analysis },
	{ "note", SK_SDO, p_note, NULL },
	{ "observed-data", SK_SDO, p_observed_data, h_observed_data },
	{ "opinion", SK_SDO, p_opinion, NULL },
	{ "report", SK_SDO, p_report, NULL },
	{ "threat-actor", SK_SDO, p_threat_actor, seen_order },
	{ "tool", SK_SDO, p_tool, NULL },
	{ "vulnerability", SK_SDO, p_vulnerability, NULL },
	{ "relationship", SK_SRO, p_relationship, h_relationship },
	{ "sighting", SK_SRO, p_sighting, h_sighting },
	{ "marking-definition", SK_META, p_marking, h_marking },
	{ "language-content", SK_META, p_language_content, h_language_content },
	{ "extension-definition", SK_META, p_extension_definition, h_extension_definition },
};

const stix_type *stix_type_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return stix_sco_find(name);
}

static const stix_prop *common_of(const stix_type *t)
{
	if (t->kind == SK_SCO)
		return common_sco;
	if (strcmp(t->name, "marking-definition") == 0)
		return common_marking;
	return common_sdo;
}

const stix_prop *stix_prop_find(const stix_type *t, const char *name)
{
	for (const stix_prop *p = t->props; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	for (const stix_prop *p = common_of(t); p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* ---- relationships (section 5.1 and the common relationships of each SDO in section 4) ---- */

static const struct rel {
	const char *src, *type, *tgt;
} common_rels[] = {
	{ "attack-pattern", "delivers", "malware" }, { "attack-pattern", "targets", "identity" },
	{ "attack-pattern", "targets", "location" }, { "attack-pattern", "targets", "vulnerability" },
	{ "attack-pattern", "uses", "malware" }, { "attack-pattern", "uses", "tool" },
	{ "campaign", "attributed-to", "intrusion-set" }, { "campaign", "attributed-to", "threat-actor" },
	{ "campaign", "compromises", "infrastructure" }, { "campaign", "originates-from", "location" },
	{ "campaign", "targets", "identity" }, { "campaign", "targets", "location" },
	{ "campaign", "targets", "vulnerability" }, { "campaign", "uses", "attack-pattern" },
	{ "campaign", "uses", "infrastructure" }, { "campaign", "uses", "malware" }, { "campaign", "uses", "tool" },
	{ "course-of-action", "investigates", "indicator" }, { "course-of-action", "mitigates", "attack-pattern" },
	{ "course-of-action", "mitigates", "indicator" }, { "course-of-action", "mitigates", "malware" },
	{ "course-of-action", "mitigates", "tool" }, { "course-of-action", "mitigates", "vulnerability" },
	{ "course-of-action", "remediates", "malware" }, { "course-of-action", "remediates", "vulnerability" },
	{ "identity", "located-at", "location" },
	{ "indicator", "indicates", "attack-pattern" }, { "indicator", "indicates", "campaign" },
	{ "indicator", "indicates", "infrastructure" }, { "indicator", "indicates", "intrusion-set" },
	{ "indicator", "indicates", "malware" }, { "indicator", "indicates", "threat-actor" },
	{ "indicator", "indicates", "tool" }, { "indicator", "based-on", "observed-data" },
	{ "infrastructure", "communicates-with", "infrastructure" }, { "infrastructure", "communicates-with", "ipv4-addr" },
	{ "infrastructure", "communicates-with", "ipv6-addr" }, { "infrastructure", "communicates-with", "domain-name" },
	{ "infrastructure", "communicates-with", "url" }, { "infrastructure", "consists-of", "infrastructure" },
	{ "infrastructure", "consists-of", "observed-data" }, { "infrastructure", "consists-of", "@sco" },
	{ "infrastructure", "controls", "infrastructure" }, { "infrastructure", "controls", "malware" },
	{ "infrastructure", "delivers", "malware" }, { "infrastructure", "has", "vulnerability" },
	{ "infrastructure", "hosts", "tool" }, { "infrastructure", "hosts", "malware" },
	{ "infrastructure", "located-at", "location" }, { "infrastructure", "uses", "infrastructure" },
	{ "intrusion-set", "attributed-to", "threat-actor" }, { "intrusion-set", "compromises", "infrastructure" },
	{ "intrusion-set", "hosts", "infrastructure" }, { "intrusion-set", "owns", "infrastructure" },
	{ "intrusion-set", "originates-from", "location" }, { "intrusion-set", "targets", "identity" },
	{ "intrusion-set", "targets", "location" }, { "intrusion-set", "targets", "vulnerability" },
	{ "intrusion-set", "uses", "attack-pattern" }, { "intrusion-set", "uses", "infrastructure" },
	{ "intrusion-set", "uses", "malware" }, { "intrusion-set", "uses", "tool" },
	{ "malware", "authored-by", "threat-actor" }, { "malware", "authored-by", "intrusion-set" },
	{ "malware", "beacons-to", "infrastructure" }, { "malware", "exfiltrates-to", "infrastructure" },
	{ "malware", "communicates-with", "ipv4-addr" }, { "malware", "communicates-with", "ipv6-addr" },
	{ "malware", "communicates-with", "domain-name" }, { "malware", "communicates-with", "url" },
	{ "malware", "controls", "malware" }, { "malware", "downloads", "malware" }, { "malware", "downloads", "tool" },
	{ "malware", "downloads", "file" }, { "malware", "drops", "malware" }, { "malware", "drops", "tool" },
	{ "malware", "drops", "file" }, { "malware", "exploits", "vulnerability" },
	{ "malware", "originates-from", "location" }, { "malware", "targets", "identity" },
	{ "malware", "targets", "infrastructure" }, { "malware", "targets", "location" },
	{ "malware", "targets", "vulnerability" }, { "malware", "uses", "attack-pattern" },
	{ "malware", "uses", "infrastructure" }, { "malware", "uses", "malware" }, { "malware", "uses", "tool" },
	{ "malware", "variant-of", "malware" },
	{ "malware-analysis", "characterizes", "malware" }, { "malware-analysis", "analysis-of", "malware" },
	{ "malware-analysis", "static-analysis-of", "malware" }, { "malware-analysis", "dynamic-analysis-of", "malware" },
	{ "threat-actor", "attributed-to", "identity" }, { "threat-actor", "compromises", "infrastructure" },
	{ "threat-actor", "hosts", "infrastructure" }, { "threat-actor", "owns", "infrastructure" },
	{ "threat-actor", "impersonates", "identity" }, { "threat-actor", "located-at", "location" },
	{ "threat-actor", "targets", "identity" }, { "threat-actor", "targets", "location" },
	{ "threat-actor", "targets", "vulnerability" }, { "threat-actor", "uses", "attack-pattern" },
	{ "threat-actor", "uses", "infrastructure" }, { "threat-actor", "uses", "malware" },
	{ "threat-actor", "uses", "tool" },
	{ "tool", "delivers", "malware" }, { "tool", "drops", "malware" }, { "tool", "has", "vulnerability" },
	{ "tool", "targets", "identity" }, { "tool", "targets", "infrastructure" }, { "tool", "targets", "location" },
	{ "tool", "targets", "vulnerability" }, { "tool", "uses", "infrastructure" },
};

static void h_relationship(stix_ctx *x, const json_t *o)
{
	const char *rt = stix_str(o, "relationship_type"), *s = stix_str(o, "source_ref"), *t = stix_str(o, "target_ref");
	char st[256], tt[256];
	order(x, o, "start_time", "stop_time", true);
	if (!rt)
		return;
	for (const char *p = rt; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-')) {
			stix_error(x, "relationship_type", "only a-z, 0-9 and '-' are allowed");
			break;
		}
	if (!stix_is_id(s, NULL) || !stix_is_id(t, NULL))
		return;
	id_type(s, st, sizeof(st));
	id_type(t, tt, sizeof(tt));
	if (strcmp(rt, "derived-from") == 0 || strcmp(rt, "duplicate-of") == 0) {
		if (strcmp(st, tt) != 0)
			stix_warn(x, "relationship_type", "%s should join two objects of the same type", rt);
		return;
	}
	/* The common relationships are a SHOULD: any relationship_type between any SDOs/SCOs is allowed.
	 * Warn only when a type the specification lists for these source types joins a target it does not. */
	bool known = false, match = false;
	const stix_type *tty = stix_type_find(tt);
	for (size_t i = 0; i < sizeof(common_rels) / sizeof(common_rels[0]); i++) {
		if (strcmp(common_rels[i].src, st) != 0 || strcmp(common_rels[i].type, rt) != 0)
			continue;
		known = true;
		if (strcmp(common_rels[i].tgt, tt) == 0 ||
			(strcmp(common_rels[i].tgt, "@sco") == 0 && tty && tty->kind == SK_SCO))
			match = true;
	}
	if (known && !match && stix_type_find(tt))
		stix_warn(x, "target_ref", "the specification's '%s' relationship from %s does not name %s as a target", rt,
			st, tt);
}

/* ---- values ---- */

static bool dict_key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n < 1 || n > 250)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)k[i]) || k[i] == '-' || k[i] == '_'))
			return false;
	return true;
}

static void check_ref(stix_ctx *x, const char *path, const json_t *v, const char *const *set)
{
	char want[200];
	const char *s = json_string_value(v);
	if (!s || !stix_is_id(s, NULL)) {
		stix_error(x, path, "must be an identifier (type--UUID)");
		return;
	}
	if (!stix_ref_ok(s, set)) {
		set_text(set, want, sizeof(want));
		stix_error(x, path, "must refer to %s, not '%s'", want, s);
	}
}

static void check_string_v(stix_ctx *x, const stix_prop *p, const char *path, const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s) {
		stix_error(x, path, "must be a string");
		return;
	}
	switch (p->type) {
	case PT_TS:
		if (!stix_time_parse(s, strlen(s), &(stix_time){ 0 }))
			stix_error(x, path, "'%s' is not a timestamp (YYYY-MM-DDTHH:MM:SS[.s+]Z, a real date, UTC)", s);
		break;
	case PT_ENUM:
		if (!stix_in(s, p->set))
			stix_error(x, path, "'%s' is not one of the values the specification allows", s);
		break;
	case PT_OV:
	case PT_OVS:
		if (p->set && !stix_in(s, p->set))
			stix_warn(x, path, "'%s' is not in the specification's open vocabulary", s);
		break;
	case PT_BIN:
		if (!stix_base64_ok(s, strlen(s)))
			stix_error(x, path, "must be base64");
		break;
	case PT_HEX:
		for (const char *q = s; *q; q++)
			if (!isxdigit((unsigned char)*q)) {
				stix_error(x, path, "must be hexadecimal");
				break;
			}
		if (strlen(s) % 2)
			stix_error(x, path, "must have an even number of hex digits");
		break;
	case PT_URL:
		if (!stix_url_ok(s))
			stix_error(x, path, "'%s' is not a URL (RFC 3986)", s);
		break;
	default:
		break;
	}
}

static void check_hashes(stix_ctx *x, const char *path, const json_t *v)
{
	const char *k;
	json_t *h;
	char pp[200];
	if (!json_is_object(v) || json_object_size(v) == 0) {
		stix_error(x, path, "must be a non-empty dictionary of hashes");
		return;
	}
	json_object_foreach((json_t *)v, k, h) {
		snprintf(pp, sizeof(pp), "%s.%s", path, k);
		if (!dict_key_ok(k)) {
			stix_error(x, pp, "a hash name has 1-250 characters of a-z, A-Z, 0-9, '-' and '_'");
			continue;
		}
		if (!json_is_string(h)) {
			stix_error(x, pp, "must be a string");
			continue;
		}
		const char *why = stix_hash_problem(k, json_string_value(h));
		if (why)
			stix_error(x, pp, "%s", why);
		if (!stix_in(k, stix_hash_algs))
			stix_warn(x, pp, "'%s' is not in hash-algorithm-ov (MD5, SHA-1, SHA-256, SHA-512, SHA3-256, SHA3-512, SSDEEP, TLSH)", k);
	}
}

static void check_kcp(stix_ctx *x, const char *path, const json_t *v)
{
	size_t i;
	json_t *e;
	char pp[200];
	json_array_foreach(v, i, e) {
		snprintf(pp, sizeof(pp), "%s[%zu]", path, i);
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "kill_chain_name")) ||
			!json_is_string(json_object_get(e, "phase_name"))) {
			stix_error(x, pp, "a kill chain phase needs kill_chain_name and phase_name strings");
			continue;
		}
		for (const char *q = stix_str(e, "phase_name"); *q; q++)
			if (isupper((unsigned char)*q) || *q == ' ' || *q == '_') {
				stix_warn(x, pp, "phase_name should be lower case with hyphens");
				break;
			}
	}
}

static void check_external_refs(stix_ctx *x, const char *path, const json_t *v)
{
	size_t i;
	json_t *e;
	char pp[200];
	json_array_foreach(v, i, e) {
		snprintf(pp, sizeof(pp), "%s[%zu]", path, i);
		if (!json_is_object(e)) {
			stix_error(x, pp, "must be an external reference object");
			continue;
		}
		const char *sn = stix_str(e, "source_name"), *eid = stix_str(e, "external_id");
		if (!sn)
			stix_error(x, pp, "an external reference needs a source_name string");
		if (!json_object_get(e, "description") && !json_object_get(e, "url") && !json_object_get(e, "external_id"))
			stix_error(x, pp, "an external reference needs description, url or external_id besides source_name");
		static const char *const sfields[] = { "description", "url", "external_id", NULL };
		for (size_t k = 0; sfields[k]; k++) {
			const json_t *f = json_object_get(e, sfields[k]);
			if (f && !json_is_string(f))
				stix_error(x, pp, "%s must be a string", sfields[k]);
		}
		if (stix_str(e, "url") && !stix_url_ok(stix_str(e, "url")))
			stix_error(x, pp, "url '%s' is not a URL (RFC 3986)", stix_str(e, "url"));
		if (json_object_get(e, "hashes")) {
			char hp[220];
			snprintf(hp, sizeof(hp), "%s.hashes", pp);
			check_hashes(x, hp, json_object_get(e, "hashes"));
		}
		/* section 2.5: CAPEC and CVE identifiers */
		if (sn && eid && strcmp(sn, "capec") == 0 &&
			!(strncmp(eid, "CAPEC-", 6) == 0 && eid[6] && strspn(eid + 6, "0123456789") == strlen(eid + 6)))
			stix_error(x, pp, "a capec external_id must be CAPEC-<number>");
		if (sn && eid && strcmp(sn, "cve") == 0 &&
			!(strncmp(eid, "CVE-", 4) == 0 && strspn(eid + 4, "0123456789") == 4 && eid[8] == '-' &&
				strlen(eid + 9) >= 4 && strspn(eid + 9, "0123456789") == strlen(eid + 9)))
			stix_error(x, pp, "a cve external_id must be CVE-YYYY-NNNN");
	}
}

static void check_granular(stix_ctx *x, const char *path, const json_t *v)
{
	size_t i;
	json_t *e;
	char pp[200];
	json_array_foreach(v, i, e) {
		snprintf(pp, sizeof(pp), "%s[%zu]", path, i);
		if (!json_is_object(e)) {
			stix_error(x, pp, "must be a granular marking object");
			continue;
		}
		const json_t *sel = json_object_get(e, "selectors"), *mr = json_object_get(e, "marking_ref"),
			     *lang = json_object_get(e, "lang");
		if (!json_is_array(sel) || json_array_size(sel) == 0)
			stix_error(x, pp, "selectors must be a non-empty list");
		else {
			size_t j;
			json_t *s;
			json_array_foreach(sel, j, s) if (!json_is_string(s)) stix_error(x, pp, "selectors must be strings");
		}
		if ((mr != NULL) == (lang != NULL))
			stix_error(x, pp, "a granular marking has exactly one of marking_ref and lang");
		if (mr) {
			char mp[220];
			snprintf(mp, sizeof(mp), "%s.marking_ref", pp);
			check_ref(x, mp, mr, r_marking);
		}
		if (lang && !json_is_string(lang))
			stix_error(x, pp, "lang must be a string");
	}
}

void stix_check_value(stix_ctx *x, const stix_prop *p, const char *path, const json_t *v)
{
	size_t i;
	json_t *e;
	char pp[200];

	if (json_is_null(v)) {
		stix_error(x, path, "must not be null");
		return;
	}
	switch (p->type) {
	case PT_STR:
	case PT_TS:
	case PT_ENUM:
	case PT_OV:
	case PT_BIN:
	case PT_HEX:
	case PT_URL:
		check_string_v(x, p, path, v);
		break;
	case PT_INT:
		if (!json_is_integer(v)) {
			stix_error(x, path, "must be an integer");
			break;
		}
		if (p->lo < p->hi && ((double)json_integer_value(v) < p->lo || (double)json_integer_value(v) > p->hi))
			stix_error(x, path, "%lld is out of range %.0f to %.0f", (long long)json_integer_value(v), p->lo, p->hi);
		break;
	case PT_NUM:
		if (!json_is_number(v)) {
			stix_error(x, path, "must be a number");
			break;
		}
		if (p->lo < p->hi && (json_number_value(v) < p->lo || json_number_value(v) > p->hi))
			stix_error(x, path, "%g is out of range %g to %g", json_number_value(v), p->lo, p->hi);
		break;
	case PT_BOOL:
		if (!json_is_boolean(v))
			stix_error(x, path, "must be true or false");
		break;
	case PT_REF:
		check_ref(x, path, v, p->set);
		break;
	case PT_DICT:
		if (!json_is_object(v) || json_object_size(v) == 0) {
			stix_error(x, path, "must be a non-empty dictionary");
			break;
		}
		{
			const char *k;
			json_t *dv;
			json_object_foreach((json_t *)v, k, dv) {
				snprintf(pp, sizeof(pp), "%s.%s", path, k);
				if (!dict_key_ok(k))
					stix_error(x, pp, "a dictionary key has 1-250 characters of a-z, A-Z, 0-9, '-' and '_'");
			}
		}
		break;
	case PT_HASHES:
		check_hashes(x, path, v);
		break;
	case PT_STRS:
	case PT_OVS:
	case PT_REFS:
	case PT_KCP:
	case PT_LIST:
		if (!json_is_array(v) || json_array_size(v) == 0) {
			stix_error(x, path, "must be a non-empty list");
			break;
		}
		if (p->type == PT_KCP) {
			check_kcp(x, path, v);
			break;
		}
		if (p->type == PT_LIST) {
			if (strcmp(p->name, "external_references") == 0)
				check_external_refs(x, path, v);
			else if (strcmp(p->name, "granular_markings") == 0)
				check_granular(x, path, v);
			break;
		}
		json_array_foreach(v, i, e) {
			snprintf(pp, sizeof(pp), "%s[%zu]", path, i);
			if (p->type == PT_REFS)
				check_ref(x, pp, e, p->set);
			else
				check_string_v(x, p, pp, e);
		}
		break;
	case PT_ANY:
	default:
		break;
	}
}

/* ---- objects ---- */

static const char *const predefined_exts[] = { "archive-ext", "ntfs-ext", "pdf-ext", "raster-image-ext",
	"windows-pebinary-ext", "http-request-ext", "icmp-ext", "socket-ext", "tcp-ext", "windows-process-ext",
	"windows-service-ext", "unix-account-ext", NULL };

/* The extensions property (section 7.3): which extension types the object uses. */
struct ext_use {
	const char *defines; /* "new-sdo", "new-sco" or "new-sro" when an extension defines the type */
	bool toplevel;       /* a toplevel-property-extension may add properties without x_ */
};

static void check_extensions(stix_ctx *x, const json_t *o, const stix_type *t, struct ext_use *u)
{
	const json_t *ex = json_object_get(o, "extensions");
	const char *k;
	json_t *v;
	char pp[200];
	memset(u, 0, sizeof(*u));
	if (!json_is_object(ex))
		return;
	json_object_foreach((json_t *)ex, k, v) {
		snprintf(pp, sizeof(pp), "extensions.%s", k);
		if (!json_is_object(v)) {
			stix_error(x, pp, "an extension must be a dictionary");
			continue;
		}
		const json_t *etv = json_object_get(v, "extension_type");
		if (strncmp(k, "extension-definition--", 22) == 0) {
			if (!stix_is_id(k, "extension-definition")) {
				stix_error(x, pp, "not an extension-definition identifier");
				continue;
			}
			const char *et = json_string_value(etv);
			if (etv && !stix_in(et, en_extension_type)) {
				stix_error(x, pp, "extension_type must be new-sdo, new-sco, new-sro, property-extension or "
						  "toplevel-property-extension");
				continue;
			}
			if (et && strncmp(et, "new-", 4) == 0) {
				if (t)
					stix_error(x, pp, "%s is a type of the specification; an extension cannot define it again",
						t->name);
				u->defines = et;
			}
			if (et && strcmp(et, "toplevel-property-extension") == 0)
				u->toplevel = true;
		} else if (stix_in(k, predefined_exts)) {
			const stix_type *sco = t && t->kind == SK_SCO ? t : NULL;
			stix_sco_check_extension(x, sco, k, pp, v);
		} else {
			stix_warn(x, pp, "extension keys should be an extension-definition id or a predefined extension name");
		}
	}
}

static void check_custom_prop_name(stix_ctx *x, const char *k, bool toplevel, bool custom_type)
{
	size_t n = strlen(k);
	bool ok = n >= 3 && n <= 250;
	for (size_t i = 0; ok && i < n; i++)
		ok = islower((unsigned char)k[i]) || isdigit((unsigned char)k[i]) || k[i] == '_';
	if (!ok) {
		stix_error(x, k, "not a property of this object; a custom property name has 3-250 characters of a-z, 0-9 "
				 "and '_'");
		return;
	}
	if (!toplevel && !custom_type && strncmp(k, "x_", 2) != 0)
		stix_warn(x, k, "not a property of this object; custom properties should start with x_ (or be defined by a "
				"toplevel-property-extension)");
}

/* Section 7.2.3.1: a selector names a property (or list item) actually present in the marked object:
 * keys and [N] list indexes, joined by '.'. */
static bool selector_ok(const json_t *o, const char *sel)
{
	const json_t *cur = o;
	char seg[256];
	const char *p = sel;
	if (!*sel)
		return false;
	for (;;) {
		size_t n = strcspn(p, ".");
		if (n == 0 || n >= sizeof(seg))
			return false;
		memcpy(seg, p, n);
		seg[n] = 0;
		if (seg[0] == '[' && seg[n - 1] == ']') {
			char *end;
			long idx = strtol(seg + 1, &end, 10);
			if (end != seg + n - 1 || n < 3 || idx < 0 || !json_is_array(cur) || (size_t)idx >= json_array_size(cur))
				return false;
			cur = json_array_get(cur, (size_t)idx);
		} else {
			if (!json_is_object(cur) || !(cur = json_object_get(cur, seg)))
				return false;
		}
		if (!p[n])
			return true;
		p += n + 1;
	}
}

static void check_selectors(stix_ctx *x, const json_t *o)
{
	size_t i, j;
	json_t *g, *sel;
	char pp[64];
	json_array_foreach(json_object_get(o, "granular_markings"), i, g) {
		snprintf(pp, sizeof(pp), "granular_markings[%zu]", i);
		json_array_foreach(json_object_get(g, "selectors"), j, sel) {
			const char *s = json_string_value(sel);
			if (s && !selector_ok(o, s))
				stix_error(x, pp, "selector '%s' does not name a property present in this object", s);
		}
	}
}

static bool in_props(const stix_prop *ps, const char *k)
{
	for (const stix_prop *p = ps; p->name; p++)
		if (strcmp(p->name, k) == 0)
			return true;
	return false;
}

static void check_object(stix_ctx *x, const json_t *o, size_t idx, bool in_bundle)
{
	const char *type, *id;
	const stix_type *t;
	struct ext_use eu;
	char tb[256];

	snprintf(x->who, sizeof(x->who), "objects[%zu]", idx);
	if (!json_is_object(o)) {
		stix_error(x, "", "a STIX object must be a JSON object");
		return;
	}
	type = stix_str(o, "type");
	id = stix_str(o, "id");
	if (id && stix_is_id(id, NULL))
		snprintf(x->who, sizeof(x->who), "%s", id);
	if (!type) {
		stix_error(x, "type", "required (a string)");
		return;
	}
	if (!type_name_ok(type, strlen(type))) {
		stix_error(x, "type", "'%s' is not a type name (3-250 characters of a-z, 0-9 and '-')", type);
		return;
	}
	if (strcmp(type, "bundle") == 0) {
		stix_error(x, "type", "a bundle cannot be an object of a bundle");
		return;
	}
	if (!id)
		stix_error(x, "id", "required (a string)");
	else if (!stix_is_id(id, NULL))
		stix_error(x, "id", "'%s' is not '%s--<uuid>' (an RFC 4122 UUID)", id, type);
	else if (strcmp(id_type(id, tb, sizeof(tb)), type) != 0)
		stix_error(x, "id", "'%s' does not start with the object's type '%s--'", id, type);

	t = stix_type_find(type);
	check_extensions(x, o, t, &eu);

	/* what the object is: a type of the specification, one an extension defines, or a custom object */
	int kind;
	if (t)
		kind = t->kind;
	else if (eu.defines)
		kind = strcmp(eu.defines, "new-sco") == 0 ? SK_SCO : strcmp(eu.defines, "new-sro") == 0 ? SK_SRO : SK_SDO;
	else {
		/* section 11.2: a custom object; one with created/modified is an SDO-like object, else a custom observable */
		kind = json_object_get(o, "created") || json_object_get(o, "modified") ? SK_SDO : SK_SCO;
		if (strncmp(type, "x-", 2) != 0)
			stix_warn(x, "type", "'%s' is not a type of STIX 2.1; a custom type should start with x- (or be defined "
					   "by an extension-definition)", type);
		else
			stix_warn(x, "type", "custom objects are deprecated in STIX 2.1; use an extension-definition");
	}
	const stix_prop *common = kind == SK_SCO ? common_sco : (t && strcmp(type, "marking-definition") == 0) ? common_marking
															   : common_sdo;
	/* required common properties, then every property present */
	for (const stix_prop *p = common; p->name; p++) {
		const json_t *v = json_object_get(o, p->name);
		if (!v && p->required && strcmp(p->name, "id") != 0 && strcmp(p->name, "type") != 0)
			stix_error(x, p->name, "required");
		else if (v && strcmp(p->name, "type") != 0 && strcmp(p->name, "id") != 0)
			stix_check_value(x, p, p->name, v);
	}
	const char *sv = stix_str(o, "spec_version");
	if (json_object_get(o, "spec_version") && (!sv || strcmp(sv, "2.1") != 0))
		stix_error(x, "spec_version", "must be \"2.1\" (this validator checks STIX 2.1)");
	if (kind != SK_SCO && strcmp(type, "marking-definition") != 0)
		order(x, o, "created", "modified", false);
	if (kind != SK_SCO) {
		static const char *const tsk[] = { "created", "modified", NULL };
		for (size_t i = 0; tsk[i]; i++) {
			const char *s = stix_str(o, tsk[i]);
			stix_time tm;
			if (s && stix_time_parse(s, strlen(s), &tm) && tm.ndigits < 3)
				stix_warn(x, tsk[i], "should be given to at least the millisecond");
		}
	}
	if (id && stix_is_id(id, NULL)) {
		char v = id[strlen(id) - 36 + 14];
		if (kind == SK_SCO && t && v != '5')
			stix_warn(x, "id", "an SCO id should be a UUIDv5 (deterministic)");
		else if (kind != SK_SCO && v != '4')
			stix_warn(x, "id", "an SDO, SRO or meta object id should be a UUIDv4");
	}
	if (t) {
		for (const stix_prop *p = t->props; p->name; p++) {
			const json_t *v = json_object_get(o, p->name);
			if (!v && p->required)
				stix_error(x, p->name, "required");
			else if (v)
				stix_check_value(x, p, p->name, v);
		}
	}
	/* every other property is a custom one */
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (strcmp(k, "type") == 0 || strcmp(k, "id") == 0 || (t && stix_prop_find(t, k)) || in_props(common, k))
			continue;
		check_custom_prop_name(x, k, eu.toplevel, !t);
		if (json_is_null(v))
			stix_error(x, k, "must not be null");
		else if (json_is_array(v) && json_array_size(v) == 0)
			stix_error(x, k, "an empty list is not allowed; leave the property out");
		else if (json_is_object(v) && json_object_size(v) == 0)
			stix_error(x, k, "an empty dictionary is not allowed; leave the property out");
	}
	check_selectors(x, o);
	if (t && strcmp(t->name, "marking-definition") == 0 && json_object_get(o, "modified"))
		stix_warn(x, "modified", "marking definitions are not versioned (no modified)");
	if (t && t->hook)
		t->hook(x, o);
	(void)in_bundle;
}

/* Check a list of objects: each one, then what joins them. */
static void check_list(stix_ctx *x, const json_t *objs, bool in_bundle)
{
	size_t i;
	json_t *o;
	json_array_foreach(objs, i, o) {
		check_object(x, o, i, in_bundle);
		if (x->rc)
			return;
	}
	/* the same object twice (same id and modified) is one version given twice */
	for (i = 1; i < json_array_size(objs) && i < 5000; i++) {
		const json_t *a = json_array_get(objs, i);
		const char *ida = stix_str(a, "id");
		if (!ida)
			continue;
		for (size_t j = 0; j < i; j++) {
			const json_t *b = json_array_get(objs, j);
			const char *idb = stix_str(b, "id"), *ma = stix_str(a, "modified"), *mb = stix_str(b, "modified");
			if (idb && strcmp(ida, idb) == 0 && ((!ma && !mb) || (ma && mb && strcmp(ma, mb) == 0))) {
				snprintf(x->who, sizeof(x->who), "%s", ida);
				stix_warn(x, "", "the same object (id and modified) appears twice in the list");
				break;
			}
		}
	}
}

static parley_code finish(stix_ctx *x)
{
	if (x->rc)
		return x->rc;
	return x->rep->errors ? PARLEY_E_FORMAT : PARLEY_OK;
}

parley_code parley_stix_check(const json_t *doc, unsigned flags, parley_stix_report *rep)
{
	stix_ctx x = { flags, rep, PARLEY_OK, "document" };
	size_t before = rep->errors;
	const char *type = stix_str(doc, "type"), *id = stix_str(doc, "id");

	if (!json_is_object(doc)) {
		stix_error(&x, "", "a STIX document must be a JSON object");
		return finish(&x);
	}
	if (!type || strcmp(type, "bundle") != 0) {
		/* a single object */
		check_object(&x, doc, 0, false);
		if (x.rc)
			return x.rc;
		return rep->errors > before ? PARLEY_E_FORMAT : PARLEY_OK;
	}
	snprintf(x.who, sizeof(x.who), "%s", id && stix_is_id(id, "bundle") ? id : "bundle");
	if (!id)
		stix_error(&x, "id", "required");
	else if (!stix_is_id(id, "bundle"))
		stix_error(&x, "id", "'%s' is not 'bundle--<uuid>'", id);
	const json_t *bsv = json_object_get(doc, "spec_version");
	if (bsv && !(json_is_string(bsv) && strcmp(json_string_value(bsv), "2.1") == 0))
		stix_error(&x, "spec_version", "a STIX 2.1 bundle has no spec_version (\"%s\" is not STIX 2.1 content)",
			json_is_string(bsv) ? json_string_value(bsv) : "?");
	else if (bsv)
		stix_warn(&x, "spec_version", "a STIX 2.1 bundle has no spec_version property");
	const json_t *objs = json_object_get(doc, "objects");
	if (objs && (!json_is_array(objs) || json_array_size(objs) == 0))
		stix_error(&x, "objects", "must be a non-empty list (or left out)");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)doc, k, v) {
		if (strcmp(k, "type") == 0 || strcmp(k, "id") == 0 || strcmp(k, "objects") == 0 ||
			strcmp(k, "spec_version") == 0)
			continue;
		check_custom_prop_name(&x, k, false, false);
	}
	if (json_is_array(objs))
		check_list(&x, objs, true);
	if (x.rc)
		return x.rc;
	return rep->errors > before ? PARLEY_E_FORMAT : PARLEY_OK;
}

parley_code parley_stix_check_objects(const json_t *objects, unsigned flags, parley_stix_report *rep)
{
	stix_ctx x = { flags, rep, PARLEY_OK, "objects" };
	size_t before = rep->errors;
	if (!json_is_array(objects)) {
		stix_error(&x, "", "objects must be a list");
		return finish(&x);
	}
	check_list(&x, objects, false);
	if (x.rc)
		return x.rc;
	return rep->errors > before ? PARLEY_E_FORMAT : PARLEY_OK;
}

static parley_code first_error(parley_code rc, const parley_stix_report *rep, parley_err *err)
{
	if (rc == PARLEY_E_NOMEM)
		return parley_fail(err, PARLEY_E_NOMEM, "STIX: out of memory while validating");
	for (size_t i = 0; i < rep->n; i++) {
		const parley_stix_problem *p = &rep->problems[i];
		if (p->is_warning)
			continue;
		if (p->property[0])
			return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: %s: %s", p->id, p->property, p->message);
		return parley_fail(err, PARLEY_E_FORMAT, "STIX %s: %s", p->id, p->message);
	}
	return rc ? parley_fail(err, PARLEY_E_FORMAT, "STIX: invalid") : PARLEY_OK;
}

parley_code parley_stix_validate(const json_t *bundle, parley_err *err)
{
	parley_stix_report rep;
	parley_code rc;
	const char *type = stix_str(bundle, "type");
	if (!json_is_object(bundle) || !type || strcmp(type, "bundle") != 0)
		return parley_fail(err, PARLEY_E_FORMAT, "STIX: not a bundle (\"type\": \"bundle\")");
	parley_stix_report_init(&rep);
	rc = parley_stix_check(bundle, 0, &rep);
	rc = first_error(rc, &rep, err);
	parley_stix_report_release(&rep);
	return rc;
}

parley_code parley_stix_validate_objects(const json_t *objects, parley_err *err)
{
	parley_stix_report rep;
	parley_code rc;
	parley_stix_report_init(&rep);
	rc = parley_stix_check_objects(objects, 0, &rep);
	rc = first_error(rc, &rep, err);
	parley_stix_report_release(&rep);
	return rc;
}
