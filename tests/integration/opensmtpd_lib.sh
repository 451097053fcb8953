# opensmtpd_lib.sh: sourced by tests/integration/opensmtpd_*.sh (not a test
# itself). Runs Debian's real OpenSMTPD 6.8.0p2 (smtpd-filters protocol
# 0.6) with filter-mxgrey on 127.0.0.1 and ::1.
#
# Debian's opensmtpd package conflicts with exim4 and postfix, so it is not
# installed: the .deb is fetched once with `apt-get download` into a cache
# ($MXG_SMTPD_CACHE, default /var/cache/mxgrey-test) and unpacked there
# with dpkg-deb -x. smtpd 6.8 wants the users opensmtpd and opensmtpq and
# fixed paths (/var/spool/smtpd, /var/run/smtpd.sock,
# /var/lib/opensmtpd/empty), so it needs root, and only one instance runs
# at a time: the tests take a lock on /var/lock/mxgrey-opensmtpd.lock.
# The spool is the test's own: wiped before and after (the tests skip on
# a machine where the opensmtpd package is really installed).
#
#   . tests/integration/opensmtpd_lib.sh
#   smtpd_init NAME          # skips (77) when something is missing
#   smtpd_rules 'greylist 2s ...'
#   smtpd_start              # config, start, wait for both ports
#   rcpt_reply FROM TO [SERVER]
#   smtpd_stop               # also run by the EXIT trap

. tests/lib/ports.sh

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	exit 1
}

ok() {
	echo "ok: $*"
}

SMTPD_CACHE=${MXG_SMTPD_CACHE:-/var/cache/mxgrey-test}
SMTPD_ROOT=$SMTPD_CACHE/root
SMTPD=$SMTPD_ROOT/usr/sbin/smtpd

# smtpd_fetch: the unpacked .deb in the cache (once per machine).
smtpd_fetch() {
	[ -x "$SMTPD" ] && return 0
	command -v apt-get >/dev/null 2>&1 || skip "no apt-get to fetch opensmtpd"
	mkdir -p "$SMTPD_CACHE" || skip "cannot create $SMTPD_CACHE"
	# apt's sandbox user must be able to write the .deb there
	chmod 755 "$SMTPD_CACHE"
	(cd "$SMTPD_CACHE" && ls opensmtpd_*.deb >/dev/null 2>&1 ||
	    apt-get download opensmtpd >/dev/null 2>&1 ||
	    { apt-get update >/dev/null 2>&1 &&
	      apt-get download opensmtpd >/dev/null 2>&1; }) ||
	    skip "apt-get download opensmtpd failed"
	deb=$(ls "$SMTPD_CACHE"/opensmtpd_*.deb | tail -n 1)
	rm -rf "$SMTPD_ROOT.new"
	dpkg-deb -x "$deb" "$SMTPD_ROOT.new" || skip "dpkg-deb -x $deb failed"
	rm -rf "$SMTPD_ROOT"
	mv "$SMTPD_ROOT.new" "$SMTPD_ROOT"
	[ -x "$SMTPD" ] || skip "no usr/sbin/smtpd in $deb"
}

# smtpd_libs: the shared libraries smtpd needs (from Debian, if missing).
smtpd_libs() {
	ldd "$SMTPD" 2>/dev/null | grep -q 'not found' || return 0
	DEBIAN_FRONTEND=noninteractive apt-get install -y libevent-2.1-7 \
	    libdb5.3 libssl3 libpam0g zlib1g libcrypt1 >/dev/null 2>&1
	if ldd "$SMTPD" | grep -q 'not found'; then
		skip "smtpd lacks libraries: $(ldd "$SMTPD" | grep 'not found' |
		    tr -s ' \t\n' ' ')"
	fi
}

# smtpd_users: what smtpd 6.8 drops privileges to (as Debian's postinst).
smtpd_users() {
	for u in opensmtpd opensmtpq; do
		getent group "$u" >/dev/null || groupadd --system "$u" ||
		    skip "cannot create group $u"
		id "$u" >/dev/null 2>&1 ||
		    useradd --system -g "$u" -d /var/lib/opensmtpd/empty \
		    -s /usr/sbin/nologin "$u" || skip "cannot create user $u"
	done
	mkdir -p /var/lib/opensmtpd/empty
}

# need_python3: the asyncio SMTP clients of some tests (Debian's python3).
need_python3() {
	command -v python3 >/dev/null 2>&1 && return 0
	DEBIAN_FRONTEND=noninteractive apt-get install -y python3 \
	    >/dev/null 2>&1
	command -v python3 >/dev/null 2>&1 || skip "python3 not installed"
}

smtpd_init() {
	NAME=$1
	TOP=$(pwd)
	FILTER=$TOP/shim/opensmtpd/filter-mxgrey
	[ "$(id -u)" = 0 ] || skip "OpenSMTPD needs root (users, /var/spool/smtpd)"
	command -v swaks >/dev/null 2>&1 || skip "swaks not installed"
	command -v flock >/dev/null 2>&1 || skip "flock not installed"
	[ -x "$FILTER" ] || fail "$FILTER not built"
	# one smtpd at a time: fixed spool and control socket paths
	mkdir -p /var/lock
	exec 9>/var/lock/mxgrey-opensmtpd.lock
	flock -w 300 9 || fail "another OpenSMTPD test holds the lock"
	if dpkg-query -W -f='${Status}' opensmtpd 2>/dev/null |
	    grep -q 'ok installed'; then
		skip "a real OpenSMTPD is installed here: not touching its spool"
	fi
	smtpd_fetch
	smtpd_libs
	smtpd_users
	# the test's own queue: nothing from an earlier run gets delivered
	rm -rf /var/spool/smtpd
	T=$TOP/tests/tmp/$NAME
	rm -rf "$T"
	mkdir -p "$T"
	CONF=$T/smtpd.conf
	LOG=$T/smtpd.log
	SPID=
	EXTRA_PIDS=
	# The filter runs as opensmtpd: it needs the binary and the rules,
	# and writes its pid and the store. When the tree is out of its reach
	# (a checkout under /root), they go to a directory of their own.
	RUNDIR=$T
	chown opensmtpd:opensmtpd "$T"
	if ! su -s /bin/sh -c "test -x '$FILTER' && test -w '$T'" opensmtpd; then
		RUNDIR=$(mktemp -d /tmp/mxgrey-smtpd.XXXXXX) ||
		    fail "mktemp failed"
		chmod 755 "$RUNDIR"
		cp "$FILTER" "$RUNDIR/filter-mxgrey" || fail "cannot copy $FILTER"
		FILTER=$RUNDIR/filter-mxgrey
		chown opensmtpd:opensmtpd "$RUNDIR"
		su -s /bin/sh -c "test -x '$FILTER'" opensmtpd ||
		    skip "user opensmtpd cannot run $FILTER"
	fi
	RULES=$RUNDIR/mxgrey.conf
	STORE=$RUNDIR/greylist.tdb
	FPID=$RUNDIR/filter.pid
	HAVE_V6=1
	ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' || HAVE_V6=
	trap smtpd_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

smtpd_cleanup() {
	rc=$?
	smtpd_stop
	# helpers a test started (a fake DNS server ...), by pid
	for p in $EXTRA_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf /var/spool/smtpd
	[ "$RUNDIR" = "$T" ] || rm -rf "$RUNDIR"
	if [ $rc -ne 0 ] && [ -f "$LOG" ]; then
		echo "--- last lines of $LOG:"
		tail -n 40 "$LOG"
	fi
	exit $rc
}

# smtpd_rules TEXT: write the rules file (readable by the filter's user).
smtpd_rules() {
	printf '%s\n' "$1" >"$RULES.new"
	chmod 644 "$RULES.new"
	mv "$RULES.new" "$RULES"
}

smtpd_config() {
	{
		echo "filter \"mxgrey\" proc-exec \"$FILTER -f $RULES -s $STORE -P $FPID\""
		echo "listen on 127.0.0.1 port $PORT hostname mx.test filter \"mxgrey\""
		[ -z "$HAVE_V6" ] ||
		    echo "listen on ::1 port $PORT hostname mx.test filter \"mxgrey\""
		echo 'action "relay" relay'
		echo 'match from any for any action "relay"'
	} >"$CONF"
	chmod 644 "$CONF"
}

# smtpd_start: write the config, start smtpd in the foreground in its own
# process group (so the whole group can be stopped), wait until it
# listens on both addresses and the filter is up.
smtpd_start() {
	tries=0
	while :; do
		PORT=$(free_port)
		smtpd_config
		"$SMTPD" -n -f "$CONF" >"$T/configtest.log" 2>&1 ||
		    { cat "$T/configtest.log"; fail "smtpd -n refuses $CONF"; }
		before=$(wc -l <"$LOG" 2>/dev/null || echo 0)
		setsid "$SMTPD" -d -f "$CONF" >>"$LOG" 2>&1 &
		SPID=$!
		wait_port "$PORT" 15 && break
		# the free port was taken meanwhile: another one
		tries=$((tries + 1))
		if [ $tries -lt 3 ] && tail -n +$((before + 1)) "$LOG" |
		    grep -q "Address already in use"; then
			smtpd_stop
			continue
		fi
		fail "smtpd did not listen on $PORT"
	done
	if [ -n "$HAVE_V6" ]; then
		wait_until 10 sh -c "ss -Hltn 'sport = :$PORT' | grep -q '\[::1\]'" ||
		    fail "smtpd did not listen on [::1]:$PORT"
	fi
	wait_until 10 test -s "$FPID" || fail "filter-mxgrey did not start"
	kill -0 "$SPID" 2>/dev/null || fail "smtpd died at start"
}

# smtpd_stop: stop smtpd and everything it started (its process group:
# the privsep children and the filter).
smtpd_stop() {
	if [ -n "$SPID" ]; then
		fp=$(cat "$FPID" 2>/dev/null)
		kill -s TERM -- "-$SPID" 2>/dev/null
		i=0
		while kill -0 "$SPID" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -s KILL -- "-$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
		SPID=
		# the filter sees end of input and exits; make sure
		i=0
		while [ -n "$fp" ] && kill -0 "$fp" 2>/dev/null; do
			i=$((i + 1))
			[ $i -lt 30 ] || { kill -s KILL "$fp"; break; }
			sleep 0.1
		done
	fi
}

# smtpd_alive: smtpd (and so its filter: smtpd exits when it dies) runs.
smtpd_alive() {
	if [ -z "$SPID" ] || ! kill -0 "$SPID" 2>/dev/null; then
		echo "smtpd (pid ${SPID:-none}) is not running"
		return 1
	fi
	if grep -q 'fatal\|exiting' "$LOG"; then
		echo "smtpd's log says:"
		grep 'fatal\|exiting' "$LOG" | head -n 5
		return 1
	fi
}

filter_pid() {
	cat "$FPID"
}

# swaks_to SERVER FROM TO [swaks options]: a whole session; prints the
# transcript.
swaks_to() {
	srv=$1 from=$2 to=$3
	shift 3
	swaks --server "$srv" --port "$PORT" --from "$from" --to "$to" \
	    --helo client.example --timeout 20 "$@" 2>&1
}

# rcpt_reply FROM TO [SERVER]: the first reply line to RCPT TO, without
# swaks' arrow ("451 4.7.1 ...").
rcpt_reply() {
	swaks_to "${3:-127.0.0.1}" "$1" "$2" --quit-after RCPT |
	    sed -n '/-> RCPT TO/{n;s/^<[-*][-* ]* //;p;q;}'
}

# rcpt_replies FROM TO1,TO2,... [SERVER]: every RCPT TO reply, one a line
rcpt_replies() {
	swaks_to "${3:-127.0.0.1}" "$1" "$2" --quit-after RCPT |
	    sed -n '/-> RCPT TO/{n;s/^<[-*][-* ]* //;p;}'
}

# expect_prefix WHAT GOT PREFIX
expect_prefix() {
	case "$2" in
	"$3"*) ok "$1: $2" ;;
	*) fail "$1: expected '$3...', got '$2'" ;;
	esac
}

# wait_until SECONDS CMD...: poll CMD every 0.1s
wait_until() {
	n=$(( $1 * 10 ))
	shift
	while [ $n -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# log_count PATTERN: lines of the smtpd log matching PATTERN
log_count() {
	grep -c -- "$1" "$LOG"
}
