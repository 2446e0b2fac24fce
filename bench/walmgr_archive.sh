#!/bin/bash
# walmgr archiving cost and restore time on a throw-away cluster started here.
#  1. Per 16 MiB segment during a write-heavy pgbench (64 rows of 1 kB per transaction), side by
#     side in one run: the archive_command runs, for every segment and in rotating order, a plain
#     `cp`, a durable plain copy (dd conv=fsync to a temporary name, mv, fsync of the directory),
#     `walmgr xarchive` (checksummed, durable, no-overwrite) and xarchive with `compression = 1`
#     (gzip level 1). Medians in ms, and the size of the gzipped archive against the plain one.
#  2. xarchive alone as archive_command during pgbench, pg_receivewal --synchronous streaming the
#     same WAL as the reference: the .ready backlog sampled every second, the WAL rate, and
#     pg_receivewal's CPU time per segment and largest flush lag.
#  3. A ~1 GB cluster (pgbench scale SCALE): base backup, more writes, then the time to restore a
#     standby from the backup plus the archived WAL until it has replayed all of it.
#  4. gzip on pgbench's own TPC-B-like WAL from 3 (full-page images included): up to 20 archived
#     segments through xarchive with compression = 1, median time and stored fraction.
# Prints `RESULT name=value unit` lines.
#
#   bench/walmgr_archive.sh   env: PGBIN, BENCH_PORT (and +1), DURATION (s per pgbench phase), SCALE
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PORT=${BENCH_PORT:-55452}
SPORT=$((PORT + 1))
DURATION=${DURATION:-60}
SCALE=${SCALE:-64}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/walmgr_bench.XXXXXX)

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    [ -n "${recv_pid:-}" ] && kill "$recv_pid" 2>/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$dir/standby" -m immediate stop >/dev/null 2>&1 || true
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

[ -x "$top/target/release/skytools" ] || (cd "$top" && cargo build --release -q)
mkdir -p "$dir/bin" "$dir/cp" "$dir/durable" "$dir/gz"
: > "$dir/times.txt"
cp "$top/target/release/skytools" "$dir/bin/skytools"
W="$dir/bin/skytools walmgr"
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"

as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
cat >> "$dir/data/postgresql.conf" <<EOF
archive_mode = on
archive_command = '/bin/false'
synchronous_commit = off
max_wal_size = 4GB
checkpoint_timeout = 30min
max_wal_senders = 4
EOF
as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/master.log" -w -o "-p $PORT -k $dir -c listen_addresses=''" start >/dev/null

cat > "$dir/wal-master.ini" <<EOF
[walmgr]
master_db = host=$dir port=$PORT dbname=postgres user=postgres
master_data = $dir/data
slave_config = $dir/wal-slave.ini
walmgr_data = $dir/walshipping
completed_wals = %(walmgr_data)s/logs.complete
partial_wals = %(walmgr_data)s/logs.partial
full_backup = %(walmgr_data)s/data.master
EOF
sed -e "s|^completed_wals = .*|completed_wals = $dir/gz|" -e '$a compression = 1' "$dir/wal-master.ini" > "$dir/wal-master-gz.ini"
cat > "$dir/wal-slave.ini" <<EOF
[walmgr]
slave_data = $dir/standby
slave_bin = $PGBIN
restore_poll = 0.2
slave_start_cmd = $PGBIN/pg_ctl -D $dir/standby -l $dir/standby.log -w -t 600 start -o "-p $SPORT -k $dir -c listen_addresses=''"
walmgr_data = $dir/walshipping
completed_wals = %(walmgr_data)s/logs.complete
partial_wals = %(walmgr_data)s/logs.partial
full_backup = %(walmgr_data)s/data.master
EOF
# All four methods for each segment, the order rotating with the segment number.
cat > "$dir/arch3.sh" <<EOF
#!/bin/bash
p=\$1 f=\$2 d=$dir
now() { local t=\${EPOCHREALTIME/./}; echo \$((10#\$t)); }
m0() { cp "\$p" "\$d/cp/\$f"; }
m1() { dd if="\$p" of="\$d/durable/.\$f.tmp" bs=1M conv=fsync status=none && mv "\$d/durable/.\$f.tmp" "\$d/durable/\$f" && sync "\$d/durable"; }
m2() { $W \$d/wal-master.ini xarchive "\$p" "\$f" 2>/dev/null; }
m3() { $W \$d/wal-master-gz.ini xarchive "\$p" "\$f" 2>/dev/null; }
[ \${#f} = 24 ] || { m2; exit; }
r=\$(( 16#\${f:16:8} % 4 ))
declare -a us
for i in 0 1 2 3; do k=\$(( (i + r) % 4 )); t0=\$(now); m\$k || exit 1; us[\$k]=\$(( \$(now) - t0 )); done
echo "\$f \${us[0]} \${us[1]} \${us[2]} \${us[3]}" >> \$d/times.txt
EOF
chmod +x "$dir/arch3.sh"
[ "$(id -u)" = 0 ] && chown -R postgres "$dir"

psql() { "$PGBIN/psql" -X -q -At -h "$dir" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 "$@"; }
set_archive() { psql -c "alter system set archive_command = '$1'" -c "select pg_reload_conf()" >/dev/null; }
as_pg $W "$dir/wal-slave.ini" setup 2>/dev/null
set_archive "$dir/arch3.sh %p %f"
pgbench() { "$PGBIN/pgbench" -h "$dir" -p "$PORT" -U postgres "$@" postgres; }
# Write-heavy: each transaction inserts 64 rows of 1 kB of hex text (about 90 kB of WAL), so the
# WAL rate depends on the disk more than on the two CPUs.
psql -c "create table filler (id bigserial, payload text)"
echo "insert into filler (payload) select repeat(md5(random()::text), 32) from generate_series(1, 64);" > "$dir/write.sql"
load() { pgbench -n -f "$dir/write.sql" -c 4 -j 2 -T "$DURATION" >/dev/null 2>&1; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
ready() { ls "$dir/data/pg_wal/archive_status" | grep -c '\.ready$' || true; }

# 1. side by side
: > "$dir/times.txt"
load
psql -c "select pg_switch_wal()" >/dev/null
while [ "$(ready)" -gt 0 ]; do sleep 0.5; done
n=$(wc -l < "$dir/times.txt")
cp_ms=$(awk '{print $2/1000}' "$dir/times.txt" | median)
dur_ms=$(awk '{print $3/1000}' "$dir/times.txt" | median)
xa_ms=$(awk '{print $4/1000}' "$dir/times.txt" | median)
gz_ms=$(awk '{print $5/1000}' "$dir/times.txt" | median)
gz_kb=$(awk '{print $1}' "$dir/times.txt" | (cd "$dir/gz" && xargs du -k --apparent-size -c) | tail -1 | cut -f1)
echo "RESULT side_by_side_segments=$n count"
echo "RESULT cp_per_segment=$cp_ms ms"
echo "RESULT durable_copy_per_segment=$dur_ms ms"
echo "RESULT xarchive_per_segment=$xa_ms ms"
echo "RESULT xarchive_vs_durable_copy=$(awk -v a="$xa_ms" -v b="$dur_ms" 'BEGIN {printf "%.2f", a / b}') ratio"
echo "RESULT xarchive_gzip_per_segment=$gz_ms ms"
echo "RESULT gzip_stored_fraction=$(awk -v k="$gz_kb" -v n="$n" 'BEGIN {printf "%.3f", k / (n * 16384)}') ratio"
rm -rf "$dir/cp" "$dir/durable" "$dir/gz"

# 2. xarchive alone, pg_receivewal beside it
set_archive "$dir/bin/skytools walmgr $dir/wal-master.ini xarchive %p %f"
mkdir -p "$dir/recv" && [ "$(id -u)" = 0 ] && chown postgres "$dir/recv"
as_pg "$PGBIN/pg_receivewal" -h "$dir" -p "$PORT" -U postgres -D "$dir/recv" --synchronous --no-loop 2>/dev/null &
recv_pid=$!
# The receiver runs below a subshell (and runuser); its own CPU time is what counts.
recv_real=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
    recv_real=$(pgrep -n -f "^$PGBIN/pg_receivewal .*$dir/recv" || true)
    [ -n "$recv_real" ] && break
    sleep 0.5
done
lsn0=$(psql -c "select pg_current_wal_lsn()")
load &
bench_pid=$!
max_ready=0 max_lag=0 samples=""
while kill -0 "$bench_pid" 2>/dev/null; do
    r=$(ready); samples="$samples $r"; [ "$r" -gt "$max_ready" ] && max_ready=$r
    l=$(psql -c "select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)), 0)::bigint from pg_stat_replication where flush_lsn > '0/0'")
    [ "$l" -gt "$max_lag" ] && max_lag=$l
    sleep 1
done
wait "$bench_pid" || true
lsn1=$(psql -c "select pg_current_wal_lsn()")
end_lag=$(psql -c "select coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)), 0)::bigint from pg_stat_replication where flush_lsn > '0/0'")
end_ready=$(ready)
mb=$(psql -c "select round(pg_wal_lsn_diff('$lsn1', '$lsn0') / 1048576)")
ticks=$(getconf CLK_TCK)
cpu_ticks=$(awk '{print $14 + $15}' "/proc/$recv_real/stat" 2>/dev/null || echo 0)
kill "$recv_real" "$recv_pid" 2>/dev/null || true
recv_pid=""
segs=$(awk -v m="$mb" 'BEGIN {printf "%.1f", m / 16}')
echo "RESULT wal_rate=$(awk -v m="$mb" -v t="$DURATION" 'BEGIN {printf "%.1f", m / t}') MB/s"
echo "RESULT ready_backlog_max=$max_ready segments"
echo "RESULT ready_backlog_at_end=$end_ready segments"
echo "RESULT ready_backlog_samples=\"$(echo $samples | tr ' ' ',')\""
xa_alone=$(grep -o 'archived (16777216 bytes, [0-9.]* s)' "$dir/master.log" | tail -n "${segs%.*}" | awk '{print $4 * 1000}' | median)
echo "RESULT xarchive_alone_per_segment=$xa_alone ms"
echo "RESULT receivewal_cpu_per_segment=$(awk -v c="$cpu_ticks" -v t="$ticks" -v s="$segs" 'BEGIN {printf "%.2f", c * 1000 / t / s}') ms"
echo "RESULT receivewal_max_flush_lag=$(( max_lag / 1024 )) KiB"
echo "RESULT receivewal_flush_lag_at_end=$(( end_lag / 1024 )) KiB"

# 3. a ~1 GB cluster: backup, writes, restore as a standby until it has replayed everything
psql -c "drop table filler" -c "checkpoint" >/dev/null
pgbench -i -q -s "$SCALE" >/dev/null 2>&1
size=$(psql -c "select pg_database_size('postgres') / 1048576")
t0=$EPOCHREALTIME
as_pg $W "$dir/wal-master.ini" backup 2>/dev/null
t1=$EPOCHREALTIME
pgbench -c 8 -j 2 -T 20 >/dev/null 2>&1
target=$(psql -c "select pg_current_wal_lsn()")
psql -c "select pg_switch_wal()" >/dev/null
while [ "$(ready)" -gt 0 ]; do sleep 0.5; done
start=$(grep 'START WAL LOCATION' "$dir/walshipping/data.master/backup_label" | awk '{print $4}')
wal_mb=$(psql -c "select round(pg_wal_lsn_diff('$target', '$start') / 1048576)")
t2=$EPOCHREALTIME
as_pg $W "$dir/wal-slave.ini" restore >/dev/null 2>&1
spsql() { "$PGBIN/psql" -X -q -At -h "$dir" -p "$SPORT" -U postgres -c "$1" postgres 2>/dev/null; }
until [ "$(spsql "select pg_last_wal_replay_lsn() >= '$target'")" = t ]; do sleep 0.2; done
t3=$EPOCHREALTIME
echo "RESULT restore_cluster_size=$size MB"
echo "RESULT backup_time=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}') s"
echo "RESULT restore_wal_replayed=$wal_mb MB"
echo "RESULT restore_time=$(awk -v a="$t2" -v b="$t3" 'BEGIN {printf "%.1f", b - a}') s"

# 4. compression on TPC-B-like WAL
mkdir -p "$dir/gz2"
sed -e "s|^completed_wals = .*|completed_wals = $dir/gz2|" "$dir/wal-master-gz.ini" > "$dir/wal-master-gz2.ini"
: > "$dir/gz_times.txt"
n4=0
for f in $(ls "$dir/walshipping/logs.complete" | grep -E '^[0-9A-F]{24}$' | tail -n 20); do
    t0=$EPOCHREALTIME
    $W "$dir/wal-master-gz2.ini" xarchive "$dir/walshipping/logs.complete/$f" "$f" 2>/dev/null
    t1=$EPOCHREALTIME
    awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) * 1000}' >> "$dir/gz_times.txt"
    n4=$((n4 + 1))
done
gz2_kb=$(ls "$dir/gz2" | grep -E '^[0-9A-F]{24}$' | (cd "$dir/gz2" && xargs du -k --apparent-size -c) | tail -1 | cut -f1)
echo "RESULT tpcb_gzip_segments=$n4 count"
echo "RESULT tpcb_xarchive_gzip_per_segment=$(median < "$dir/gz_times.txt") ms"
echo "RESULT tpcb_gzip_stored_fraction=$(awk -v k="$gz2_kb" -v n="$n4" 'BEGIN {printf "%.3f", k / (n * 16384)}') ratio"
