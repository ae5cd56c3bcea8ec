# SPDX-License-Identifier: LGPL-2.1-or-later
# Robustness checks for the launcher (tests/robustness/, fuzz/). Included from the Makefile;
# uses its CC, CFLAGS, HARDEN, LDHARDEN and CONF, so every variant is built exactly as ppy is.
#
#   make deps-robust          Debian packages these checks need (clang, cppcheck, valgrind, ...)
#   make analyze              gcc -fanalyzer, cppcheck and clang scan-build; fails on any finding
#   make check-hardening      the installed binary's hardening (PIE, RELRO, BIND_NOW, canary, FORTIFY)
#   make check-faults         every failable call on the privileged path fails in turn (LD_PRELOAD)
#   make check-sanitize       the launcher test suite against an ASan+UBSan ppy (file-capped)
#   make check-valgrind       the launcher test suite with ppy under valgrind memcheck
#   make fuzz FUZZ_SECONDS=N  libFuzzer (ASan+UBSan) on everything ppy parses, N seconds per target
#   make check-load           2,000 concurrent launches while root rewrites and re-setcaps the script
#   make check-robust         all of the above but the load test, with a short fuzz run

ROBUST       := tests/robustness
VARIANTS     := build/variants
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := xattr escape env argv shebang conf path
FUZZ_CC      ?= clang
# The test suite's interpreter and pytest, as make test uses them (a venv by default).
ROBUST_PY    ?= PPY_PYTHON=$(PYTHON) $(PRIVNET) $(TEST_PYTHON)
ROBUST_DEPS   = all $(if $(filter $(TEST_VENV)/bin/python,$(TEST_PYTHON)),$(TEST_VENV)/bin/pytest)
LAUNCHER_TESTS = $(wildcard tests/test_launcher*.py)

.PHONY: deps-robust analyze check-hardening check-faults check-sanitize check-valgrind \
        fuzz fuzz-build check-load check-robust variant

deps-robust:
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		clang clang-tools libclang-rt-14-dev cppcheck valgrind binutils

# gcc -fanalyzer, cppcheck and scan-build (clang's analyzer) on the default configuration.
# Not reported: memory "leaks". ppy allocates a few strings that live until it execs or
# _exits (the interpreter list, the environment); nothing is freed on purpose.
# cppcheck fails on errors, warnings, performance and portability findings; its style
# notes are only counted.
analyze:
	$(CC) -O2 -fanalyzer -Wno-analyzer-malloc-leak $(HARDEN) $(CONF) -c wrapper/ppy.c -o /dev/null
	cppcheck --quiet --error-exitcode=1 --std=c11 --inconclusive \
		--enable=warning,performance,portability --suppress=missingIncludeSystem \
		$(CONF) -D__linux__ -D__x86_64__ wrapper/ppy.c
	@echo "cppcheck style notes (shown, not failing: variable scope, precedence clarity):"
	@cppcheck --quiet --std=c11 --enable=style --suppress=missingIncludeSystem \
		$(CONF) -D__linux__ -D__x86_64__ wrapper/ppy.c 2>&1 | grep -c 'style:' || true
	scan-build --status-bugs -o build/scan-build clang -O2 -Wall -Wextra -Werror \
		$(CONF) -c wrapper/ppy.c -o /dev/null
	@# ppy_py's own C: the stable-ABI module (raised(), the boot's calls) and the cffi helpers.
	$(CC) -O2 -fanalyzer -Wall -Wextra -Werror -fPIC -I$(PYINC) -Ippy_py/_build \
		-c ppy_py/_build/sysmodule.c -o /dev/null
	cppcheck --quiet --error-exitcode=1 --std=c11 --library=python \
		--enable=warning,performance,portability --suppress=missingIncludeSystem \
		-Ippy_py/_build ppy_py/_build/sysmodule.c ppy_py/_build/capng_helpers.c
	scan-build --status-bugs -o build/scan-build clang -O2 -Wall -Wextra -Werror -fPIC \
		-I$(PYINC) -Ippy_py/_build -c ppy_py/_build/sysmodule.c -o /dev/null
	@echo "analyze: gcc -fanalyzer, cppcheck, scan-build: no findings"

# A variant of ppy with the compiled-in settings of the install it replaces (PREFIX,
# PYTHON, GRANTABLE given on the command line), written to VARIANT_OUT:
#   VARIANT=asan      -fsanitize=address,undefined, aborting on the first report, with
#                     built-in options (tests/robustness/sanitize_opts.c) logging to SAN_LOG
#   VARIANT=plain     the normal hardened build (for valgrind and the fault-injection shim)
#   VARIANT=musl      the normal hardened build against musl (musl-gcc, libcap-ng built for
#                     musl by tests/portability/prepare.sh into MUSL_DIR: make check-musl)
VARIANT     ?= plain
VARIANT_OUT ?= $(VARIANTS)/$(VARIANT)/ppy
SAN_LOG     ?= /tmp/ppy-sanitizer
SANFLAGS    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=all -fstack-protector-strong -fPIE \
               -Wall -Wextra -Werror -Wno-unused-function

variant: wrapper/ppy.c $(ROBUST)/sanitize_opts.c
	@mkdir -p $(dir $(VARIANT_OUT))
ifeq ($(VARIANT),asan)
	$(CC) $(SANFLAGS) $(CONF) -DSAN_LOG='"$(SAN_LOG)"' -o $(VARIANT_OUT) wrapper/ppy.c \
		$(ROBUST)/sanitize_opts.c $(LDHARDEN) -lcap-ng
else ifeq ($(VARIANT),musl)
	musl-gcc $(CFLAGS) $(HARDEN) $(CONF) -isystem $(MUSL_DIR)/kinc -I$(MUSL_DIR)/capng/include \
		-o $(VARIANT_OUT) wrapper/ppy.c -L$(MUSL_DIR)/capng/lib $(LDHARDEN) -lcap-ng
else
	$(CC) $(CFLAGS) $(HARDEN) $(CONF) -o $(VARIANT_OUT) wrapper/ppy.c $(LDFLAGS) $(LDHARDEN) -lcap-ng
endif

check-hardening: $(ROBUST_DEPS)
	$(ROBUST_PY) -m pytest -q -ra $(ROBUST)/test_robust_hardening.py

check-faults: $(ROBUST_DEPS)
	$(ROBUST_PY) -m pytest -q -ra -s $(ROBUST)/test_robust_faults.py

check-sanitize: $(ROBUST_DEPS)
	PPY_TEST_VARIANT=asan PYTHONPATH=$(ROBUST) $(ROBUST_PY) -m pytest -q -ra \
		-p robust_variant $(LAUNCHER_TESTS)

check-valgrind: $(ROBUST_DEPS)
	PPY_TEST_VARIANT=valgrind PYTHONPATH=$(ROBUST) $(ROBUST_PY) -m pytest -q -ra \
		-p robust_variant $(LAUNCHER_TESTS)

fuzz-build: $(foreach t,$(FUZZ_TARGETS),$(VARIANTS)/fuzz/fuzz_$(t))

$(VARIANTS)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/harness.h wrapper/ppy.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -Werror -Wno-unused-function $(CONF) -o $@ $< -lcap-ng

# Each target runs FUZZ_SECONDS on a scratch copy of its seed corpus (fuzz/corpus/T), after
# replaying every past crash (fuzz/regress/T). Any crash fails the target.
fuzz: fuzz-build
	@mkdir -p build/fuzz && rm -f build/fuzz/summary.txt
	@set -e; for t in $(FUZZ_TARGETS); do \
		rm -rf build/fuzz/corpus-$$t && mkdir -p build/fuzz/corpus-$$t build/fuzz/crash-$$t; \
		cp fuzz/corpus/$$t/* build/fuzz/corpus-$$t/ 2>/dev/null || true; \
		if [ -d fuzz/regress/$$t ]; then $(VARIANTS)/fuzz/fuzz_$$t -close_fd_mask=3 fuzz/regress/$$t/*; fi; \
		$(VARIANTS)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 \
			-artifact_prefix=build/fuzz/crash-$$t/ -print_final_stats=1 \
			build/fuzz/corpus-$$t fuzz/corpus/$$t > build/fuzz/log-$$t.txt 2>&1 \
			|| { tail -40 build/fuzz/log-$$t.txt; echo "fuzz: $$t crashed; see build/fuzz/crash-$$t"; exit 1; }; \
		$(PYTHON) $(ROBUST)/fuzz_summary.py $$t build/fuzz/log-$$t.txt $(FUZZ_SECONDS) | tee -a build/fuzz/summary.txt; \
	done

check-load: $(ROBUST_DEPS)
	PPY_LOAD=1 $(ROBUST_PY) -m pytest -q -ra -s $(ROBUST)/test_robust_load.py

check-robust: analyze check-hardening check-faults check-sanitize
	$(MAKE) fuzz FUZZ_SECONDS=$(or $(CI_FUZZ_SECONDS),8)
