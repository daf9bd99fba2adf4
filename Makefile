# memledger — the front door. Every target installs what it needs first.
#   make demo    the main job: a tracked LLM run on the simulated device, with leaks
#   make test    every test (release build)
#   make build   binaries in build/bin/
#   make bench   the benchmarks, side by side with their baselines
#   make check-sanitizers   all tests under ASan+UBSan, concurrency tests under TSan
#   make fuzz-smoke         a short run of every fuzz target
#   make fuzz-nightly       1,000,000 executions of every fuzz target (FUZZ_RUNS)
#   make install            into PREFIX (default /usr/local)
#   make deb                build/memledger_VERSION_ARCH.deb (and its -dbgsym .ddeb)

SHELL := /bin/bash
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 20
FUZZ_RUNS ?= 1000000
FUZZ_TARGETS := $(patsubst fuzz/%_fuzzer.cc,fuzz_%,$(wildcard fuzz/*_fuzzer.cc))

# Debian packages the build and the tests need.
DEB_PACKAGES := g++ cmake ninja-build ccache pkg-config \
  libgtest-dev libgmock-dev libbenchmark-dev libfmt-dev nlohmann-json3-dev libcli11-dev \
  libzstd-dev libabsl-dev libcpp-httplib-dev libncurses-dev libdw-dev libelf-dev libunwind-dev libre2-dev \
  clang-14 libclang-rt-14-dev prometheus tmux python3-dev pybind11-dev python3-pytest python3-pytest-xdist \
  zlib1g-dev chromium fonts-dejavu-core dpkg-dev file

.PHONY: all deps build test demo bench check-sanitizers test-asan test-tsan fuzz-build fuzz-smoke fuzz-nightly install deb clean

all: build

# Installs only what is missing (apt-get update once, when needed).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make: installing Debian packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

test: build
	ctest --test-dir build --output-on-failure --timeout 600 -j $(JOBS)

demo: build
	@echo "== memledger demo: an LLM workload on two simulated devices, with 3 injected leaks =="
	cd build && MEMLEDGER_STACKS=1 ./bin/memledger run --output demo.mlcap --summary-json demo-summary.json -- \
	  ./bin/memledger-sim llm --devices 2 --leaks 3
	@echo "== memory over time: peaks, top sites, growth =="
	cd build && ./bin/memledger report demo.mlcap | sed -n '/^window:/,$$p'
	cd build && ./bin/memledger report demo.mlcap --html demo.html
	@echo "== summary JSON: build/demo-summary.json; capture: build/demo.mlcap; timeline: build/demo.html =="

bench: build
	MEMLEDGER=1 MEMLEDGER_REPORT=0 ./build/bin/memledger-bench --benchmark_out=build/bench.json --benchmark_out_format=json

check-sanitizers: test-asan test-tsan

test-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build-asan --output-on-failure --timeout 600 -j $(JOBS)

test-tsan: deps
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	TSAN_OPTIONS=halt_on_error=1 ctest --test-dir build-tsan --output-on-failure --timeout 600 -L concurrency -j $(JOBS)

fuzz-build: deps
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS) --target $(FUZZ_TARGETS)

# A short run of each fuzz target from its seeds in fuzz/corpus/ (CI);
# FUZZ_SECONDS=3600 for a nightly run. Crashes found become seeds there.
fuzz-smoke: fuzz-build
	@for f in $(addprefix build-fuzz/bin/,$(FUZZ_TARGETS)); do \
	  echo "== $$f ($(FUZZ_SECONDS) s)"; \
	  name=$$(basename $$f); mkdir -p build-fuzz/corpus/$$name; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build-fuzz/corpus/$$name fuzz/corpus/$$name 2>&1 | tail -4; \
	  [ $${PIPESTATUS[0]} -eq 0 ] || exit 1; \
	done

# The nightly run: FUZZ_RUNS executions of each target, from the seeds and
# what earlier runs found (build-fuzz/corpus/); each target's final stats go
# to build-fuzz/nightly-TARGET.log. Fails on the first crash, leak or hang.
fuzz-nightly: fuzz-build
	@for f in $(addprefix build-fuzz/bin/,$(FUZZ_TARGETS)); do \
	  name=$$(basename $$f); mkdir -p build-fuzz/corpus/$$name; \
	  echo "== $$name: $(FUZZ_RUNS) runs"; start=$$(date +%s); \
	  $$f -runs=$(FUZZ_RUNS) -timeout=10 -print_final_stats=1 build-fuzz/corpus/$$name fuzz/corpus/$$name \
	    > build-fuzz/nightly-$$name.log 2>&1; status=$$?; \
	  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' build-fuzz/nightly-$$name.log; \
	  echo "   $$(( $$(date +%s) - start )) s"; \
	  [ $$status -eq 0 ] || { tail -40 build-fuzz/nightly-$$name.log; exit 1; }; \
	done

install: build
	cmake --install build --prefix $(PREFIX)

# CPack (cmake/deb.cmake); dpkg-shlibdeps (dpkg-dev) fills in Depends.
deb: build
	cmake --build build --target package

clean:
	rm -rf build build-asan build-tsan build-fuzz
