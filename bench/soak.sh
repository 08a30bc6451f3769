#!/bin/sh
# make soak: `tamis serve` under wrk for 10 minutes (issue 10), a bank of
# 100 000 PDQ hashes on SQLite, 64 connections: lookups, and 5 % bank
# writes (adds and deletes of what was added, bench/soak.lua, so that the
# bank keeps its size). The service's resident memory is sampled every
# 10 s. Prints a table at the end: requests/s, latency p50/p99/max,
# non-2xx answers and socket errors (both must be 0), the writes and
# whether the bank holds exactly what they left, memory after the warm-up
# (the first 60 s) and its growth since, at the load's end and 20 s after
# it (must be under 5 %), and the service's exit status on SIGTERM. Exits 1 if a target is missed.
#   SOAK_SECONDS (600), SOAK_N (hashes, 100000), SOAK_CONN (64),
#   SOAK_WRITE_PCT (5), SOAK_WARMUP (60), SOAK_PORT (18191)
# Not part of the tests. The bank is made once and kept in
# $B/bench-data/soak; every run starts from a copy of it.
set -eu
cd "$(dirname "$0")/.."
B=${TAMIS_BUILD:-build}
T=$B/tamis
SECS=${SOAK_SECONDS:-600}
N=${SOAK_N:-100000}
CONN=${SOAK_CONN:-64}
WRITE_PCT=${SOAK_WRITE_PCT:-5}
WARMUP=${SOAK_WARMUP:-60}
PORT=${SOAK_PORT:-18191}
D=$B/bench-data/soak
mkdir -p "$D"
BANKDB=$D/bank-$N.db

command -v wrk >/dev/null 2>&1 ||
    { echo "soak: no wrk (TAMIS_WITH_BENCH=1 scripts/install-deps installs it)" >&2; exit 2; }

if [ ! -f "$BANKDB" ]; then
    echo "soak: building a bank of $N random PDQ hashes (once; kept in $BANKDB)"
    python3 - "$N" > "$D/bank-$N.txt" <<'PY'
import random, sys
random.seed(17)
for i in range(int(sys.argv[1])):
    print("%064x item%d" % (random.getrandbits(256), i))
PY
    rm -f "$BANKDB.tmp"*
    $T import --db "$BANKDB.tmp" --bank SOAK --format hashlist "$D/bank-$N.txt" 2>&1 | tail -n 1
    # one file: the WAL folded in before it is copied
    python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA wal_checkpoint(TRUNCATE)'); c.close()" "$BANKDB.tmp"
    mv "$BANKDB.tmp" "$BANKDB"
    rm -f "$BANKDB.tmp-wal" "$BANKDB.tmp-shm"
fi
DB=$D/run.db
rm -rf "$DB" "$DB-wal" "$DB-shm" "$DB.snapshot" "$DB.snapshot.tmp" "$DB.snapshot.old"
cp "$BANKDB" "$DB"
MATCHER=$($T token create --db "$DB" --role matcher 2>/dev/null | tail -n 1)
CURATOR=$($T token create --db "$DB" --role curator 2>/dev/null | tail -n 1)

# 1000 lookups in turn, half a bank hash with a few bits flipped, half random.
python3 - "$D/bank-$N.txt" > "$D/queries.txt" <<'PY'
import random, sys
random.seed(23)
lines = [l.split()[0] for _, l in zip(range(100000), open(sys.argv[1]))]
for i in range(1000):
    if i % 2 == 0:
        h = int(random.choice(lines), 16)
        for _ in range(random.randint(1, 20)):
            h ^= 1 << random.randrange(256)
    else:
        h = random.getrandbits(256)
    print("/m/lookup?signal_type=pdq&signal=%064x" % h)
PY

echo "soak: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "soak: wrk -t2 -c$CONN -d${SECS}s, $WRITE_PCT % writes, bank of $N, memory every 10 s," \
     "growth measured after ${WARMUP} s"
$T serve --db "$DB" --listen 127.0.0.1:$PORT --quiet --max-connections 4096 2>"$D/serve.log" &
SPID=$!
SAMPLER=""
trap 'kill $SPID 2>/dev/null || true; [ -n "$SAMPLER" ] && kill $SAMPLER 2>/dev/null || true' EXIT
for i in $(seq 1 300); do
    curl -s -o /dev/null http://127.0.0.1:$PORT/status/live && break
    sleep 0.2
done
grep "loaded" "$D/serve.log" | sed 's/^/soak: /'

rss() { awk '/VmRSS/ {print $2}' /proc/$SPID/status 2>/dev/null || echo 0; }
: > "$D/rss.txt"
(
    t=0
    while kill -0 $SPID 2>/dev/null; do
        echo "$t $(rss)" >> "$D/rss.txt"
        sleep 10
        t=$((t + 10))
    done
) &
SAMPLER=$!

SOAK_QUERIES="$D/queries.txt" SOAK_MATCHER="$MATCHER" SOAK_CURATOR="$CURATOR" SOAK_BANK=SOAK \
SOAK_WRITE_PCT="$WRITE_PCT" \
    wrk -t2 -c"$CONN" -d"${SECS}s" --timeout 10s --latency -s bench/soak.lua \
    http://127.0.0.1:$PORT > "$D/wrk.txt" 2>&1 || true
# 25 s more, idle: memory after the load (and after the snapshot the
# service writes every 10 minutes, which a 600 s run ends on)
sleep 25
kill $SAMPLER 2>/dev/null || true
SAMPLER=""
kill -TERM $SPID
set +e
wait $SPID
EXIT=$?
set -e
trap - EXIT
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# What the bank holds: the items imported, plus those added, less those
# deleted (answered 2xx); writes in flight when wrk stopped (at most one a
# connection) may still have been done.
ITEMS=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"SELECT count(*) FROM content c JOIN banks b ON b.id = c.bank_id WHERE b.name = 'SOAK'\").fetchone()[0])" "$DB")

python3 - "$D/wrk.txt" "$D/rss.txt" "$N" "$ITEMS" "$EXIT" "$WARMUP" "$LOAD_END" "$CONN" "$SECS" <<'PY'
import re, sys
wrk = open(sys.argv[1]).read()
rss = [tuple(map(int, l.split())) for l in open(sys.argv[2]) if len(l.split()) == 2]
n, items, exit_status, warmup = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
conn = int(sys.argv[8])  # at most one write in flight a connection at the end

def field(pat, default="?"):
    m = re.search(pat, wrk, re.M)
    return m.group(1) if m else default

lua = dict(re.findall(r"(\w+) (\d+)", field(r"^soak-lua: (.*)$", "")))
lua = {k: int(v) for k, v in lua.items()}
total = int(field(r"^\s*(\d+) requests in", "0"))
non2xx = int(field(r"Non-2xx or 3xx responses: (\d+)", "0"))
sock = field(r"Socket errors: (.*)$", "none")
sock_total = sum(int(x) for x in re.findall(r"\d+", sock)) if sock != "none" else 0
want_items = n + lua.get("add_ok", 0) - lua.get("delete_ok", 0)
secs = int(sys.argv[9])
base = next((kb for t, kb in rss if t >= warmup), rss[-1][1] if rss else 0)
under = [kb for t, kb in rss if warmup <= t < secs]  # while wrk ran
idle = [kb for t, kb in rss if t >= secs]            # after it stopped
peak, last = (max(under), under[-1]) if under else (0, 0)
after = idle[-1] if idle else 0
def grow(kb):
    return 100.0 * (kb - base) / base if base else 0.0
growth = max(grow(last), grow(after))

rows = [
    ("requests/s", field(r"Requests/sec:\s+([\d.]+)"), ""),
    ("requests", str(total), ""),
    ("latency p50", field(r"^\s+50%\s+(\S+)"), ""),
    ("latency p99", field(r"^\s+99%\s+(\S+)"), ""),
    ("latency max", field(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)"), ""),
    ("lookups", str(lua.get("lookups", "?")), ""),
    ("adds (2xx)", "%s (%s)" % (lua.get("adds", "?"), lua.get("add_ok", "?")), ""),
    ("deletes (2xx)", "%s (%s)" % (lua.get("deletes", "?"), lua.get("delete_ok", "?")), ""),
    ("non-2xx answers", str(non2xx + 0), "0" ),
    ("socket errors", str(sock_total) + ("" if sock == "none" else " (" + sock.strip() + ")"), "0"),
    ("bank items at the end", "%d (from the answers: %d)" % (items, want_items),
     "within the writes in flight at the end"),
    ("memory after %d s" % warmup, "%d kB" % base, ""),
    ("memory peak under load", "%d kB (%+.2f %%)" % (peak, grow(peak)), ""),
    ("memory at the load's end", "%d kB (%+.2f %%)" % (last, grow(last)), "< 5 %"),
    ("memory 20 s after", "%d kB (%+.2f %%)" % (after, grow(after)), "< 5 %"),
    ("exit on SIGTERM", str(exit_status), "0"),
]
print()
print("%-24s %-44s %s" % ("", "measured", "target"))
for name, val, target in rows:
    print("%-24s %-44s %s" % (name, val, target))
print()
print("memory (kB) every 10 s: " + " ".join(str(kb) for t, kb in rss if t < secs)
      + " | after the load: " + " ".join(str(kb) for t, kb in rss if t >= secs))
print("load average at the end: " + sys.argv[7] +
      " (a shared machine: other builds and tests ran beside this, so the rates and"
      " latencies are a floor, not a measure of tamis alone)")
ok = (non2xx == 0 and sock_total == 0 and exit_status == 0 and growth < 5.0
      and abs(items - want_items) <= conn)
print("soak: " + ("all targets met" if ok else "TARGET MISSED"))
sys.exit(0 if ok else 1)
PY
