# rcu-unload: `make run` and `make test` are the two entry points (see README.md).
# Everything a target needs is installed or fetched by the target itself.
SHELL := /bin/bash
BUILD := build
HARNESS := $(BUILD)/user/rcu-unload
CYCLES ?= 20
CALLBACKS ?= 1000
# `all`: every strategy the module says applies on the booted kernel.
STRATEGIES ?= all
# KERNEL-NAME[:APPEND] configurations `make run` boots; names as in scripts/fetch-kernel.sh.
RUN_CONFIGS ?= deb-6.1-amd64:preempt=none deb-6.1-amd64:preempt=full deb-6.1-rt

.PHONY: all deps user kernels unit test run bench bench-modules matrix stress clean host fuzzers sanitize
all: user

deps:
	@scripts/install-deps.sh

user: deps
	@cmake -S . -B $(BUILD)/user -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)/user -j2

unit: user
	ctest --test-dir $(BUILD)/user -L unit --output-on-failure

# The kernels the QEMU tests boot, fetched or built before any test starts: no test's timeout
# covers a kernel build, and a failure names the kernel and its log.
TEST_KERNELS := deb-6.1-amd64 deb-6.1-rt deb-6.12-amd64 UP-NONE SMP-NONE DEBUG
kernels: deps
	@scripts/get-kernel.sh $(TEST_KERNELS) >/dev/null

# The libFuzzer targets (tests/fuzz, clang), run by ctest's fuzz.* tests for FUZZ_RUNS inputs each.
FUZZ_RUNS ?= 40000
fuzzers: deps
	@cmake -S tests/fuzz -B $(BUILD)/fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)/fuzz -j2

# The harness with ASan and UBSan in $(BUILD)/asan, and its unit tests.
sanitize: deps
	@cmake -S . -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug -DRCU_UNLOAD_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)/asan -j2 --target unit_tests rcu-unload
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --test-dir $(BUILD)/asan -L unit --output-on-failure

# Unit tests, the fuzzers (FUZZ_RUNS inputs each), then the QEMU integration tests (which boot real
# kernels, one at a time).
test: user kernels fuzzers
	@cmake -S . -B $(BUILD)/user -DRCU_UNLOAD_FUZZ_RUNS=$(FUZZ_RUNS) >/dev/null
	ctest --test-dir $(BUILD)/user --output-on-failure

# On the machine itself (no QEMU): the module against the running kernel's headers and the
# harness. Loading it needs root; see README, "On a real machine".
HOST_KBUILD := /lib/modules/$(shell uname -r)/build
host:
	@if [ ! -f $(HOST_KBUILD)/Makefile ]; then \
		echo "make host: no headers for the running kernel $$(uname -r) at $(HOST_KBUILD);" \
		     "install them (Debian: apt-get install linux-headers-$$(uname -r))" >&2; exit 1; fi
	@$(MAKE) --no-print-directory user
	scripts/build-module.sh $(HOST_KBUILD) $(BUILD)/host
	@echo "module: $(BUILD)/host/rcu_unload.ko, harness: $(HARNESS);" \
	      "run: sudo $(HARNESS) run --module $(BUILD)/host/rcu_unload.ko --strategy all --cycles 20"


run: user
	@set -e; for config in $(RUN_CONFIGS); do \
		kernel=$${config%%:*}; append=$${config#$$kernel}; append=$${append#:}; \
		out=$(BUILD)/run/$$kernel$${append:+-$${append//[= ]/-}}; \
		echo "== $$kernel $$append: $(CYCLES) cycles per strategy, callbacks=$(CALLBACKS)"; \
		scripts/guest-run.sh --kernel $$kernel --append "$$append" --out $$out \
			-- --cycles $(CYCLES) --callbacks $(CALLBACKS) $(addprefix --strategy ,$(STRATEGIES)); \
		echo "== $$kernel $$append: fuse, plain against the resident expediter, $(CYCLES) cycles each"; \
		scripts/guest-run.sh --kernel $$kernel --append "$$append" --out $$out-fuse --module fuse \
			-- --cycles $(CYCLES) --callbacks 0 --strategy plain --strategy plain+expedite; \
	done

# The benchmark: the bench experiments of configs/experiments.tsv (BENCH="LABEL..." for some),
# every strategy spec x callbacks interleaved in one boot each.
bench: user
	scripts/bench.sh $(if $(BENCH_CYCLES),--cycles $(BENCH_CYCLES)) $(BENCH)

# The kernel's own modules (fuse, overlay, squashfs, nf_conntrack, bridge) and rcu_unload's barrier,
# plain against the resident expediter and the knobs, on 6.1 and 6.12, idle=poll and default rows:
# the bench-modules lines of configs/experiments.tsv (BENCH="LABEL..." for some). Idle host only.
bench-modules: user
	scripts/bench.sh --suite bench-modules $(if $(BENCH_CYCLES),--cycles $(BENCH_CYCLES)) $(BENCH)

# The matrix experiments of configs/experiments.tsv (MATRIX="LABEL..." for some), one summary table.
matrix: user
	scripts/matrix.sh $(if $(MATRIX_CYCLES),--cycles $(MATRIX_CYCLES)) $(MATRIX)

# Randomized load/unload cycles (rcu-unload stress) on the stress experiments of
# configs/experiments.tsv (STRESS="LABEL..." for some), one boot each; STRESS_CYCLES and STRESS_SEED
# override the cycles per boot and the seed (default: a new seed per run, printed).
stress: user
	scripts/stress.sh $(STRESS)

clean:
	rm -rf $(BUILD)
