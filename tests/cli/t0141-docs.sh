#!/bin/sh
# t0141: the manual pages and README's synopses agree with every command's --help, both ways,
# for every command of the table (src/parley.c). A failure names the file, the command and the option.
. "$SRCDIR/tests/cli/lib.sh"

p 0 help --json
mv out table.json; : >err
for c in $(python3 -c 'import json; print(" ".join(c["name"] for c in json.load(open("table.json"))["commands"]))'); do
	"$PARLEY" "$c" --help >"help-$c.txt" 2>&1 || fail "parley $c --help exits non-zero"
done
python3 - "$SRCDIR" <<'PY' || fail "the manual pages or README disagree with --help (above)"
import json, os, re, sys
src = sys.argv[1]
OPT = re.compile(r'(?<![\w-])--([a-z][a-z0-9-]*)')
# documented once, in parley(1) and README's global synopsis
GLOBAL = {'help', 'home', 'quiet', 'color', 'colour', 'local', 'version'}
table = json.load(open('table.json'))['commands']
problems = []

NAMES = {c['name'] for c in table}

def opts(text, self=None):
    """the options a text names, less the global ones and those it only names as another
    command's ('notify --stix' in the text of 'stix')"""
    out = set()
    for m in re.finditer(r'(?<![\w-])--([a-z][a-z0-9-]*)', text):
        # 'notify --stix', or with a subcommand between: 'charter new --succeeds'
        before = re.search(r'([a-z][a-z-]*)[*_]*\s+[*_]*(?:([a-z][a-z-]*)[*_]*\s+[*_]*)?$', text[:m.start()])
        other = before and any(w in NAMES and w != self for w in before.groups() if w)
        if m.group(1) in GLOBAL or other:
            continue
        out.add(m.group(1))
    return out

def man_sections(path):
    """'## parley a, b' headings of an scdoc page -> {command: text of the section}"""
    out, cur = {}, None
    for line in open(path, encoding='utf-8'):
        m = re.match(r'^##\s+(?:parley\s+)?(.*)$', line)
        if m:  # '## parley a, b' or '## parley taxii --listen': the first word of each part
            cur = [n.split()[0] for n in m.group(1).split(',') if n.split()]
            for n in cur:  # a command may have several sections; the heading counts too
                out[n] = out.get(n, '') + m.group(1) + '\n'
            continue
        if line.startswith('#'):
            cur = None
        elif cur:
            for n in cur:
                out[n] += line.replace('\\-', '-')
    return out

def readme_synopses(path):
    """the indented 'parley CMD ...' lines of README.md and their continuation lines -> {command: text}"""
    names = {c['name'] for c in table}
    out, cur = {}, None
    for line in open(path, encoding='utf-8'):
        if not line.startswith('    ') or not line.strip():
            cur = None
            continue
        code = re.sub(r'\s#\s.*$', '', line.rstrip('\n'))
        s = code.strip()
        if s.startswith('parley '):
            cur = None
            for tok in s.split()[1:]:
                if tok in names:
                    cur = tok
                    break
                if not (tok.startswith('[') or tok.startswith('-') or tok.endswith(']') or tok.isupper()):
                    break
            if cur:
                out[cur] = out.get(cur, '') + s + '\n'
        elif cur and line.startswith('     '):
            out[cur] += s + '\n'
        else:
            cur = None
    return out

readme = readme_synopses(os.path.join(src, 'README.md'))
pages = {}
for c in table:
    name, man = c['name'], c['man']
    helpopts = opts(open('help-%s.txt' % name, encoding='utf-8').read(), name)
    page = 'docs/man/%s.%s.scd' % (man, '1')
    path = os.path.join(src, page)
    secs = pages.setdefault(page, man_sections(path) if os.path.exists(path) else None)
    if secs is None:
        problems.append("%s: missing (src/parley.c names it as the manual of '%s')" % (page, name))
    elif name not in secs:
        problems.append("%s: no section '## parley %s'" % (page, name))
    else:
        manopts = opts(secs[name], name)
        for o in sorted(helpopts - manopts):
            problems.append("%s, section 'parley %s': lacks --%s (in 'parley %s --help')" % (page, name, o, name))
        for o in sorted(manopts - helpopts):
            problems.append("%s, section 'parley %s': --%s is not in 'parley %s --help'" % (page, name, o, name))
    if c['hidden'] or name == 'help':
        continue
    if name not in readme:
        problems.append("README.md: no synopsis for '%s' (an indented line '    parley %s ...')" % (name, name))
        continue
    # commands that share one --help (ack, reply, escalate, close) share their synopses' options
    text = open('help-%s.txt' % name, encoding='utf-8').read()
    ropts = set()
    for o in table:
        if o['name'] in readme and open('help-%s.txt' % o['name'], encoding='utf-8').read() == text:
            ropts |= opts(readme[o['name']], o['name'])
    for o in sorted(helpopts - ropts):
        problems.append("README.md, synopsis of 'parley %s': lacks --%s (in 'parley %s --help')" % (name, o, name))
    for o in sorted(ropts - helpopts):
        problems.append("README.md, synopsis of 'parley %s': --%s is not in 'parley %s --help'" % (name, o, name))
# parley(1) lists every command
top = open(os.path.join(src, 'docs/man/parley.1.scd'), encoding='utf-8').read() \
    if os.path.exists(os.path.join(src, 'docs/man/parley.1.scd')) else ''
for c in table:
    if not c['hidden'] and ('*%s*' % c['name']) not in top:
        problems.append("docs/man/parley.1.scd: the command list lacks *%s*" % c['name'])
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
NTESTS=$((NTESTS + 1))
done_ok
