/*
 * stix.h - validation of STIX 2.1 content before it is sent: the bundle's
 * shape, each object's common properties, the properties STIX requires for
 * the object types parley carries, TLP marking definitions by their standard
 * ids, and the STIX patterning grammar for indicators with pattern_type "stix".
 */
#ifndef PARLEY_STIX_H
#define PARLEY_STIX_H

#include <jansson.h>
#include "parley/err.h"

/* PARLEY_OK, or PARLEY_E_FORMAT naming the object id (or index) and the reason. */
parley_code parley_stix_validate(const json_t *bundle, parley_err *err) PARLEY_WUR;

/* Check a STIX pattern's syntax. PARLEY_E_FORMAT with the position on failure. */
parley_code parley_stix_pattern_check(const char *pattern, parley_err *err) PARLEY_WUR;

#endif
