# parley - a thin wrapper around Meson. `make help` lists the targets.
PREFIX ?= /usr/local
BUILD ?= build
ASAN ?= build-asan
FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps check test test-asan demo bench fuzz torture install uninstall clean help

all: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

help:
	@echo "make            build into $(BUILD)/ (the command is $(BUILD)/parley)"
	@echo "make check      install missing packages, build, run every test, then again under ASan+UBSan"
	@echo "make demo       a two-party hotline on 127.0.0.1, start to finish"
	@echo "make bench      benchmarks; table on stdout, figures in $(BUILD)/bench.json"
	@echo "make fuzz       build the libFuzzer harnesses with clang into $(FUZZ)/"
	@echo "make torture    each fuzz harness for FUZZ_SECONDS (default 60), then a 64-client relay soak (SOAK_SECONDS)"
	@echo "make install    install the parley command under PREFIX (default /usr/local)"
	@echo "make clean      remove build directories"

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

$(ASAN)/build.ninja:
	CC=clang meson setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug

test: all
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

test-asan: deps $(ASAN)/build.ninja
	ninja -C $(ASAN)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C $(ASAN) --print-errorlogs --num-processes 2 --timeout-multiplier 3

check: deps
	@rc=0; \
	$(MAKE) --no-print-directory test || rc=1; \
	$(MAKE) --no-print-directory test-asan || rc=1; \
	scripts/test-summary.sh $(BUILD) $(ASAN); \
	exit $$rc

demo: all
	examples/demo.sh $(BUILD)/parley

bench: all
	$(BUILD)/bench/parley-bench --json $(BUILD)/bench.json

$(FUZZ)/build.ninja:
	CC=clang meson setup $(FUZZ) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debugoptimized

fuzz: deps $(FUZZ)/build.ninja
	ninja -C $(FUZZ)

torture: fuzz all
	BUILD=$(CURDIR)/$(BUILD) scripts/torture.sh $(FUZZ) $(FUZZ_SECONDS)

install: all
	meson configure $(BUILD) --prefix=$(PREFIX)
	meson install -C $(BUILD)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/parley

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ) build-*
