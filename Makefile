# The README's commands. `make run` and `make test` install what is missing, configure and build first.
JOBS ?= 2
PRESET ?= release
BUILD_DIR := $(if $(filter release,$(PRESET)),build,build-$(PRESET))

.PHONY: deps configure build run test test-asan bench clean

deps:
	@scripts/install-deps

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j$(JOBS)

# The main job on the embedded default: the prediction server with the built-in person detector,
# on http://127.0.0.1:8080 (Ctrl-C stops it).
run: build
	./build/vigil serve --model builtin:person --host 127.0.0.1 --port 8080

test: build
	ctest --preset $(PRESET) -j$(JOBS)

test-asan:
	@$(MAKE) --no-print-directory test PRESET=asan

bench: build
	cmake --build --preset $(PRESET) --target vigil_floor_bench -j$(JOBS)
	bench/serve_bench.py

clean:
	rm -rf build build-debug build-asan
