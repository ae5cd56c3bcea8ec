#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# make deps: install what a fresh machine needs to build, install and test ppy, with the
# package manager the machine has, looked for in this order: apt-get (Debian, Ubuntu),
# dnf (Fedora, RHEL 9 and later), apk (Alpine).
#
#   sh packaging/deps.sh SET...
#     base          compiler, libcap-ng, CPython with cffi, and the tools the tests run
#     deb           what `make deb` needs to build and check the Debian packages (apt only)
#     portability   patchelf, the arm64 cross compiler, musl (apt only; make check-port)
#
# Only the apt lists are exercised (CI runs on Debian 12). The dnf and apk lists name the
# same things in those distributions' words, but nothing here installs them:
# tests/test_build.py checks, with stand-ins on PATH, which command is chosen with what.
set -eu
[ $# -gt 0 ] || set -- base

if command -v apt-get >/dev/null 2>&1; then
	pkgs=
	for set in "$@"; do
		case $set in
		base) pkgs="$pkgs gcc make libc6-dev libcap-ng-dev libcap2-bin util-linux iproute2
			attr acl fuse3 squashfuse squashfs-tools openssl man-db procps python3 python3-dev python3-cffi
			python3-cffi-backend python3-venv python3-pip python3-prctl libcap-dev" ;;
		deb) pkgs="$pkgs dpkg-dev debhelper dh-python python3-all-dev python3-setuptools
			python3-cffi pybuild-plugin-pyproject libcap-ng-dev libcap2-bin lintian" ;;
		portability) pkgs="$pkgs patchelf gcc-aarch64-linux-gnu libc6-dev-arm64-cross
			binutils-aarch64-linux-gnu musl-tools" ;;
		*) echo "deps.sh: unknown set '$set' (base, deb, portability)" >&2; exit 2 ;;
		esac
	done
	apt-get -o DPkg::Lock::Timeout=900 update -qq
	# shellcheck disable=SC2086  # one word a package
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
		--no-install-recommends $pkgs
	exit 0
fi

for set in "$@"; do
	case $set in
	base) ;;
	deb|portability) echo "deps.sh: skipping '$set': it needs Debian's tools (apt-get)" >&2 ;;
	*) echo "deps.sh: unknown set '$set' (base, deb, portability)" >&2; exit 2 ;;
	esac
done
case " $* " in *" base "*) ;; *) exit 0 ;; esac

if command -v dnf >/dev/null 2>&1; then
	# RHEL 8's python3 is 3.6, which ppy refuses: there, also install python39-devel and
	# python39-cffi and build with make PYTHON=/usr/bin/python3.9.
	dnf install -y gcc make glibc-devel libcap-ng-devel libcap util-linux iproute attr acl \
		fuse3 openssl man-db procps-ng python3 python3-devel python3-cffi python3-pip
elif command -v apk >/dev/null 2>&1; then
	apk add --no-cache gcc make musl-dev linux-headers libcap-ng-dev libcap-utils setpriv \
		util-linux iproute2 attr acl fuse3 openssl mandoc procps-ng python3 python3-dev \
		py3-cffi py3-pip
else
	echo "deps.sh: no apt-get, dnf or apk on this machine: install a C compiler, make," \
		"libcap-ng's headers, setcap, setpriv and CPython >= 3.9 with cffi by hand" >&2
	exit 1
fi
