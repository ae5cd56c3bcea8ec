#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What the portability checks build against, from Debian's archive through a private apt
# state (the machine's own dpkg database, architectures and lists are left alone); kept in
# DIR and reused while DIR/.ppy-ready is there.
#
#   prepare.sh arm64 DIR   libcap-ng and libpython headers for arm64, unpacked under DIR/root
#                          (for aarch64-linux-gnu-gcc: make check-cross)
#   prepare.sh musl DIR    libcap-ng built from Debian's source with musl-gcc into DIR/capng,
#                          and DIR/kinc, the kernel headers musl-gcc does not search
set -eu
what=$1
dir=$2
[ -f "$dir/.ppy-ready" ] && exit 0
rm -rf "$dir"
mkdir -p "$dir/apt/lists/partial" "$dir/apt/cache/archives/partial" "$dir/parts"
: > "$dir/apt/status"

# apt-get with its own state under $dir, reading the machine's sources (rewritten in $dir/parts)
papt() {
	apt-get -q -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Dir::State="$dir/apt" \
		-o Dir::State::Lists="$dir/apt/lists" -o Dir::State::status="$dir/apt/status" \
		-o Dir::Cache="$dir/apt/cache" -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$dir/parts" "$@"
}

# The machine's sources (deb822 or one-line), as TYPE (deb or deb-src).
sources() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && sed "s/^Types: deb\$/Types: $1/" "$f" > "$dir/parts/$(basename "$f")"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] && sed -n "s/^deb /$1 /p" "$f" > "$dir/parts/$(basename "$f")"
	done
	return 0
}

case $what in
arm64)
	pyver=$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	sources deb
	papt -o APT::Architecture=arm64 -o APT::Architectures::=arm64 update -qq
	mkdir -p "$dir/debs" "$dir/root"
	(cd "$dir/debs" && papt -o APT::Architecture=arm64 -o APT::Architectures::=arm64 download \
		libcap-ng-dev libcap-ng0 "libpython$pyver-dev" >/dev/null)
	for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
	# libcap-ng.so points at /lib/...: make it point inside the tree.
	ln -sf ../../../lib/aarch64-linux-gnu/libcap-ng.so.0 \
		"$dir/root/usr/lib/aarch64-linux-gnu/libcap-ng.so"
	;;
musl)
	sources deb-src
	papt update -qq
	mkdir -p "$dir/src" "$dir/kinc"
	(cd "$dir/src" && papt source libcap-ng >/dev/null 2>&1)
	multiarch=$(gcc -print-multiarch)
	ln -s /usr/include/linux /usr/include/asm-generic "$dir/kinc/"
	ln -s "/usr/include/$multiarch/asm" "$dir/kinc/asm"
	src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d -name 'libcap-ng-*')
	(cd "$src" && CC=musl-gcc CPPFLAGS="-isystem $dir/kinc" ./configure -q --disable-shared \
		--enable-static --without-python --without-python3 --prefix="$dir/capng" &&
		make -s -C src && make -s -C src install) > "$dir/build.log" 2>&1 ||
		{ tail -20 "$dir/build.log"; echo "prepare.sh: libcap-ng did not build with musl-gcc" >&2; exit 1; }
	;;
*)
	echo "prepare.sh: arm64 or musl, not '$what'" >&2
	exit 2
	;;
esac
touch "$dir/.ppy-ready"
