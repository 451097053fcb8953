# exim_lib.sh: sourced by tests/integration/exim_*.sh (not a test itself).
# Runs a private Exim daemon (Debian's exim4-daemon-heavy) on 127.0.0.1
# and ::1 with its own config (-C), spool, log and maildir under
# tests/tmp/NAME/, as a non-root user: Debian-exim when we are root (the
# user a real install runs as), else ourselves. Exim drops its root
# privilege for -C, so everything, deliveries included, runs as that user.
#
#   . tests/integration/exim_lib.sh
#   exim_init NAME          # skips (77) when something is missing
#   exim_rules 'greylist 2s ...'
#   exim_start              # writes the config, starts, waits for the port
#   rcpt_reply FROM TO      # prints the reply to RCPT TO
#   exim_stop               # also run by the EXIT trap

. tests/lib/ports.sh

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	[ -d "${T:-}" ] && echo "FAIL: $*" >"$T/failed"
	exit 1
}

ok() {
	echo "ok: $*"
}

exim_init() {
	NAME=$1
	TOP=$(pwd)
	SO=$TOP/shim/exim/mxgrey_exim.so
	CTL=$TOP/shim/cli/mxgreyctl
	command -v exim >/dev/null 2>&1 ||
	    skip "exim not installed (apt-get install exim4-daemon-heavy)"
	exim -bV 2>/dev/null | grep -q Expand_dlfunc ||
	    skip "this exim has no Expand_dlfunc (need exim4-daemon-heavy)"
	command -v swaks >/dev/null 2>&1 || skip "swaks not installed"
	[ -f "$SO" ] || skip "$SO not built (exim4-dev missing?)"
	[ -x "$CTL" ] || skip "$CTL not built"
	if ldd "$SO" 2>/dev/null | grep -q 'libasan'; then
		skip "mxgrey_exim.so built with SAN=1: ASan cannot be dlopened into exim"
	fi
	T=$TOP/tests/tmp/$NAME
	rm -rf "$T"
	mkdir -p "$T/spool" "$T/log" "$T/mail"
	if [ "$(id -u)" = 0 ]; then
		id Debian-exim >/dev/null 2>&1 || skip "no Debian-exim user"
		XUSER=Debian-exim
		XGROUP=Debian-exim
		AS="setpriv --reuid=Debian-exim --regid=Debian-exim --init-groups"
		chown -R Debian-exim:Debian-exim "$T"
		# Exim's user must reach the tree to dlopen the .so
		su -s /bin/sh -c "test -r '$SO'" Debian-exim ||
		    skip "Debian-exim cannot read $SO"
	else
		XUSER=$(id -un)
		XGROUP=$(id -gn)
		AS=
	fi
	RULES=$T/mxgrey.conf
	STORE=$T/greylist.tdb
	CONF=$T/exim.conf
	XPID=
	SPID=
	trap exim_cleanup EXIT
	trap 'exit 1' INT TERM HUP PIPE
}

exim_cleanup() {
	rc=$?
	touch "$T/go" 2>/dev/null # release any connect-ACL barrier
	if [ -n "$SPID" ]; then
		kill "$SPID" 2>/dev/null
		wait "$SPID" 2>/dev/null
	fi
	exim_stop
	if [ $rc -ne 0 ] && [ -f "$T/log/mainlog" ]; then
		echo "--- last lines of $T/log/mainlog:"
		tail -n 20 "$T/log/mainlog"
		if [ -s "$T/log/paniclog" ]; then
			echo "--- paniclog:"
			tail -n 20 "$T/log/paniclog"
		fi
	fi
	if [ $rc -ne 0 ]; then
		for f in "$T"/*.stderr; do
			[ -s "$f" ] || continue
			echo "--- last lines of $f:"
			tail -n 10 "$f" | cut -c1-300
		done
		# the reason last, where a log tail shows it
		[ -f "$T/failed" ] && cat "$T/failed"
	fi
	exit $rc
}

# exim_rules TEXT: write the rules file (as Exim's user can read it).
exim_rules() {
	printf '%s\n' "$1" >"$RULES.new"
	chmod 644 "$RULES.new"
	mv "$RULES.new" "$RULES"
}

# run as Exim's user
as_exim() {
	$AS "$@"
}

ctl() {
	$AS "$CTL" -f "$RULES" -s "$STORE" "$@"
}

# exim_config [EXTRA_ARGS]: the main config; $1 is extra dlfunc
# arguments, $EXIM_EXTRA extra main options, $EXIM_ACLS extra ACLs,
# $EXIM_RCPT_EXTRA statements at the top of the RCPT ACL.
exim_config() {
	cat >"$CONF" <<EOF
exim_user = $XUSER
exim_group = $XGROUP
spool_directory = $T/spool
log_file_path = $T/log/%slog
primary_hostname = mx.test
qualify_domain = test
domainlist local_domains = test : mx.test
local_interfaces = <; 127.0.0.1 ; ::1
never_users =
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
smtp_accept_max = 200
smtp_accept_max_nonmail_hosts =
smtp_connect_backlog = 200
smtp_accept_queue_per_connection = 0
log_selector = +smtp_connection
acl_smtp_rcpt = acl_rcpt
$EXIM_EXTRA

begin acl
acl_rcpt:
  require domains = +local_domains
  accept hosts = :
$EXIM_RCPT_EXTRA
  warn set acl_m_grey = \${dlfunc{$SO}{mxgrey_rcpt}{\$sender_host_address}{\$sender_helo_name}{\$sender_address}{\$local_part@\$domain}{config=$RULES}{store=$STORE}$1}
  warn condition = \${if eq{\${substr_0_6:\$acl_m_grey}}{accept}}
       log_message = mxgrey: \${extract{1}{\t}{\$acl_m_grey}} \${extract{2}{\t}{\$acl_m_grey}}
  warn condition = \${if and{{eq{\${substr_0_7:\$acl_m_grey}}{accept\t}}{!eq{\${extract{xgreylist}{\$acl_m_grey}}}{}}}}
       add_header = :after_received:X-Greylist: \${extract{xgreylist}{\$acl_m_grey}}
  warn condition = \${if and{{eq{\${substr_0_7:\$acl_m_grey}}{accept\t}}{!eq{\${extract{header}{\$acl_m_grey}}}{}}}}
       add_header = \${extract{header}{\$acl_m_grey}}
  deny condition = \${if eq{\${substr_0_7:\$acl_m_grey}}{reject }}
       message = \${substr_7:\${extract{1}{\t}{\$acl_m_grey}}}
       log_message = mxgrey: \${extract{1}{\t}{\$acl_m_grey}} \${extract{2}{\t}{\$acl_m_grey}}
  defer condition = \${if eq{\${substr_0_6:\$acl_m_grey}}{defer }}
       message = \${substr_6:\${extract{1}{\t}{\$acl_m_grey}}}
       log_message = mxgrey: \${extract{1}{\t}{\$acl_m_grey}} \${extract{2}{\t}{\$acl_m_grey}}
  accept
$EXIM_ACLS

begin routers
local:
  driver = accept
  domains = +local_domains
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = $T/mail/
  maildir_format
  envelope_to_add
  return_path_add
EOF
	chmod 644 "$CONF"
}

# exim_start [DLFUNC_EXTRA]: write the config, start the daemon in the
# foreground (so $XPID is the daemon), wait until it listens. A port that
# turns out busy (Exim then waits 30s to retry the bind) is given up for
# another.
exim_start() {
	exim_config "$1"
	# free_port can race with a client's ephemeral port: try a few
	tries=0
	while :; do
		PORT=$(free_port)
		$AS exim -C "$CONF" -bdf -oX "$PORT" 2>>"$T/log/stderr" &
		XPID=$!
		wait_until 10 both_listening && break
		exim_stop
		tries=$((tries + 1))
		[ $tries -lt 3 ] || fail "exim did not listen (3 ports tried)"
		echo "port $PORT: exim could not listen on both addresses, next"
	done
}

# both_listening: the daemon listens on 127.0.0.1:$PORT and [::1]:$PORT
both_listening() {
	l=$(ss -Hltn "sport = :$PORT" 2>/dev/null)
	case "$l" in
	*127.0.0.1:$PORT*) ;;
	*) return 1 ;;
	esac
	case "$l" in
	*"[::1]:$PORT"*) return 0 ;;
	esac
	return 1
}

# exim_stop: the daemon and the connection processes it forked
exim_stop() {
	if [ -n "$XPID" ]; then
		kids=$(ps -o pid= --ppid "$XPID" 2>/dev/null)
		kill "$XPID" 2>/dev/null
		[ -z "$kids" ] || kill $kids 2>/dev/null
		wait "$XPID" 2>/dev/null
		XPID=
	fi
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

# expect_prefix WHAT GOT PREFIX
expect_prefix() {
	case "$2" in
	"$3"*) ok "$1: $2" ;;
	*) fail "$1: expected '$3...', got '$2'" ;;
	esac
}

# remaining SECS from "... come back in HH:MM:SS"
hms_secs() {
	echo "$1" | sed -n 's/.*\([0-9][0-9]\):\([0-9][0-9]\):\([0-9][0-9]\).*/\1 \2 \3/p' |
	    { read -r h m s && echo $(( ${h#0} * 3600 + ${m#0} * 60 + ${s#0} )); }
}

# maildir_count: messages delivered so far
maildir_count() {
	find "$T/mail/new" -type f 2>/dev/null | wc -l
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

# panics: paniclog lines other than the expected "lost privilege" note
panics() {
	grep -v 'lost privilege for using -C option' "$T/log/paniclog" \
	    2>/dev/null
}

# session_open: one SMTP session on 127.0.0.1 kept open across steps
# (python3 smtplib). session_rcpt ADDR sends RSET, MAIL, RCPT TO:<ADDR>
# in it and sets R to "CODE TEXT" (no subshell: it counts lines).
# session_close ends it.
session_open() {
	command -v python3 >/dev/null 2>&1 || return 1
	cat >"$T/session.py" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.example")
for line in sys.stdin:
    cmd, _, arg = line.strip().partition(" ")
    if cmd == "rcpt":
        s.rset()
        s.mail("held@example.org")
        code, msg = s.rcpt(arg)
        print(code, msg.decode(errors="replace"), flush=True)
    elif cmd == "quit":
        break
s.quit()
PY
	rm -f "$T/session.in" "$T/session.out"
	mkfifo "$T/session.in"
	python3 "$T/session.py" "$PORT" <"$T/session.in" >"$T/session.out" 2>&1 &
	SPID=$!
	exec 3>"$T/session.in"
	SLINES=0
}

session_rcpt() {
	echo "rcpt $1" >&3
	SLINES=$((SLINES + 1))
	wait_until 20 sh -c "[ \$(wc -l <'$T/session.out') -ge $SLINES ]" ||
	    fail "held session: no answer to RCPT $1"
	R=$(sed -n "${SLINES}p" "$T/session.out")
}

session_close() {
	if [ -n "$SPID" ]; then
		echo quit >&3
		exec 3>&-
		wait "$SPID" 2>/dev/null
		SPID=
	fi
}
