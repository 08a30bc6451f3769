#!/bin/sh
# bench/scan.sh - `make bench-scan`: how fast `tamis scan` checks a tree.
#
# Copies ../shared/corpus/images and videos COPIES times (default 4) into a
# temporary tree, reads it once so that every run finds it in the page
# cache (dropping caches needs root and would disturb others: the figures
# are warm-cache ones), then times, on the same files:
#   cat            reading the bytes alone: the I/O floor
#   hash -jN       `tamis hash --fps 1` on the list of files: hashing alone,
#                  no walk, no report
#   scan -jN       `tamis scan` with a report, walk and bank matching
# for N = 1 and 2, and prints files/s and MB/s for each. TAMIS_BUILD names
# the build directory (default build), TAMIS_TESTDATA the data (default
# ../shared). Skipped, saying so, when the corpus is absent.
set -eu
cd "$(dirname "$0")/.."
B=${TAMIS_BUILD:-build}
T="$B/tamis"
DATA=${TAMIS_TESTDATA:-../shared}
COPIES=${COPIES:-4}
JOBS=${JOBS:-"1 2"}
if [ ! -d "$DATA/corpus/images" ] || [ ! -d "$DATA/corpus/videos" ]; then
    echo "bench-scan: skipped: no corpus in $DATA/corpus (set TAMIS_TESTDATA)"
    exit 0
fi
[ -x "$T" ] || { echo "bench-scan: $T is not built" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
tree="$tmp/tree"
i=1
while [ "$i" -le "$COPIES" ]; do
    mkdir -p "$tree/copy$i/images/nested/deeper" "$tree/copy$i/videos"
    # images split over two levels, so that the walk has folders to go into
    n=0
    for f in "$DATA"/corpus/images/*; do
        case "$f" in *.csv|*.tsv) continue ;; esac
        if [ $((n % 2)) -eq 0 ]; then cp "$f" "$tree/copy$i/images/"
        else cp "$f" "$tree/copy$i/images/nested/deeper/"; fi
        n=$((n + 1))
    done
    for f in "$DATA"/corpus/videos/*; do
        case "$f" in *.tsv) continue ;; esac
        cp "$f" "$tree/copy$i/videos/"
    done
    i=$((i + 1))
done
find "$tree" -type f | sort > "$tmp/list"
files=$(wc -l < "$tmp/list")
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
# a bank: the PDQ hashes of the first copy's images (so that matches happen)
"$T" hash -q "$tree"/copy1/images/*.* 2>/dev/null | awk '{print $1, NR}' > "$tmp/bank.txt"
xargs cat < "$tmp/list" > /dev/null # warm the cache

echo "bench-scan: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)),"
echo "  $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "  tree: $COPIES copies of $DATA/corpus images and videos: $files files, $((bytes / 1000000)) MB;"
echo "  bank: $(wc -l < "$tmp/bank.txt") PDQ hashes; warm page cache (caches not dropped)"
echo
printf '%-22s %9s %10s %9s %9s\n' "run" "seconds" "files/s" "MB/s" "CPU s"

# Runs a command, timing it; CPU seconds (user + system, children
# included) with /usr/bin/time when there is one: the machine may be
# shared, and CPU time says what the work cost whatever the others do.
timed() { # name shell-command
    name=$1
    a=$(date +%s.%N)
    st=0
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%U %S' -o "$tmp/cpu" sh -c "$2" || st=$?
    else
        sh -c "$2" || st=$?
        echo "- -" > "$tmp/cpu"
    fi
    b=$(date +%s.%N)
    awk -v n="$name" -v a="$a" -v b="$b" -v f="$files" -v by="$bytes" -v cpu="$(tail -n 1 "$tmp/cpu")" 'BEGIN {
        split(cpu, c, " "); s = b - a
        printf "%-22s %9.2f %10.1f %9.1f %9s\n", n, s, f / s, by / s / 1e6,
               c[1] == "-" ? "-" : sprintf("%.2f", c[1] + c[2]) }'
    return $st
}
timed "cat (I/O floor)" "xargs cat < '$tmp/list' > /dev/null"
for j in $JOBS; do
    timed "hash -j$j (hashing)" \
        "'$T' hash -q -j $j --fps 1 - < '$tmp/list' > /dev/null 2>&1; exit 0"
done
for j in $JOBS; do
    rm -f "$tmp/report.jsonl"
    st=0
    timed "scan -j$j" "'$T' scan -j $j --no-progress --bank '$tmp/bank.txt' \
        --report '$tmp/report.jsonl' '$tree' 2> '$tmp/scan.err'" || st=$?
    if [ "$st" -ne 1 ]; then # matches are expected: the bank is made from the tree
        echo "bench-scan: tamis scan exited with $st:" >&2
        cat "$tmp/scan.err" >&2
        exit 1
    fi
done
echo
echo "last scan: $(tail -n 1 "$tmp/scan.err")"
echo "report: $(wc -l < "$tmp/report.jsonl") lines, $(grep -c '"status":"error"' "$tmp/report.jsonl" || true) errors"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (on $(nproc) cores)"
