#!/bin/sh
# opensmtpd_dns.sh: a DNSRBL zone that never answers does not stall the
# other sessions. A fake DNS server on 127.0.0.1 answers NXDOMAIN at once
# for IPv4 clients and never for IPv6 ones; the rules look the client up
# in that zone. A session over ::1 sends RCPT and waits for its lookup to
# time out (then 451 4.3.0, the failure action), while 49 sessions over
# 127.0.0.1 (50 open at once), started after it, get their 451 4.7.1
# right away. A SIGHUP
# (rules reload) arrives while the lookup is pending.
. tests/integration/opensmtpd_lib.sh
smtpd_init opensmtpd_dns
[ -n "$HAVE_V6" ] || skip "no ::1 on lo"
need_python3

DNSPORT=$(free_port)
python3 - "$DNSPORT" >"$T/dns.log" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 13:
        continue
    i, labels = 12, 0
    while i < len(q) and q[i] != 0:
        i += q[i] + 1
        labels += 1
    end = i + 5  # root label, qtype, qclass
    print("query", labels, "labels", flush=True)
    if labels > 10:
        continue  # an ip6 nibble name: never answered
    # NXDOMAIN, the question echoed
    s.sendto(q[:2] + b"\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" +
             q[12:end], peer)
PY
EXTRA_PIDS=$!
wait_until 10 grep -q ready "$T/dns.log" || fail "fake DNS server did not start"

TIMEOUT=4
smtpd_rules "# opensmtpd_dns.sh
resolver \"127.0.0.1:$DNSPORT\" timeout ${TIMEOUT}s
dnsrbl \"never\" never.test 127.0.0.2
racl blacklist dnsrbl \"never\"
racl greylist default"
smtpd_start

N=49
python3 - "$PORT" "$N" >"$T/client.out" <<'PY' &
import asyncio, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])

async def reply(r):
    while True:
        line = (await r.readline()).decode().rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line

async def cmd(s, text):
    s[1].write(f"{text}\r\n".encode())
    return await reply(s[0])

# smtpd 6.8 listens with a backlog of 5: connect a few at a time
gate = None

async def opened(host, i):
    async with gate:
        s = await asyncio.open_connection(host, port)
    await reply(s[0])
    await cmd(s, "EHLO client.example")
    await cmd(s, f"MAIL FROM:<sender{i}@example.org>")
    return s

async def rcpt(s, i):
    t = time.monotonic()
    rep = await cmd(s, f"RCPT TO:<user{i}@example.net>")
    return int((time.monotonic() - t) * 1000), rep

async def main():
    global gate
    gate = asyncio.Semaphore(4)
    slow = await opened("::1", 0)
    fast = await asyncio.gather(*(opened("127.0.0.1", i)
                                  for i in range(1, n + 1)))
    slow_rcpt = asyncio.ensure_future(rcpt(slow, 0))
    await asyncio.sleep(0.3)  # the slow lookup is under way
    res = await asyncio.gather(*(rcpt(s, i) for i, s in enumerate(fast, 1)))
    ms, rep = await slow_rcpt
    print("slow", ms, rep)
    for ms, rep in res:
        print("fast", ms, rep)

asyncio.run(asyncio.wait_for(main(), 40))
PY
CPID=$!
EXTRA_PIDS="$EXTRA_PIDS $CPID"
# while the ::1 lookup hangs: a SIGHUP must not lose the pending check
wait_until 40 grep -q 'query 34 labels' "$T/dns.log" ||
    fail "the ::1 lookup never reached the DNS server"
kill -s HUP "$(filter_pid)" || fail "cannot signal the filter"
wait "$CPID" || fail "client failed"
grep -q 'rules reloaded from' "$LOG" || fail "no reload logged"
ok "SIGHUP while the lookup was pending"
sed 's/^/    /' "$T/client.out" | head -n 4

set -- $(grep '^slow' "$T/client.out")
[ "$2" -ge $(( (TIMEOUT - 1) * 1000 )) ] ||
    fail "the ::1 session was answered in $2 ms: its lookup did not hang"
case "$3 $4" in
"451 4.3.0") ok "::1 session: lookup timed out after $2 ms -> $3 $4" ;;
*) fail "::1 session: expected 451 4.3.0, got '$3 $4'" ;;
esac
[ "$(grep -c '^fast [0-9]* 451 4.7.1' "$T/client.out")" = $N ] ||
    fail "not every 127.0.0.1 session got 451 4.7.1"
max=$(grep '^fast' "$T/client.out" | cut -d' ' -f2 | sort -n | tail -n 1)
[ "$max" -lt $(( TIMEOUT * 1000 / 2 )) ] ||
    fail "a 127.0.0.1 session waited $max ms behind the stuck lookup"
ok "$N sessions over 127.0.0.1 answered in at most $max ms while the ::1 lookup hung"

smtpd_alive || fail "smtpd or its filter died"
ok "smtpd and filter-mxgrey still running"
exit 0
