# Sourced by .ci/run, quickstart and every stage script in ci/, after they
# set top (the source tree):
#
#   top=$(cd "$(dirname "$0")/.." && pwd)
#   . "$top/ci/lib.sh"
#
# It holds what the stages share: the Debian packages they need, the TAP
# they print, automake's test results read back, and the clock.

jobs=$(nproc 2>/dev/null || echo 2)
# The default build (./quickstart's); stages that need a configured tree
# use it.
build=${CI_BUILD:-$top/_build}
ci_started=$(date +%s)

# --- Debian packages: the one list ----------------------------------------

# ./quickstart test (and every build) needs these.
ci_packages="build-essential autoconf automake libtool autoconf-archive
  pkg-config libevent-dev check valgrind swig python3 python3-dev lua5.4
  liblua5.4-dev lua-busted lua-socket mypy abigail-tools groff-base spin
  clang libclang-rt-14-dev cmake meson ninja-build apache2-utils
  libglib2.0-dev libuv1-dev gnuplot-nox python3-tap python3-build"
# ./quickstart matrix needs these too.
ci_matrix_packages="python3-venv python3-pip python3-setuptools python3-wheel
  lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev luajit
  libluajit-5.1-dev luarocks gcc-aarch64-linux-gnu qemu-user debhelper
  dh-python dh-lua lintian python3-all-dev"
# ci/arm64.sh's, after `dpkg --add-architecture arm64`.
ci_arm64_packages="gcc-aarch64-linux-gnu qemu-user libevent-core-2.1-7:arm64
  check:arm64"

# ci_missing PACKAGE...: prints those not installed.
ci_missing() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || echo "$p"
	done
}

# ci_install PACKAGE...: installs the missing ones (as root); false, saying
# which, when some are missing and this is not root.
ci_install() {
	lack=$(ci_missing "$@" | tr '\n' ' ')
	[ -z "$lack" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "# missing Debian packages: $lack(run as root, or install them)" >&2
		return 1
	fi
	echo "# installing $lack" >&2
	apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $lack >/dev/null
}

# --- TAP --------------------------------------------------------------------

tap_n=0
tap_failed=0

# tap STATUS DESCRIPTION [LOG]: one test line; on failure the last lines of
# LOG follow as comments. Returns STATUS, so `tap $? ... || continue` works.
tap() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=1
		[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 40 "$3" | sed 's/^/# /'
	fi
	return "$1"
}

tap_skip() { # tap_skip DESCRIPTION REASON
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# tap_merge FILE LABEL STATUS: the test lines of FILE (the output of several
# TAP producers, one after another) as this stream's, renumbered, each
# prefixed with LABEL; other lines become comments. A non-zero STATUS
# with no failed line in FILE is one failure more.
tap_merge() {
	had_failure=no
	while IFS= read -r line; do
		case $line in
		"ok "*|"not ok "*)
			case $line in "not ok "*) st=1 had_failure=yes ;; *) st=0 ;; esac
			# Drop the producer's number; keep description and directive.
			desc=$(echo "$line" | sed -E 's/^(not )?ok *[0-9]* *-? *//')
			tap_n=$((tap_n + 1))
			if [ $st = 0 ]; then
				echo "ok $tap_n - $2: $desc"
			else
				echo "not ok $tap_n - $2: $desc"
				tap_failed=1
			fi ;;
		[0-9]*..[0-9]*) ;;
		*) echo "# $line" ;;
		esac
	done <"$1"
	[ "$3" = 0 ] || [ $had_failure = yes ] ||
		tap 1 "$2: exit status $3"
}

# ci_stamp DIR: marks the start of a `make check` in DIR, for tap_suite.
ci_stamp() {
	rm -f "$1/test-suite.log"
	touch "$1/ci.stamp"
}

# suite_totals DIR: the totals of the `make check` that ran in build
# directory DIR, from its test-suite.log: total, bad (failed, errors,
# unexpected passes), skipped; total is empty when there is no log.
suite_totals() {
	total=$(awk '/^# TOTAL:/ { print $3 }' "$1/test-suite.log" 2>/dev/null)
	bad=$(awk '/^# (FAIL|ERROR|XPASS):/ { n += $3 } END { print n + 0 }' \
		"$1/test-suite.log" 2>/dev/null)
	skipped=$(awk '/^# SKIP:/ { n += $3 } END { print n + 0 }' \
		"$1/test-suite.log" 2>/dev/null)
}

# suite_failures DIR: the failed lines of the test logs in DIR, as comments.
suite_failures() {
	find "$1" -name '*.log' ! -name test-suite.log -path '*tests/*' \
		-exec grep -hE '^(not ok|ERROR|FAIL|Bail out)' {} + 2>/dev/null |
		sed 's/^/# /' | head -n 20
}

# tap_suite DIR LABEL: one test line per result of the `make check` that
# ran in build directory DIR (automake's .trs files newer than DIR/ci.stamp,
# which ci_stamp DIR made before it: a .trs an earlier run left is not
# this run's); a missing test-suite.log is a failure.
tap_suite() {
	if [ ! -f "$1/test-suite.log" ]; then
		tap 1 "$2: no test-suite.log (the build or make check failed)"
		return
	fi
	find "$1" -name '*.trs' -newer "$1/ci.stamp" | sort | while read -r trs; do
		t=${trs#"$1"/}
		t=${t%.trs}
		# The i-th result is the i-th TAP line of the test's log; the
		# results after those are the driver's (plan, exit status).
		grep -E '^(not )?ok' "${trs%.trs}.log" 2>/dev/null |
			sed -E 's/^(not )?ok *[0-9]* *-? *//' |
			awk -v t="$t" -v trs="$trs" '
				{ desc[NR] = $0 }
				END {
					while ((getline line < trs) > 0) {
						if (line !~ /^:test-result:/) continue
						split(line, f, " ")
						i++
						d = (i in desc) ? desc[i] : "the test program itself"
						print f[2], t ": " d
					}
				}'
	done >"$1/results.txt"
	while read -r result name; do
		case $result in
		PASS|XFAIL) tap 0 "$2: $name" ;;
		SKIP) case $name in
			*"# SKIP"*) tap_skip "$2: ${name%%#*}" "${name#*# SKIP}" ;;
			*) tap_skip "$2: $name" "skipped" ;;
			esac ;;
		*) tap 1 "$2: $name ($result)" || true ;;
		esac
	done <"$1/results.txt"
}

# tap_end: the plan and the time; the status for `exit`.
tap_end() {
	echo "1..$tap_n"
	echo "# $(basename "$0"): $(ci_elapsed)"
	return $tap_failed
}

# --- the clock --------------------------------------------------------------

ci_elapsed() {
	s=$(($(date +%s) - ci_started))
	echo "$((s / 60)) min $((s % 60)) s elapsed"
}

# --- the stage list (.ci/run) -----------------------------------------------

passed=0
failed=0
skipped=0
group_now=
stage_n=0
stages_ran=0
want=${want:-all}

group() { group_now=$1; }

# stage NAME DESCRIPTION [ARG...]: runs ci/NAME.sh ARG... when its group is
# wanted, its output in the default build's ci-NAME.out; adds up its TAP
# lines (a non-zero status with no failed line is one failure) and shows
# the failures.
stage() {
	case " $want " in
	*" all "*|*" $group_now "*|*" $1 "*) ;;
	*) return 0 ;;
	esac
	name=$1 what=$2
	shift 2
	stages_ran=$((stages_ran + 1))
	echo "== $what"
	mkdir -p "$build"
	stage_n=$((stage_n + 1))
	out="$build/ci-$stage_n-$name.out"
	t0=$(date +%s)
	rc=0
	sh "$top/ci/$name.sh" "$@" >"$out" 2>&1 || rc=$?
	p=$(grep '^ok ' "$out" | grep -vc '# SKIP' || :)
	s=$(grep '^ok ' "$out" | grep -c '# SKIP' || :)
	f=$(grep -c '^not ok ' "$out" || :)
	[ "$rc" = 0 ] || [ "$f" != 0 ] || f=1
	passed=$((passed + p))
	skipped=$((skipped + s))
	failed=$((failed + f))
	grep -E '^(not ok|Bail out)' "$out" || :
	[ "$rc" = 0 ] || tail -n 30 "$out"
	echo "   $p passed, $f failed, $s skipped in $(($(date +%s) - t0)) s ($out)"
}

# stages_end: the time, then the closing line CI reads; false on failure.
stages_end() {
	if [ "$stages_ran" = 0 ]; then
		echo "$(basename "$0"): no group or stage named $want" >&2
		return 2
	fi
	echo "$(basename "$0") $want: $(ci_elapsed)"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ]
}
