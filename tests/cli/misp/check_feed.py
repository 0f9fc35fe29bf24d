#!/usr/bin/env python3
"""check_feed.py FEED_DIR EVENT_UUID SOURCE.json...: every attribute (type, value) and every object
(name, relation, type, value) of the source MISP events is in the feed's event; prints what is missing."""
import json, sys

feed, uuid, sources = sys.argv[1], sys.argv[2], sys.argv[3:]
ev = json.load(open(f"{feed}/{uuid}.json"))["Event"]
have_attrs = {(a["type"], a["value"]) for a in ev.get("Attribute", [])}
have_objs = {(o["name"], a["object_relation"], a["type"], a["value"])
             for o in ev.get("Object", []) for a in o.get("Attribute", [])}
missing = []
for src in sources:
    s = json.load(open(src))["Event"]
    for a in s.get("Attribute", []):
        if (a["type"], a["value"]) not in have_attrs:
            missing.append(f"attribute {a['type']} {a['value']!r}")
    for o in s.get("Object", []):
        for a in o["Attribute"]:
            if (o["name"], a["object_relation"], a["type"], a["value"]) not in have_objs:
                missing.append(f"object {o['name']}.{a['object_relation']} ({a['type']}) {a['value']!r}")
if missing:
    print("missing from the feed event:", *missing, sep="\n  ")
    sys.exit(1)
print(f"{len(have_attrs)} attributes, {len(have_objs)} object attributes: all there")
