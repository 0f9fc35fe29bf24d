/*
 * misp.h - MISP events in and MISP feeds out: a MISP event in the MISP core format
 * (draft-dulaunoy-misp-core-format, {"Event": {...}}) to a STIX 2.1 bundle with the
 * mapping choices of MISP's own STIX 2.1 export (README "MISP"), and the STIX content
 * of a channel's threads back to MISP events, written as a MISP feed (manifest.json,
 * one UUID.json per thread, hashes.csv).
 */
#ifndef PARLEY_MISP_H
#define PARLEY_MISP_H

#include <stdint.h>
#include <jansson.h>

#include "parley/err.h"
#include "parley/node.h"
#include "parley/util.h"

#define PARLEY_MISP_EVENT_MAX ((size_t)1 << 20) /* bytes of one MISP event file */
#define PARLEY_MISP_ITEMS_MAX 10000             /* attributes and objects of one event */

/*
 * Convert a MISP event to a STIX 2.1 bundle (a new reference in *bundle, which
 * parley_stix_validate accepts). Attributes of types that have no STIX mapping are
 * kept as note objects and listed in *unknown (a new JSON array of "TYPE: VALUE"
 * strings; may be empty). PARLEY_E_FORMAT naming the attribute when the event is
 * not a MISP event; PARLEY_E_LIMIT beyond PARLEY_MISP_ITEMS_MAX.
 */
parley_code parley_misp_to_stix(const json_t *event, json_t **bundle, json_t **unknown, parley_err *err) PARLEY_WUR;

/* Parse a MISP event file's text (at most PARLEY_MISP_EVENT_MAX bytes) and convert it, as above. */
parley_code parley_misp_parse(const char *text, size_t len, json_t **bundle, json_t **unknown,
	parley_err *err) PARLEY_WUR;

/*
 * A MISP event (its "Event" member's content: uuid, info, date, timestamp, Attribute,
 * Object, Tag) from STIX objects (an array): MISP's own labels (misp:type=, misp:name=,
 * misp:category=, misp:to_ids=) when present, else the pattern or observable mapped back.
 * *event is a new reference {"Event": {...}}.
 */
parley_code parley_misp_from_stix(const json_t *objects, const char *uuid, const char *info, uint64_t date_ms,
	json_t **event, parley_err *err) PARLEY_WUR;

/*
 * One file of the MISP feed of the threads of channel (NULL: every joined channel)
 * that carry STIX content this node can read: "manifest.json", "hashes.csv" or
 * "UUID.json". out is replaced. PARLEY_E_NOTFOUND for any other name.
 */
parley_code parley_misp_feed_file(parley_node *n, const uint8_t *channel, const char *file, parley_buf *out,
	parley_err *err) PARLEY_WUR;

typedef struct parley_misp_feed_report {
	uint64_t events, added, updated, unchanged;
} parley_misp_feed_report;

/*
 * Write the feed into dir (created 0700 when missing), incrementally: an event is
 * rewritten only when its content changed, manifest.json and hashes.csv keep the
 * events already there (by uuid: never twice).
 */
parley_code parley_misp_feed_write(parley_node *n, const uint8_t *channel, const char *dir,
	parley_misp_feed_report *rep, parley_err *err) PARLEY_WUR;

#endif
