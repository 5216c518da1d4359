#!/bin/sh
# The man pages (TAP):
# - every page renders with man -l from wherever the reader is, with no
#   warning from man or groff (alias pages are short pages of their own
#   there), and every alias renders as make install installs it (a .so
#   link to the page that documents the call);
# - every exported function has a page;
# - every errno a call can return is in the ERRORS section of the page that
#   documents it: the table below says which (from the header and the
#   source), and the source is checked against the table where it can be:
#   every -EXXX and errno = EXXX in a public function's own body.
man="$srcdir/docs/man"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0
fail=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	fail=1
}

# man -l where man-db is installed; groff with every warning otherwise.
have_man=
if command -v man >/dev/null 2>&1 && man --warnings -l /dev/null >/dev/null 2>&1; then
	have_man=1
fi
render() { # page file, directory to render from
	if [ -n "$have_man" ]; then
		(cd "$2" && MANWIDTH=80 man --warnings -l "$1" 2>&1 >/dev/null)
	else
		(cd "$2" && groff -ww -man -Tutf8 -z "$1" 2>&1)
	fi
}
case $man in
/*) abs_man=$man ;;
*) abs_man=$(pwd)/$man ;;
esac

# The page that documents a function: its own, or the one its alias page
# names ("alias-of:").
alias_of() {
	sed -n 's/^\.\\" alias-of: //p' "$1"
}
page_of() {
	target=$(alias_of "$man/$1.3")
	if [ -n "$target" ]; then echo "$man/$target"; else echo "$man/$1.3"; fi
}

mkdir "$work/man3" "$work/elsewhere"
for page in "$man"/*.3; do
	name=$(basename "$page")
	out=$(render "$abs_man/$name" "$work/elsewhere")
	if [ -z "$out" ]; then
		ok "$name renders with man -l without warnings"
	else
		not_ok "$name renders with man -l without warnings"
		echo "$out" | sed 's/^/# /'
	fi
	# The installed form: the page itself, or the link make install makes.
	target=$(alias_of "$page")
	if [ -n "$target" ]; then
		echo ".so man3/$target" >"$work/man3/$name"
	else
		cp "$page" "$work/man3/$name"
	fi
done
for page in "$man"/*.3; do
	name=$(basename "$page")
	target=$(alias_of "$page")
	[ -n "$target" ] || continue
	fn=${name%.3}
	if [ -f "$man/$target" ] && [ -z "$(alias_of "$man/$target")" ] &&
		sed -n '/^\.SH NAME/,/^\.SH/p' "$man/$target" | grep -qw "$fn"; then
		ok "$name is an alias of $target, which names $fn"
	else
		not_ok "$name is an alias of $target, which names $fn"
	fi
	out=$(render "man3/$name" "$work")
	if [ -z "$out" ]; then
		ok "$name renders installed (.so man3/$target)"
	else
		not_ok "$name renders installed (.so man3/$target)"
		echo "$out" | sed 's/^/# /'
	fi
done

functions=$(sed -n 's/^[[:space:]]*\(park_[a-z_]*\);.*/\1/p' "$srcdir/libpark/libpark.sym")
for fn in $functions; do
	if [ -f "$man/$fn.3" ]; then
		ok "$fn has a man page"
	else
		not_ok "$fn has a man page"
	fi
done

# What each call can return or set errno to. Indirect returns (helpers,
# the park a call makes, libevent) are known only from here.
cat >"$work/table" <<'EOF'
park_driver_new ENOMEM EMFILE
park_driver_new_with_base EINVAL EBUSY ENOMEM EMFILE
park_driver_ref EINVAL
park_driver_get_base EINVAL
park_driver_shutdown EINVAL ECHILD EIO
park_driver_is_shutdown EINVAL
park_driver_post EINVAL ECHILD ESHUTDOWN ENOMEM
park_driver_wake EINVAL ECHILD EIO
park_driver_reinit EINVAL EDEADLK EBUSY EMFILE ENOMEM
park_parker_new EINVAL ENOMEM
park_parker_clone EINVAL ENOMEM
park_parker_ref EINVAL
park_parker_get_driver EINVAL
park_parker_park EINVAL EBUSY EDEADLK ECHILD ENOMEM EIO
park_parker_park_timeout EINVAL EBUSY EDEADLK ECHILD ENOMEM EIO
park_parker_park_until EINVAL EBUSY EDEADLK ECHILD ENOMEM EIO
park_parker_set_spin EINVAL
park_parker_get_spin EINVAL
park_parker_get_stats EINVAL
park_unparker_new EINVAL
park_unparker_ref EINVAL
park_unparker_unpark EINVAL EIO
park_idle_new EINVAL ENOMEM
park_idle_ref EINVAL
park_idle_join EINVAL EBUSY
park_idle_leave EINVAL
park_idle_park EINVAL EBUSY EDEADLK ECHILD ENOMEM EIO
park_idle_unpark_one EINVAL EIO
park_idle_unpark_all EINVAL EIO
park_idle_count EINVAL
EOF

# The errnos each public function's own body names: "name ERRNO" lines.
awk '
/^[A-Za-z].*[ *]park_[a-z0-9_]+\(/ && !/;[[:space:]]*$/ {
	match($0, /park_[a-z0-9_]+\(/)
	fn = substr($0, RSTART, RLENGTH - 1)
	next
}
/^}/ { fn = ""; next }
fn != "" && !/^[[:space:]]*(\/\*|\*)/ {
	line = $0
	gsub(/\/\*.*\*\//, "", line)
	while (match(line, /(-|errno = )E[A-Z]+/)) {
		code = substr(line, RSTART, RLENGTH)
		sub(/^(-|errno = )/, "", code)
		print fn, code
		line = substr(line, RSTART + RLENGTH)
	}
}' "$srcdir"/libpark/*.c | sort -u >"$work/source"

errors_of() { # page file: the text of its ERRORS section
	sed -n '/^\.SH ERRORS/,/^\.SH/p' "$1"
}
for fn in $functions; do
	[ -f "$man/$fn.3" ] || continue
	page=$(page_of "$fn")
	listed=$(sed -n "s/^$fn //p" "$work/table")
	direct=$(sed -n "s/^$fn //p" "$work/source")
	for code in $direct; do
		case " $listed " in
		*" $code "*) ;;
		*)
			if grep -q "^$fn " "$work/table"; then
				not_ok "$fn: $code, returned in its body, is in the table"
			fi
			listed="$listed $code"
			;;
		esac
	done
	for code in $listed; do
		if errors_of "$page" | grep -qw "$code"; then
			ok "$fn: $code in ERRORS of $(basename "$page")"
		else
			not_ok "$fn: $code in ERRORS of $(basename "$page")"
		fi
	done
done
# The overview names every errno any call returns.
for code in $(cut -d' ' -f2- "$work/table" | tr ' ' '\n' | sort -u); do
	if errors_of "$man/libpark.3" | grep -qw "$code"; then
		ok "libpark.3: $code in ERRORS"
	else
		not_ok "libpark.3: $code in ERRORS"
	fi
done
echo "1..$n"
exit $fail
