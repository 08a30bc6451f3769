#!/bin/sh
# make bench-serve: wrk against `tamis serve` on /m/lookup with a bank of
# one million PDQ hashes, 64 connections for 30 s, then the same wrk
# against nginx serving a static JSON file of the same size (the ceiling),
# in the same run. Prints requests/s, latency percentiles, errors, and the
# service's resident memory at seconds 10 and 30; then tamis again with a
# thread per connection, the I/O model the default is chosen against.
#   BENCH_N (hashes, default 1000000), BENCH_SECONDS (30), BENCH_CONN (64)
set -eu
cd "$(dirname "$0")/.."
B=${TAMIS_BUILD:-build}
T=$B/tamis
N=${BENCH_N:-1000000}
SECS=${BENCH_SECONDS:-30}
CONN=${BENCH_CONN:-64}
D=$B/bench-data/serve
mkdir -p "$D"
DB=$D/bank-$N.db
PORT=18181
NPORT=18182

if [ ! -f "$DB" ]; then
    echo "bench-serve: building a bank of $N random PDQ hashes (once; kept in $DB)"
    python3 - "$N" > "$D/bank-$N.txt" <<'PY'
import random, sys
random.seed(7)
for i in range(int(sys.argv[1])):
    print("%064x item%d" % (random.getrandbits(256), i))
PY
    start=$(date +%s)
    $T import --db "$DB.tmp" --bank BENCH --format hashlist "$D/bank-$N.txt"
    mv "$DB.tmp" "$DB"
    rm -f "$DB.tmp-wal" "$DB.tmp-shm"
    echo "bench-serve: import took $(( $(date +%s) - start )) s"
fi
TOKEN=$($T token create --db "$DB" --role matcher 2>/dev/null | tail -n 1)

# Queries: 1000 paths, half a bank hash with a few bits flipped, half random.
python3 - "$D/bank-$N.txt" > "$D/queries.lua" <<'PY'
import random, sys
random.seed(11)
lines = [l.split()[0] for _, l in zip(range(200000), open(sys.argv[1]))]
qs = []
for i in range(1000):
    if i % 2 == 0:
        h = int(random.choice(lines), 16)
        for _ in range(random.randint(1, 20)):
            h ^= 1 << random.randrange(256)
    else:
        h = random.getrandbits(256)
    qs.append("/m/lookup?signal_type=pdq&signal=%064x" % h)
print("paths = {" + ",".join('"%s"' % q for q in qs) + "}")
print("i = 0")
print("request = function() i = (i % #paths) + 1; return wrk.format(nil, paths[i]) end")
PY

$T serve --db "$DB" --listen 127.0.0.1:$PORT --quiet --max-connections 4096 2>"$D/serve.log" &
SPID=$!
trap 'kill $SPID 2>/dev/null || true; [ -f "$D/nginx.pid" ] && kill $(cat "$D/nginx.pid") 2>/dev/null || true' EXIT
for i in $(seq 1 300); do
    curl -s -o /dev/null http://127.0.0.1:$PORT/status/live && break
    sleep 0.2
done
grep "loaded" "$D/serve.log" | sed 's/^/bench-serve: /'
SAMPLE=$(curl -s -H "Authorization: Bearer $TOKEN" \
    "http://127.0.0.1:$PORT/m/lookup?signal_type=pdq&signal=$(head -1 "$D/bank-$N.txt" | cut -d' ' -f1)")

rss() { awk '/VmRSS/ {print $2}' /proc/$SPID/status; }
echo "bench-serve: wrk -t2 -c$CONN -d${SECS}s on /m/lookup (1000 queries in turn, half near a bank hash)"
( sleep 10; rss > "$D/rss10" ) &
wrk -t2 -c"$CONN" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" \
    -s "$D/queries.lua" http://127.0.0.1:$PORT > "$D/wrk-tamis.txt" 2>&1
RSS30=$(rss)
RSS10=$(cat "$D/rss10")
kill $SPID; wait $SPID 2>/dev/null || true

# The other I/O model libmicrohttpd offers, on the same load: a thread per
# connection instead of the default pool of epoll threads.
$T serve --db "$DB" --listen 127.0.0.1:$PORT --quiet --max-connections 4096 \
    --thread-per-connection 2>>"$D/serve.log" &
SPID=$!
for i in $(seq 1 300); do
    curl -s -o /dev/null http://127.0.0.1:$PORT/status/live && break
    sleep 0.2
done
wrk -t2 -c"$CONN" -d"${SECS}s" --latency -H "Authorization: Bearer $TOKEN" \
    -s "$D/queries.lua" http://127.0.0.1:$PORT > "$D/wrk-tamis-tpc.txt" 2>&1
kill $SPID; wait $SPID 2>/dev/null || true

# nginx serving a file the size of a typical answer.
printf '%s' "$SAMPLE" > "$D/static.json"
mkdir -p "$D/nginx"
cat > "$D/nginx.conf" <<CONF
worker_processes auto;
pid $(pwd)/$D/nginx.pid;
error_log $(pwd)/$D/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $(pwd)/$D/nginx;
    proxy_temp_path $(pwd)/$D/nginx;
    fastcgi_temp_path $(pwd)/$D/nginx;
    uwsgi_temp_path $(pwd)/$D/nginx;
    scgi_temp_path $(pwd)/$D/nginx;
    server {
        listen 127.0.0.1:$NPORT;
        location / { root $(pwd)/$D; default_type application/json; try_files /static.json =404; }
    }
}
CONF
nginx -c "$(pwd)/$D/nginx.conf" -p "$(pwd)/$D/nginx"
sleep 1
wrk -t2 -c"$CONN" -d"${SECS}s" --latency http://127.0.0.1:$NPORT/m/lookup > "$D/wrk-nginx.txt" 2>&1
kill "$(cat "$D/nginx.pid")"

req() { awk '/Requests\/sec/ {print $2}' "$1"; }
pct() { awk -v p="$2" '$1 == p {print $2}' "$1"; }
errs() { awk '/Socket errors|Non-2xx/ {s = s $0 "; "} END {print (s == "" ? "0" : s)}' "$1"; }
RT=$(req "$D/wrk-tamis.txt"); RN=$(req "$D/wrk-nginx.txt")
echo
printf '%-8s %12s %10s %10s %10s  %s\n' "" "requests/s" "p50" "p99" "size(B)" "errors"
printf '%-8s %12s %10s %10s %10s  %s\n' tamis "$RT" "$(pct "$D/wrk-tamis.txt" 50%)" \
    "$(pct "$D/wrk-tamis.txt" 99%)" "${#SAMPLE}" "$(errs "$D/wrk-tamis.txt")"
printf '%-8s %12s %10s %10s %10s  %s\n' tamis-tpc "$(req "$D/wrk-tamis-tpc.txt")" \
    "$(pct "$D/wrk-tamis-tpc.txt" 50%)" "$(pct "$D/wrk-tamis-tpc.txt" 99%)" "${#SAMPLE}" \
    "$(errs "$D/wrk-tamis-tpc.txt")"
printf '%-8s %12s %10s %10s %10s  %s\n' nginx "$RN" "$(pct "$D/wrk-nginx.txt" 50%)" \
    "$(pct "$D/wrk-nginx.txt" 99%)" "${#SAMPLE}" "$(errs "$D/wrk-nginx.txt")"
python3 -c "print('tamis/nginx requests: %.1f %%' % (100 * $RT / $RN))"
python3 -c "print('tamis resident memory: %d kB at 10 s, %d kB at 30 s: %+.2f %%' % ($RSS10, $RSS30, 100.0 * ($RSS30 - $RSS10) / $RSS10))"
echo "tamis = a pool of epoll threads (the default), tamis-tpc = a thread per connection"
echo "targets: >= 50 % of nginx, p99 <= 5 ms, 0 errors, memory growth < 5 % (machine shared: 2 cores for wrk, server and nginx)"
