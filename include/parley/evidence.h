/* evidence.h - evidence that a relay lied (G4), as a node writes it and anyone checks it offline. */
#ifndef PARLEY_EVIDENCE_H
#define PARLEY_EVIDENCE_H

#include "parley/err.h"
#include "parley/util.h"

/*
 * Check an evidence file that a node wrote when it caught the relay: the
 * charter, both checkpoints signed by its relay, and whether they contradict
 * each other cryptographically. PARLEY_OK, with what they prove in report, only
 * for two different trees of one size, or a consistency proof (from a size of
 * at least 1) that verifies from a prefix root other than the smaller
 * checkpoint's to the larger one's (the file's prefix_root, or the one the proof
 * carries). Anything else (a rollback, a proof that does not verify, the empty
 * tree, malformed input) is PARLEY_E_VERIFY with a message "not a proof: ..."
 * saying what it is, and nothing in report.
 */
parley_code parley_evidence_check(const char *text, size_t n, parley_buf *report, parley_err *err) PARLEY_WUR;

#endif
