#!/bin/sh
# daemons.sh: mxgrey-policyd and mxgrey-milter start-up contract without
# an MTA: -h/--help on stdout, usage errors on stderr; the pid file: a
# stale one (its process gone, or its pid now another program's) is
# replaced and the log says which, a live one refuses the start
# before the socket is touched, removed at exit when we may; with -u the
# file stays in a root-owned directory and the next start replaces it.
# Listen ports out of 1..65535 are refused before "ready".
set -u
D=tests/tmp/daemons.$$
rm -rf $D && mkdir -p $D && chmod 0755 $D
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID"
	rm -rf $D
}
trap cleanup EXIT
fail=0
. tests/lib/expect.sh
# wait_for FILE CONTENT: up to 5 s for FILE to hold CONTENT
wait_for() {
	i=0
	while [ "$(cat "$1" 2>/dev/null)" != "$2" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(cat "$1" 2>/dev/null)" = "$2" ]
}
# a pid that names no process: a child that has exited
dead_pid() {
	sh -c 'exit 0' & p=$!
	wait $p
	echo $p
}

for bin in shim/postfix/mxgrey-policyd shim/milter/mxgrey-milter; do
	[ -x $bin ] || { echo "ok: # skip $bin: not built"; continue; }
	n=${bin##*/}
	for h in -h --help; do
		out=$($bin $h 2>$D/err); rc=$?
		expect "$n $h: exit 0, nothing on stderr" "$rc $(cat $D/err)" "0 "
		echo "$out" | grep -q "^usage: $n " &&
		    echo "$out" | grep -q -- "-u user .*user\[:group\]"
		expect "$n $h: usage with every option on stdout" "$?" "0"
	done
	out=$($bin -Z 2>$D/err); rc=$?
	expect "$n bad option: exit 2, nothing on stdout" "$rc $out" "2 "
	grep -q "^usage: $n " $D/err
	expect "$n bad option: usage on stderr" "$?" "0"
done

# mxgrey-milter -c: like mxgreyctl test, located errors and a summary
M=shim/milter/mxgrey-milter
if [ -x $M ]; then
	printf 'racl frobnicate default\ngeoipdb "%s"\n' "$D/none.mmdb" \
	    > $D/bad.conf
	out=$($M -c -f $D/bad.conf 2>$D/err); rc=$?
	expect "milter -c broken: exit 1, nothing on stdout" "$rc $out" "1 "
	expect "milter -c broken: error and summary only" "$(cat $D/err)" \
	    "$D/bad.conf:1:6: expected whitelist, greylist, blacklist or continue, got 'frobnicate'
$D/bad.conf: 1 error, not loaded"
	printf 'geoipdb "%s"\n' "$D/none.mmdb" > $D/bad.conf
	$M -c -f $D/bad.conf 2>$D/err
	expect "milter -c: geoipdb that does not open" "$(cat $D/err)" \
	    "$D/bad.conf:1:9: cannot open $D/none.mmdb: No such file or directory
$D/bad.conf: 1 error, not loaded"
	printf 'racl greylist default\n' > $D/ok.conf
	out=$($M -c -f $D/ok.conf 2>&1)
	expect "milter -c ok" "$? $out" "0 $D/ok.conf: ok"
fi

P=shim/postfix/mxgrey-policyd
printf 'racl greylist default\n' > $D/rules.conf
start() {	# start [ARGS]: policyd on $D/p.sock with pid file $D/p.pid
	$P -D -l "unix:$(pwd)/$D/p.sock" -f $D/rules.conf -s $D/s.tdb \
	    -P $D/p.pid "$@" >>$D/log 2>&1 &
	PID=$!
}
stop() {
	kill -TERM "$PID"
	wait "$PID"
	rc=$?
	PID=
	return $rc
}

dead=$(dead_pid)
echo "$dead" > $D/p.pid
start
wait_for $D/p.pid $PID
expect "stale pid file replaced" "$(cat $D/p.pid)" "$PID"
grep -q "stale pid file (pid $dead is not running), replaced" $D/log
expect "stale pid file logged" "$?" "0"

stop

# a pid file naming a live process of another program (the pid reused)
sleep 30 & other=$!
echo "$other" > $D/p.pid
start
wait_for $D/p.pid $PID
expect "pid of another program: replaced" "$(cat $D/p.pid)" "$PID"
grep -q "stale pid file (pid $other is now another program, sleep), replaced" \
    $D/log
expect "pid of another program: said so, not 'not running'" "$?" "0"
kill "$other"; wait "$other" 2>/dev/null

# a second start on the same pid file refuses, socket untouched
ino=$(stat -c %i $D/p.sock)
$P -D -l "unix:$(pwd)/$D/p.sock" -f $D/rules.conf -s $D/s.tdb \
    -P $D/p.pid >$D/log2 2>&1
expect "second start refused" "$?" "1"
grep -q "already running as pid $PID" $D/log2
expect "second start says who runs" "$?" "0"
expect "running one's socket untouched" "$(stat -c %i $D/p.sock 2>&1)" "$ino"
expect "running one's pid file untouched" "$(cat $D/p.pid)" "$PID"

stop
expect "clean stop" "$?" "0"
[ ! -e $D/p.pid ]
expect "pid file removed at exit" "$?" "0"

# -u: the pid file's directory is root's, so the file stays at exit
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	start -u nobody
	wait_for $D/p.pid $PID
	expect "-u: pid file written" "$(cat $D/p.pid)" "$PID"
	old=$PID
	stop
	expect "-u: clean stop" "$?" "0"
	expect "-u: pid file stays in a root-owned directory" \
	    "$(cat $D/p.pid 2>&1)" "$old"
	grep -q "p.pid: not removed (Permission denied)" $D/log
	expect "-u: not removing it is logged" "$?" "0"
	start -u nobody
	wait_for $D/p.pid $PID
	expect "-u: next start replaces it" "$(cat $D/p.pid)" "$PID"
	stop
	# a directory the user may write: removed
	mkdir $D/run && chown nobody $D/run
	$P -D -l "unix:$(pwd)/$D/p2.sock" -f $D/rules.conf -s $D/s.tdb \
	    -P $D/run/p.pid -u nobody >>$D/log 2>&1 &
	PID=$!
	wait_for $D/run/p.pid $PID
	stop
	[ ! -e $D/run/p.pid ]
	expect "-u: removed from a directory the user may write" "$?" "0"
else
	echo "ok: # skip -u checks: not root or no user nobody"
fi

# the pid file is never written through a symbolic link
echo keep > $D/target
ln -s target $D/link.pid
$P -D -l "unix:$(pwd)/$D/p3.sock" -f $D/rules.conf -s $D/s.tdb \
    -P $D/link.pid >>$D/log 2>&1
expect "pid file through a symlink refused" "$?" "1"
expect "symlink target untouched" "$(cat $D/target)" "keep"

# listen ports are 1..65535, decimal: refused before "ready", not wrapped
# (99999 would listen on 34463) and not a port the kernel picks
for l in inet:127.0.0.1:99999 inet:127.0.0.1: inet:127.0.0.1:0 \
    "inet:[::1]:65536" inet:127.0.0.1:10x; do
	timeout 5 $P -D -l "$l" -f $D/rules.conf -s $D/s.tdb >$D/log3 2>&1
	expect "policyd -l $l: refused" "$?" "1"
	grep -qF "bad listen address '$l'" $D/log3 && ! grep -q ready $D/log3
	expect "policyd -l $l: error names it, never ready" "$?" "0"
done
if [ -x $M ]; then
	for p in inet:99999@127.0.0.1 inet:0@127.0.0.1 inet:@127.0.0.1 \
	    inet6:65536@::1 inet:10x@127.0.0.1; do
		timeout 5 $M -D -p "$p" -f $D/rules.conf -s $D/s.tdb \
		    >$D/log3 2>&1
		expect "milter -p $p: refused" "$?" "1"
		grep -qF "bad socket '$p'" $D/log3 && ! grep -q ready $D/log3
		expect "milter -p $p: error names it, never ready" "$?" "0"
	done
fi

[ $fail -eq 0 ] || tail -n 20 $D/log
exit $fail
