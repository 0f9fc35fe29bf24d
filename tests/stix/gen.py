#!/usr/bin/env python3
"""gen.py - writes parley's own STIX 2.1 test corpus: tests/stix/valid/*.json (bundles of every kind the
OASIS example set has, MISP- and ATT&CK-shaped exports, every SDO, SRO, SCO and meta object) and
tests/stix/invalid/*.json (one-rule mutations of a valid bundle) with tests/stix/invalid/EXPECT
("FILE<TAB>text the first error must contain"). The files are committed; run this only to regenerate them.
"""
import copy
import json
import os
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
_n = [0]


def u4(tag):
    """A stable UUIDv4-shaped id from a tag."""
    h = uuid.uuid5(NS, "parley-stix-" + tag).hex
    h = h[:12] + "4" + h[13:16] + "a" + h[17:]
    return str(uuid.UUID(h))


def sid(t, tag):
    return "%s--%s" % (t, u4(t + tag))


def scoid(t, value):
    return "%s--%s" % (t, uuid.uuid5(uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7"), t + value))


TS = "2026-03-01T10:00:00.000Z"
TLP = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}


def tlp(colour):
    return {"type": "marking-definition", "spec_version": "2.1", "id": TLP[colour],
            "created": "2017-01-20T00:00:00.000Z", "definition_type": "tlp",
            "name": "TLP:" + colour.upper(), "definition": {"tlp": colour}}


def sdo(t, tag, **props):
    o = {"type": t, "spec_version": "2.1", "id": sid(t, tag), "created": TS, "modified": TS}
    o.update(props)
    return o


def sco(t, value=None, **props):
    o = {"type": t, "id": scoid(t, value if value is not None else json.dumps(props, sort_keys=True))}
    if value is not None:
        o["value"] = value
    o.update(props)
    return o


def rel(src, rtype, tgt, tag=None):
    return sdo("relationship", tag or (src["id"] + rtype + tgt["id"]), relationship_type=rtype,
               source_ref=src["id"], target_ref=tgt["id"])


def bundle(tag, objs):
    return {"type": "bundle", "id": "bundle--" + u4("bundle" + tag), "objects": objs}


def ind(tag, pattern, **kw):
    return sdo("indicator", tag, pattern=pattern, pattern_type="stix", valid_from=TS, **kw)


CERT = sdo("identity", "cert", name="CERT-A", identity_class="organization", sectors=["government-national"])

valid = {}

# --- kinds of the OASIS example set, written anew ---
ta = sdo("threat-actor", "apt", name="Lantern Panda", threat_actor_types=["nation-state"], aliases=["LP"],
         roles=["agent"], sophistication="advanced", resource_level="government",
         primary_motivation="organizational-gain", first_seen="2020-01-01T00:00:00Z",
         last_seen="2026-01-01T00:00:00Z", created_by_ref=CERT["id"], object_marking_refs=[TLP["amber"]])
iset = sdo("intrusion-set", "apt", name="Lantern Group", goals=["steal documents"], first_seen="2020-01-01T00:00:00Z")
mw = sdo("malware", "rat", name="PaperLamp", is_family=True, malware_types=["remote-access-trojan"],
         capabilities=["communicates-with-c2"], implementation_languages=["c++"],
         architecture_execution_envs=["x86-64"])
ap = sdo("attack-pattern", "spear", name="Spear phishing", external_references=[
    {"source_name": "capec", "external_id": "CAPEC-163", "url": "https://capec.mitre.org/data/definitions/163.html"}],
    kill_chain_phases=[{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}])
i_ip = ind("c2ip", "[ipv4-addr:value = '198.51.100.7'] OR [ipv6-addr:value = '2001:db8::7']",
           indicator_types=["malicious-activity"], name="PaperLamp C2")
rep = sdo("report", "apt", name="Lantern Panda report", report_types=["threat-report"], published=TS,
          object_refs=[ta["id"], iset["id"], mw["id"], ap["id"], i_ip["id"]], created_by_ref=CERT["id"],
          object_marking_refs=[TLP["amber"]])
valid["apt-report"] = bundle("apt", [CERT, tlp("amber"), ta, iset, mw, ap, i_ip, rep,
                                     rel(iset, "attributed-to", ta), rel(ta, "uses", mw), rel(ta, "uses", ap),
                                     rel(i_ip, "indicates", mw)])

camp = sdo("campaign", "op", name="Operation Paper Moon", objective="credentials", first_seen="2025-01-01T00:00:00Z",
           last_seen="2025-06-01T00:00:00Z")
valid["campaign-and-threat-actors"] = bundle("camp", [camp, ta, iset, rel(camp, "attributed-to", ta),
                                                      rel(camp, "attributed-to", iset), rel(iset, "attributed-to", ta)])

coa = sdo("course-of-action", "block", name="Block the C2 addresses at the perimeter",
          description="Add 198.51.100.7 to the deny list.")
valid["course-of-action-block-traffic"] = bundle("coa", [coa, i_ip, rel(coa, "mitigates", i_ip)])

valid["file-hash-reputation"] = bundle("rep", [
    ind("good", "[file:hashes.'SHA-256' = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c']",
        indicator_types=["benign"], name="known good installer"),
    ind("bad", "[file:hashes.MD5 = '3773a88f65a5e780c8dff9cdc3a056f3']", indicator_types=["malicious-activity"],
        confidence=85)])

loc = sdo("location", "cap", name="Capital", region="eastern-asia", country="CN")
persona = sdo("identity", "persona", name="Wang X.", identity_class="individual", roles=["operator"])
valid["threat-actor-profile"] = bundle("prof", [ta, persona, loc, rel(ta, "attributed-to", persona),
                                               rel(ta, "located-at", loc), rel(persona, "located-at", loc)])

valid["indicator-for-c2-ip-address"] = bundle("c2", [i_ip, mw, rel(i_ip, "indicates", mw)])
i_url = ind("url", "[url:value = 'http://paper-lamp.example/login.php']", indicator_types=["malicious-activity"],
            kill_chain_phases=[{"kill_chain_name": "mandiant-attack-lifecycle-model", "phase_name": "initial-compromise"}])
valid["indicator-for-malicious-url"] = bundle("url", [i_url])
valid["indicator-to-campaign-relationship"] = bundle("i2c", [camp, i_url, rel(i_url, "indicates", camp)])
infra = sdo("infrastructure", "c2", name="PaperLamp C2 servers", infrastructure_types=["command-and-control"])
coa2 = sdo("course-of-action", "dns", name="Sinkhole the C2 domains")
i_dom = ind("dom", "[domain-name:value = 'c2.paper-lamp.example' OR domain-name:value = 'xn--80ak6aa92e.example']")
valid["indicators-for-c2-with-coa"] = bundle("c2coa", [infra, i_ip, i_dom, coa2, rel(i_ip, "indicates", infra),
                                                      rel(i_dom, "indicates", infra), rel(coa2, "mitigates", i_dom)])
valid["object-marking-single-object"] = sdo("campaign", "marked", name="Spear phishing wave", created_by_ref=CERT["id"],
                                            external_references=[{"source_name": "capec", "external_id": "CAPEC-163"}],
                                            object_marking_refs=[TLP["red"]])
kc = [sdo("attack-pattern", "kc%d" % i, name=n, kill_chain_phases=[{"kill_chain_name": "lockheed-martin-cyber-kill-chain",
                                                                      "phase_name": p}])
      for i, (n, p) in enumerate([("Scan", "reconnaissance"), ("Build dropper", "weaponization"),
                                   ("Send mail", "delivery"), ("Exploit reader", "exploitation"),
                                   ("Install implant", "installation"), ("Beacon", "command-and-control"),
                                   ("Exfiltrate", "actions-on-objectives")])]
valid["kill-chain"] = bundle("kc", kc)
valid["indicator-kill-chain-phase"] = bundle("ikc", [ind("kcp", "[file:name = 'invoice.pdf.exe']", kill_chain_phases=[
    {"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}])])
valid["malicious-email-with-attachment"] = bundle("mail", [ind(
    "mail", "[email-message:from_ref.value MATCHES '.+@paper-lamp\\\\.example$' AND "
            "email-message:body_multipart[*].body_raw_ref.name LIKE 'invoice%.exe']", name="phishing mail")])
sw = sco("software", None, name="Windows", vendor="Microsoft", version="10", cpe="cpe:2.3:o:microsoft:windows_10:-:*:*:*:*:*:*:*")
sample = sco("file", None, name="lamp.exe", hashes={"SHA-256": "b" * 64}, size=73728)
ma = sdo("malware-analysis", "sbx", product="sandbox-one", version="3.1", result="malicious",
         operating_system_ref=sw["id"], sample_ref=sample["id"], analysis_started="2026-03-01T09:00:00Z",
         analysis_ended="2026-03-01T09:05:00Z")
valid["malware-characterization"] = bundle("maec", [mw, sw, sample, ma, rel(ma, "analysis-of", mw),
                                                   sdo("malware", "variant", name="PaperLamp v2", is_family=False,
                                                       sample_refs=[sample["id"]], operating_system_refs=[sw["id"]])])
valid["malware-indicator-for-file-hash"] = bundle("mfh", [mw, ind("fh", "[file:hashes.'SHA-1' = '%s']" % ("a" * 40)),
                                                         rel(ind("fh", "[file:hashes.'SHA-1' = '%s']" % ("a" * 40)),
                                                             "indicates", mw)])
upper = sdo("indicator", "UP", pattern="[file:name = 'poison.exe']", pattern_type="stix", valid_from=TS)
upper["id"] = upper["id"].upper().replace("INDICATOR", "indicator")
valid["poison-ivy-report"] = bundle("pi", [CERT, mw, upper, rel(upper, "indicates", mw),
                                           sdo("report", "pi", name="Poison", published=TS,
                                               object_refs=[mw["id"], upper["id"]], report_types=["malware"])])
valid["sighting-of-an-indicator"] = bundle("sig", [CERT, i_ip, sdo("sighting", "s1", sighting_of_ref=i_ip["id"],
                                                                  where_sighted_refs=[CERT["id"]], count=3,
                                                                  first_seen="2026-03-01T08:00:00Z",
                                                                  last_seen="2026-03-01T08:30:00Z")])
ip = sco("ipv4-addr", "198.51.100.7")
od = sdo("observed-data", "od", first_observed="2026-03-01T08:00:00Z", last_observed="2026-03-01T08:00:00Z",
         number_observed=5, object_refs=[ip["id"]])
valid["sighting-of-observed-data"] = bundle("sod", [CERT, i_ip, ip, od, sdo(
    "sighting", "s2", sighting_of_ref=i_ip["id"], observed_data_refs=[od["id"]], where_sighted_refs=[CERT["id"]],
    summary=False)])
valid["threat-actor-attack-patterns-and-malware"] = bundle("tapm", [ta, ap, mw, rel(ta, "uses", ap),
                                                                  rel(ta, "uses", mw), rel(ap, "uses", mw, "apm")])
valid["granular-markings"] = bundle("gm", [tlp("green"), tlp("red"), sdo(
    "indicator", "gm", name="granular", description="details", pattern="[file:name = 'x.dll']", pattern_type="stix",
    valid_from=TS, lang="en",
    granular_markings=[{"selectors": ["description"], "marking_ref": TLP["red"]},
                       {"selectors": ["name", "pattern"], "marking_ref": TLP["green"]},
                       {"selectors": ["description"], "lang": "de"},
                       {"selectors": ["external_references.[0].url"], "marking_ref": TLP["green"]}],
    external_references=[{"source_name": "acme", "url": "https://acme.example/report/7"}])])
stmt = {"type": "marking-definition", "spec_version": "2.1", "id": sid("marking-definition", "stmt"),
        "created": "2016-08-01T00:00:00.000Z", "definition_type": "statement",
        "definition": {"statement": "Copyright 2026, CERT-A. Share within the channel only."}}
valid["marking-definitions"] = bundle("md", [tlp("white"), tlp("green"), tlp("amber"), tlp("red"), stmt,
                                             sdo("malware", "marked", name="Marked", is_family=True,
                                                 object_marking_refs=[TLP["white"], stmt["id"]])])

# --- beyond the example set ---
valid["observed-data-deprecated-objects"] = bundle("odo", [sdo(
    "observed-data", "odo", first_observed=TS, last_observed=TS, number_observed=1,
    objects={"0": {"type": "ipv4-addr", "value": "203.0.113.9"},
             "1": {"type": "network-traffic", "src_ref": "0", "protocols": ["tcp"], "dst_port": 443}})])
valid["timestamps-by-value"] = bundle("ts", [
    sdo("vulnerability", "ts1", name="CVE-2026-0001", created="2026-03-01T10:00:00.1Z",
        modified="2026-03-01T10:00:00.100000Z",
        external_references=[{"source_name": "cve", "external_id": "CVE-2026-0001"}]),
    sdo("tool", "ts2", name="leap", created="2016-12-31T23:59:60Z", modified="2017-01-01T00:00:00.5Z"),
    sdo("tool", "ts3", name="leap-year", created="2024-02-29T12:00:00Z", modified="2024-02-29T12:00:00.000001Z")])
pats = [
    "[ipv4-addr:value = '198.51.100.0/24']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24'] AND [ipv6-addr:value ISSUPERSET '2001:db8::1']",
    "[file:name NOT IN ('a.exe', 'b.exe') AND NOT EXISTS file:size]",
    "[ file : name == 'spaced.exe' ] /* block comment */ // line comment",
    "[domain-name:value != 'ok.example'] FOLLOWEDBY [url:value LIKE 'https://%/gate.php']",
    "([file:size > 1024] AND [file:size <= 4096]) WITHIN 600 SECONDS",
    "[process:pid = 4] REPEATS 3 TIMES",
    "[network-traffic:dst_port = 443 AND network-traffic:protocols[*] = 'tls'] START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00.5Z'",
    "[artifact:payload_bin = b'aGVsbG8gd29ybGQ=' OR artifact:mime_type = 'text/plain']",
    "[file:magic_number_hex = h'ffd8ffe0']",
    "[x509-certificate:subject = 'CN=it\\'s \\\\ escaped']",
    "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Software\\\\Run' AND windows-registry-key:values[0].name = 'lamp']",
    "[user-account:is_privileged = true AND user-account:account_type = 'unix']",
    "[email-addr:value = 'boss@ministry.example']",
    "[network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:extensions.'http-request-ext'.request_method = 'post']",
    "[file:ctime = t'2026-01-01T00:00:00Z'] WITHIN 1.5 SECONDS",
    "[x-acme-sensor:reading > -3.5]",
    "[(file:name = 'a' OR ipv4-addr:value = '198.51.100.1') AND (file:size = 1 OR ipv4-addr:value = '198.51.100.2')]",
    "[software:name = 'a' OR software:vendor = 'b'] OR ([mutex:name = 'Global\\\\lamp'] AND [autonomous-system:number = 64500])",
]
valid["patterns"] = bundle("pat", [ind("p%d" % i, p) for i, p in enumerate(pats)])

# every SCO, with the predefined extensions
d = sco("directory", None, path="C:\\Users\\Public")
f2 = sco("file", None, name="inner.txt", hashes={"SHA-1": "a" * 40})
art = sco("artifact", None, mime_type="application/zip", payload_bin="UEsDBBQAAAAIAA==",
          hashes={"SHA-256": "c" * 64})
art_url = sco("artifact", None, url="https://files.example/sample.bin", hashes={"MD5": "d" * 32},
              encryption_algorithm="mime-type-indicated", decryption_key="infected")
user = sco("user-account", None, user_id="1001", account_login="lamp", account_type="unix", is_privileged=False,
           extensions={"unix-account-ext": {"gid": 1001, "groups": ["wheel"], "home_dir": "/home/lamp",
                                            "shell": "/bin/sh"}})
fz = sco("file", None, name="bundle.zip", size=1024, parent_directory_ref=d["id"], content_ref=art["id"],
         hashes={"SHA-256": "e" * 64, "SSDEEP": "96:abcDEF+/x:ghiJKL", "TLSH": "T1" + "A" * 70, "x-custom-hash": "zz"},
         extensions={"archive-ext": {"contains_refs": [f2["id"]], "comment": "two files"},
                     "ntfs-ext": {"sid": "S-1-5-21", "alternate_data_streams": [{"name": "Zone.Identifier"}]}})
fpe = sco("file", None, name="lamp.dll", mime_type="application/x-dosexec", magic_number_hex="4D5A",
          extensions={"windows-pebinary-ext": {"pe_type": "dll", "imphash": "f" * 32, "machine_hex": "014c",
                                               "number_of_sections": 4},
                      "pdf-ext": {"version": "1.7"} if False else None})
del fpe["extensions"]["pdf-ext"]
fpdf = sco("file", None, name="lure.pdf", extensions={"pdf-ext": {"version": "1.7", "is_optimized": False,
                                                                 "document_info_dict": {"Title": "Invoice"}}})
fimg = sco("file", None, name="logo.png", extensions={"raster-image-ext": {"image_height": 64, "image_width": 64,
                                                                         "bits_per_pixel": 24}})
ip6 = sco("ipv6-addr", "2001:db8::7")
mac = sco("mac-addr", "00:00:5e:00:53:af")
asn = sco("autonomous-system", None, number=64500, name="Example AS", rir="RIPE")
ip4b = sco("ipv4-addr", "192.0.2.10", belongs_to_refs=[asn["id"]])
dom = sco("domain-name", "c2.paper-lamp.example", resolves_to_refs=[ip4b["id"], ip6["id"]])
idn = sco("domain-name", "bücher.example")
ea = sco("email-addr", "boss@ministry.example", display_name="The Boss", belongs_to_ref=user["id"])
ea2 = sco("email-addr", "\"odd local\"@[192.0.2.1]")
raw = sco("artifact", None, payload_bin="RnJvbTogYm9zcw==")
em = sco("email-message", None, is_multipart=True, date="2026-03-01T07:59:00Z", from_ref=ea["id"], to_refs=[ea["id"]],
         subject="Invoice", received_lines=["from mx.example"], additional_header_fields={"X-Mailer": ["lamp"]},
         raw_email_ref=raw["id"],
         body_multipart=[{"content_type": "text/plain", "body": "see attachment"},
                         {"content_type": "application/zip", "content_disposition": "attachment", "body_raw_ref": fz["id"]}])
em2 = sco("email-message", None, is_multipart=False, body="plain text", subject="Hi")
nt = sco("network-traffic", None, src_ref=ip4b["id"], dst_ref=dom["id"], src_port=49152, dst_port=80,
         protocols=["ipv4", "tcp", "http"], start="2026-03-01T08:00:00Z", end="2026-03-01T08:00:05Z",
         src_byte_count=1200, dst_packets=4, ipfix={"minimumIpTotalLength": 32},
         extensions={"http-request-ext": {"request_method": "get", "request_value": "/gate.php",
                                          "request_header": {"Host": "c2.paper-lamp.example"}},
                     "tcp-ext": {"src_flags_hex": "02"}})
nt2 = sco("network-traffic", None, dst_ref=mac["id"], protocols=["icmp"], is_active=True,
          extensions={"icmp-ext": {"icmp_type_hex": "08", "icmp_code_hex": "00"},
                      "socket-ext": {"address_family": "AF_INET", "socket_type": "SOCK_RAW", "is_listening": False}})
proc = sco("process", None, pid=4242, command_line="lamp.exe -k", cwd="C:\\", image_ref=fpe["id"],
           creator_user_ref=user["id"], opened_connection_refs=[nt["id"]], environment_variables={"path": "C:\\"},
           extensions={"windows-process-ext": {"aslr_enabled": True, "integrity_level": "high", "owner_sid": "S-1-5-18"},
                       "windows-service-ext": {"service_name": "lampsvc", "start_type": "SERVICE_AUTO_START",
                                               "service_type": "SERVICE_WIN32_OWN_PROCESS",
                                               "service_status": "SERVICE_RUNNING", "service_dll_refs": [fpe["id"]]}})
child = sco("process", None, pid=4243, parent_ref=proc["id"])
mutex = sco("mutex", None, name="Global\\lamp")
url = sco("url", "https://paper-lamp.example/gate.php?id=1")
reg = sco("windows-registry-key", None, key="HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Run",
          values=[{"name": "lamp", "data": "C:\\lamp.exe", "data_type": "REG_SZ"}], number_of_subkeys=0,
          modified_time="2026-03-01T08:00:00Z")
x509 = sco("x509-certificate", None, is_self_signed=True, serial_number="01:02", issuer="CN=lamp",
           subject="CN=lamp", validity_not_before="2026-01-01T00:00:00Z", validity_not_after="2027-01-01T00:00:00Z",
           hashes={"SHA-256": "1" * 64}, x509_v3_extensions={"basic_constraints": "CA:TRUE"})
valid["all-observables"] = bundle("sco", [d, f2, art, art_url, user, fz, fpe, fpdf, fimg, ip, ip6, mac, asn, ip4b,
                                          dom, idn, ea, ea2, raw, em, em2, nt, nt2, proc, child, mutex, url, reg,
                                          x509, sw, sample, sco("ipv4-addr", "10.0.0.0/8", defanged=False,
                                                                object_marking_refs=[TLP["green"]]), tlp("green")])

# every SDO, SRO and meta object
note = sdo("note", "n", abstract="triage", content="Seen at two members.", authors=["duty officer"],
           object_refs=[i_ip["id"]])
op = sdo("opinion", "o", opinion="strongly-agree", explanation="confirmed", object_refs=[i_ip["id"]])
grp = sdo("grouping", "g", name="Wave 3", context="suspicious-activity", object_refs=[i_ip["id"], ip["id"]])
inc = sdo("incident", "i", name="Voter-roll server scan", description="scan from 198.51.100.7")
vul = sdo("vulnerability", "v", name="CVE-2025-1234",
          external_references=[{"source_name": "cve", "external_id": "CVE-2025-1234"}])
tool = sdo("tool", "t", name="nmap", tool_types=["information-gathering"], tool_version="7.94")
loc2 = sdo("location", "geo", latitude=48.2, longitude=16.37, precision=1000.0)
loc3 = sdo("location", "reg", region="western-europe")
lc = sdo("language-content", "lc", object_ref=i_ip["id"], object_modified=TS,
         contents={"de": {"name": "PaperLamp-Steuerserver"}, "fr": {"name": "Serveurs C2 de PaperLamp"}})
valid["all-domain-objects"] = bundle("sdo", [CERT, ap, camp, coa, grp, CERT, inc, i_ip, infra, iset, loc, loc2, loc3,
                                             mw, ma, sw, sample, note, od, ip, op, rep, ta, mw, tool, vul, lc,
                                             rel(tool, "targets", vul), rel(infra, "consists-of", ip),
                                             rel(mw, "communicates-with", ip), rel(loc, "related-to", loc2),
                                             rel(mw, "targets", CERT, "mt"), rel(ta, "uses", mw),
                                             iset, ta, tlp("amber"),
                                             sdo("relationship", "times", relationship_type="related-to",
                                                 source_ref=inc["id"], target_ref=ip["id"],
                                                 start_time="2026-03-01T00:00:00Z", stop_time="2026-03-02T00:00:00Z")])
# the same object twice is one version given twice (a SHOULD-level finding), not an error: drop the doubles
seen = set()
valid["all-domain-objects"]["objects"] = [o for o in valid["all-domain-objects"]["objects"]
                                          if not (o["id"] in seen or seen.add(o["id"]))]

# custom objects, custom observables, custom properties
valid["custom-content"] = bundle("cust", [
    sdo("x-acme-playbook", "pb", name="contain", x_acme_steps=["isolate", "image"], x_acme_level=2),
    {"type": "x-acme-sensor", "id": scoid("x-acme-sensor", "s1"), "reading": 12.5},
    sdo("malware", "cust", name="Custom props", is_family=True, x_acme_score=7, x_acme_tags={"a": "b"},
        x_acme_flag=False, x_acme_list=[1, 2])])

# MISP-shaped export: extension definitions, types they define, property extensions
misp_org = sdo("identity", "misp", name="CIRCL", identity_class="organization")
ext_new_sdo = sdo("extension-definition", "misp-sdo", name="MISP attribute note",
                  description="MISP attributes that have no STIX equivalent", created_by_ref=misp_org["id"],
                  schema="https://github.com/MISP/misp-stix/blob/main/extension-definitions/attribute_note/schema.json",
                  version="1.0", extension_types=["new-sdo"])
ext_new_sco = sdo("extension-definition", "misp-sco", name="MISP phone number", created_by_ref=misp_org["id"],
                  schema="https://misp.example/ext/phone.json", version="1.0", extension_types=["new-sco"])
ext_prop = sdo("extension-definition", "misp-prop", name="MISP attribute", created_by_ref=misp_org["id"],
               schema="https://misp.example/ext/attribute.json", version="1.2",
               extension_types=["property-extension", "toplevel-property-extension"],
               extension_properties=["misp_category", "misp_to_ids"])
misp_ind = ind("misp1", "[domain-name:value = 'paper-lamp.example']", indicator_types=["malicious-activity"],
               labels=["misp:type=\"domain\"", "misp:category=\"Network activity\""], created_by_ref=misp_org["id"],
               misp_category="Network activity", misp_to_ids=True,
               extensions={ext_prop["id"]: {"extension_type": "toplevel-property-extension"}})
misp_port = ind("misp2", "[network-traffic:dst_port = '8443' AND network-traffic:dst_ref.type = 'ipv4-addr' AND "
                         "network-traffic:dst_ref.value = '198.51.100.23'] AND [file:mtime = '2020-10-25T16:22:00Z']",
                labels=["misp:type=\"ip-dst|port\""], created_by_ref=misp_org["id"])
misp_note = {"type": "attribute-note", "spec_version": "2.1", "id": sid("attribute-note", "1"), "created": TS,
             "modified": TS, "created_by_ref": misp_org["id"], "value": "free text", "category": "Other",
             "extensions": {ext_new_sdo["id"]: {"extension_type": "new-sdo"}}}
misp_phone = {"type": "phone-number", "spec_version": "2.1", "id": scoid("phone-number", "+43123"),
              "number": "+43 1 23", "extensions": {ext_new_sco["id"]: {"extension_type": "new-sco"}}}
misp_file = sco("file", None, name="dropper.exe", hashes={"MD5": "0" * 32},
                extensions={ext_prop["id"]: {"extension_type": "property-extension", "misp_comment": "from email"}})
misp_od = sdo("observed-data", "misp", first_observed=TS, last_observed=TS, number_observed=1,
              object_refs=[misp_file["id"], misp_phone["id"]], created_by_ref=misp_org["id"],
              x_misp_category="Payload delivery")
misp_grp = sdo("grouping", "misp", name="MISP event 4711: phishing wave", context="suspicious-activity",
               created_by_ref=misp_org["id"], labels=["Threat level: medium"],
               object_refs=[misp_ind["id"], misp_note["id"], misp_od["id"]], object_marking_refs=[TLP["green"]])
valid["misp-export"] = bundle("misp", [misp_org, tlp("green"), ext_new_sdo, ext_new_sco, ext_prop, misp_grp, misp_ind,
                                       misp_port, misp_note, misp_phone, misp_file, misp_od,
                                       sdo("x-misp-object", "obj", name="phone", x_misp_meta_category="misc",
                                           x_misp_attributes=[{"type": "text", "value": "x"}])])

# ATT&CK-shaped export: statement marking, x-mitre-* objects and properties, revoked and deprecated objects
mitre = sdo("identity", "mitre", name="The MITRE Corporation", identity_class="organization",
            object_marking_refs=None)
mitre_stmt = {"type": "marking-definition", "spec_version": "2.1", "id": sid("marking-definition", "mitre"),
              "created": "2017-06-01T00:00:00.000Z", "created_by_ref": None, "definition_type": "statement",
              "definition": {"statement": "Copyright 2015-2026, The MITRE Corporation. MITRE ATT&CK and ATT&CK are registered trademarks of The MITRE Corporation."}}
mitre_stmt["created_by_ref"] = mitre["id"]
mitre["object_marking_refs"] = [mitre_stmt["id"]]
common = {"created_by_ref": mitre["id"], "object_marking_refs": [mitre_stmt["id"]], "x_mitre_version": "1.0",
          "x_mitre_attack_spec_version": "3.2.0", "x_mitre_modified_by_ref": mitre["id"],
          "x_mitre_domains": ["enterprise-attack"]}
tech = sdo("attack-pattern", "t1566", name="Phishing", x_mitre_platforms=["Windows", "Linux"],
           x_mitre_is_subtechnique=False, x_mitre_detection="Monitor mail", x_mitre_data_sources=["Network Traffic: Network Traffic Content"],
           kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
           external_references=[{"source_name": "mitre-attack", "external_id": "T1566",
                                 "url": "https://attack.mitre.org/techniques/T1566"}], **common)
sub = sdo("attack-pattern", "t1566.001", name="Spearphishing Attachment", x_mitre_is_subtechnique=True,
          kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "initial-access"}],
          external_references=[{"source_name": "mitre-attack", "external_id": "T1566.001"}], **common)
tactic = sdo("x-mitre-tactic", "ia", name="Initial Access", x_mitre_shortname="initial-access",
             description="The adversary is trying to get into your network.",
             external_references=[{"source_name": "mitre-attack", "external_id": "TA0001",
                                   "url": "https://attack.mitre.org/tactics/TA0001"}], **common)
matrix = sdo("x-mitre-matrix", "ent", name="Enterprise ATT&CK", tactic_refs=[tactic["id"]],
             external_references=[{"source_name": "mitre-attack", "external_id": "enterprise-attack"}], **common)
dsrc = sdo("x-mitre-data-source", "nt", name="Network Traffic", x_mitre_collection_layers=["Network"], **common)
dcomp = sdo("x-mitre-data-component", "ntc", name="Network Traffic Content", x_mitre_data_source_ref=dsrc["id"], **common)
mitig = sdo("course-of-action", "m1049", name="Antivirus/Antimalware",
            external_references=[{"source_name": "mitre-attack", "external_id": "M1049"}], **common)
group = sdo("intrusion-set", "g0001", name="Axiom", aliases=["Axiom", "Group 72"], **common)
sw_mitre = sdo("malware", "s0001", name="Trojan.Karagany", is_family=True, x_mitre_aliases=["Trojan.Karagany"],
               x_mitre_platforms=["Windows"], **common)
old = sdo("attack-pattern", "old", name="Old technique", revoked=True, x_mitre_deprecated=True, **common)
coll = sdo("x-mitre-collection", "coll", name="Enterprise ATT&CK", description="ATT&CK for Enterprise",
           x_mitre_contents=[{"object_ref": tech["id"], "object_modified": TS}], **common)
valid["attack-enterprise"] = bundle("attack", [mitre, mitre_stmt, coll, tech, sub, tactic, matrix, dsrc, dcomp, mitig,
                                               group, sw_mitre, old,
                                               rel(sub, "subtechnique-of", tech), rel(dcomp, "detects", tech),
                                               rel(group, "uses", tech), rel(group, "uses", sw_mitre),
                                               rel(mitig, "mitigates", tech), rel(old, "revoked-by", tech)])
for o in valid["attack-enterprise"]["objects"]:
    if o["type"] == "relationship":
        o.update({k: v for k, v in common.items() if k in ("created_by_ref", "object_marking_refs", "x_mitre_version",
                                                             "x_mitre_attack_spec_version", "x_mitre_modified_by_ref",
                                                             "x_mitre_domains")})

# a TAXII 2.1 envelope (validated as a list of objects)
valid["taxii-envelope"] = {"more": False, "objects": [i_ip, mw, rel(i_ip, "indicates", mw)]}

# ---------------- mutations: each breaks exactly one rule of a valid bundle ----------------
BASE = valid["all-domain-objects"]
SCOB = valid["all-observables"]


def find(b, pred):
    for i, o in enumerate(b["objects"]):
        if pred(o):
            return i
    raise KeyError


def by_type(b, t, n=0):
    k = 0
    for i, o in enumerate(b["objects"]):
        if o["type"] == t:
            if k == n:
                return i
            k += 1
    raise KeyError(t)


invalid = []  # (name, base, type or index, edit, expected)


def mut(name, base, t, edit, expect, n=0):
    invalid.append((name, base, t, edit, expect, n))


def setp(**kv):
    def f(o):
        for k, v in kv.items():
            o[k] = v
    return f


def delp(*ks):
    def f(o):
        for k in ks:
            o.pop(k, None)
    return f


# the bundle and common properties
mut("bundle-id", BASE, None, lambda b: b.update(id="bundle--1234"), "'bundle--1234' is not 'bundle--<uuid>'")
mut("bundle-spec-version-20", BASE, None, lambda b: b.update(spec_version="2.0"), "\"2.0\" is not STIX 2.1 content")
mut("bundle-empty-objects", BASE, None, lambda b: b.update(objects=[]), "objects: must be a non-empty list")
mut("type-missing", BASE, "tool", delp("type"), "type: required")
mut("type-upper", BASE, "tool", setp(type="Tool"), "'Tool' is not a type name")
mut("id-missing", BASE, "tool", delp("id"), "id: required")
mut("id-wrong-type", BASE, "tool", lambda o: o.update(id=o["id"].replace("tool--", "malware--")), "does not start with the object's type")
mut("id-not-uuid", BASE, "tool", lambda o: o.update(id="tool--1234"), "is not 'tool--<uuid>'")
mut("id-bad-variant", BASE, "tool", lambda o: o.update(id=o["id"][:-17] + "7" + o["id"][-16:]), "an RFC 4122 UUID")
mut("spec-version-missing", BASE, "tool", delp("spec_version"), "spec_version: required")
mut("spec-version-20", BASE, "tool", setp(spec_version="2.0"), "spec_version: must be \"2.1\"")
mut("created-missing", BASE, "tool", delp("created"), "created: required")
mut("modified-missing", BASE, "tool", delp("modified"), "modified: required")
mut("modified-before-created", BASE, "tool", setp(created="2026-03-01T10:00:00.5Z", modified="2026-03-01T10:00:00.499Z"),
    "modified: must be later than or equal to created")
mut("timestamp-month-13", BASE, "tool", setp(created="2026-13-01T10:00:00Z"), "created: '2026-13-01T10:00:00Z' is not a timestamp")
mut("timestamp-feb-30", BASE, "tool", setp(created="2026-02-30T10:00:00Z"), "is not a timestamp")
mut("timestamp-feb-29-not-leap", BASE, "tool", setp(created="2025-02-29T10:00:00Z"), "is not a timestamp")
mut("timestamp-no-z", BASE, "tool", setp(modified="2026-03-01T10:00:00+00:00"), "modified: '2026-03-01T10:00:00+00:00' is not a timestamp")
mut("timestamp-space", BASE, "tool", setp(modified="2026-03-01 10:00:00Z"), "is not a timestamp")
mut("timestamp-empty-fraction", BASE, "tool", setp(modified="2026-03-01T10:00:00.Z"), "is not a timestamp")
mut("timestamp-hour-24", BASE, "tool", setp(modified="2026-03-01T24:00:00Z"), "is not a timestamp")
mut("confidence-101", BASE, "tool", setp(confidence=101), "confidence: 101 is out of range 0 to 100")
mut("confidence-negative", BASE, "tool", setp(confidence=-1), "confidence: -1 is out of range")
mut("confidence-string", BASE, "tool", setp(confidence="high"), "confidence: must be an integer")
mut("labels-empty", BASE, "tool", setp(labels=[]), "labels: must be a non-empty list")
mut("labels-not-strings", BASE, "tool", setp(labels=[1]), "labels[0]: must be a string")
mut("revoked-not-bool", BASE, "tool", setp(revoked="yes"), "revoked: must be true or false")
mut("lang-not-string", BASE, "tool", setp(lang=5), "lang: must be a string")
mut("external-ref-no-source", BASE, "vulnerability", setp(external_references=[{"external_id": "CVE-2025-1234"}]),
    "external_references[0]: an external reference needs a source_name")
mut("external-ref-only-source", BASE, "vulnerability", setp(external_references=[{"source_name": "acme"}]),
    "needs description, url or external_id")
mut("external-ref-bad-cve", BASE, "vulnerability", setp(external_references=[{"source_name": "cve", "external_id": "2025-1234"}]),
    "a cve external_id must be CVE-YYYY-NNNN")
mut("external-ref-bad-capec", BASE, "attack-pattern", setp(external_references=[{"source_name": "capec", "external_id": "163"}]),
    "a capec external_id must be CAPEC-<number>")
mut("external-ref-bad-url", BASE, "vulnerability", setp(external_references=[{"source_name": "acme", "url": "not a url"}]),
    "is not a URL")
mut("marking-ref-to-identity", BASE, "tool", lambda o: o.update(object_marking_refs=[CERT["id"]]),
    "object_marking_refs[0]: must refer to marking-definition")
mut("created-by-ref-to-malware", BASE, "tool", lambda o: o.update(created_by_ref=mw["id"]),
    "created_by_ref: must refer to identity")
mut("created-by-ref-not-id", BASE, "tool", setp(created_by_ref="CERT-A"), "created_by_ref: must be an identifier")
mut("granular-both", BASE, "tool", setp(granular_markings=[{"selectors": ["name"], "marking_ref": TLP["amber"], "lang": "en"}]),
    "exactly one of marking_ref and lang")
mut("granular-no-selectors", BASE, "tool", setp(granular_markings=[{"selectors": [], "marking_ref": TLP["amber"]}]),
    "selectors must be a non-empty list")
mut("granular-ref-to-identity", BASE, "tool", setp(granular_markings=[{"selectors": ["name"], "marking_ref": CERT["id"]}]),
    "marking_ref: must refer to marking-definition")
mut("custom-property-upper", BASE, "tool", setp(X_Acme=1), "X_Acme: not a property of this object")
mut("custom-property-short", BASE, "tool", setp(xy=1), "xy: not a property of this object")
mut("custom-property-hyphen", BASE, "tool", setp(**{"x-acme": 1}), "a custom property name has 3-250 characters")
mut("custom-property-long", BASE, "tool", setp(**{"x_" + "a" * 249: 1}), "a custom property name has 3-250 characters")
mut("custom-property-null", BASE, "tool", setp(x_acme_null=None), "x_acme_null: must not be null")
mut("custom-property-empty-list", BASE, "tool", setp(x_acme_list=[]), "x_acme_list: an empty list is not allowed")
mut("property-null", BASE, "tool", setp(description=None), "description: must not be null")
mut("extensions-empty", BASE, "tool", setp(extensions={}), "extensions: must be a non-empty dictionary")
mut("extension-bad-type", BASE, "tool", setp(extensions={ext_prop["id"]: {"extension_type": "new-thing"}}),
    "extension_type must be new-sdo")
mut("extension-not-dict", BASE, "tool", setp(extensions={ext_prop["id"]: "x"}), "an extension must be a dictionary")
mut("extension-redefines-type", BASE, "tool", setp(extensions={ext_prop["id"]: {"extension_type": "new-sdo"}}),
    "an extension cannot define it again")

mut("granular-selector-absent", BASE, "tool", setp(granular_markings=[{"selectors": ["description"], "marking_ref": TLP["amber"]}]),
    "selector 'description' does not name a property present in this object")
mut("granular-selector-index", valid["granular-markings"], "indicator",
    lambda o: o["granular_markings"].append({"selectors": ["external_references.[5].source_name"], "lang": "en"}),
    "selector 'external_references.[5].source_name' does not name a property")

# every SDO's required properties and ranges
for t, p in [("attack-pattern", "name"), ("campaign", "name"), ("course-of-action", "name"), ("grouping", "context"),
             ("grouping", "object_refs"), ("identity", "name"), ("incident", "name"), ("indicator", "pattern"),
             ("indicator", "pattern_type"), ("indicator", "valid_from"), ("infrastructure", "name"),
             ("intrusion-set", "name"), ("malware", "is_family"), ("malware-analysis", "product"), ("note", "content"),
             ("note", "object_refs"), ("observed-data", "first_observed"), ("observed-data", "last_observed"),
             ("observed-data", "number_observed"), ("opinion", "opinion"), ("opinion", "object_refs"),
             ("report", "name"), ("report", "published"), ("report", "object_refs"), ("threat-actor", "name"),
             ("tool", "name"), ("vulnerability", "name"), ("relationship", "relationship_type"),
             ("relationship", "source_ref"), ("relationship", "target_ref"), ("language-content", "object_ref"),
             ("language-content", "contents")]:
    mut("required-%s-%s" % (t, p.replace("_", "-")), BASE, t, delp(p), "%s: required" % p)
mut("required-sighting-of-ref", valid["sighting-of-an-indicator"], "sighting", delp("sighting_of_ref"), "sighting_of_ref: required")
mut("malware-family-without-name", BASE, "malware", delp("name"), "name: required when is_family is true")
mut("malware-analysis-no-result", BASE, "malware-analysis", delp("result"), "needs result or analysis_sco_refs")
mut("malware-sample-ref-to-url", valid["malware-characterization"], "malware", lambda o: o.update(sample_refs=[url["id"]]),
    "sample_refs[0]: must refer to file or artifact", 1)
mut("malware-os-ref-to-file", valid["malware-characterization"], "malware", lambda o: o.update(operating_system_refs=[sample["id"]]),
    "operating_system_refs[0]: must refer to software", 1)
mut("location-nothing", BASE, "location", delp("region", "country"), "a location needs region, country, or latitude and longitude")
mut("location-latitude-91", BASE, "location", setp(latitude=91.0), "latitude: 91 is out of range -90 to 90", 1)
mut("location-longitude-181", BASE, "location", setp(longitude=-181), "longitude: -181 is out of range", 1)
mut("location-latitude-alone", BASE, "location", delp("longitude"), "latitude and longitude must be given together", 1)
mut("location-precision-alone", BASE, "location", setp(precision=10.0), "precision needs latitude and longitude", 2)
mut("grouping-empty-refs", BASE, "grouping", setp(object_refs=[]), "object_refs: must be a non-empty list")
mut("report-refs-not-ids", BASE, "report", setp(object_refs=["indicator"]), "object_refs[0]: must be an identifier")
mut("opinion-not-enum", BASE, "opinion", setp(opinion="mostly-agree"), "opinion: 'mostly-agree' is not one of the values")
mut("number-observed-0", BASE, "observed-data", setp(number_observed=0), "number_observed: 0 is out of range 1 to 999999999")
mut("number-observed-too-big", BASE, "observed-data", setp(number_observed=1000000000), "is out of range 1 to 999999999")
mut("observed-last-before-first", BASE, "observed-data", setp(last_observed="2026-03-01T07:59:59.999Z"),
    "last_observed: must be later than or equal to first_observed")
mut("observed-objects-and-refs", BASE, "observed-data", setp(objects={"0": {"type": "ipv4-addr", "value": "192.0.2.1"}}),
    "objects: must not be present together with object_refs")
mut("observed-neither", BASE, "observed-data", delp("object_refs"), "object_refs: required (or the deprecated objects)")
mut("observed-refs-to-sdo", BASE, "observed-data", lambda o: o.update(object_refs=[mw["id"]]),
    "object_refs[0]: must refer to an SCO or relationship")
mut("observed-objects-bad-ip", valid["observed-data-deprecated-objects"], "observed-data",
    lambda o: o["objects"]["0"].update(value="300.1.1.1"), "is not an IPv4 address")
mut("campaign-last-before-first", BASE, "campaign", setp(last_seen="2024-01-01T00:00:00Z"),
    "last_seen: must be later than or equal to first_seen")
mut("indicator-valid-until-equal", BASE, "indicator", setp(valid_until=TS), "valid_until: must be later than valid_from")
mut("indicator-bad-pattern", BASE, "indicator", setp(pattern="[ipv4-addr:value = '198.51.100.7'"), "pattern: expected ']'")
mut("indicator-kcp-no-phase", BASE, "attack-pattern", setp(kill_chain_phases=[{"kill_chain_name": "lockheed"}]),
    "a kill chain phase needs kill_chain_name and phase_name")
mut("identity-sectors-empty", BASE, "identity", setp(sectors=[]), "sectors: must be a non-empty list")
mut("relationship-type-upper", BASE, "relationship", setp(relationship_type="Uses"), "relationship_type: only a-z, 0-9 and '-'")
mut("relationship-target-marking", BASE, "relationship", setp(target_ref=TLP["amber"]),
    "target_ref: must refer to an SDO or SCO")
mut("relationship-source-relationship", BASE, "relationship", lambda o: o.update(source_ref=sid("relationship", "x")),
    "source_ref: must refer to an SDO or SCO")
mut("relationship-stop-before-start", BASE, "relationship", setp(stop_time="2026-02-28T00:00:00Z"),
    "stop_time: must be later than start_time", 6)
mut("sighting-of-sco", valid["sighting-of-an-indicator"], "sighting", lambda o: o.update(sighting_of_ref=ip["id"]),
    "sighting_of_ref: must refer to an SDO")
mut("sighting-where-malware", valid["sighting-of-an-indicator"], "sighting", lambda o: o.update(where_sighted_refs=[mw["id"]]),
    "where_sighted_refs[0]: must refer to identity or location")
mut("sighting-observed-indicator", valid["sighting-of-observed-data"], "sighting",
    lambda o: o.update(observed_data_refs=[i_ip["id"]]), "observed_data_refs[0]: must refer to observed-data")
mut("sighting-count-negative", valid["sighting-of-an-indicator"], "sighting", setp(count=-1), "count: -1 is out of range")
mut("sighting-last-before-first", valid["sighting-of-an-indicator"], "sighting", setp(last_seen="2026-03-01T07:00:00Z"),
    "last_seen: must be later than or equal to first_seen")

# meta objects
MD = valid["marking-definitions"]
mut("tlp-wrong-colour", MD, "marking-definition", lambda o: o["definition"].update(tlp="red"), "this is the standard TLP:GREEN marking", 1)
mut("tlp-nonstandard-id", MD, "marking-definition", lambda o: o.update(id=sid("marking-definition", "fake")),
    "a TLP marking must be one of the four standard TLP marking definitions", 2)
mut("tlp-wrong-created", MD, "marking-definition", setp(created="2018-01-01T00:00:00.000Z"), "the standard TLP markings were created", 3)
mut("tlp-wrong-name", MD, "marking-definition", setp(name="TLP:ROT"), "the standard TLP marking is named \"TLP:RED\"", 3)
mut("tlp-extra-property", MD, "marking-definition", setp(created_by_ref=CERT["id"]), "the standard TLP marking has no other properties", 0)
mut("statement-without-statement", MD, "marking-definition", setp(definition={"text": "x"}), "a statement marking needs a statement string", 4)
mut("marking-no-definition", MD, "marking-definition", delp("definition", "definition_type"), "needs definition_type and definition, or extensions", 4)
mut("marking-definition-type-alone", MD, "marking-definition", delp("definition"), "definition and definition_type go together", 4)
mut("marking-created-missing", MD, "marking-definition", delp("created"), "created: required", 4)
EXT = valid["misp-export"]
mut("extension-definition-no-creator", EXT, "extension-definition", delp("created_by_ref"), "created_by_ref: required")
mut("extension-definition-no-schema", EXT, "extension-definition", delp("schema"), "schema: required")
mut("extension-definition-no-version", EXT, "extension-definition", delp("version"), "version: required")
mut("extension-definition-bad-type", EXT, "extension-definition", setp(extension_types=["new-thing"]),
    "extension_types[0]: must be new-sdo")
mut("extension-definition-empty-types", EXT, "extension-definition", setp(extension_types=[]),
    "extension_types: must be a non-empty list")
mut("extension-properties-not-toplevel", EXT, "extension-definition", setp(extension_properties=["a_b"]),
    "extension_properties: only for a toplevel-property-extension")
mut("extension-key-bad-id", EXT, "attribute-note", lambda o: o.update(extensions={"extension-definition--1234": {"extension_type": "new-sdo"}}),
    "not an extension-definition identifier")
mut("extension-defined-sdo-no-created", EXT, "attribute-note", delp("created"), "created: required")
mut("language-content-empty-translation", BASE, "language-content", lambda o: o["contents"].update(de={}),
    "contents.de: must be a non-empty dictionary")

# observables
S = SCOB
mut("ipv4-octet-256", S, "ipv4-addr", setp(value="198.51.100.256"), "is not an IPv4 address or CIDR block")
mut("ipv4-cidr-33", S, "ipv4-addr", setp(value="198.51.100.0/33"), "is not an IPv4 address or CIDR block")
mut("ipv4-three-octets", S, "ipv4-addr", setp(value="198.51.100"), "is not an IPv4 address")
mut("ipv6-bad", S, "ipv6-addr", setp(value="2001:db8:::7"), "is not an IPv6 address or CIDR block")
mut("ipv6-cidr-129", S, "ipv6-addr", setp(value="2001:db8::/129"), "is not an IPv6 address or CIDR block")
mut("ipv4-value-missing", S, "ipv4-addr", delp("value"), "value: required")
mut("ipv4-belongs-to-domain", S, "ipv4-addr", lambda o: o.update(belongs_to_refs=[dom["id"]]),
    "belongs_to_refs[0]: must refer to autonomous-system", 1)
mut("mac-upper", S, "mac-addr", setp(value="00:00:5E:00:53:AF"), "is not a lower-case colon-delimited MAC-48 address")
mut("domain-space", S, "domain-name", setp(value="paper lamp.example"), "is not a domain name")
mut("domain-long-label", S, "domain-name", setp(value="a" * 64 + ".example"), "is not a domain name")
mut("domain-leading-hyphen", S, "domain-name", setp(value="-lamp.example"), "is not a domain name")
mut("domain-empty-label", S, "domain-name", setp(value="lamp..example"), "is not a domain name")
mut("domain-resolves-to-url", S, "domain-name", lambda o: o.update(resolves_to_refs=[url["id"]]),
    "resolves_to_refs[0]: must refer to ipv4-addr, ipv6-addr or domain-name")
mut("email-no-at", S, "email-addr", setp(value="boss.ministry.example"), "is not an e-mail address")
mut("email-space", S, "email-addr", setp(value="the boss@ministry.example"), "is not an e-mail address")
mut("email-double-dot", S, "email-addr", setp(value="the..boss@ministry.example"), "is not an e-mail address")
mut("url-no-scheme", S, "url", setp(value="paper-lamp.example/gate.php"), "is not a URL")
mut("url-space", S, "url", setp(value="https://paper-lamp.example/a b"), "is not a URL")
mut("port-too-big", S, "network-traffic", setp(dst_port=70000), "dst_port: 70000 is out of range 0 to 65535")
mut("port-negative", S, "network-traffic", setp(src_port=-1), "src_port: -1 is out of range")
mut("traffic-no-protocols", S, "network-traffic", delp("protocols"), "protocols: required")
mut("traffic-no-endpoints", S, "network-traffic", delp("src_ref", "dst_ref"), "network traffic needs src_ref or dst_ref")
mut("traffic-dst-file", S, "network-traffic", lambda o: o.update(dst_ref=f2["id"]), "dst_ref: must refer to ipv4-addr")
mut("traffic-end-before-start", S, "network-traffic", setp(end="2026-03-01T07:00:00Z"), "end: must be later than or equal to start")
mut("traffic-active-with-end", S, "network-traffic", setp(end="2026-03-01T07:00:00Z"), "end: not allowed when is_active is true", 1)
mut("hash-md5-length", S, "file", setp(hashes={"MD5": "abc"}), "an MD5 hash is 32 hex digits")
mut("hash-sha1-length", S, "file", setp(hashes={"SHA-1": "a" * 41}), "a SHA-1 hash is 40 hex digits")
mut("hash-sha256-nonhex", S, "file", setp(hashes={"SHA-256": "g" * 64}), "a SHA-256 hash is 64 hex digits")
mut("hash-sha512-length", S, "file", setp(hashes={"SHA-512": "a" * 64}), "a SHA-512 hash is 128 hex digits")
mut("hash-sha3-256-length", S, "file", setp(hashes={"SHA3-256": "a" * 63}), "a SHA3-256 hash is 64 hex digits")
mut("hash-ssdeep-shape", S, "file", setp(hashes={"SSDEEP": "not-ssdeep"}), "an SSDEEP hash is blocksize:hash:hash")
mut("hash-tlsh-length", S, "file", setp(hashes={"TLSH": "T1" + "a" * 10}), "a TLSH hash is 70 hex digits")
mut("hashes-empty", S, "file", setp(hashes={}), "hashes: must be a non-empty dictionary")
mut("file-no-name-no-hashes", S, "file", delp("name", "hashes"), "a file needs hashes or name")
mut("file-size-negative", S, "file", setp(size=-5), "size: -5 is out of range")
mut("file-parent-not-directory", S, "file", lambda o: o.update(parent_directory_ref=f2["id"]), "parent_directory_ref: must refer to directory", 1)
mut("file-magic-not-hex", S, "file", setp(magic_number_hex="MZ"), "magic_number_hex: must be hexadecimal", 2)
mut("artifact-both", S, "artifact", setp(url="https://files.example/a.bin"), "an artifact has exactly one of payload_bin and url")
mut("artifact-neither", S, "artifact", delp("payload_bin"), "an artifact has exactly one of payload_bin and url")
mut("artifact-url-no-hashes", S, "artifact", delp("hashes"), "hashes: required when url is given", 1)
mut("artifact-bad-base64", S, "artifact", setp(payload_bin="not base64!"), "payload_bin: must be base64")
mut("artifact-bad-encryption", S, "artifact", setp(encryption_algorithm="rot13"), "encryption_algorithm: 'rot13' is not one of", 1)
mut("artifact-key-without-algorithm", S, "artifact", delp("encryption_algorithm"), "decryption_key: not allowed without encryption_algorithm", 1)
mut("email-message-no-multipart", S, "email-message", delp("is_multipart"), "is_multipart: required")
mut("email-message-body-and-multipart", S, "email-message", setp(body="x"), "body: not allowed when is_multipart is true")
mut("email-message-parts-not-multipart", S, "email-message", setp(body_multipart=[{"body": "x"}]), "body_multipart: not allowed when is_multipart is false", 1)
mut("email-message-part-both", S, "email-message", lambda o: o["body_multipart"][1].update(body="x"), "a MIME part has exactly one of body and body_raw_ref")
mut("email-message-from-url", S, "email-message", lambda o: o.update(from_ref=url["id"]), "from_ref: must refer to email-addr")
mut("process-empty", S, "process", lambda o: [o.pop(k) for k in list(o) if k not in ("type", "id")], "a process needs at least one property", 1)
mut("process-parent-file", S, "process", lambda o: o.update(parent_ref=f2["id"]), "parent_ref: must refer to process", 1)
mut("as-number-missing", S, "autonomous-system", delp("number"), "number: required")
mut("as-number-string", S, "autonomous-system", setp(number="AS64500"), "number: must be an integer")
mut("directory-path-missing", S, "directory", delp("path"), "path: required")
mut("mutex-name-missing", S, "mutex", delp("name"), "name: required")
mut("software-name-missing", S, "software", delp("name"), "name: required")
mut("user-account-empty", S, "user-account", lambda o: [o.pop(k) for k in list(o) if k not in ("type", "id")], "a user account needs at least one property")
mut("x509-empty", S, "x509-certificate", lambda o: [o.pop(k) for k in list(o) if k not in ("type", "id")], "an X.509 certificate needs at least one property")
mut("registry-hive-abbreviated", S, "windows-registry-key", setp(key="HKLM\\Software\\Run"), "key: the hive must be written in full")
mut("registry-bad-datatype", S, "windows-registry-key", lambda o: o["values"][0].update(data_type="REG_TEXT"), "data_type is not a windows-registry-datatype-enum value")
mut("archive-ext-no-contains", S, "file", lambda o: o["extensions"]["archive-ext"].pop("contains_refs"), "extensions.archive-ext.contains_refs: required", 1)
mut("http-ext-no-method", S, "network-traffic", lambda o: o["extensions"]["http-request-ext"].pop("request_method"), "request_method: required")
mut("socket-ext-bad-family", S, "network-traffic", lambda o: o["extensions"]["socket-ext"].update(address_family="AF_FOO"), "address_family: 'AF_FOO' is not one of", 1)
mut("icmp-ext-no-code", S, "network-traffic", lambda o: o["extensions"]["icmp-ext"].pop("icmp_code_hex"), "icmp_code_hex: required", 1)
mut("pebinary-no-type", S, "file", lambda o: o["extensions"]["windows-pebinary-ext"].pop("pe_type"), "pe_type: required", 2)
mut("service-ext-bad-start", S, "process", lambda o: o["extensions"]["windows-service-ext"].update(start_type="AUTO"), "start_type: 'AUTO' is not one of")
mut("integrity-bad", S, "process", lambda o: o["extensions"]["windows-process-ext"].update(integrity_level="root"), "integrity_level: 'root' is not one of")
mut("sco-spec-version-20", S, "mutex", setp(spec_version="2.0"), "spec_version: must be \"2.1\"")
mut("sco-defanged-string", S, "url", setp(defanged="no"), "defanged: must be true or false")

# patterns
P = valid["patterns"]
for i, (p, e) in enumerate([
        ("[ipv4-addr:value = '198.51.100.7'", "expected ']'"),
        ("[file:name = 'a'] WITHIN 0 SECONDS", "WITHIN needs a positive number"),
        ("[file:name = 'a'] REPEATS 0 TIMES", "REPEATS needs a positive integer"),
        ("[file:name = 'a'] START t'2026-02-01T00:00:00Z' STOP t'2026-01-01T00:00:00Z'", "STOP must be later than START"),
        ("[file:ctime = t'2026-02-30T00:00:00Z']", "bad timestamp literal"),
        ("[file:name = 12]", "a string property needs a string literal"),
        ("[file:size = 'twelve']", "an integer property needs an integer literal"),
        ("[file:ctime = 'yesterday']", "a timestamp property needs a t'...' literal"),
        ("[user-account:is_privileged = 'yes']", "a boolean property needs true or false"),
        ("[file:colour = 'red']", "file has no property 'colour'"),
        ("[process:name = 'lamp.exe']", "process has no property 'name'"),
        ("[network-traffic:dst_ref.colour = 'x']", "has a property 'colour'"),
        ("[file:name = 'a' AND ipv4-addr:value = '198.51.100.7']", "the comparisons joined by AND cannot all be about one object"),
        ("[ipv4-addr:value ISSUBSET 'lamp.example']", "ISSUBSET and ISSUPERSET compare IP addresses"),
        ("[ipv4-addr:value = '198.51.100.300']", "not an IPv4 address"),
        ("[file:name = 'bad \\q escape']", "bad escape in a string"),
        ("[file:hashes.MD5 = 'abc']", "an MD5 hash is 32 hex digits"),
        ("[file:name LIKE 5]", "expected a string literal"),
        ("[file:size LIKE '5%']", "LIKE and MATCHES apply to string properties"),
        ("[file:name = 'a'] AND", "expected '[' or '('"),
        ("[file:name = 'a'] /* never closed", "unterminated comment"),
        ("[FILE:name = 'a']", "is not an object type"),
        ("[indicator:name = 'a']", "is not a cyber-observable type"),
        ("[artifact:payload_bin = b'abc']", "bad binary (base64) literal"),
        ("[file:magic_number_hex = h'abc']", "a hex literal has pairs of hex digits"),
        ("[file:size = 007]", "an integer has no leading zeros"),
        ("[file:size > true]", "true and false cannot be ordered"),
        ("[file:name IN ('a', 'b']", "expected ',' or ')' in the set"),
        ("[file:name = 'a'] WITHIN 5 MINUTES", "expected SECONDS"),
        ("[file:name = 'a'] FOLLOWEDBY", "expected '[' or '('"),
        ("[(file:name = 'a' OR domain-name:value = 'x.example') AND ipv4-addr:value = '198.51.100.1']",
         "the comparisons joined by AND cannot all be about one object"),
        ("[network-traffic:dst_port = 'https']", "an integer property needs an integer literal"),
        ("[file:name MATCHES '^lamp(\\\\.exe$']", "MATCHES: not a valid PCRE regular expression: missing closing parenthesis at offset 33"),
        ("[url:value MATCHES '[z-a]+']", "MATCHES: not a valid PCRE regular expression: range out of order in character class at offset 23"),
        ("[file:name MATCHES 'a{3,2}']", "MATCHES: not a valid PCRE regular expression: numbers out of order in {} quantifier"),
        ("[file:name MATCHES '" + "(" * 70 + "a" + ")" * 70 + "']", "MATCHES: a regular expression beyond what parley checks")]):
    mut("pattern-%02d" % i, P, "indicator", setp(pattern=p), e)


def write():
    vd, idir = os.path.join(HERE, "valid"), os.path.join(HERE, "invalid")
    os.makedirs(vd, exist_ok=True)
    os.makedirs(idir, exist_ok=True)
    for n, b in valid.items():
        with open(os.path.join(vd, n + ".json"), "w") as f:
            json.dump(b, f, indent=1, ensure_ascii=False)
            f.write("\n")
    lines = []
    for name, base, t, edit, expect, n in invalid:
        b = copy.deepcopy(base)
        if t is None:
            edit(b)
        else:
            i = by_type(b, t, n)
            edit(b["objects"][i])
        with open(os.path.join(idir, name + ".json"), "w") as f:
            json.dump(b, f, indent=1, ensure_ascii=False)
            f.write("\n")
        lines.append("%s.json\t%s" % (name, expect))
    with open(os.path.join(idir, "EXPECT"), "w") as f:
        f.write("# FILE<TAB>text the validator's findings must contain (each file breaks exactly one rule)\n")
        f.write("\n".join(lines) + "\n")


write()
print("%d valid, %d invalid" % (len(valid), len(invalid)))
