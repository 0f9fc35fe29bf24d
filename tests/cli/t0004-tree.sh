#!/bin/sh
# parley tree root / inclusion / consistency: CT vectors, an independent reference, bad input.
. "$(dirname "$0")/lib.sh"

printf '\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n' > ct.txt

run 0 sh -c "\"$PARLEY\" tree root < ct.txt"
[ "$(cat out)" = 5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328 ] || fail "CT root of 8"
run 0 sh -c "head -n 3 ct.txt | \"$PARLEY\" tree root"
[ "$(cat out)" = aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77 ] || fail "CT root of 3"
run 0 sh -c "\"$PARLEY\" tree root < /dev/null"
[ "$(cat out)" = e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ] || fail "empty root"
run 0 sh -c "\"$PARLEY\" tree inclusion 5 < ct.txt"
printf 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b\nca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0\nd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7\n' > want
cmp -s out want || fail "CT inclusion proof of leaf 5"
run 0 sh -c "head -n 5 ct.txt | \"$PARLEY\" tree consistency 2"
printf '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e\nbc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b\n' > want
cmp -s out want || fail "CT consistency proof 2 -> 5"
run 0 sh -c "\"$PARLEY\" tree consistency 8 < ct.txt"
[ ! -s out ] || fail "consistency with itself must be empty"
run 0 sh -c "printf '\n' | \"$PARLEY\" tree root"
[ "$(cat out)" = 6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d ] || fail "one empty leaf"

# an independent reference (Python, straight from RFC 9162) on random trees
python3 - "$PARLEY" <<'PY' || fail "disagrees with the Python reference"
import hashlib, os, random, subprocess, sys
H = lambda b: hashlib.sha256(b).digest()
def mth(d):
    if not d: return H(b'')
    if len(d) == 1: return H(b'\0' + d[0])
    k = 1
    while k * 2 < len(d): k *= 2
    return H(b'\1' + mth(d[:k]) + mth(d[k:]))
def path(m, d):
    if len(d) <= 1: return []
    k = 1
    while k * 2 < len(d): k *= 2
    return path(m, d[:k]) + [mth(d[k:])] if m < k else path(m - k, d[k:]) + [mth(d[:k])]
def sub(m, d, b):
    if m == len(d): return [] if b else [mth(d)]
    k = 1
    while k * 2 < len(d): k *= 2
    return sub(m, d[:k], b) + [mth(d[k:])] if m <= k else sub(m - k, d[k:], False) + [mth(d[:k])]
rnd = random.Random(7)
for n in (1, 2, 3, 5, 8, 13, 31, 64, 65, 100):
    leaves = [os.urandom(rnd.randrange(0, 40)) for _ in range(n)]
    inp = ''.join(l.hex() + '\n' for l in leaves).encode()
    call = lambda *a: subprocess.run([sys.argv[1], 'tree', *a], input=inp, capture_output=True, check=True).stdout.decode().split()
    assert call('root') == [mth(leaves).hex()], n
    for m in rnd.sample(range(n), min(n, 6)):
        assert call('inclusion', str(m)) == [h.hex() for h in path(m, leaves)], (n, m)
    for old in rnd.sample(range(1, n + 1), min(n, 6)):
        assert call('consistency', str(old)) == [h.hex() for h in sub(old, leaves, True)], (n, old)
PY

# bad input: exit 2 with a message
run 2 sh -c "printf '00\nzz\n' | \"$PARLEY\" tree root"
grep -q "line 2: not hex" err || fail "non-hex message"
run 2 sh -c "printf '000\n' | \"$PARLEY\" tree root"
grep -q "odd number" err || fail "odd hex message"
run 2 sh -c "\"$PARLEY\" tree inclusion 8 < ct.txt"
grep -q "out of range" err || fail "index message"
run 2 sh -c "\"$PARLEY\" tree inclusion 0 < /dev/null"
run 2 sh -c "\"$PARLEY\" tree inclusion -1 < ct.txt"
run 2 sh -c "\"$PARLEY\" tree inclusion abc < ct.txt"
run 2 sh -c "\"$PARLEY\" tree consistency 0 < ct.txt"
run 2 sh -c "\"$PARLEY\" tree consistency 9 < ct.txt"
run 2 sh -c "\"$PARLEY\" tree inclusion < ct.txt"
run 2 sh -c "\"$PARLEY\" tree frobnicate < ct.txt"
p 0 tree --help

done_ok
