#!/bin/sh
# parley stix validate: the STIX 2.1 validator on the command line, offline, with no home; notify and reply use it too.
. "$(dirname "$0")/lib.sh"
S="$SRCDIR/tests/stix"
export HOME="$T/no-such-home"
unset PARLEY_HOME

# valid content of every kind is accepted: bundles, one object, a TAXII envelope, standard input
for f in "$S"/valid/*.json; do
	p 0 stix validate "$f"
	has_out "valid"
done
p 0 stix validate "$S/valid/attack-enterprise.json" "$S/valid/misp-export.json"
"$PARLEY" stix validate - <"$S/valid/apt-report.json" >out 2>err || fail "stdin"
has_out "^-: valid"

# MISP's extension definitions and ATT&CK's statement marking and x-mitre-* objects are valid; --strict only warns
p 0 stix validate --strict "$S/valid/attack-enterprise.json"
has_out "warning: custom objects are deprecated"
has_out "valid ("
p 0 stix validate --strict "$S/valid/misp-export.json"

# a broken bundle: exit 1, one line per problem, OBJECT-ID: PROPERTY: problem
p 1 stix validate "$S/invalid/confidence-101.json"
has_out "^tool--[0-9a-f-]*: confidence: 101 is out of range 0 to 100$"
has_out "invalid (1 error)"
p 1 stix validate "$S/invalid/tlp-wrong-colour.json"
has_out "^marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da: definition: this is the standard TLP:GREEN marking"
p 1 stix validate "$S/invalid/pattern-12.json"
has_out "pattern: the comparisons joined by AND cannot all be about one object"
# several files: each line names its file; one bad file fails the run
p 1 stix validate "$S/valid/apt-report.json" "$S/invalid/hash-md5-length.json"
has_out "invalid/hash-md5-length.json: file--[0-9a-f-]*: hashes.MD5: an MD5 hash is 32 hex digits"

# --json
p 1 stix validate --json "$S/invalid/port-too-big.json"
has_out '"valid": false'
has_out '"property": "dst_port"'
has_out '"severity": "error"'
p 0 stix validate --json --strict "$S/valid/custom-content.json"
has_out '"valid": true'
has_out '"severity": "warning"'

# not JSON, duplicate keys, a missing file: exit 1 with the reason
printf '{"type": "bundle",' >broken.json
p 1 stix validate broken.json
has_out "broken.json: invalid"
printf '{"type":"bundle","type":"bundle","id":"bundle--6b4c7d2e-3f1a-4e5b-9c8d-0a1b2c3d4e5f"}' >dup.json
p 1 stix validate dup.json
p 1 stix validate no-such-file.json

# usage errors: exit 2
p 2 stix
p 2 stix validate
p 2 stix validate --frobnicate x.json
p 2 stix check x.json
p 0 stix validate --help
has_out "OBJECT-ID: PROPERTY: problem"
p 0 stix --help

# notify --stix and reply --stix use the same validator (it runs before the node is opened)
p 1 --home "$T/h" notify --to cert-b --category c --stix "$S/invalid/sighting-of-sco.json"
has_err "STIX sighting--[0-9a-f-]*: sighting_of_ref: must refer to an SDO"
p 1 --home "$T/h" notify --to cert-b --category c --stix "$S/valid/attack-enterprise.json"
grep -q "STIX" err && fail "notify refused valid ATT&CK content: $(cat err)"
p 1 --home "$T/h" notify --to cert-b --category c --stix "$S/valid/misp-export.json"
grep -q "STIX" err && fail "notify refused valid MISP content: $(cat err)"
p 1 --home "$T/h" reply 1 --stix "$S/invalid/timestamp-feb-30.json"
has_err "STIX tool--[0-9a-f-]*: created: '2026-02-30T10:00:00Z' is not a timestamp"
done_ok
