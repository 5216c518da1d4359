#!/bin/sh
# The Python package as Python users get it, for CI. Each line of output is
# TAP ("ok N - ..."); the exit status is non-zero on any failure.
#
#   ci/python.sh pip [BUILD]   a venv of Debian's python3: pip install the
#                              checkout, then the tarball of `make dist`
#                              (made in BUILD, default _build, which must be
#                              configured), each followed by the Python
#                              tests, run from outside the source tree
#   ci/python.sh pythons       for every CPython >= 3.8 here (Debian's
#                              python3 and pyenv's): configure PYTHON=...,
#                              build, run the Python tests; an older one
#                              must be refused by configure
#   ci/python.sh install       with Debian's python3: make install into
#                              /usr/local (installcheck imports without
#                              PYTHONPATH; then make uninstall), and into
#                              /usr under DESTDIR: the package lands in the
#                              dist-packages directory that python3 searches
#
# Needs python3-venv, python3-setuptools, python3-wheel and python3-pip (pip
# builds without the package index: --no-build-isolation). Environment:
# LIBEVENT_CFLAGS/LIBEVENT_LIBS and LIBEVENT_PTHREADS_CFLAGS/_LIBS pass on
# to configure, and LIBEVENT_* (core and pthreads together) to setup.py,
# when pkg-config does not know libevent.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/ci/lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

report() { tap "$@"; } # report STATUS DESCRIPTION [LOG]

# run_tests PYTHON LABEL [PYTHONPATH]: every Python test, from a copy of the
# tests outside the source tree, so `import park` finds the one under test.
run_tests() {
	tests="$work/tests-$2"
	mkdir -p "$tests/python" "$tests/docs"
	cp -R "$top/python/tests" "$top/python/bench" "$tests/python/"
	cp -R "$top/docs/examples" "$tests/docs/"
	for t in "$tests"/python/tests/test_*.py; do
		log="$tests/$(basename "$t").log"
		(cd "$tests" && PYTHONPATH="${3:-}" PYTHONDONTWRITEBYTECODE=1 \
			"$1" "$t") >"$log" 2>&1
		rc=$?
		if [ $rc = 0 ] && grep -q '^not ok' "$log"; then rc=1; fi
		count=$(grep -c '^ok' "$log")
		skips=$(grep -c '# SKIP' "$log")
		report $rc "$2: $(basename "$t") ($count passed, $skips skipped)" "$log"
	done
}

pip_stage() {
	build=${1:-$top/_build}
	venv="$work/venv"
	/usr/bin/python3 -m venv --system-site-packages "$venv" >"$work/venv.log" 2>&1
	report $? "venv of /usr/bin/python3 (--system-site-packages)" "$work/venv.log"
	pip="$venv/bin/pip"
	log="$work/pip-checkout.log"
	(cd "$work" && "$pip" install --no-build-isolation --no-index "$top") >"$log" 2>&1
	report $? "pip install the checkout" "$log"
	"$venv/bin/python" -c 'import importlib.metadata as m, park
assert m.version("libpark") == park.__version__, park.__version__' >"$log" 2>&1
	report $? "pip install the checkout: metadata version is park.__version__" "$log"
	run_tests "$venv/bin/python" pip-checkout

	log="$work/dist.log"
	rm -f "$build"/libpark-*.tar.gz
	make -C "$build" -s dist >"$log" 2>&1
	report $? "make dist in $build" "$log"
	"$pip" uninstall -y -q libpark >/dev/null 2>&1
	log="$work/pip-sdist.log"
	(cd "$work" && "$pip" install --no-build-isolation --no-index \
		"$build"/libpark-*.tar.gz) >"$log" 2>&1
	report $? "pip install $(basename "$build"/libpark-*.tar.gz)" "$log"
	run_tests "$venv/bin/python" pip-sdist
}

pythons_stage() {
	[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
	for py in /usr/bin/python3 /root/.pyenv/versions/*/bin/python3 \
		/root/.pyenv/versions/*/; do
		case $py in
		*/) # a pyenv version without a python3 (Python 2)
			[ -x "${py}bin/python3" ] ||
				tap_skip "$py" "no bin/python3"
			continue ;;
		esac
		[ -x "$py" ] || continue
		v=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null) || continue
		label="python $v ($py)"
		dir="$work/py-$v-$(echo "$py" | tr / _)"
		mkdir -p "$dir"
		log="$dir/configure.log"
		if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 8))'; then
			# Too old: configure must refuse it, saying why.
			(cd "$dir" && "$top/configure" -q --enable-python \
				--disable-lua PYTHON="$py") >"$log" 2>&1
			rc=$?
			grep -q 'needs Python 3.8 or newer' "$log" && [ $rc != 0 ]
			report $? "$label: configure refuses it" "$log"
			continue
		fi
		inc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
		if [ ! -f "$inc/Python.h" ]; then
			tap_skip "$label" "no Python.h in $inc"
			continue
		fi
		(cd "$dir" && "$top/configure" -q --enable-python --disable-lua \
			PYTHON="$py" && make -s -j2 python/stage/park/__init__.py) \
			>"$log" 2>&1
		report $? "$label: configure and build the module" "$log" || continue
		run_tests "$py" "python-$v" "$dir/python/stage"
	done
}

# install_stage: make install with /usr/bin/python3 into /usr/local, for
# real (root only), and into /usr under DESTDIR.
install_stage() {
	[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1)
	for prefix in /usr/local /usr; do
		dir="$work/install$(echo "$prefix" | tr / _)"
		mkdir -p "$dir"
		log="$dir/build.log"
		(cd "$dir" && "$top/configure" -q --enable-python --disable-lua \
			--prefix="$prefix" PYTHON=/usr/bin/python3 &&
			make -s -j2) >"$log" 2>&1
		report $? "configure --prefix=$prefix PYTHON=/usr/bin/python3, make" "$log" || continue
		site=$(/usr/bin/python3 -c 'import sys, sysconfig
want = {"/usr": "deb_system", "/usr/local": "posix_local"}[sys.argv[1]]
print(sysconfig.get_path("platlib", want, vars={"base": "/usr", "platbase": "/usr"}))' "$prefix")
		/usr/bin/python3 -c 'import sys; sys.exit(sys.argv[1] not in sys.path)' "$site"
		report $? "$prefix: python3 searches $site" || continue
		if [ "$prefix" = /usr/local ] && [ "$(id -u)" = 0 ] &&
			[ ! -e "$site/park" ]; then
			# ldconfig: /usr/local/lib is searched, through the cache.
			(cd "$dir" && make -s install && ldconfig &&
				make -s installcheck &&
				/usr/bin/python3 -c 'import park, sys
assert park.__file__ == sys.argv[1] + "/park/__init__.py", park.__file__' "$site") \
				>"$dir/install.log" 2>&1
			report $? "make install into /usr/local, installcheck and import without PYTHONPATH" "$dir/install.log"
			(cd "$dir" && make -s uninstall && ldconfig &&
				[ ! -e "$site/park/_core.so" ] &&
				rm -rf "$site/park/__pycache__" && rmdir "$site/park") \
				>"$dir/uninstall.log" 2>&1
			report $? "make uninstall from /usr/local" "$dir/uninstall.log"
		fi
		dest="$dir/dest"
		(cd "$dir" && make -s install DESTDIR="$dest") >"$dir/dest.log" 2>&1
		report $? "make install DESTDIR=... --prefix=$prefix" "$dir/dest.log" || continue
		ls "$dest$site/park" >"$dir/ls.log" 2>&1
		test -f "$dest$site/park/_core.so" && test -f "$dest$site/park/py.typed" &&
			! grep -q '\.la$' "$dir/ls.log"
		report $? "$prefix: park in $site, no .la file" "$dir/ls.log"
	done
}

case "${1:-}" in
pip) pip_stage "${2:-}" ;;
pythons) pythons_stage ;;
install) install_stage ;;
*)
	echo "usage: $0 pip [BUILD] | pythons | install" >&2
	exit 2
	;;
esac
tap_end
