#!/bin/sh
# exim_concurrent.sh: 50 SMTP sessions at once against a real Exim with
# mxgrey, from several client processes (over 127.0.0.1 and ::1) on
# overlapping tuples, all held open together by a connect-ACL barrier.
# Session k uses address k%2, sender s(k%5), recipient r(k%3): 30
# distinct tuples, each seen 1-2 times. Every session must be answered
# 451, each tuple must be "new" exactly once (the store's read-modify-
# write is atomic across Exim processes), and the store must hold exactly
# 30 pending tuples.
. tests/integration/exim_lib.sh
exim_init exim_concurrent

exim_rules "greylist 1h
racl greylist default"
# A barrier: every connection waits in the connect ACL until $T/go
# exists, so all sessions are open at the same time before any RCPT.
cat >"$T/barrier.sh" <<EOF
i=0
while [ ! -e "$T/go" ] && [ \$i -lt 120 ]; do
	sleep 0.25
	i=\$((i + 1))
done
EOF
EXIM_EXTRA="acl_smtp_connect = acl_conn"
EXIM_ACLS="acl_conn:
  warn condition = \${run{/bin/sh $T/barrier.sh}{yes}{yes}}
  accept"
exim_start

N=50
TUPLES=30
# The clients: 5 processes (python3, light enough to start 50 sessions
# fast on a loaded machine), 10 sessions each, one thread per session.
command -v python3 >/dev/null 2>&1 || skip "python3 needed for the clients"
cat >"$T/clients.py" <<'PY'
import smtplib, sys, threading
port, proc, nproc, n = (int(a) for a in sys.argv[1:5])
out = {}
def session(k):
    ip = "127.0.0.1" if k % 2 == 0 else "::1"
    try:
        s = smtplib.SMTP(ip, port, timeout=60)
        s.ehlo("client.example")
        s.mail("s%d@example.org" % (k % 5))
        code, msg = s.rcpt("r%d@test" % (k % 3))
        out[k] = "%d %s" % (code, msg.decode(errors="replace"))
        s.quit()
    except Exception as e:
        out[k] = "error %r" % (e,)
ts = [threading.Thread(target=session, args=(k,))
      for k in range(proc, n, nproc)]
for t in ts:
    t.start()
for t in ts:
    t.join()
for k in sorted(out):
    print(k, out[k])
PY
mkdir -p "$T/out"
pids=
p=0
while [ $p -lt 5 ]; do
	python3 "$T/clients.py" "$PORT" $p 5 $N >"$T/out/$p" 2>&1 &
	pids="$pids $!"
	p=$((p + 1))
done
# all N connected and held at the barrier?
held() {
	[ "$(grep -c 'SMTP connection from' "$T/log/mainlog")" -ge $N ]
}
wait_until 40 held || fail "only $(grep -c 'SMTP connection from' \
    "$T/log/mainlog") of $N sessions connected"
most=$(sed -n 's/.*connection count = \([0-9]*\).*/\1/p' "$T/log/mainlog" |
    sort -n | tail -n 1)
ok "$N sessions connected, $most open at once"
[ "$most" -eq $N ] || fail "not all $N sessions open at once ($most)"
touch "$T/go"
for p in $pids; do
	wait "$p"
done
cat "$T/out/"* >"$T/answers"

answered=$(grep -c '^[0-9]* 451 ' "$T/answers")
grep -v '^[0-9]* 451 ' "$T/answers"
[ $answered -eq $N ] || fail "$answered of $N sessions answered 451"
ok "all $N sessions answered 451"

new=$(grep -c 'mxgrey: defer .*reason=new' "$T/log/mainlog")
early=$(grep -c 'mxgrey: defer .*reason=early' "$T/log/mainlog")
[ "$new" -eq $TUPLES ] || fail "$new 'new' decisions, expected $TUPLES"
[ "$early" -eq $((N - TUPLES)) ] ||
    fail "$early 'early' decisions, expected $((N - TUPLES))"
ok "$new new + $early early decisions"

ctl stats >"$T/stats.txt" || fail "mxgreyctl stats failed"
cat "$T/stats.txt"
grep -qx "pending $TUPLES" "$T/stats.txt" || fail "store: not $TUPLES pending"
grep -qx "autowhite 0" "$T/stats.txt" || fail "store: autowhite not 0"
[ "$(ctl dump | grep -vc '^#')" -eq $TUPLES ] ||
    fail "dump does not list $TUPLES records"
ok "store holds exactly $TUPLES pending tuples"
! panics || fail "unexpected panic log lines"
echo "exim_concurrent: all passed"
