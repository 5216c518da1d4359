#!/bin/sh
# libpark on a weak-memory CPU: cross-build for arm64 (aarch64) and run the
# C suite and a stress run under qemu-user (docs/reliability.md).
#
#   ci/arm64.sh [DIR]          (default DIR: _build-arm64 in the source tree)
#
# Debian 12 packages (installed when missing and run as root):
#   gcc-aarch64-linux-gnu qemu-user, and with `dpkg --add-architecture arm64`
#   libevent-core-2.1-7:arm64 check:arm64.
# libevent-dev:arm64 does not co-install with the native libevent-dev (its
# event2/event-config.h differs per architecture, so installing one removes
# the other): it is downloaded and unpacked into DIR/sysroot instead.
#
# No binfmt_misc is needed: every test program is a real arm64 executable
# (--disable-shared, so no libtool wrapper scripts) run by qemu-aarch64.
# Under qemu-user, /proc/TID/syscall shows the host's system calls; the
# tests' sleep probe learns what it shows (tests/helpers.c). Output is TAP;
# the exit status is non-zero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"
dir=${1:-$top/_build-arm64}
triplet=aarch64-linux-gnu
stress_ops=${PARK_ARM64_STRESS_OPS:-1000000}

say() { echo "# arm64: $*"; }

if [ -n "$(ci_missing $ci_arm64_packages)" ] && [ "$(id -u)" = 0 ]; then
	dpkg --print-foreign-architectures | grep -qx arm64 ||
		dpkg --add-architecture arm64
fi
ci_install $ci_arm64_packages ||
	{ echo "Bail out! the Debian packages for arm64 are missing"; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sysroot="$dir/sysroot"
if [ ! -f "$sysroot/usr/include/event2/event-config.h" ]; then
	say "unpacking libevent-dev:arm64 into $sysroot"
	mkdir -p "$dir/debs" "$sysroot"
	(cd "$dir/debs" && apt-get download -q -o APT::Sandbox::User=root libevent-dev:arm64 >/dev/null) &&
		dpkg -x "$dir"/debs/libevent-dev_*_arm64.deb "$sysroot" ||
		{ echo "Bail out! could not unpack libevent-dev:arm64"; exit 1; }
	# Its .so link points at the runtime library, installed system-wide.
	ln -sf "/usr/lib/$triplet/libevent_core-2.1.so.7" \
		"$sysroot/usr/lib/$triplet/libevent_core.so"
fi

build="$dir/build"
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	[ -x "$top/configure" ] || "$top/autogen.sh" >/dev/null
	"$top/configure" -q --host=$triplet --disable-shared \
		--disable-python --disable-lua \
		PKG_CONFIG_LIBDIR="/usr/lib/$triplet/pkgconfig:/usr/share/pkgconfig" \
		LIBEVENT_CFLAGS="-I$sysroot/usr/include" \
		LIBEVENT_LIBS="-L$sysroot/usr/lib/$triplet -levent_core" \
		>configure.log 2>&1 ||
		{ tail -n 20 configure.log; echo "Bail out! configure failed"; exit 1; }
fi
tests=$(make -s print-check-tests)
stress=$(make -s print-stress-programs)
if ! make -s -j"$jobs" >build.log 2>&1 ||
	! make -s -j"$jobs" $tests $stress >>build.log 2>&1; then
	tail -n 30 build.log
	echo "Bail out! the arm64 build failed"
	exit 1
fi
file tests/check-public 2>/dev/null | grep -q aarch64 ||
	{ echo "Bail out! tests/check-public is not an arm64 executable"; exit 1; }
say "built in $(ci_elapsed)"

# The C suite through automake's harness, each program run by qemu.
make -s -j"$jobs" check TESTS="$tests" LOG_COMPILER=qemu-aarch64 \
	>check.log 2>&1
suite_totals .
if [ -n "$total" ] && [ "$bad" = 0 ]; then
	tap 0 "C suite under qemu-aarch64: $total tests passed"
else
	tap 1 "C suite under qemu-aarch64: ${bad:-?} of ${total:-?} failed"
	suite_failures .
fi
grep -h '^# sleep probe' tests/check-public.log | head -n 1
grep -h '^# .*signals at the' tests/check-*.log
for prog in $stress; do
	if out=$(qemu-aarch64 "$prog" -o "$stress_ops" 2>&1); then
		tap 0 "$prog under qemu-aarch64: $(echo "$out" | tail -n 2 | head -n 1 | sed 's/^stress: //')"
	else
		tap 1 "$prog under qemu-aarch64"
	fi
	echo "$out" | sed 's/^/# /'
done
tap_end
