#!/bin/sh
# t0140: one command table drives dispatch; global options before or after the command's name;
# an unknown command is refused with the nearest names (exit 2), never run as another command.
. "$SRCDIR/tests/cli/lib.sh"

# unknown commands: exit 2, a suggestion when one is near, and nothing runs
p 2 snyc
has_err "'snyc' is not a parley command"
has_err "did you mean 'sync'?"
p 2 chek-proof
has_err "did you mean 'check-proof'?"
p 2 stat
has_err "did you mean 'status'?"
p 2 xyzzy
grep -q "did you mean" err && fail "a suggestion for a name near nothing"
p 2 help snyc
has_err "did you mean 'sync'?"

# --version and -V anywhere
for args in "--version" "-V" "sync -V" "status --version"; do
	# shellcheck disable=SC2086
	p 0 $args
	has_out "^parley [0-9]"
done

# the global options before or after the command's name
p 1 --home nowhere inbox
has_err "nowhere is not a parley node home"
p 1 inbox --home nowhere
has_err "nowhere is not a parley node home"
p 1 inbox --home=nowhere --quiet --color=never --local
has_err "nowhere is not a parley node home"
p 2 --home
has_err "needs a directory"
p 2 --color=sometimes inbox
has_err "auto, always or never"
p 2 --bogus inbox
has_err "unknown option '--bogus'"
# --channel and --json are handed to the command (after a subcommand's name)
p 1 --channel 00 psi result 1 --home nowhere
has_err "nowhere is not a parley node home"
p 2 --channel 00 keygen --name x --out k --no-passphrase
[ -e k ] && fail "keygen ran with an option it does not take"
p 0 --json help
python3 -c 'import json,sys; d=json.load(open("out")); assert any(c["name"]=="sync" and c["home"] for c in d["commands"])' ||
	fail "help --json is not the command table"

# every command in the table is listed, has --help with usage and an example, and 'help CMD' shows it
p 0 help --json
cmds=$(python3 -c 'import json; print(" ".join(c["name"] for c in json.load(open("out"))["commands"] if not c["hidden"]))')
[ -n "$cmds" ] || fail "no commands"
p 0 --help
cp out toplevel
for c in $cmds; do
	grep -q "^  $c " toplevel || fail "'parley --help' does not list $c"
	p 0 "$c" --help
	has_out "usage: parley"
	has_out "^Example:"
	p 0 help "$c"
	has_out "usage: parley"
done
done_ok
