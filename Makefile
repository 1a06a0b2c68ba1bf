# Thin wrapper over CMake: every target installs missing dependencies, configures and builds.
#   make demo   — the main job: train on real data when COHORT_DATA has it, else synthetic data
#   make test   — build everything and run the whole test suite through CTest
#   make sanitize — the CPU tests under AddressSanitizer + UBSan (build-asan/)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

# Real data: COHORT_DATA from the environment, else ../shared/data when present.
export COHORT_DATA ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),)

.PHONY: deps configure build test demo sanitize clean

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# The `quick` DML preset: CIFAR-100 (a subset) when COHORT_DATA has it, else synthetic data; the
# GPU when present, else the CPU. Each run gets its own directory under runs/.
demo: build
	$(BUILD)/bin/cohort train --config examples/configs/quick.yaml

sanitize: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCOHORT_SANITIZE=address,undefined \
	  -DCOHORT_CUDA=OFF -DCOHORT_BUILD_BENCHMARKS=OFF -DCOHORT_BUILD_EXAMPLES=OFF $(CMAKE_FLAGS)
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)

clean:
	rm -rf $(BUILD) build-asan
