#!/bin/sh
# Install the npm packages of the console's browser test under BUILDDIR/node_modules, when
# missing: playwright-core (the browser driver only: --ignore-scripts, it never downloads a
# browser; the test uses Debian's chromium) and axe-core (the WCAG checks run in the page).
# Usage: scripts/playwright.sh BUILDDIR   (make check runs it; the console's test t0220 needs it)
set -eu
PACKAGES="playwright-core@${PLAYWRIGHT_VERSION:-1.65.1} axe-core@${AXE_VERSION:-4.14.1}"
dir=${1:?usage: scripts/playwright.sh BUILDDIR}
[ -f "$dir/node_modules/playwright-core/package.json" ] && [ -f "$dir/node_modules/axe-core/axe.min.js" ] && exit 0
if ! command -v npm >/dev/null 2>&1; then
	echo "parley: no npm: cannot install playwright-core and axe-core for the console's browser tests (scripts/deps.sh --browser)" >&2
	exit 1
fi
mkdir -p "$dir"
echo "parley: installing $PACKAGES under $dir/node_modules" >&2
# shellcheck disable=SC2086 # one word per package
npm install --prefix "$dir" --ignore-scripts --no-audit --no-fund --no-save --loglevel=error $PACKAGES >&2
