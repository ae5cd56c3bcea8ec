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
VERSION   := 0.1.0

CC        ?= cc
CFLAGS    ?= -O2 -g
HARDEN    := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow \
             -Werror=implicit-function-declaration -Werror=unused-result \
             -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fstack-clash-protection \
             -fcf-protection -fPIE
LDHARDEN  := -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack
CONF      := -DPPY_CONF='"$(SYSCONFDIR)/ppy.conf"' -DPPY_PYTHON='"$(PYTHON)"' -DPPY_LIBDIR='"$(LIBDIR)"' \
             -DPPY_GRANTABLE='"$(GRANTABLE)"' -DPPY_VERSION='"$(VERSION)"'

# ppy's own file capabilities: what it may grant, plus what it needs to become the owner.
ifeq ($(GRANTABLE),all)
FILECAPS  := all=p
else
FILECAPS  := $(GRANTABLE),cap_setuid,cap_setgid,cap_setpcap,cap_lease=p
endif

EXT_STAMP := ppy_py/.built-$(notdir $(PYTHON))
SYS_EXT   := _ppy_sys.abi3.so
PRCTL_EXT := ppy_py/_ppy_prctl.abi3.so
PYINC      = $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
TEST_VENV := .venv
TEST_PYTHON ?= $(TEST_VENV)/bin/python

.PHONY: all ext install install-pth uninstall test deps demo deb clean FORCE

all: wrapper/ppy ext

# Rebuild when a compiled-in setting changes, not only when the source does.
wrapper/build.conf: FORCE
	@echo '$(CONF)' | cmp -s - $@ || echo '$(CONF)' > $@

wrapper/ppy: wrapper/ppy.c wrapper/build.conf
	$(CC) $(CFLAGS) $(HARDEN) $(CONF) -o $@ wrapper/ppy.c $(LDFLAGS) $(LDHARDEN) -lcap-ng

ext: $(EXT_STAMP) $(SYS_EXT) $(PRCTL_EXT)

$(EXT_STAMP): ppy_py/_build/capng_build.py ppy_py/_build/capng.h ppy_py/_build/capng_helpers.c \
		ppy_py/_build/rawcaps.h
	$(PYTHON) ppy_py/_build/capng_build.py
	@touch $@

# capget/capset/prctl on CPython's stable ABI (one .abi3.so for every CPython >= 3.8):
# the hot path of raised() and ppy's boot, which must not pay for cffi (see sysmodule.c).
$(SYS_EXT): ppy_py/_build/sysmodule.c ppy_py/_build/rawcaps.h
	$(CC) $(CFLAGS) -Wall -Wextra -Werror -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIC \
		-shared -I$(PYINC) -Ippy_py/_build -o $@ ppy_py/_build/sysmodule.c \
		-Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack

# prctl(2) for ppy_py's process options and ppy_py.compat, also on the stable ABI: a
# getter is one C call, a checked setter sets and reads back in one (see prctlmodule.c).
$(PRCTL_EXT): ppy_py/_build/prctlmodule.c ppy_py/_build/prctl_compat.h
	$(CC) $(CFLAGS) -Wall -Wextra -Werror -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIC \
		-shared -I$(PYINC) -Ippy_py/_build -o $@ ppy_py/_build/prctlmodule.c \
		-Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack

install: all
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(LIBDIR)/python/ppy_py \
		$(DESTDIR)$(LIBDIR)/python/ppy_py/compat
	install -m 0755 wrapper/ppy $(DESTDIR)$(BINDIR)/ppy
	install -D -m 0644 doc/ppy.1 $(DESTDIR)$(MANDIR)/man1/ppy.1
	install -m 0644 wrapper/ppy_boot.py $(DESTDIR)$(LIBDIR)/python/ppy_boot.py
	install -m 0644 ppy_py/*.py ppy_py/*.pyi ppy_py/py.typed $(DESTDIR)$(LIBDIR)/python/ppy_py/
	install -m 0644 ppy_py/compat/*.py $(DESTDIR)$(LIBDIR)/python/ppy_py/compat/
	install -m 0644 ppy_py/_capng*.so $(PRCTL_EXT) $(DESTDIR)$(LIBDIR)/python/ppy_py/
	install -m 0644 $(SYS_EXT) $(DESTDIR)$(LIBDIR)/python/
	@# Until 825f884 the extension was ppy_py/_sys: nothing loads that copy any more.
	rm -f $(DESTDIR)$(LIBDIR)/python/ppy_py/_sys.abi3.so
	@# checked-hash: Python uses a .pyc only while it matches its source's hash (a copy
	@# that keeps mtimes cannot make it run stale code); -B keeps anyone from writing more.
	$(PYTHON) -m compileall -q --invalidation-mode checked-hash -d $(LIBDIR)/python $(DESTDIR)$(LIBDIR)/python
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

# Debian packages a fresh machine needs to build, install and test ppy. python3-prctl
# and libcap-dev are for the oracle (tests/test_prctl_oracle.py): the real python-prctl,
# and the headers its sdist's setup.py wants before pip can download it.
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		gcc make libc6-dev libcap-ng-dev libcap2-bin util-linux iproute2 attr acl man-db procps \
		python3 python3-dev python3-cffi python3-cffi-backend python3-venv python3-pip \
		python3-prctl libcap-dev

$(TEST_VENV)/bin/pytest:
	$(PYTHON) -m venv --system-site-packages $(TEST_VENV)
	$(TEST_VENV)/bin/pip install -q pytest

# As root, every test run gets a network namespace of its own with just loopback up, so
# that parallel runs (and anything else on the machine) never fight over port 80.
PRIVNET := $(if $(filter 0,$(shell id -u)),unshare --net sh -c 'ip link set lo up && exec "$$0" "$$@"')

# The oracle (python-prctl's own test suite, which the test fetches from PyPI with pip)
# runs outside that namespace: it needs the network and binds no port.
test: all $(if $(filter $(TEST_VENV)/bin/python,$(TEST_PYTHON)),$(TEST_VENV)/bin/pytest)
	PPY_PYTHON=$(PYTHON) $(PRIVNET) $(TEST_PYTHON) -m pytest -q -ra -m "not oracle" tests
	PPY_PYTHON=$(PYTHON) $(TEST_PYTHON) -m pytest -q -ra -m oracle tests

demo: all
	PYTHON=$(PYTHON) sh demo/demo.sh

# As root: ppy against python3 -I, setpriv, capsh, runuser, sudo; ppy_py against python-prctl,
# pyprctl, capng and C. Prints and writes bench/results.md. BENCH_ARGS=--quick: about a minute.
.PHONY: bench
bench:
	$(PYTHON) bench/bench.py $(BENCH_ARGS)

# A Debian package for /usr; its postinst sets ppy's file capabilities.
DEB_ARCH = $(shell dpkg --print-architecture)
DEB      = build/ppy_$(VERSION)_$(DEB_ARCH).deb
deb:
	rm -rf build/deb
	$(MAKE) install DESTDIR=$(CURDIR)/build/deb PREFIX=/usr NO_SETCAP=1 PYTHON=/usr/bin/python3
	install -d -m 0755 build/deb/DEBIAN
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(DEB_ARCH)/' packaging/deb/control.in \
		> build/deb/DEBIAN/control
	install -m 0755 packaging/deb/postinst build/deb/DEBIAN/postinst
	dpkg-deb --root-owner-group --build build/deb $(DEB)

clean:
	rm -f wrapper/ppy wrapper/build.conf ppy_py/_capng*.so _ppy_sys*.so ppy_py/_ppy_prctl*.so \
		ppy_py/.built-*
	rm -rf build

# Robustness checks: analyze, check-sanitize, check-valgrind, check-faults, fuzz, check-load.
include tests/robustness/robust.mk
