#!/bin/sh
# Runs the whole test suite: the unit, golden and CLI tests (one runner),
# then every fuzz target's saved corpus through its replay driver, then the
# web UI's browser tests (tests/web). Ends with one summary line,
# "N passed, N failed, N skipped", summed over all parts.
# Arguments select tests by name: "web" or "web:NAME" the browser tests.
# TAMIS_BUILD names the build directory (build or build-san).
B=${TAMIS_BUILD:-build}
cd "$(dirname "$0")/.." || exit 2
# In a sanitizer build (make SAN=1) every process the tests start reports a
# leak or undefined behaviour and exits 86, a status no test expects (tamis
# exits 0..3; ASan's default, 1, would pass for "some input failed").
# LeakSanitizer is on in ASan by default; said here so that it stays so.
# Options the caller sets come after, and win.
export ASAN_OPTIONS="detect_leaks=1:exitcode=86${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
total_p=0 total_f=0 total_s=0
tally() { # reads a runner's output, echoes it, adds its summary line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case "$line" in
        *" passed, "*" failed, "*" skipped")
            set -- $line
            total_p=$((total_p + $1)); total_f=$((total_f + $3)); total_s=$((total_s + $5)) ;;
        esac
    done
}
out=$(mktemp)
# The PostgreSQL backend's tests use a throwaway server (tests/pg.sh),
# unless TAMIS_TEST_PG already names one; without either they are skipped.
if [ -z "${TAMIS_TEST_PG:-}" ]; then
    pgdir=$(mktemp -d)
    trap 'sh tests/pg.sh stop "$pgdir"; rm -f "$out"' EXIT
    trap 'exit 130' INT TERM
    if url=$(sh tests/pg.sh start "$pgdir" 2>"$out"); then
        export TAMIS_TEST_PG="$url"
    else
        echo "note: no PostgreSQL server for the tests ($(tail -n 1 "$out")); they are skipped"
    fi
fi
# Arguments that all name browser tests ("web", "web:review"...) run those
# alone; other arguments select tests of the C runner.
only_web=0
if [ $# -gt 0 ]; then
    only_web=1
    for a in "$@"; do case "$a" in web | web:*) ;; *) only_web=0 ;; esac; done
fi
if [ $only_web -eq 0 ]; then
    "$B/tests/run" "$@" > "$out" 2>&1; rc=$?
    tally < "$out"
    [ $rc -ne 0 ] && ! grep -q ' passed, ' "$out" && total_f=$((total_f + 1))
fi
if [ $# -eq 0 ]; then
    for r in "$B"/fuzz/replay_*; do
        [ -x "$r" ] || continue
        t=${r##*/replay_}
        "$r" "fuzz/corpus/$t" > "$out" 2>&1; rc=$?
        tally < "$out"
        [ $rc -ne 0 ] && ! grep -q ' passed, ' "$out" && total_f=$((total_f + 1))
    done
fi
# The web UI's browser tests (tests/web, issue 8): with no arguments, or
# with one that names them ("web", "web:review"...). They need node 20,
# Debian's chromium and playwright-core (scripts/install-deps installs all
# three); without them they are counted as skipped.
web=0
[ $# -eq 0 ] && web=1
for a in "$@"; do case "$a" in web | web:*) web=1 ;; esac; done
if [ $web -eq 1 ]; then
    why=""
    if [ "${TAMIS_SKIP_WEB:-0}" = 1 ]; then why="TAMIS_SKIP_WEB=1"
    elif ! command -v node >/dev/null 2>&1; then why="no node"
    elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then why="node $(node --version) is older than the 20 playwright-core needs"
    elif [ ! -x "${TAMIS_CHROMIUM:-/usr/bin/chromium}" ]; then why="no ${TAMIS_CHROMIUM:-/usr/bin/chromium}"
    elif [ ! -d tests/web/node_modules/playwright-core ]; then why="no tests/web/node_modules/playwright-core"
    fi
    if [ -n "$why" ]; then
        echo "note: browser tests skipped ($why; scripts/install-deps installs what they need)"
        tally <<EOF
0 passed, 0 failed, 1 skipped
EOF
    else
        webargs=""
        for a in "$@"; do case "$a" in web:*) webargs="$webargs $a" ;; esac; done
        # shellcheck disable=SC2086
        TAMIS_BUILD="$B" node tests/web/run.mjs $webargs > "$out" 2>&1; rc=$?
        tally < "$out"
        [ $rc -ne 0 ] && ! grep -q ' passed, ' "$out" && total_f=$((total_f + 1))
    fi
fi
rm -f "$out"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
