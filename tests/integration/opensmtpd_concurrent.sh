#!/bin/sh
# opensmtpd_concurrent.sh: 50 SMTP sessions at once through a real
# OpenSMTPD 6.8.0p2 and the one filter-mxgrey process: every session gets
# its own answer (451 on first sight, 250 after the delay), every
# decision is logged once, nothing is mixed up between sessions, and the
# slowest RCPT reply stays well under the client timeout. Prints the
# latencies it measured.
. tests/integration/opensmtpd_lib.sh
smtpd_init opensmtpd_concurrent

N=50
DELAY=2
smtpd_rules "# opensmtpd_concurrent.sh
greylist ${DELAY}s
autowhite 1h
racl greylist default"
smtpd_start

need_python3

# waves: one asyncio client (N perl swaks processes would measure the
# machine's load, not the filter) runs two waves of N sessions: session
# i is MAIL FROM:<sender$i@example.org> RCPT TO:<user$i@example.net>.
# Each wave's sessions are all open before their N RCPT TO go out at
# once; the second wave's sessions are opened while the first wave's
# greylisting delay runs out, and send RCPT only after it.
# Writes "i rcpt_ms banner_ms reply" lines to $T/first.out, second.out.
waves() {
	python3 - "$PORT" "$N" "$DELAY" "$T" <<'PY' || fail "client failed"
import asyncio, sys, time
port, n, delay, out = int(sys.argv[1]), int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4]

async def reply(r):
    while True:
        line = (await r.readline()).decode().rstrip("\r\n")
        if len(line) < 4 or line[3] != "-":
            return line

async def cmd(s, text):
    s[1].write(f"{text}\r\n".encode())
    return await reply(s[0])

# smtpd 6.8 listens with a tiny backlog: a burst of connects loses SYNs
# and waits for retransmits, so connects go a few at a time
async def opened(i, gate):
    t = time.monotonic()
    async with gate:
        s = await asyncio.open_connection("127.0.0.1", port)
    await reply(s[0])
    banner = (time.monotonic() - t) * 1000
    await cmd(s, "EHLO client.example")
    await cmd(s, f"MAIL FROM:<sender{i}@example.org>")
    return s, banner

async def rcpt(i, s):
    t = time.monotonic()
    rep = await cmd(s, f"RCPT TO:<user{i}@example.net>")
    return (time.monotonic() - t) * 1000, rep

async def open_all():
    gate = asyncio.Semaphore(4)
    return await asyncio.gather(*(opened(i, gate) for i in range(1, n + 1)))

async def wave(name, ss):
    # all n sessions are open: every RCPT goes out at once
    res = await asyncio.gather(*(rcpt(i, s)
                                 for i, (s, _) in enumerate(ss, 1)))
    await asyncio.gather(*(cmd(s, "QUIT") for s, _ in ss))
    with open(f"{out}/{name}.out", "w") as f:
        for i, ((ms, rep), (s, banner)) in enumerate(zip(res, ss), 1):
            s[1].close()
            print(i, int(ms), int(banner), rep, file=f)

async def main():
    await wave("first", await open_all())
    passed = time.time() + delay + 1
    second = await open_all()
    await asyncio.sleep(max(0, passed - time.time()))
    await wave("second", second)

asyncio.run(asyncio.wait_for(main(), 50))
PY
}

# check NAME PREFIX REASON: every session got PREFIX, the log has one
# REASON decision per session with its own sender and recipient
check() {
	[ "$(wc -l <"$T/$1.out")" = $N ] || fail "$1: not $N sessions"
	while read -r i _ _ r; do
		case "$r" in
		"$2"*) ;;
		*) fail "$1: session $i got '$r', expected '$2...'" ;;
		esac
		c=$(grep -c "from=<sender$i@example.org> to=<user$i@example.net> code=[0-9]* reason=$3 " "$LOG")
		[ "$c" = 1 ] || fail "$1: session $i: $c '$3' decisions logged"
	done <"$T/$1.out"
	ms=$(cut -d' ' -f2 "$T/$1.out" | sort -n)
	max=$(echo "$ms" | tail -n 1)
	med=$(echo "$ms" | sed -n "$((N / 2))p")
	bmax=$(cut -d' ' -f3 "$T/$1.out" | sort -n | tail -n 1)
	ok "$1: $N sessions, all '$2'; RCPT reply median ${med} ms, max ${max} ms; banner max ${bmax} ms"
	[ "$max" -lt 20000 ] || fail "$1: a RCPT took ${max} ms"
}

t0=$(date +%s)
waves
check first "451 4.7.1" new
check second "250" passed
ok "two waves in $(( $(date +%s) - t0 )) s"

smtpd_alive || fail "smtpd or its filter died"
ok "smtpd and filter-mxgrey still running"
exit 0
