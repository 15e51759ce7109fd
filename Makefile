# Entry points: `make run` (install deps, build, start the relay on 127.0.0.1:3000 with its
# store under ./data) and `make test` (build and run every suite through CTest).
PRESET ?= release
BUILD_DIR := build

.PHONY: all deps build run test test-asan test-tsan fuzz bench soak package format clean

all: build

deps:
	@bash scripts/install-deps

$(BUILD_DIR)/CMakeCache.txt: | deps
	cmake --preset $(PRESET)

build: deps $(BUILD_DIR)/CMakeCache.txt
	cmake --build --preset $(PRESET)

run: build
	./$(BUILD_DIR)/bot2bot serve --listen 127.0.0.1:3000 --data-dir ./data

test: build
	ctest --preset $(PRESET)

# Sanitizer runs. Reports go to files under the build dir as well as failing the process:
# a relay that leaks or races while an end-to-end test drives it would otherwise exit
# unnoticed (the tests stop it with SIGTERM and do not read its stderr). Any report fails.
SANITIZER_LOGS = $(1)/sanitizer-logs
sanitizer_reports_fail = if ls $(1)/sanitizer-logs/* >/dev/null 2>&1; then \
	  echo "sanitizer reports in $(1)/sanitizer-logs:" >&2; head -n 60 $(1)/sanitizer-logs/* >&2; status=1; fi

# ASan + UBSan: every suite (unit, e2e, sdk and the Node mcp/openapi/browser suites, which
# drive an ASan relay and `bot2bot mcp`). Measured on 2 cores: build ~10 min from scratch,
# tests ~5 min; no suite had to be left out for timing.
test-asan: deps
	cmake --preset asan-ubsan && cmake --build --preset asan-ubsan
	rm -rf $(call SANITIZER_LOGS,build-asan) && mkdir -p $(call SANITIZER_LOGS,build-asan)
	status=0; \
	ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/build-asan/sanitizer-logs/asan \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$(CURDIR)/build-asan/sanitizer-logs/ubsan \
	  ctest --preset asan-ubsan || status=$$?; \
	$(call sanitizer_reports_fail,build-asan); exit $$status

# TSan (clang): every unit, end-to-end and Python SDK suite, each relay with --threads 2
# (BOT2BOT_E2E_THREADS, read by tests/e2e/relay_client.py). Measured on 2 cores: build ~6
# min, tests ~3 min; no suite had to be left out for timing. The Node suites are not run
# here: they add no cross-thread paths the e2e suites lack, and ASan already runs them.
test-tsan: deps
	cmake --preset tsan && cmake --build --preset tsan
	rm -rf $(call SANITIZER_LOGS,build-tsan) && mkdir -p $(call SANITIZER_LOGS,build-tsan)
	status=0; BOT2BOT_E2E_THREADS=2 \
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 log_path=$(CURDIR)/build-tsan/sanitizer-logs/tsan" \
	  ctest --preset tsan -L 'unit|e2e|sdk' || status=$$?; \
	$(call sanitizer_reports_fail,build-tsan); exit $$status

# libFuzzer (clang, build-fuzz/): every target in fuzz/ for FUZZ_S seconds each.
FUZZ_S ?= 60
fuzz: deps
	cmake --preset fuzz && cmake --build --preset fuzz
	fuzz/run $(FUZZ_S) build-fuzz

# Performance scenarios (bench/run): release build, bounded loads on loopback, tables appended
# to bench/RESULTS.md. Not part of `make test`: figures, not pass/fail.
bench: build
	bash bench/run

# Ten minutes of mixed traffic with verifying receivers (bench/soak/run).
soak: build
	bash bench/soak/run

# Debian package with the hardened systemd unit (CPack).
package: build
	bash scripts/package

format:
	find src tests -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build build-debug build-asan build-tsan build-fuzz
