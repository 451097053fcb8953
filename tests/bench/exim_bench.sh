#!/bin/sh
# exim_bench.sh [SESSIONS] [CONCURRENCY] [RCPTS]: the same Exim 4.96, the same
# load generator, three RCPT ACLs:
#   none       defer every RCPT, no greylisting lookup (the baseline:
#              the same 451 reply and log line as the others)
#   mxgrey     ${dlfunc} into mxgrey_exim.so (tdb store, in-process)
#   mxgrey+pre the same, with the object preloaded in the daemon through
#              smtp_accept_max_per_host = ${dlfunc{...}{mxgrey_preload}}
#   greylistd  ${readsocket} to Debian's greylistd, as its docs show
# Every session is one connection: EHLO, MAIL, RCPTS recipients (default
# 1; each a tuple never seen before: the write path), QUIT. The client
# sends QUIT and closes without waiting for the 221, as Postfix's smtp
# client does by default (smtp_skip_quit_response): Exim 4.96 holds the
# 221 for 200 ms under TCP_CORK while it polls for input after QUIT, so a
# client that waits measures that timer, not the server. Reports
# sessions/s and the RCPT latency p50/p99 as the client sees it, and
# mxgrey's and greylistd's added latency over the baseline. Run from the
# top of the tree, as root (Exim runs as Debian-exim) or as a user.
N=${1:-500}
C=${2:-4}
R=${3:-1}
. tests/integration/exim_lib.sh
exim_init exim_bench
command -v python3 >/dev/null 2>&1 || skip "python3 needed (load generator)"

MODE=none
GLD_PID=
bench_cleanup() {
	if [ -n "$GLD_PID" ]; then
		kill "$GLD_PID" 2>/dev/null
		wait "$GLD_PID" 2>/dev/null
	fi
	exim_cleanup
}
trap bench_cleanup EXIT

exim_rules "greylist 1h
racl greylist default"

# exim_config is exim_lib.sh's, with the RCPT ACL of $MODE
exim_config() {
	pre=
	case $MODE in
	mxgrey+pre)
		pre="smtp_accept_max_per_host = \${dlfunc{$SO}{mxgrey_preload}}"
		;;
	esac
	case $MODE in
	none)
		check="  defer message = 451 4.7.1 baseline: no greylisting" ;;
	mxgrey*)
		check="  warn set acl_m_grey = \${dlfunc{$SO}{mxgrey_rcpt}{\$sender_host_address}{\$sender_helo_name}{\$sender_address}{\$local_part@\$domain}{config=$RULES}{store=$STORE}}
  defer condition = \${if eq{\${substr_0_6:\$acl_m_grey}}{defer }}
        message = \${substr_6:\${extract{1}{\\t}{\$acl_m_grey}}}" ;;
	greylistd)
		check="  defer message = 451 4.7.1 \$sender_host_address is not yet authorized
        condition = \${readsocket{$T/gld/socket}{--grey \$sender_host_address \$sender_address \$local_part@\$domain}{5s}{}{false}}" ;;
	esac
	cat >"$CONF" <<EOF
exim_user = $XUSER
exim_group = $XGROUP
spool_directory = $T/spool
log_file_path = $T/log/%slog
primary_hostname = mx.test
domainlist local_domains = test
local_interfaces = <; 127.0.0.1 ; ::1
never_users =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
smtp_accept_max = 200
smtp_connect_backlog = 200
smtp_accept_max_nonmail_hosts =
log_selector = -all
acl_smtp_rcpt = acl_rcpt
$pre

begin acl
acl_rcpt:
  require domains = +local_domains
$check
  accept
EOF
	chmod 644 "$CONF"
}

cat >"$T/load.py" <<'PY'
# load.py PORT N C R TAG: N sessions of R recipients over C threads; one
# line of figures.
import socket, sys, threading, time
port, n, c, nr, tag = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                       int(sys.argv[4]), sys.argv[5])
lock = threading.Lock()
nxt = [0]
lat, codes, errors = [], {}, [0]
def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise IOError("closed")
        if line[3:4] != b"-":
            return line
def worker():
    while True:
        with lock:
            k = nxt[0]
            if k >= n:
                return
            nxt[0] += 1
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            f = s.makefile("rb")
            reply(f)
            s.sendall(b"EHLO client.example\r\n"); reply(f)
            s.sendall(b"MAIL FROM:<s%d-%s@example.org>\r\n" % (k, tag.encode())); reply(f)
            got = []
            for j in range(nr):
                t = time.perf_counter()
                s.sendall(b"RCPT TO:<r%d-%d@test>\r\n" % (k % 50, j))
                r = reply(f)
                got.append((time.perf_counter() - t, r[:3]))
            s.sendall(b"QUIT\r\n")
            s.close()
            with lock:
                for dt, code in got:
                    lat.append(dt)
                    codes[code] = codes.get(code, 0) + 1
        except Exception:
            with lock:
                errors[0] += 1
t0 = time.perf_counter()
ts = [threading.Thread(target=worker) for _ in range(c)]
for t in ts: t.start()
for t in ts: t.join()
wall = time.perf_counter() - t0
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else 0
print("%d %.1f %.3f %.3f %d %s" % (n - errors[0], (n - errors[0]) / wall, q(0.5), q(0.99),
      errors[0], ",".join("%s:%d" % (k.decode(), v) for k, v in sorted(codes.items()))))
PY

# greylistd on a private socket, as Exim's user
mkdir -p "$T/gld"
cat >"$T/gld/config" <<EOF
[timeouts]
retryMin     = 3600
retryMax     = 28800
expire       = 5184000
[socket]
path         = $T/gld/socket
mode         = 0660
[data]
update       = 600
statefile    = $T/gld/states
tripletfile  = $T/gld/triplets
savetriplets = true
EOF
[ "$(id -u)" = 0 ] && chown -R "$XUSER:$XGROUP" "$T/gld"
HAVE_GLD=0
if command -v greylistd >/dev/null 2>&1; then
	$AS greylistd "$T/gld/config" >"$T/gld/log" 2>&1 &
	GLD_PID=$!
	wait_until 10 test -S "$T/gld/socket" && HAVE_GLD=1
fi
[ $HAVE_GLD = 1 ] || echo "greylistd not available: that row is skipped"

# cpu_ticks PID...: user+system clock ticks of each PID and of its reaped
# children (Exim's daemon reaps its per-connection children), summed
cpu_ticks() {
	for p in "$@"; do
		[ -n "$p" ] && cat "/proc/$p/stat" 2>/dev/null
	done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}
HZ=$(getconf CLK_TCK)

echo "Exim $(exim -bV | sed -n '1s/Exim version \([^ ]*\).*/\1/p'), $N sessions of $R RCPT per run, $C client threads, $(nproc) cores"
printf '%-10s %8s %10s %10s %10s %12s  %s\n' mode sessions sess/s "p50 ms" "p99 ms" "cpu ms/sess" replies
for MODE in ${MODES:-none mxgrey mxgrey+pre greylistd none mxgrey mxgrey+pre greylistd}; do
	[ $MODE = greylistd ] && [ $HAVE_GLD = 0 ] && continue
	exim_start
	python3 "$T/load.py" "$PORT" 100 "$C" "$R" "warm-$MODE-$$" >/dev/null
	gp=
	[ $MODE = greylistd ] && gp=$GLD_PID
	c0=$(cpu_ticks "$XPID" $gp)
	set -- $(python3 "$T/load.py" "$PORT" "$N" "$C" "$R" "$MODE-$$-$(date +%s)")
	sleep 0.2 # the last children reaped
	c1=$(cpu_ticks "$XPID" $gp)
	exim_stop
	cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v n="$1" \
	    'BEGIN { printf "%.2f", (n > 0 ? (b - a) * 1000 / hz / n : 0) }')
	printf '%-10s %8s %10s %10s %10s %12s  %s (errors %s)\n' $MODE $1 $2 $3 $4 $cpu "$6" $5
	v=$(echo "$MODE" | tr -c 'a-z\n' '_')
	eval "rate_$v=\$2 p50_$v=\$3 p99_$v=\$4 cpu_$v=\$cpu"
done
echo "(second round of each mode shown above is the one used below)"
awk -v n="$rate_none" -v m="$rate_mxgrey" -v g="${rate_greylistd:-0}" \
    -v n50="$p50_none" -v m50="$p50_mxgrey" -v g50="${p50_greylistd:-0}" \
    -v n99="$p99_none" -v m99="$p99_mxgrey" -v g99="${p99_greylistd:-0}" \
    -v p="${rate_mxgrey_pre:-0}" -v p50="${p50_mxgrey_pre:-0}" \
    -v p99="${p99_mxgrey_pre:-0}" -v cn="$cpu_none" -v cm="$cpu_mxgrey" \
    -v cp="${cpu_mxgrey_pre:-0}" -v cg="${cpu_greylistd:-0}" -v cores="$(nproc)" 'BEGIN {
	if (n <= 0) exit
	printf "mxgrey:    %.1f%% of the baseline throughput, +%.3f ms p50, +%.3f ms p99 per RCPT\n",
	    100 * m / n, m50 - n50, m99 - n99
	if (p > 0)
		printf "mxgrey+pre: %.1f%% of the baseline throughput, +%.3f ms p50, +%.3f ms p99 per RCPT\n",
		    100 * p / n, p50 - n50, p99 - n99
	if (g > 0)
		printf "greylistd: %.1f%% of the baseline throughput, +%.3f ms p50, +%.3f ms p99 per RCPT; mxgrey/greylistd throughput %.2fx\n",
		    100 * g / n, g50 - n50, g99 - n99, m / g
	# CPU per session (Exim, its children and greylistd): the capacity
	# of the host when the CPU, not the client, is the limit
	if (cn > 0) {
		printf "cpu per session: none %.2f ms, mxgrey %+.2f ms", cn, cm - cn
		if (cp > 0) printf ", mxgrey+pre %+.2f ms", cp - cn
		if (cg > 0) printf ", greylistd %+.2f ms", cg - cn
		printf "\n"
		printf "capacity on %d cores (sessions/s = cores / cpu): none %.0f, mxgrey %.0f", cores, cores * 1000 / cn, (cm > 0 ? cores * 1000 / cm : 0)
		if (cp > 0) printf ", mxgrey+pre %.0f", cores * 1000 / cp
		if (cg > 0) printf ", greylistd %.0f; mxgrey/greylistd %.2fx, mxgrey+pre/greylistd %.2fx", cores * 1000 / cg, cg / cm, (cp > 0 ? cg / cp : 0)
		printf "\n"
	}
}'
