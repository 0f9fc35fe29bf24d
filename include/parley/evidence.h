/* evidence.h - evidence that a relay lied (G4), as a node writes it and anyone checks it offline. */
#ifndef PARLEY_EVIDENCE_H
#define PARLEY_EVIDENCE_H

#include "parley/err.h"
#include "parley/util.h"

/*
 * Check an evidence file that a node wrote when it caught the relay (kind
 * fork, inconsistent or rollback): the charter, both checkpoints signed by
 * its relay, and what they show, into report. A fork (two trees of one size)
 * is proof by itself; the other kinds are stated with their limits.
 */
parley_code parley_evidence_check(const char *text, size_t n, parley_buf *report, parley_err *err) PARLEY_WUR;

#endif
