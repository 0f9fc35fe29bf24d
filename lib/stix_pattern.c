/*
 * stix_pattern.c - the STIX 2.1 patterning language (part 9): a tokenizer
 * and recursive-descent parser for the grammar (observation expressions with
 * AND, OR, FOLLOWEDBY and qualifiers; comparison expressions with every
 * operator, NOT, EXISTS, sets; string escapes; int, float, bool, binary, hex
 * and timestamp literals; comments and whitespace), then what the text says
 * beyond the grammar: operand types per property of the standard SCO types,
 * object paths that exist, the same object type across AND, IP operands of
 * ISSUBSET/ISSUPERSET, WITHIN and REPEATS positive, START before STOP, and
 * that a MATCHES operand is a regular expression PCRE accepts (compiled with
 * libpcre2, never matched: compiling is bounded, matching hostile input is not).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "stix_internal.h"
#include "banned.h"

enum tok {
	T_END, T_ERR, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_COLON, T_DOT, T_COMMA, T_STAR,
	T_EQ, T_NEQ, T_LT, T_LE, T_GT, T_GE,
	T_STRING, T_INT, T_FLOAT, T_BIN, T_HEX, T_TS, T_BOOL, T_IDENT,
	T_AND, T_OR, T_NOT, T_FOLLOWEDBY, T_LIKE, T_MATCHES, T_ISSUPERSET, T_ISSUBSET, T_LAST, T_EXISTS, T_IN,
	T_START, T_STOP, T_SECONDS, T_WITHIN, T_REPEATS, T_TIMES,
};

static const struct {
	const char *word;
	enum tok t;
} keywords[] = {
	{ "AND", T_AND }, { "OR", T_OR }, { "NOT", T_NOT }, { "FOLLOWEDBY", T_FOLLOWEDBY }, { "LIKE", T_LIKE },
	{ "MATCHES", T_MATCHES }, { "ISSUPERSET", T_ISSUPERSET }, { "ISSUBSET", T_ISSUBSET }, { "LAST", T_LAST },
	{ "EXISTS", T_EXISTS }, { "IN", T_IN }, { "START", T_START }, { "STOP", T_STOP }, { "SECONDS", T_SECONDS },
	{ "WITHIN", T_WITHIN }, { "REPEATS", T_REPEATS }, { "TIMES", T_TIMES }, { "true", T_BOOL },
	{ "false", T_BOOL },
};

typedef struct pat {
	const char *s, *p; /* text and read position */
	enum tok t;        /* current token */
	const char *ts;    /* its text */
	size_t tn;
	bool neg;          /* a number token with '-' */
	bool hyphen;       /* an identifier with '-' */
	char why[200];
	char warn[200]; /* the first SHOULD-level finding */
	int depth;
} pat;

static bool fail(pat *x, const char *at, const char *fmt, ...) PARLEY_PRINTF(3, 4);

static bool fail(pat *x, const char *at, const char *fmt, ...)
{
	if (!x->why[0]) {
		char m[160];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(m, sizeof(m), fmt, ap);
		va_end(ap);
		snprintf(x->why, sizeof(x->why), "%s at offset %ld", m, (long)(at - x->s));
	}
	return false;
}

/* Whitespace of the grammar's WS rule (ASCII and the Unicode spaces, in UTF-8), and comments. */
static size_t space_len(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	if (*u == ' ' || *u == '\t' || *u == '\r' || *u == '\n' || *u == '\v' || *u == '\f')
		return 1;
	if (u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x80 && ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
		return 3;
	if (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
		return 3;
	if (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

static bool skip(pat *x)
{
	for (;;) {
		size_t n = space_len(x->p);
		if (n) {
			x->p += n;
		} else if (x->p[0] == '/' && x->p[1] == '*') {
			const char *e = strstr(x->p + 2, "*/");
			if (!e)
				return fail(x, x->p, "unterminated comment");
			x->p = e + 2;
		} else if (x->p[0] == '/' && x->p[1] == '/') {
			while (*x->p && *x->p != '\n' && *x->p != '\r')
				x->p++;
		} else {
			return true;
		}
	}
}

/* A quoted body from x->p (at the quote): returns false on a bad escape or no end. */
static bool quoted(pat *x)
{
	const char *q = x->p++;
	while (*x->p && *x->p != '\'') {
		if (*x->p == '\\') {
			if (x->p[1] != '\'' && x->p[1] != '\\')
				return fail(x, x->p, "bad escape in a string (only \\' and \\\\)");
			x->p++;
		}
		x->p++;
	}
	if (*x->p != '\'')
		return fail(x, q, "unterminated string");
	x->p++;
	return true;
}

/* The grammar's BinaryLiteral: at least one group of four base64 characters (the last may be padded). */
static bool b64_ok(const char *s, size_t n)
{
	return n > 0 && stix_base64_ok(s, n);
}

static void next(pat *x)
{
	x->neg = x->hyphen = false;
	if (!skip(x)) {
		x->t = T_ERR;
		return;
	}
	const char *p = x->p;
	x->ts = p;
	unsigned char c = (unsigned char)*p;
	if (!c) {
		x->t = T_END;
		x->tn = 0;
		return;
	}
	static const char singles[] = "[]():.,*";
	static const enum tok stoks[] = { T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_COLON, T_DOT, T_COMMA, T_STAR };
	const char *sp = strchr(singles, c);
	if (sp) {
		x->t = stoks[sp - singles];
		x->p++;
		goto done;
	}
	if (c == '=') {
		x->p += p[1] == '=' ? 2 : 1;
		x->t = T_EQ;
		goto done;
	}
	if (c == '!' && p[1] == '=') {
		x->p += 2;
		x->t = T_NEQ;
		goto done;
	}
	if (c == '<') {
		x->t = p[1] == '=' ? T_LE : p[1] == '>' ? T_NEQ : T_LT;
		x->p += x->t == T_LT ? 1 : 2;
		goto done;
	}
	if (c == '>') {
		x->t = p[1] == '=' ? T_GE : T_GT;
		x->p += x->t == T_GT ? 1 : 2;
		goto done;
	}
	if (c == '\'') {
		x->t = quoted(x) ? T_STRING : T_ERR;
		goto done;
	}
	if ((c == 't' || c == 'h' || c == 'b') && p[1] == '\'') {
		x->p++;
		if (!quoted(x)) {
			x->t = T_ERR;
			return;
		}
		const char *body = p + 2;
		size_t n = (size_t)(x->p - body - 1);
		if (c == 'h') {
			for (size_t i = 0; i < n; i++)
				if (!isxdigit((unsigned char)body[i])) {
					fail(x, p, "bad hex literal");
					x->t = T_ERR;
					return;
				}
			if (n % 2) {
				fail(x, p, "a hex literal has pairs of hex digits");
				x->t = T_ERR;
				return;
			}
			x->t = T_HEX;
		} else if (c == 'b') {
			if (!b64_ok(body, n)) {
				fail(x, p, "bad binary (base64) literal");
				x->t = T_ERR;
				return;
			}
			x->t = T_BIN;
		} else {
			stix_time tm;
			if (!stix_time_parse(body, n, &tm)) {
				fail(x, p, "bad timestamp literal (t'YYYY-MM-DDTHH:MM:SS[.s+]Z', a real date)");
				x->t = T_ERR;
				return;
			}
			x->t = T_TS;
		}
		goto done;
	}
	if (isdigit(c) || ((c == '-' || c == '+') && (isdigit((unsigned char)p[1]) || p[1] == '.')) || (c == '.' && isdigit((unsigned char)p[1]))) {
		const char *q = p;
		if (*q == '-' || *q == '+') {
			x->neg = *q == '-';
			q++;
		}
		const char *d = q;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q == '.') {
			q++;
			if (!isdigit((unsigned char)*q)) {
				fail(x, p, "bad number");
				x->t = T_ERR;
				return;
			}
			while (isdigit((unsigned char)*q))
				q++;
			x->t = T_FLOAT;
		} else {
			if (d[0] == '0' && q - d > 1) {
				fail(x, p, "an integer has no leading zeros");
				x->t = T_ERR;
				return;
			}
			x->t = T_INT;
		}
		x->p = q;
		goto done;
	}
	if (isalpha(c) || c == '_') {
		const char *q = p;
		while (isalnum((unsigned char)*q) || *q == '_' || *q == '-') {
			if (*q == '-')
				x->hyphen = true;
			q++;
		}
		x->p = q;
		x->t = T_IDENT;
		for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strlen(keywords[i].word) == (size_t)(q - p) && strncmp(keywords[i].word, p, (size_t)(q - p)) == 0)
				x->t = keywords[i].t;
		goto done;
	}
	fail(x, p, "unexpected character '%c'", isprint(c) ? c : '?');
	x->t = T_ERR;
	return;
done:
	x->tn = (size_t)(x->p - x->ts);
}

/* ---- object paths ---- */

struct path {
	char type[256];
	const stix_type *sco;     /* a standard SCO type, or NULL */
	const stix_prop *leaf;    /* the property when the path is one step into a standard SCO */
	char first[128];          /* the first property name */
	char second[128];         /* the key after it, when it is a plain key step */
	int steps;                /* path components after the first */
};

static const char *const sco_common[] = { "type", "id", "spec_version", "object_marking_refs", "granular_markings",
	"defanged", "extensions", NULL };

static void unquote(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	if (n >= 2 && s[0] == '\'') {
		s++;
		n -= 2;
	}
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		out[k++] = s[i];
	}
	out[k] = 0;
}

/* Bounds on a MATCHES operand: its length, and how deep its groups nest (PCRE2's own default is 250). */
#define REGEX_MAX_LEN 32768u
#define REGEX_MAX_NEST 64u

/*
 * A MATCHES operand (the string literal at ts, tn bytes with its quotes) is a regular expression in PCRE
 * syntax (STIX 2.1 section 9.6): compiled with libpcre2, in UTF mode unless the property is binary or hex
 * (then its bytes are matched, not characters). The compiled code is thrown away: nothing is matched here.
 * A failure names PCRE2's reason and the offset in the pattern of the character it stopped at; an operand
 * beyond what parley compiles (REGEX_MAX_LEN, REGEX_MAX_NEST, PCRE2's compiled size) is refused as such,
 * not called invalid.
 */
static bool regex_check(pat *x, const struct path *pa, const char *ts, size_t tn)
{
	const char *body = ts + 1;
	size_t blen = tn >= 2 ? tn - 2 : 0, k = 0;
	char *rx;
	int ecode;
	PCRE2_SIZE eoff = 0;
	PCRE2_UCHAR emsg[120];
	pcre2_compile_context *cc;
	pcre2_code *code;
	uint32_t opts = PCRE2_UTF;

	if (blen > REGEX_MAX_LEN)
		return fail(x, ts, "MATCHES: a regular expression longer than %u bytes is beyond what parley checks",
			REGEX_MAX_LEN);
	if (!(rx = malloc(blen + 1)))
		return fail(x, ts, "MATCHES: out of memory");
	for (size_t i = 0; i < blen; i++) {
		if (body[i] == '\\' && i + 1 < blen)
			i++;
		rx[k++] = body[i];
	}
	rx[k] = 0;
	if (pa->leaf && pa->leaf->type == PT_HEX)
		opts = 0;
	if (!(cc = pcre2_compile_context_create(NULL))) {
		free(rx);
		return fail(x, ts, "MATCHES: out of memory");
	}
	pcre2_set_parens_nest_limit(cc, REGEX_MAX_NEST);
	code = pcre2_compile((PCRE2_SPTR)rx, k, opts, &ecode, &eoff, cc);
	pcre2_compile_context_free(cc);
	free(rx);
	if (code) {
		pcre2_code_free(code);
		return true;
	}
	if (pcre2_get_error_message(ecode, emsg, sizeof(emsg)) < 0)
		snprintf((char *)emsg, sizeof(emsg), "error %d", ecode);
	/* eoff counts the operand's bytes after unescaping: back to where that byte is in the pattern */
	const char *at = body;
	for (size_t n = 0; n < eoff && at < body + blen; n++)
		at += at[0] == '\\' && at + 1 < body + blen ? 2 : 1;
	if (ecode == PCRE2_ERROR_PATTERN_TOO_LARGE || ecode == PCRE2_ERROR_PARENTHESES_NEST_TOO_DEEP ||
		ecode == PCRE2_ERROR_PATTERN_TOO_COMPLICATED || ecode == PCRE2_ERROR_HEAP_FAILED)
		return fail(x, at, "MATCHES: a regular expression beyond what parley checks (%s)", (const char *)emsg);
	return fail(x, at, "MATCHES: not a valid PCRE regular expression: %s", (const char *)emsg);
}

static bool object_path(pat *x, struct path *pa)
{
	const char *start = x->ts;
	memset(pa, 0, sizeof(*pa));
	if (x->t != T_IDENT)
		return fail(x, x->ts, "expected an object type");
	if (x->tn >= sizeof(pa->type))
		return fail(x, x->ts, "object type too long");
	memcpy(pa->type, x->ts, x->tn);
	pa->type[x->tn] = 0;
	size_t tl = strlen(pa->type);
	bool tok = tl >= 3 && tl <= 250;
	for (size_t i = 0; tok && i < tl; i++)
		tok = islower((unsigned char)pa->type[i]) || isdigit((unsigned char)pa->type[i]) || pa->type[i] == '-';
	if (!tok)
		return fail(x, start, "'%s' is not an object type (3-250 characters of a-z, 0-9 and '-')", pa->type);
	const stix_type *t = stix_type_find(pa->type);
	if (t && t->kind != SK_SCO)
		return fail(x, start, "'%s' is not a cyber-observable type; patterns match observables", pa->type);
	pa->sco = t;
	next(x);
	if (x->t != T_COLON)
		return fail(x, x->ts, "expected ':' after the object type");
	next(x);
	if (x->t == T_IDENT && !x->hyphen) {
		unquote(x->ts, x->tn, pa->first, sizeof(pa->first));
	} else if (x->t == T_STRING) {
		unquote(x->ts, x->tn, pa->first, sizeof(pa->first));
	} else {
		return fail(x, x->ts, "expected a property name");
	}
	const char *first_at = x->ts;
	next(x);
	for (;;) {
		if (x->t == T_DOT) {
			next(x);
			if (!((x->t == T_IDENT && !x->hyphen) || x->t == T_STRING))
				return fail(x, x->ts, "expected a property name after '.'");
			if (pa->steps == 0)
				unquote(x->ts, x->tn, pa->second, sizeof(pa->second));
			pa->steps++;
			next(x);
		} else if (x->t == T_LBRACK) {
			next(x);
			if (x->t != T_INT && x->t != T_STAR)
				return fail(x, x->ts, "expected an index or '*'");
			next(x);
			if (x->t != T_RBRACK)
				return fail(x, x->ts, "expected ']'");
			pa->steps++;
			next(x);
		} else {
			break;
		}
	}
	if (pa->sco) {
		const stix_prop *pr = stix_prop_find(pa->sco, pa->first);
		if (!pr && !stix_in(pa->first, sco_common) && strncmp(pa->first, "x_", 2) != 0)
			return fail(x, first_at, "%s has no property '%s'", pa->type, pa->first);
		if (pr && pa->steps == 0)
			pa->leaf = pr;
		/* following a reference: the next key must be a property of a type it may point to */
		if (pr && pr->type == PT_REF && pr->set && pa->second[0] && !stix_in(pa->second, sco_common) &&
			strncmp(pa->second, "x_", 2) != 0) {
			bool found = false;
			for (size_t i = 0; pr->set[i]; i++) {
				const stix_type *tt = stix_sco_find(pr->set[i]);
				if (!tt || stix_prop_find(tt, pa->second))
					found = true;
			}
			if (!found)
				return fail(x, first_at, "%s.%s: no type %s may refer to has a property '%s'", pa->type, pa->first,
					pa->first, pa->second);
		}
	}
	return true;
}

/* ---- comparisons ---- */

static bool is_literal(enum tok t)
{
	return t == T_STRING || t == T_INT || t == T_FLOAT || t == T_BIN || t == T_HEX || t == T_TS || t == T_BOOL;
}

/* Does a literal fit the property's type? NULL when it does (or the property is not known), else why not. */
static const char *operand_problem(const struct path *pa, enum tok lit, const char *ts, size_t tn)
{
	const stix_prop *p = pa->leaf;
	char v[512];
	if (pa->sco && pa->steps == 1 && lit == T_STRING && strcmp(pa->first, "hashes") == 0) {
		unquote(ts, tn, v, sizeof(v));
		return stix_hash_problem(pa->second, v);
	}
	if (!p)
		return NULL;
	switch (p->type) {
	case PT_STR:
	case PT_OV:
	case PT_ENUM:
	case PT_URL:
		if (lit != T_STRING)
			return "a string property needs a string literal";
		if (strcmp(p->name, "value") == 0) {
			unquote(ts, tn, v, sizeof(v));
			if (strcmp(pa->type, "ipv4-addr") == 0 && !stix_ipv4_ok(v, true))
				return "not an IPv4 address or CIDR block";
			if (strcmp(pa->type, "ipv6-addr") == 0 && !stix_ipv6_ok(v, true))
				return "not an IPv6 address or CIDR block";
		}
		return NULL;
	case PT_INT:
	case PT_NUM:
		if (lit == T_INT || (lit == T_FLOAT && p->type == PT_NUM))
			return NULL;
		if (lit == T_STRING) {
			/* MISP writes ports as '443': a number in a string is a SHOULD-level finding, anything else an error */
			unquote(ts, tn, v, sizeof(v));
			char *end;
			if (v[0] && (strtod(v, &end), *end == 0))
				return "";
		}
		return p->type == PT_INT ? "an integer property needs an integer literal" : "a number property needs a number literal";
	case PT_BOOL:
		return lit == T_BOOL ? NULL : "a boolean property needs true or false";
	case PT_TS:
		if (lit == T_STRING) {
			/* STIX 2.0 wrote timestamps as strings */
			stix_time tm;
			unquote(ts, tn, v, sizeof(v));
			if (stix_time_parse(v, strlen(v), &tm))
				return "";
		}
		return lit == T_TS ? NULL : "a timestamp property needs a t'...' literal";
	case PT_BIN:
		/* a string literal stands for its UTF-8 bytes */
		return lit == T_BIN || lit == T_HEX || lit == T_STRING ? NULL
								     : "a binary property needs a b'...', h'...' or string literal";
	case PT_HEX:
		return lit == T_HEX || lit == T_STRING ? NULL : "a hex property needs an h'...' or string literal";
	default:
		return NULL;
	}
}

/* "" from operand_problem: a string literal holding the property's value (a SHOULD-level finding). */
static bool operand_warn(pat *x, const struct path *pa, const char *why)
{
	if (*why)
		return false;
	if (!x->warn[0])
		snprintf(x->warn, sizeof(x->warn), "%s:%s should be compared with a %s literal, not a string, at offset %ld",
			pa->type, pa->first, pa->leaf && pa->leaf->type == PT_TS ? "t'...'" : "number", (long)(x->ts - x->s));
	return true;
}

/* The object type of a comparison expression: one type, or "" when it mixes types (across OR). */
/*
 * The object types a comparison expression can be satisfied by (section 9.5, errata: every operand of a
 * comparison AND must be satisfiable by one type of object): OR joins the sets, AND intersects them.
 */
#define TSET_MAX 16
typedef struct tset {
	const char *t[TSET_MAX]; /* into the pattern text */
	size_t n[TSET_MAX];
	int count;
	bool any; /* too many to track: no check */
} tset;

static bool tset_has(const tset *a, const char *t, size_t n)
{
	for (int i = 0; i < a->count; i++)
		if (a->n[i] == n && strncmp(a->t[i], t, n) == 0)
			return true;
	return false;
}

static void tset_add(tset *a, const char *t, size_t n)
{
	if (a->any || tset_has(a, t, n))
		return;
	if (a->count == TSET_MAX) {
		a->any = true;
		return;
	}
	a->t[a->count] = t;
	a->n[a->count++] = n;
}

static void tset_union(tset *a, const tset *b)
{
	a->any = a->any || b->any;
	for (int i = 0; i < b->count; i++)
		tset_add(a, b->t[i], b->n[i]);
}

static void tset_intersect(tset *a, const tset *b)
{
	if (b->any)
		return;
	if (a->any) {
		*a = *b;
		return;
	}
	tset r = { .count = 0 };
	for (int i = 0; i < a->count; i++)
		if (tset_has(b, a->t[i], a->n[i]))
			tset_add(&r, a->t[i], a->n[i]);
	*a = r;
}

static bool comp_or(pat *x, tset *types);

static bool prop_test(pat *x, tset *types)
{
	struct path pa;
	if (x->t == T_LPAREN) {
		const char *at = x->ts;
		if (++x->depth > 64)
			return fail(x, at, "nested too deeply");
		next(x);
		if (!comp_or(x, types))
			return false;
		if (x->t != T_RPAREN)
			return fail(x, x->ts, "expected ')'");
		x->depth--;
		next(x);
		return true;
	}
	if (x->t == T_NOT && strncmp(x->p + strspn(x->p, " \t\r\n"), "EXISTS", 6) == 0)
		next(x); /* NOT EXISTS */
	memset(types, 0, sizeof(*types));
	const char *tat = x->ts;
	size_t tlen = x->tn;
	if (x->t == T_EXISTS) {
		next(x);
		tat = x->ts;
		tlen = x->tn;
		if (!object_path(x, &pa))
			return false;
		tset_add(types, tat, tlen);
		return true;
	}
	if (!object_path(x, &pa))
		return false;
	tset_add(types, tat, tlen);
	if (x->t == T_NOT)
		next(x);
	enum tok op = x->t;
	const char *opat = x->ts;
	if (op == T_EQ || op == T_NEQ || op == T_LT || op == T_LE || op == T_GT || op == T_GE) {
		next(x);
		if (!is_literal(x->t))
			return x->t == T_ERR ? false : fail(x, x->ts, "expected a literal");
		if (op != T_EQ && op != T_NEQ && x->t == T_BOOL)
			return fail(x, x->ts, "true and false cannot be ordered");
		const char *why = operand_problem(&pa, x->t, x->ts, x->tn);
		if (why && !operand_warn(x, &pa, why))
			return fail(x, x->ts, "%s:%s: %s", pa.type, pa.first, why);
		next(x);
		return true;
	}
	if (op == T_IN) {
		next(x);
		if (x->t != T_LPAREN)
			return fail(x, x->ts, "expected '(' after IN");
		next(x);
		if (x->t == T_RPAREN) {
			next(x);
			return true;
		}
		for (;;) {
			if (!is_literal(x->t))
				return x->t == T_ERR ? false : fail(x, x->ts, "expected a literal in the set");
			const char *why = operand_problem(&pa, x->t, x->ts, x->tn);
			if (why && !operand_warn(x, &pa, why))
				return fail(x, x->ts, "%s:%s: %s", pa.type, pa.first, why);
			next(x);
			if (x->t == T_RPAREN)
				break;
			if (x->t != T_COMMA)
				return fail(x, x->ts, "expected ',' or ')' in the set");
			next(x);
		}
		next(x);
		return true;
	}
	if (op == T_LIKE || op == T_MATCHES || op == T_ISSUBSET || op == T_ISSUPERSET) {
		next(x);
		if (x->t != T_STRING)
			return x->t == T_ERR ? false : fail(x, x->ts, "expected a string literal");
		if (op == T_ISSUBSET || op == T_ISSUPERSET) {
			char v[256];
			unquote(x->ts, x->tn, v, sizeof(v));
			if (!stix_ipv4_ok(v, true) && !stix_ipv6_ok(v, true))
				return fail(x, x->ts, "ISSUBSET and ISSUPERSET compare IP addresses or CIDR blocks");
			if (pa.sco && strcmp(pa.type, "ipv4-addr") != 0 && strcmp(pa.type, "ipv6-addr") != 0 &&
				strcmp(pa.type, "network-traffic") != 0)
				return fail(x, opat, "ISSUBSET and ISSUPERSET apply to IP address properties");
		} else if (pa.leaf && pa.leaf->type != PT_STR && pa.leaf->type != PT_OV && pa.leaf->type != PT_URL &&
			   pa.leaf->type != PT_ENUM && pa.leaf->type != PT_HEX) {
			return fail(x, opat, "%s:%s: LIKE and MATCHES apply to string properties", pa.type, pa.first);
		}
		if (op == T_MATCHES && !regex_check(x, &pa, x->ts, x->tn))
			return false;
		next(x);
		return true;
	}
	if (op == T_ERR)
		return false;
	return fail(x, opat, "expected a comparison operator");
}

static bool comp_and(pat *x, tset *types)
{
	tset t2;
	const char *at = x->ts;
	if (!prop_test(x, types))
		return false;
	while (x->t == T_AND) {
		next(x);
		if (!prop_test(x, &t2))
			return false;
		tset_intersect(types, &t2);
		if (!types->any && types->count == 0)
			return fail(x, at, "the comparisons joined by AND cannot all be about one object: they name different "
					   "object types");
	}
	return true;
}

static bool comp_or(pat *x, tset *types)
{
	tset t2;
	if (!comp_and(x, types))
		return false;
	while (x->t == T_OR) {
		next(x);
		if (!comp_and(x, &t2))
			return false;
		tset_union(types, &t2);
	}
	return true;
}

/* ---- observation expressions ---- */

static bool obs_seq(pat *x, int level);

static bool qualifiers(pat *x)
{
	for (;;) {
		if (x->t == T_WITHIN) {
			next(x);
			if (x->t != T_INT && x->t != T_FLOAT)
				return fail(x, x->ts, "expected WITHIN <number> SECONDS");
			if (x->neg || strtod(x->ts, NULL) <= 0)
				return fail(x, x->ts, "WITHIN needs a positive number of seconds");
			next(x);
			if (x->t != T_SECONDS)
				return fail(x, x->ts, "expected SECONDS");
			next(x);
		} else if (x->t == T_REPEATS) {
			next(x);
			if (x->t != T_INT || x->neg)
				return fail(x, x->ts, "expected REPEATS <positive integer> TIMES");
			if (strtod(x->ts, NULL) <= 0)
				return fail(x, x->ts, "REPEATS needs a positive integer");
			next(x);
			if (x->t != T_TIMES)
				return fail(x, x->ts, "expected TIMES");
			next(x);
		} else if (x->t == T_START) {
			stix_time a, b;
			next(x);
			if (x->t != T_TS)
				return x->t == T_ERR ? false : fail(x, x->ts, "expected START t'...'");
			stix_time_parse(x->ts + 2, x->tn - 3, &a);
			next(x);
			if (x->t != T_STOP)
				return fail(x, x->ts, "expected STOP after START");
			next(x);
			if (x->t != T_TS)
				return x->t == T_ERR ? false : fail(x, x->ts, "expected a t'...' after STOP");
			stix_time_parse(x->ts + 2, x->tn - 3, &b);
			if (stix_time_cmp(&b, &a) <= 0)
				return fail(x, x->ts, "STOP must be later than START");
			next(x);
		} else {
			return true;
		}
	}
}

static bool obs_primary(pat *x)
{
	tset type;
	const char *at = x->ts;
	if (++x->depth > 64)
		return fail(x, at, "nested too deeply");
	if (x->t == T_LBRACK) {
		next(x);
		if (!comp_or(x, &type))
			return false;
		if (x->t != T_RBRACK)
			return x->t == T_ERR ? false : fail(x, x->ts, "expected ']'");
		next(x);
	} else if (x->t == T_LPAREN) {
		next(x);
		if (!obs_seq(x, 0))
			return false;
		if (x->t != T_RPAREN)
			return x->t == T_ERR ? false : fail(x, x->ts, "expected ')'");
		next(x);
	} else {
		return x->t == T_ERR ? false : fail(x, x->ts, "expected '[' or '('");
	}
	x->depth--;
	return qualifiers(x);
}

/* FOLLOWEDBY binds loosest, then OR, then AND (the grammar's observationExpressions). */
static bool obs_seq(pat *x, int level)
{
	static const enum tok ops[] = { T_FOLLOWEDBY, T_OR, T_AND };
	if (level == 3)
		return obs_primary(x);
	if (!obs_seq(x, level + 1))
		return false;
	while (x->t == ops[level]) {
		next(x);
		if (!obs_seq(x, level + 1))
			return false;
	}
	return true;
}

bool stix_pattern_run(const char *pattern, char *why, size_t why_n, char *warn, size_t warn_n)
{
	pat x;
	memset(&x, 0, sizeof(x));
	x.s = x.p = pattern;
	next(&x);
	if (obs_seq(&x, 0) && x.t != T_END && x.t != T_ERR)
		fail(&x, x.ts, "unexpected text");
	snprintf(why, why_n, "%s", x.why);
	snprintf(warn, warn_n, "%s", x.warn);
	return x.why[0] == 0;
}

parley_code parley_stix_pattern_check(const char *pattern, parley_err *err)
{
	char why[200], warn[200];
	if (!pattern)
		return parley_fail(err, PARLEY_E_FORMAT, "pattern: missing");
	if (!stix_pattern_run(pattern, why, sizeof(why), warn, sizeof(warn)))
		return parley_fail(err, PARLEY_E_FORMAT, "pattern: %s", why);
	return PARLEY_OK;
}
