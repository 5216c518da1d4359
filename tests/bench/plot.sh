#!/bin/sh
# The figures of a bench report, as SVG, drawn with gnuplot from the
# report's own tables (so a figure and the table beside it are one run):
#
#   plot.sh REPORT OUTDIR      draw OUTDIR/{spin,fanout,pool-saturated,
#                              pool-sparse}.svg from REPORT, the sparse
#                              latency CDFs OUTDIR/pool-sparse-cdf-w{2,16}.svg
#                              when it compared the pools (pool-peers), and
#                              OUTDIR/server.svg when it measured the server
#   plot.sh --run-id FILE      print the run id of a report, or of an SVG
#                              drawn by this script
#
# REPORT is bench-report.md of make bench, or docs/performance.md (whose
# report part is one pasted). Each SVG's title ends with "run ID", ID being
# the report's "run id" row (or, for reports made before it existed, its
# date and commit rows): tests/bench/smoke.sh compares them. The figures
# use the futex sleeper's sections (the Linux default) when present, else
# the first of each kind. Rows are read generically: a pool table draws one
# line per pool name it finds.
set -eu

# run_id FILE: the id stamped in a report or an SVG (empty when none).
run_id() {
	case "$1" in
	*.svg)
		sed -n 's/.*[(;] *run \([^)]*\)).*/\1/p' "$1" | head -n 1
		;;
	*)
		id=$(sed -n 's/^| run id | \(.*\) |$/\1/p' "$1" | head -n 1)
		if [ -z "$id" ]; then
			date=$(sed -n 's/^| date | \(.*\) |$/\1/p' "$1" | head -n 1)
			commit=$(sed -n 's/^| commit | \(.*\) |$/\1/p' "$1" | head -n 1)
			[ -n "$date" ] && id=$(echo "$date $commit" | tr ' ' '_' | sed 's/_*$//')
		fi
		echo "$id"
		;;
	esac
}

if [ "${1:-}" = --run-id ]; then
	[ $# = 2 ] || { echo "usage: plot.sh --run-id FILE" >&2; exit 2; }
	run_id "$2"
	exit 0
fi
if [ $# != 2 ]; then
	echo "usage: plot.sh REPORT OUTDIR | plot.sh --run-id FILE" >&2
	exit 2
fi
report=$1 out=$2
if ! command -v gnuplot >/dev/null 2>&1; then
	echo "plot.sh: gnuplot is needed for the figures (apt-get install gnuplot-nox)" >&2
	exit 1
fi
id=$(run_id "$report")
if [ -z "$id" ]; then
	echo "plot.sh: $report has no run id (nor date) row" >&2
	exit 1
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# rows PART TABLE PREF: the data rows of the table headed "### TABLE..."
# in the first section headed "## PART..." whose heading contains PREF,
# cells separated by tabs.
rows() {
	awk -v part="$1" -v tab="$2" -v pref="$3" '
	/^## / {
		if (got) exit
		insec = index($0, "## " part) == 1 && index($0, pref) > 0
		intab = 0
		next
	}
	/^### / { if (got) exit; intab = insec && index($0, "### " tab) == 1; hdr = 1; next }
	intab && /^\|/ {
		if (hdr) { hdr = 0; next }
		if ($0 ~ /^\|[-| ]+\|$/) next
		line = $0
		sub(/^\| */, "", line); sub(/ *\|$/, "", line)
		gsub(/ *\| */, "\t", line)
		print line; got = 1
	}' "$report"
}

# pick_table PART TABLE: the futex sleeper's table, else the first one.
pick_table() {
	r=$(rows "$1" "$2" "futex sleeper")
	[ -n "$r" ] || r=$(rows "$1" "$2" "")
	printf '%s\n' "$r" | sed '/^$/d'
}

svg() { # NAME: the terminal and output lines of a figure
	printf 'set terminal svg size 720,420 dynamic noenhanced font "sans,12"\n'
	printf 'set output "%s/%s.svg"\n' "$out" "$1"
	printf 'set grid\nset key top right\nset datafile separator "\\t"\n'
	printf 'set format y "%%.1s%%c"\n'
}

# ---- the spin curve: round trip and CPU against the budget --------------
pick_table "C benchmarks" "spinning: pingpong against the spin budget" |
	awk -F'\t' 'BEGIN { OFS = "\t" } $1 ~ /^libpark/ {
		b = $1
		if (b ~ /no spin/) b = 0
		else { sub(/.*spin /, "", b); sub(/ us.*/, "", b) }
		rt = $2; gsub(/,/, "", rt); split(rt, p, / \/ /)
		cpu = $4; gsub(/,/, "", cpu)
		print b, p[2], cpu
	}' >"$work/spin.dat"
if [ -s "$work/spin.dat" ]; then
	{
		svg spin
		printf 'set title "Ping-pong against the spin budget (futex; run %s)"\n' "$id"
		printf 'set xlabel "spin budget (us; 0: none)"\nset ylabel "ns (log)"\nset logscale y\n'
		printf 'plot "%s" using 0:2:xtic(1) with linespoints title "round trip, median", ' "$work/spin.dat"
		printf '"%s" using 0:3:xtic(1) with linespoints title "CPU of both threads, median"\n' "$work/spin.dat"
	} | gnuplot
fi

# ---- fan-out: wake cost against N ----------------------------------------
pick_table "C benchmarks" "fanout:" |
	awk -F'\t' 'BEGIN { OFS = "\t" } $1 ~ /^[0-9]+$/ {
		w = $2; gsub(/,/, "", w); split(w, a, / \/ /)
		c = $4; gsub(/,/, "", c); split(c, b, / \/ /)
		print $1, a[2], b[2]
	}' >"$work/fanout.dat"
if [ -s "$work/fanout.dat" ]; then
	{
		svg fanout
		printf 'set title "Fan-out: one wake among N sleepers (futex; run %s)"\n' "$id"
		printf 'set xlabel "N sleeping parkers (log)"\nset ylabel "ns per wake"\nset logscale x 2\nset yrange [0:*]\n'
		printf 'plot "%s" using 1:2 with linespoints title "wall, median", ' "$work/fanout.dat"
		printf '"%s" using 1:3 with linespoints title "waker CPU, median"\n' "$work/fanout.dat"
	} | gnuplot
fi

# ---- pools: one line per implementation the table has ---------------------
# The pools compared (pool-peers: park_pool, condvar, GThreadPool,
# uv_queue_work) when the report has them, else the idle-set pool bench.
# pool_table TABLE: the rows of that table
pool_table() {
	r=$(pick_table "Pools compared" "pools compared, $1")
	[ -n "$r" ] || r=$(pick_table "Worker pool" "pool, $1")
	printf '%s\n' "$r" | sed '/^$/d'
}

# per_line DAT [USING]: DAT's rows (name, x, y) split into a file per
# name, and $plot set to gnuplot's plot list, a line per name, each drawn
# with USING (default 1:2).
per_line() {
	plot=
	for name in $(cut -f1 "$1" | awk '!seen[$0]++'); do
		awk -F'\t' -v n="$name" 'BEGIN { OFS = "\t" } $1 == n { print $2, $3 }' \
			"$1" >"$1.$name"
		plot="$plot${plot:+, }\"$1.$name\" using ${2:-1:2} with linespoints title \"$name\""
	done
}

# pool_plot NAME TABLE COLUMN TITLE YLABEL
pool_plot() {
	pool_table "$2" |
		awk -F'\t' -v col="$3" 'BEGIN { OFS = "\t" } $1 ~ /^[0-9]+$/ {
			v = $col; gsub(/,/, "", v); n = split(v, p, / \/ /)
			print $2, $1, (n == 3 ? p[2] : p[1])
		}' >"$work/$1.dat"
	[ -s "$work/$1.dat" ] || return 0
	per_line "$work/$1.dat"
	{
		svg "$1"
		printf 'set title "%s (futex; run %s)"\n' "$4" "$id"
		printf 'set xlabel "W workers (log)"\nset ylabel "%s"\nset logscale x 2\nset xrange [0.8:20]\nset xtics (1, 2, 4, 8, 16)\nset yrange [0:*]\n' "$5"
		printf 'plot %s\n' "$plot"
	} | gnuplot
}
pool_plot pool-saturated "saturated" 3 \
	"Saturated pool: jobs per second against W" "jobs/s, median"
pool_plot pool-sparse "sparse" 4 \
	"Sparse pool (a job every 50 us): p99 latency against W" "submit to start p99, us, median"

# ---- the sparse latency CDF at W = 2 and 16 (pool-peers only) -------------
# cdf_plot W: one line per pool, each quantile column a point.
cdf_plot() {
	pick_table "Pools compared" "pools compared, sparse: the latency distribution" |
		awk -F'\t' -v w="$1" 'BEGIN { OFS = "\t"; split("10 25 50 75 90 95 99 99.9", q, " ") }
		$1 == w { for (i = 3; i <= NF; i++) { v = $i; gsub(/,/, "", v); print $2, v, q[i - 2] / 100 } }' \
		>"$work/cdf$1.dat"
	[ -s "$work/cdf$1.dat" ] || return 0
	per_line "$work/cdf$1.dat"
	{
		svg "pool-sparse-cdf-w$1"
		printf 'set title "Sparse pool, W=%s: submit-to-start latency CDF (run %s)"\n' "$1" "$id"
		printf 'set xlabel "latency, us (log)"\nset ylabel "fraction of jobs started"\nset logscale x\nset yrange [0:1]\nset format y "%%.2f"\nset key bottom right\n'
		printf 'plot %s\n' "$plot"
	} | gnuplot
}
cdf_plot 2
cdf_plot 16

# ---- the HTTP server: requests/s against the work per request ------------
# One line per server and keep-alive setting; drawn only when the report
# measured the server (it needs evhttp and ab).
awk '/^## / { on = index($0, "## HTTP server") == 1; next }
	on && /^\| [0-9]+ µs \|/ {
		line = $0; sub(/^\| */, "", line); sub(/ *\|$/, "", line)
		n = split(line, c, / *\| */)
		w = c[1]; sub(/ µs/, "", w)
		v = c[4]; gsub(/,/, "", v); split(v, p, / \/ /)
		name = c[3]; sub(/,.*/, "", name)
		printf "%s%s\t%s\t%s\n", name, (c[2] == "yes" ? "-keepalive" : "-close"), w, p[2]
	}' "$report" >"$work/server.dat"
if [ -s "$work/server.dat" ]; then
	per_line "$work/server.dat" "0:2:xtic(1)"
	{
		svg server
		printf 'set title "HTTP server: requests/s against work per request (run %s)"\n' "$id"
		printf 'set xlabel "busy work per request (us)"\nset ylabel "requests/s, median"\nset yrange [0:*]\n'
		printf 'plot %s\n' "$plot"
	} | gnuplot
fi

cdfs=
grep -q '^### pools compared, sparse: the latency distribution' "$report" &&
	cdfs="pool-sparse-cdf-w2 pool-sparse-cdf-w16"
for f in spin fanout pool-saturated pool-sparse $cdfs; do
	[ -s "$out/$f.svg" ] || { echo "plot.sh: $report has no data for $f" >&2; exit 1; }
done
