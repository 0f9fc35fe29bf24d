# parley - a thin wrapper around Meson. `make help` lists the targets.
PREFIX ?= /usr/local
BUILD ?= build
ASAN ?= build-asan
TSAN ?= build-tsan
# the tests that drive the relay's and the nodes' threads; run under ThreadSanitizer by check-tsan
TSAN_TESTS ?= relay-open relay-poll t0006-relay t0012-slow-clients t0021-open-policy t0022-slow-deadline t0023-canonical-charter \
	t0121-run-socket t0230-console-api t0231-run-taxii t0232-console-psi t0234-console-sessions t0236-console-busy \
	t0251-receipt-cover-cost
FUZZ ?= build-fuzz
DEB ?= build-deb
FUZZ_SECONDS ?= 60

.PHONY: all deps browser-deps check test test-asan check-tsan demo bench fuzz torture install uninstall deb test-deb clean help

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

help:
	@echo "make            build into $(BUILD)/ (the command is $(BUILD)/parley)"
	@echo "make check      install missing packages, build, run every test, then again under ASan+UBSan,"
	@echo "                then the relay and node tests under ThreadSanitizer (when clang is present),"
	@echo "                then, as root, the Debian package: built, linted, installed, run, purged"
	@echo "make browser-deps  chromium and playwright-core for the console's browser test (make check does it)"
	@echo "make check-tsan the relay and node tests under ThreadSanitizer, in $(TSAN)/"
	@echo "make demo       a two-party hotline on 127.0.0.1, start to finish"
	@echo "make bench      benchmarks; table on stdout, figures in $(BUILD)/bench.json"
	@echo "make fuzz       build the libFuzzer harnesses with clang into $(FUZZ)/"
	@echo "make torture    each fuzz harness for FUZZ_SECONDS (default 60), then a 64-client relay soak (SOAK_SECONDS)"
	@echo "make install    install the command, man pages, bash/zsh completion and docs under PREFIX"
	@echo "                (default /usr/local), staged under DESTDIR when given; make uninstall removes them"
	@echo "make deb        the Debian package (debhelper, debian/) in $(DEB)/, checked by lintian"
	@echo "make test-deb   make deb, then install it with dpkg -i, run it, and purge it (root only)"
	@echo "make clean      remove build directories"

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug

$(TSAN)/build.ninja:
	CC=clang meson setup $(TSAN) -Db_sanitize=thread -Db_lundef=false -Dbuildtype=debug

test: all
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

test-asan: deps $(ASAN)/build.ninja
	ninja -C $(ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C $(ASAN) --print-errorlogs --num-processes 2 --timeout-multiplier 3

# Every process a test starts (the relay above all) writes its ThreadSanitizer reports to
# $(TSAN)/tsan-report.PID; any such file fails the target, whatever the test's own verdict.
# Suppressions (third-party false positives only) are in scripts/tsan.supp, each explained.
check-tsan: deps $(TSAN)/build.ninja
	ninja -C $(TSAN)
	@rm -f $(TSAN)/tsan-report.*
	@rc=0; \
	PARLEY_TIME_FACTOR=4 TSAN_OPTIONS="log_path=$(CURDIR)/$(TSAN)/tsan-report second_deadlock_stack=1 suppressions=$(CURDIR)/scripts/tsan.supp" \
		meson test -C $(TSAN) --print-errorlogs --num-processes 2 --timeout-multiplier 4 $(TSAN_TESTS) || rc=1; \
	if ls $(TSAN)/tsan-report.* >/dev/null 2>&1; then \
		cat $(TSAN)/tsan-report.*; echo "check-tsan: ThreadSanitizer reports above" >&2; rc=1; \
	fi; \
	exit $$rc

# the console's browser test (t0220): Debian's chromium, and the playwright-core driver from npm
# under $(BUILD)/node_modules (the test skips, exit 77, without them; make check installs them)
browser-deps: deps $(BUILD)/build.ninja
	@scripts/deps.sh --browser
	@scripts/playwright.sh $(BUILD)

check: deps browser-deps
	@rc=0; \
	$(MAKE) --no-print-directory test || rc=1; \
	$(MAKE) --no-print-directory test-asan || rc=1; \
	if command -v clang >/dev/null 2>&1; then $(MAKE) --no-print-directory check-tsan || rc=1; \
	else echo "make check: no clang, ThreadSanitizer run skipped"; fi; \
	if [ "$$(id -u)" = 0 ] && command -v dpkg-buildpackage >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory test-deb || rc=1; \
	else echo "make check: not root or no dpkg-buildpackage, the package test (make test-deb) skipped"; fi; \
	scripts/test-summary.sh $(BUILD) $(ASAN) $(TSAN); \
	exit $$rc

demo: all
	examples/demo.sh $(BUILD)/parley

# the relay section also runs against a throwaway PostgreSQL server (scripts/with-pg.sh), when installed
bench: all
	PARLEY_BUILD=$(CURDIR)/$(BUILD) PARLEY_PG_OPTIONAL=1 scripts/with-pg.sh \
		$(BUILD)/bench/parley-bench --json $(BUILD)/bench.json

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized

fuzz: deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ)

torture: fuzz all
	BUILD=$(CURDIR)/$(BUILD) scripts/torture.sh $(FUZZ) $(FUZZ_SECONDS)

# DESTDIR stages the files (packaging); PREFIX is where they will live
install: all
	meson configure $(BUILD) --prefix=$(PREFIX)
	ninja -C $(BUILD)
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --no-rebuild --quiet

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/parley
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/parley.1 $(DESTDIR)$(PREFIX)/share/man/man1/parley-*.1
	rm -f $(DESTDIR)$(PREFIX)/share/man/man7/parley-protocol.7
	rm -f $(DESTDIR)$(PREFIX)/share/bash-completion/completions/parley
	rm -f $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_parley
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/parley
	rm -f $(DESTDIR)$(PREFIX)/lib/systemd/system/parley-relay.service $(DESTDIR)$(PREFIX)/lib/systemd/system/parley-node@.service

# The package is built from a copy of the tree (tracked and new files, not build
# directories), so that dpkg-buildpackage writes its results into $(DEB)/ only.
deb:
	rm -rf $(DEB) && mkdir -p $(DEB)/src
	git ls-files -z --cached --others --exclude-standard | xargs -0 cp -P --parents -t $(DEB)/src
	# the package build skips the test suite: make check runs it
	cd $(DEB)/src && DEB_BUILD_OPTIONS="nocheck $(DEB_BUILD_OPTIONS)" dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning --suppress-tags bad-distribution-in-changes-file $(DEB)/*.changes

test-deb: deb
	PARLEY_DEB_DIR=$(CURDIR)/$(DEB) tests/cli/t0143-deb.sh

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) build-*
