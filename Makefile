# SPDX-License-Identifier: LGPL-2.1-or-later
# ppy: build, install, test.
#
#   make                       build wrapper/ppy and the ppy_py extension (for $(PYTHON))
#   sudo make install          install under $(PREFIX) and give ppy its file capabilities
#   sudo make test             the whole test suite (privileged tests need root)
#   sudo make demo             grant a capability to a script and run it as an unprivileged uid
#
# PYTHON is the interpreter every ppy script runs under; it is compiled into ppy and the
# caller cannot change it. GRANTABLE limits what ppy can ever grant (comma list or "all").

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBDIR    ?= $(PREFIX)/lib/ppy
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=
PYTHON    ?= /usr/bin/python3
GRANTABLE ?= all
NO_SETCAP ?=
NO_PYC    ?=
VERSION   := 0.1.0

CC        ?= cc
CFLAGS    ?= -O2 -g
# Flags only some targets have are asked of the compiler, not assumed: x86's CET
# (-fcf-protection), arm64's PAC/BTI (-mbranch-protection), stack clash protection.
cc-option  = $(shell $(CC) -Werror $(1) -x c -c /dev/null -o /dev/null >/dev/null 2>&1 && echo '$(1)')
TARGET_HARDEN := $(call cc-option,-fstack-clash-protection) $(call cc-option,-fcf-protection) \
             $(call cc-option,-mbranch-protection=standard)
# -U first: a compiler (Ubuntu's) or CPPFLAGS (dpkg-buildflags) may already define it.
FORTIFY   := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3
HARDEN    := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow \
             -Werror=implicit-function-declaration -Werror=unused-result \
             $(FORTIFY) -fstack-protector-strong $(TARGET_HARDEN) -fPIE
LDHARDEN  := -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack
CONF      := -DPPY_CONF='"$(SYSCONFDIR)/ppy.conf"' -DPPY_PYTHON='"$(PYTHON)"' -DPPY_LIBDIR='"$(LIBDIR)"' \
             -DPPY_GRANTABLE='"$(GRANTABLE)"' -DPPY_VERSION='"$(VERSION)"'

# ppy's own file capabilities: what it may grant, plus what it needs to become the owner.
# The one place they are written: make install sets them, and the Debian package's
# postinst gets them from `make print-filecaps`.
ifeq ($(GRANTABLE),all)
FILECAPS  := all=p
else
FILECAPS  := $(GRANTABLE),cap_setuid,cap_setgid,cap_setpcap=p
endif

# What PYTHON is, asked once (ppy_py/_build/pycheck.py): below 3.9, or without cffi or
# Python.h, the build stops here with one line saying so. Goals that build nothing for
# PYTHON do not ask (make deps runs before the machine has cffi).
NOPY_GOALS := deps deps-robust deps-portability clean clean-pythons uninstall print-filecaps deb
ifneq ($(filter-out $(NOPY_GOALS),$(or $(MAKECMDGOALS),all)),)
PYINFO    := $(shell command -v '$(PYTHON)' >/dev/null 2>&1 && '$(PYTHON)' ppy_py/_build/pycheck.py 2>&1 \
               || echo 'error PYTHON=$(PYTHON) is not a program that runs')
ifneq ($(firstword $(PYINFO)),ok)
$(error $(if $(filter error,$(firstword $(PYINFO))),$(wordlist 2,999,$(PYINFO)),PYTHON=$(PYTHON) failed: $(PYINFO)))
endif
endif
EXT_SUFFIX = $(word 2,$(PYINFO))
PYINC      = $(word 3,$(PYINFO))
CAPNG_SO   = ppy_py/_capng$(EXT_SUFFIX)
SYS_EXT   := _ppy_sys.abi3.so
EXT_CFLAGS = $(CFLAGS) $(CPPFLAGS) -fPIC -fwrapv -fno-strict-aliasing $(FORTIFY) -fstack-protector-strong \
             $(TARGET_HARDEN) -I$(PYINC) -Ippy_py/_build
EXT_LDFLAGS = -shared $(LDFLAGS) -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack
PRCTL_EXT := ppy_py/_ppy_prctl.abi3.so
TEST_VENV := .venv
TEST_PYTHON ?= $(TEST_VENV)/bin/python

.PHONY: all ext install install-pth uninstall test deps demo deb check-deb print-filecaps clean FORCE

all: wrapper/ppy ext

# Rebuild when a compiled-in setting or the compiler changes, not only when the source does.
BUILD_CONF = $(CC) $(CFLAGS) $(CPPFLAGS) $(HARDEN) $(CONF) $(LDFLAGS) $(LDHARDEN)
wrapper/build.conf: FORCE
	@echo '$(BUILD_CONF)' | cmp -s - $@ || echo '$(BUILD_CONF)' > $@

wrapper/ppy: wrapper/ppy.c ppy_py/_build/origin.h wrapper/build.conf
	$(CC) $(CFLAGS) $(CPPFLAGS) $(HARDEN) $(CONF) -o $@ wrapper/ppy.c $(LDFLAGS) $(LDHARDEN) -lcap-ng

ext: $(CAPNG_SO) $(SYS_EXT) $(PRCTL_EXT)

# ppy_py._capng: cffi writes the C (capng_build.py), the compiler that builds ppy builds it.
build/cffi/_capng$(basename $(EXT_SUFFIX)).c: ppy_py/_build/capng_build.py ppy_py/_build/capng.h \
		ppy_py/_build/capng_helpers.c
	@mkdir -p build/cffi
	$(PYTHON) ppy_py/_build/capng_build.py $@

$(CAPNG_SO): build/cffi/_capng$(basename $(EXT_SUFFIX)).c ppy_py/_build/rawcaps.h
	$(CC) $(EXT_CFLAGS) -Wall -Wextra -Wno-unused-parameter -o $@.partial $< $(EXT_LDFLAGS) -lcap-ng
	mv -f $@.partial $@

# capget/capset/prctl on CPython's stable ABI (one .abi3.so for every CPython >= 3.8):
# the hot path of raised() and ppy's boot, which must not pay for cffi (see sysmodule.c).
$(SYS_EXT): ppy_py/_build/sysmodule.c ppy_py/_build/rawcaps.h ppy_py/_build/origin.h
	$(CC) $(EXT_CFLAGS) -Wall -Wextra -Werror -o $@ ppy_py/_build/sysmodule.c $(EXT_LDFLAGS)

print-filecaps:
	@echo '$(FILECAPS)'

# prctl(2) for ppy_py's process options and ppy_py.compat, also on the stable ABI: a
# getter is one C call, a checked setter sets and reads back in one (see prctlmodule.c).
$(PRCTL_EXT): ppy_py/_build/prctlmodule.c ppy_py/_build/prctl_compat.h
	$(CC) $(EXT_CFLAGS) -Wall -Wextra -Werror -o $@ ppy_py/_build/prctlmodule.c $(EXT_LDFLAGS)

install: all
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/python/ppy_py \
		$(DESTDIR)$(LIBDIR)/python/ppy_py/compat
	install -m 0755 wrapper/ppy $(DESTDIR)$(BINDIR)/ppy
	install -D -m 0644 doc/ppy.1 $(DESTDIR)$(MANDIR)/man1/ppy.1
	install -m 0644 wrapper/ppy_boot.py wrapper/ppy_reexec.py $(DESTDIR)$(LIBDIR)/python/
	install -m 0644 ppy_py/*.py ppy_py/*.pyi ppy_py/py.typed $(DESTDIR)$(LIBDIR)/python/ppy_py/
	install -m 0644 ppy_py/compat/*.py $(DESTDIR)$(LIBDIR)/python/ppy_py/compat/
	install -m 0644 $(CAPNG_SO) $(PRCTL_EXT) $(DESTDIR)$(LIBDIR)/python/ppy_py/
	install -m 0644 $(SYS_EXT) $(DESTDIR)$(LIBDIR)/python/
	@# Until 825f884 the extension was ppy_py/_sys: nothing loads that copy any more.
	rm -f $(DESTDIR)$(LIBDIR)/python/ppy_py/_sys.abi3.so
	@# checked-hash: Python uses a .pyc only while it matches its source's hash (a copy
	@# that keeps mtimes cannot make it run stale code); -B keeps anyone from writing more.
	@# NO_PYC=1: a package ships no bytecode; its postinst compiles the same way.
	$(if $(NO_PYC),,$(PYTHON) -m compileall -q --invalidation-mode checked-hash -d $(LIBDIR)/python $(DESTDIR)$(LIBDIR)/python)
	@if [ -z "$(NO_SETCAP)" ]; then \
		echo "setcap $(FILECAPS) $(DESTDIR)$(BINDIR)/ppy"; \
		setcap '$(FILECAPS)' $(DESTDIR)$(BINDIR)/ppy; \
	else \
		echo "NO_SETCAP set: run setcap '$(FILECAPS)' $(BINDIR)/ppy as root to activate"; \
	fi

# Optional: activate ppy_py.hardening.patch_stdlib() for every program of an interpreter
# or venv, before any other import: make install-pth SITEDIR=$$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
install-pth:
	@[ -n "$(SITEDIR)" ] || { echo "make install-pth SITEDIR=<site-packages directory>" >&2; exit 2; }
	install -m 0644 ppy_py/_pth/ppy_py-hardening.pth $(DESTDIR)$(SITEDIR)/ppy_py-hardening.pth

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ppy $(DESTDIR)$(MANDIR)/man1/ppy.1
	rm -rf $(DESTDIR)$(LIBDIR)

# What a fresh machine needs to build, install and test ppy, from apt-get, dnf or apk,
# whichever it has (packaging/deps.sh; only the apt lists run in CI, on Debian 12).
# `make deps` also installs what `make deb` needs, so that make test can build the package.
deps:
	sh packaging/deps.sh base deb

$(TEST_VENV)/bin/pytest:
	$(PYTHON) -m venv --system-site-packages $(TEST_VENV)
	$(TEST_VENV)/bin/pip install -q pytest

# As root, every test run gets a network namespace of its own with just loopback up, so
# that parallel runs (and anything else on the machine) never fight over port 80.
PRIVNET := $(if $(filter 0,$(shell id -u)),unshare --net sh -c 'ip link set lo up && exec "$$0" "$$@"')

# The real servers tests/test_apps.py runs come from PyPI: fetched before the tests enter
# their network namespace (as root; the app tests need root anyway). The oracle
# (python-prctl's own test suite, which the test fetches from PyPI with pip) runs
# outside that namespace: it needs the network and binds no port.
.PHONY: apps-venv
apps-venv:
	$(if $(PRIVNET),$(PYTHON) tests/apps/appsvenv.py $(PYTHON),@true)

test: all apps-venv $(if $(filter $(TEST_VENV)/bin/python,$(TEST_PYTHON)),$(TEST_VENV)/bin/pytest)
	PPY_PYTHON=$(PYTHON) $(PRIVNET) $(TEST_PYTHON) -m pytest -q -ra -m "not oracle" tests
	PPY_PYTHON=$(PYTHON) $(TEST_PYTHON) -m pytest -q -ra -m oracle tests

demo: all
	PYTHON=$(PYTHON) sh demo/demo.sh

# As root: ppy against python3 -I, setpriv, capsh, runuser, sudo; ppy_py against python-prctl,
# pyprctl, capng and C. Prints and writes bench/results.md. BENCH_ARGS=--quick: about a minute.
.PHONY: bench
bench:
	$(PYTHON) bench/bench.py $(BENCH_ARGS)

# The source tree, without what builds and tests made, copied into $(1).
copy-tree = tar -cf - --exclude=./build --exclude=./.venv --exclude=./.git --exclude='*.so' \
	--exclude=__pycache__ --exclude=./wrapper/ppy --exclude=./wrapper/build.conf . | tar -xf - -C $(1)

# The Debian packages ppy and python3-ppy (debian/), built with dpkg-buildpackage from a copy
# of this tree (its clean step must not touch the tree the tests run from) and checked by
# lintian, which fails the build on any error or warning. Output: build/deb/*.deb.
DEB_SRC := build/deb/ppy-$(VERSION)
deb:
	rm -rf build/deb && mkdir -p $(DEB_SRC)
	$(call copy-tree,$(DEB_SRC))
	@# The system's tools only: a pyenv or venv python3 first on PATH would build for itself.
	cd $(DEB_SRC) && env PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg-buildpackage -us -uc -b > ../build.log 2>&1 \
		|| { tail -40 ../build.log; echo "make deb: dpkg-buildpackage failed; see build/deb/build.log" >&2; exit 1; }
	env PATH=/usr/sbin:/usr/bin:/sbin:/bin lintian --fail-on error,warning --tag-display-limit 0 \
		build/deb/ppy_$(VERSION)_*.changes

# As root: build the packages, install them with apt, run a capped script through them, purge.
check-deb: $(if $(filter $(TEST_VENV)/bin/python,$(TEST_PYTHON)),$(TEST_VENV)/bin/pytest)
	PPY_DEB=1 $(TEST_PYTHON) -m pytest -q -ra tests/test_deb.py

clean:
	rm -f wrapper/ppy wrapper/build.conf ppy_py/_capng*.so _ppy_sys*.so ppy_py/_ppy_prctl*.so \
		ppy_py/.built-*
	rm -rf build *.egg-info

# Robustness checks: analyze, check-sanitize, check-valgrind, check-faults, fuzz, check-load.
include tests/robustness/robust.mk
# Portability: check-pythons (CPython 3.9-3.13), check-cross (aarch64), check-musl.
include tests/portability/portability.mk
