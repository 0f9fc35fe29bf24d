/*
 * stix.h - validation of STIX 2.1 content (OASIS Standard with its errata):
 * the bundle, every SDO, SRO, SCO and meta object section by section (required
 * properties, property types and ranges, reference target types, observable
 * value syntax, TLP and statement markings, extension definitions and the
 * types and properties they define, custom objects and properties), and the
 * STIX patterning grammar for indicators with pattern_type "stix".
 *
 * What the specification says MUST is an error; what it says SHOULD is
 * accepted, and reported as a warning only with PARLEY_STIX_STRICT.
 * Every entry point here uses the same validator: notify --stix, reply --stix,
 * 'parley stix validate', the TAXII and MISP paths.
 */
#ifndef PARLEY_STIX_H
#define PARLEY_STIX_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "parley/err.h"

/* Flags of parley_stix_check / parley_stix_check_objects. */
#define PARLEY_STIX_STRICT 0x1u /* report SHOULD-level findings as warnings */

/* At most this many problems are recorded; past it, report->truncated is set. */
#define PARLEY_STIX_MAX_PROBLEMS 1000

/* One finding. Strings are NUL-terminated and truncated to fit. */
typedef struct parley_stix_problem {
	char id[320];       /* the object's id, "bundle--…", or "objects[N]" when it has no usable id */
	char property[160]; /* the property path ("created", "hashes.SHA-256", "pattern"), "" for the object */
	char message[320];  /* lower case, names the reason */
	bool is_warning;    /* a SHOULD (only with PARLEY_STIX_STRICT); false: a MUST that fails */
} parley_stix_problem;

/* Every finding of one check. Initialise with parley_stix_report_init, free with parley_stix_report_release. */
typedef struct parley_stix_report {
	parley_stix_problem *problems; /* in document order */
	size_t n, cap;
	size_t errors, warnings; /* counts, including any past the cap */
	bool truncated;          /* more than PARLEY_STIX_MAX_PROBLEMS findings */
} parley_stix_report;

void parley_stix_report_init(parley_stix_report *rep);
void parley_stix_report_release(parley_stix_report *rep);

/*
 * Check a STIX document: a bundle ({"type": "bundle", ...}) or a single STIX
 * object. Every problem goes into rep (which the caller initialised; findings
 * are appended). Returns PARLEY_OK when there is no error (warnings allowed),
 * PARLEY_E_FORMAT when there is at least one, PARLEY_E_NOMEM when the report
 * could not grow (what was found so far stays in rep).
 */
parley_code parley_stix_check(const json_t *doc, unsigned flags, parley_stix_report *rep) PARLEY_WUR;

/*
 * Check a bare list of STIX objects (a TAXII 2.1 envelope's "objects"), with
 * the same rules as the objects of a bundle, including references between
 * them and duplicate id/modified pairs. An empty list is valid here (an
 * envelope may be empty). Returns as parley_stix_check.
 */
parley_code parley_stix_check_objects(const json_t *objects, unsigned flags, parley_stix_report *rep) PARLEY_WUR;

/*
 * The first error only, as a parley_err: PARLEY_OK, or PARLEY_E_FORMAT with
 * "STIX OBJECT-ID: PROPERTY: problem". The bundle must be a bundle.
 */
parley_code parley_stix_validate(const json_t *bundle, parley_err *err) PARLEY_WUR;

/* The same for a bare list of objects (a TAXII envelope's "objects"). */
parley_code parley_stix_validate_objects(const json_t *objects, parley_err *err) PARLEY_WUR;

/*
 * Check a STIX pattern: the patterning grammar (STIX 2.1 part 9) and what it
 * says beyond the grammar (operand types, WITHIN and REPEATS positive, START
 * before STOP, object paths that exist for the standard SCO types, MATCHES
 * operands that libpcre2 compiles: compiled only, never matched). PARLEY_OK,
 * or PARLEY_E_FORMAT with the offset and reason.
 */
parley_code parley_stix_pattern_check(const char *pattern, parley_err *err) PARLEY_WUR;

#endif
