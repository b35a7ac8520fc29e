# The README's commands. `make run` and `make test` install what is missing, configure and build first.
JOBS ?= 2
PRESET ?= release
BUILD_DIR := $(if $(filter release,$(PRESET)),build,build-$(PRESET))

.PHONY: deps configure build run test test-asan bench bench-camera fuzz deb clean

deps:
	@scripts/install-deps

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build --preset $(PRESET) -j$(JOBS)

# The main job: `vigil run` with no manifest runs the built-in default — a camera on /dev/video0 or Debian's
# street video (looping), the built-in person detector, an alert on "person" with a cooldown, alerts on the
# console and in alerts.jsonl of the state folder, the live preview on http://127.0.0.1:5012 (Ctrl-C stops it).
run: build
	./build/vigil run

test: build
	ctest --preset $(PRESET) -j$(JOBS)

deb: build
	cd build && cpack -G DEB

test-asan:
	@$(MAKE) --no-print-directory test PRESET=asan

bench: build
	cmake --build --preset $(PRESET) --target vigil_floor_bench vigil_camera_bench vigil_hub_bench vigil_tracker_bench vigil_capture_bench -j$(JOBS)
	bench/serve_bench.py
	bench/camera_bench.py
	bench/hub_mqtt_bench.py
	bench/run_bench.py
	bench/objects_bench.py
	bench/capture_bench.py
	bench/webhook_inflight.py
	bench/iotedge_bench.py
	bench/chaos.py

bench-camera: build
	cmake --build --preset $(PRESET) --target vigil_camera_bench -j$(JOBS)
	bench/camera_bench.py

# The route parser, the manifest reader, the alert rules (with truth files) and what a client of the edge listener
# sends under libFuzzer, FUZZ_SECONDS each (default 60), starting from fuzz/corpus/{route,manifest,rules,edge}.
FUZZ_SECONDS ?= 60
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build build-fuzz -j$(JOBS)
	mkdir -p build-fuzz/corpus build-fuzz/corpus-manifest build-fuzz/corpus-rules build-fuzz/corpus-edge
	cp -n fuzz/corpus/route/* build-fuzz/corpus/
	cp -n fuzz/corpus/manifest/* build-fuzz/corpus-manifest/
	cp -n fuzz/corpus/rules/* build-fuzz/corpus-rules/
	cp -n fuzz/corpus/edge/* build-fuzz/corpus-edge/
	./build-fuzz/fuzz/vigil_route_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=512 build-fuzz/corpus
	./build-fuzz/fuzz/vigil_manifest_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=8192 build-fuzz/corpus-manifest
	./build-fuzz/fuzz/vigil_rules_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build-fuzz/corpus-rules
	./build-fuzz/fuzz/vigil_edge_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=2048 build-fuzz/corpus-edge

clean:
	rm -rf build build-debug build-asan build-fuzz
