# Entry points: `make run` (install deps, build, start the relay on 127.0.0.1:3000 with its
# store under ./data) and `make test` (build and run every suite through CTest).
PRESET ?= release
BUILD_DIR := build

.PHONY: all deps build run test test-asan test-tsan format clean

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

test-asan: deps
	cmake --preset asan-ubsan && cmake --build --preset asan-ubsan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --preset asan-ubsan

test-tsan: deps
	cmake --preset tsan && cmake --build --preset tsan
	TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" ctest --preset tsan -L 'unit|concurrency'

format:
	find src tests -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build build-debug build-asan build-tsan
