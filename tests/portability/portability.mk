# SPDX-License-Identifier: LGPL-2.1-or-later
# Portability checks (tests/portability/). Included from the Makefile, after robust.mk.
#
#   make deps-portability   Debian packages they need (patchelf, aarch64 cross gcc, musl-tools)
#   make check-pythons      each CPython of PYTHON_VERSIONS (pyenv's, copied by pythons.py into
#                           PYTHONS_DIR, root's alone): build, the library tests and real
#                           launches through an installed ppy built for it
#   make check-cross        ppy and both extensions compiled for aarch64 by Debian's cross gcc,
#                           against arm64 libcap-ng and libpython headers (prepare.sh arm64)
#   make check-musl         ppy built against musl (libcap-ng built for musl by prepare.sh musl)
#                           runs the launcher test suite
#   make check-port         all three
#
# What they fetch or copy is kept and reused: PYTHONS_DIR, CROSS_DIR, MUSL_DIR.

PORT            := tests/portability
PYENV_VERSIONS  ?= /root/.pyenv/versions
PYTHON_VERSIONS ?= 3.9.18 3.10.13 3.12.1 3.13.0
PYTHONS_DIR     ?= /var/lib/ppy-pythons
CROSS           ?= aarch64-linux-gnu
CROSS_DIR       ?= /var/cache/ppy-cross/arm64
MUSL_DIR        ?= /var/cache/ppy-musl
# Per version: all the library tests, and launches through an installed ppy (a capped
# script bound to port 80 as an unprivileged uid, the interpreter's version, forbid-exec).
PORT_PY_TESTS   := tests/test_lib_*.py tests/test_interpreter.py \
                   tests/test_launcher.py::test_port_80_binds_only_while_raised \
                   tests/test_launcher_forbid.py::test_forbid_exec_raise_refuses_process_creation

.PHONY: deps-portability check-pythons check-cross check-musl check-port clean-pythons

deps-portability:
	sh packaging/deps.sh portability

check-pythons:
	@pys=$$($(PYTHON) $(PORT)/pythons.py --src $(PYENV_VERSIONS) --dest $(PYTHONS_DIR) \
		$(PYTHON_VERSIONS)) || { echo "check-pythons: could not copy $(PYTHON_VERSIONS)" >&2; exit 1; }; \
	for py in $$pys; do \
		echo "== $$py"; \
		$(MAKE) -s --no-print-directory PYTHON=$$py all || exit 1; \
		PPY_PYTHON=$$py $(PRIVNET) $$py -m pytest -q -p no:cacheprovider $(PORT_PY_TESTS) || exit 1; \
	done

clean-pythons:
	rm -rf $(PYTHONS_DIR)

# The Makefile builds in a copy of the tree (the aarch64 files must not land in this one),
# with the cross compiler: the hardening flags it is given are the ones it accepts.
CROSS_PYV = $(shell /usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
check-cross:
	sh $(PORT)/prepare.sh arm64 $(CROSS_DIR)
	rm -rf build/cross && mkdir -p build/cross/src
	$(call copy-tree,build/cross/src)
	$(MAKE) -s --no-print-directory -C build/cross/src all PYTHON=/usr/bin/python3 CC=$(CROSS)-gcc \
		CPPFLAGS=-I$(CROSS_DIR)/root/usr/include PYINC=$(CROSS_DIR)/root/usr/include/python$(CROSS_PYV) \
		LDFLAGS="-L$(CROSS_DIR)/root/usr/lib/$(CROSS) -L$(CROSS_DIR)/root/lib/$(CROSS)" \
		EXT_SUFFIX=.cpython-$(subst .,,$(CROSS_PYV))-$(CROSS).so
	PPY_CROSS=build/cross/src $(TEST_PYTHON) -m pytest -q -ra -p no:cacheprovider $(PORT)/test_port_cross.py

check-musl: $(ROBUST_DEPS)
	sh $(PORT)/prepare.sh musl $(MUSL_DIR)
	PPY_TEST_VARIANT=musl PYTHONPATH=$(ROBUST) $(ROBUST_PY) -m pytest -q -ra \
		-p robust_variant $(LAUNCHER_TESTS)

check-port: check-pythons check-cross check-musl
