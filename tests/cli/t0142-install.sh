#!/bin/sh
# t0142: what 'make install' stages under DESTDIR (binary, man pages with EXAMPLES, completion, docs),
# 'make uninstall' removes it all, and the generated bash completion completes commands, options,
# subcommands, channel ids and party names from a home.
. "$SRCDIR/tests/cli/lib.sh"
: "${BUILDDIR:?BUILDDIR must name the build directory}"

command -v scdoc >/dev/null 2>&1 || { echo "skip: scdoc is not installed (scripts/deps.sh installs it)"; exit 77; }
prefix=$(meson introspect --buildoptions "$BUILDDIR" | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
DESTDIR=$T/stage meson install -C "$BUILDDIR" --no-rebuild --quiet >out 2>err || fail "meson install"
S=$T/stage$prefix
for f in bin/parley share/man/man1/parley.1 share/man/man1/parley-serve.1 share/man/man1/parley-psi.1 \
	share/man/man7/parley-protocol.7 share/bash-completion/completions/parley share/zsh/vendor-completions/_parley \
	share/doc/parley/README.md share/doc/parley/protocol.md share/doc/parley/examples/demo.sh \
	lib/systemd/system/parley-relay.service lib/systemd/system/parley-node@.service; do
	[ -f "$S/$f" ] || fail "make install does not install $f"
done
run 0 "$S/bin/parley" --version
has_out "^parley [0-9]"
for m in "$S"/share/man/man1/*.1 "$S"/share/man/man7/*.7; do
	grep -q '^\.SH EXAMPLES' "$m" || grep -q '^\.SH "EXAMPLES"' "$m" || [ "${m##*/}" = parley-protocol.7 ] ||
		fail "${m##*/} has no EXAMPLES section"
	if command -v man >/dev/null 2>&1; then
		run 0 man -l "$m"
		[ -s out ] || fail "man -l ${m##*/} renders nothing"
	fi
done
# every command of the table is in a man page that make install installs
"$PARLEY" help --json >table.json
python3 - "$S/share/man/man1" <<'PY' || fail "a command's manual page is not installed"
import json, os, sys
for c in json.load(open('table.json'))['commands']:
    if not os.path.exists(os.path.join(sys.argv[1], c['man'] + '.1')):
        sys.exit("%s.1 (the manual of '%s') is not installed" % (c['man'], c['name']))
PY
run 0 make -s -C "$SRCDIR" uninstall PREFIX="$prefix" DESTDIR="$T/stage"
left=$(find "$T/stage" -type f | head -n 3)
[ -z "$left" ] || fail "make uninstall leaves $left"

# bash completion: commands, options, subcommands, and words from a home's charters
if command -v bash >/dev/null 2>&1; then
	mkparty cert-a
	mkparty cert-b
	"$PARLEY" charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope election-infrastructure,phishing \
		--out c.json >/dev/null 2>&1 || fail "charter new"
	mkdir -p home/charters
	id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
	cp c.json "home/charters/$id.json"
	mkdir -p bin
	ln -s "$PARLEY" bin/parley
	complete_words() { # complete_words WORD... : what bash would offer for the last word
		PATH="$T/bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _parley; printf "%s\n" "${COMPREPLY[@]}"' \
			sh "$BUILDDIR/completions/parley" parley "$@"
	}
	complete_words sy >out
	has_out "^sync$"
	complete_words --home home ch >out
	has_out "^charter$"
	has_out "^check-proof$"
	complete_words prove --re >out
	has_out "^--reveal$"
	complete_words charter "" >out
	has_out "^set-relay$"
	complete_words psi "" >out
	has_out "^respond$"
	complete_words --home home sync --channel 01 >out
	has_out "^$id$"
	complete_words --home home notify --to "" >out
	has_out "^cert-b$"
	complete_words --home=home notify --category ph >out
	has_out "^phishing$"
	complete_words --color "" >out
	has_out "^never$"
fi
if command -v zsh >/dev/null 2>&1; then
	run 0 zsh -n "$BUILDDIR/completions/_parley"
fi
done_ok
