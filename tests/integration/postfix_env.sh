# tests/integration/postfix_env.sh: sourced by the postfix_*.sh tests.
# Runs Debian's Postfix 3.7 from its unpacked .deb (Postfix conflicts with
# exim4, which the Exim tests need installed) with a private config, queue
# and data directory under $PF_DIR, smtpd on 127.0.0.1:$PF_PORT only.
#
#   pf_find              set PF_ROOT (unpacked tree) or return 1 (skip)
#   pf_setup DIR PORT    write main.cf/master.cf, make the queue
#   pf_set NAME=VALUE    add a main.cf line (before pf_start)
#   pf_start / pf_stop   run master in the foreground, as root

PF_CACHE=${PF_CACHE:-tests/tmp/postfix-pkg}

pf_find() {
	PF_ROOT=$PF_CACHE/root
	if [ -x "$PF_ROOT/usr/lib/postfix/sbin/master" ]; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || { echo "not root"; return 1; }
	mkdir -p "$PF_CACHE" || return 1
	deb=$(ls "$PF_CACHE"/postfix_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		(cd "$PF_CACHE" && apt-get download postfix >/dev/null 2>&1)
		deb=$(ls "$PF_CACHE"/postfix_*.deb 2>/dev/null | head -n 1)
	fi
	[ -n "$deb" ] || { echo "cannot get postfix .deb"; return 1; }
	rm -rf "$PF_ROOT.new"
	dpkg-deb -x "$deb" "$PF_ROOT.new" || return 1
	rm -rf "$PF_ROOT" && mv "$PF_ROOT.new" "$PF_ROOT"
	return 0
}

# The accounts Postfix insists on; made once if this host has none.
pf_accounts() {
	getent group postdrop >/dev/null || groupadd --system postdrop ||
	    return 1
	getent passwd postfix >/dev/null ||
	    useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin postfix || return 1
}

pf_setup() {
	PF_DIR=$(cd "$1" && pwd) PF_PORT=$2
	PF_ABS=$(cd "$PF_ROOT" && pwd)
	PF_CONF=$PF_DIR/etc
	PF_QUEUE=$PF_DIR/queue
	pf_accounts || return 1
	mkdir -p "$PF_CONF" "$PF_DIR/data" || return 1
	for d in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace pid; do
		mkdir -p "$PF_QUEUE/$d" || return 1
	done
	mkdir -p "$PF_QUEUE/maildrop" "$PF_QUEUE/public"
	chown -R postfix:root "$PF_QUEUE" "$PF_DIR/data"
	chown root:root "$PF_QUEUE" "$PF_QUEUE/pid"
	chgrp postdrop "$PF_QUEUE/maildrop" "$PF_QUEUE/public"
	chmod 0755 "$PF_DIR" "$PF_QUEUE"
	chmod 0700 "$PF_QUEUE"/active "$PF_QUEUE"/private
	touch "$PF_DIR/maillog"
	cat >"$PF_CONF/main.cf" <<EOC
compatibility_level = 3.6
config_directory = $PF_CONF
queue_directory = $PF_QUEUE
data_directory = $PF_DIR/data
daemon_directory = $PF_ABS/usr/lib/postfix/sbin
command_directory = $PF_ABS/usr/sbin
shlib_directory = $PF_ABS/usr/lib/postfix
meta_directory = $PF_ABS/etc/postfix
mail_owner = postfix
setgid_group = postdrop
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH=$PF_ABS/usr/lib/postfix
maillog_file = $PF_DIR/maillog
maillog_file_prefixes = $PF_DIR
myhostname = mx.test.invalid
mydomain = test.invalid
myorigin = test.invalid
mydestination =
relay_domains = example.net
relay_transport = discard:
default_transport = discard:
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_auth_destination, reject
smtpd_recipient_restrictions = permit_auth_destination, reject
biff = no
smtputf8_enable = no
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
local_recipient_maps =
EOC
	cat >"$PF_CONF/master.cf" <<EOC
127.0.0.1:$PF_PORT inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOC
}

pf_set() {
	sed -i "/^${1%%=*}=/d" "$PF_CONF/main.cf"
	echo "$1" >>"$PF_CONF/main.cf"
}

pf_start() {
	LD_LIBRARY_PATH=$PF_ABS/usr/lib/postfix \
	    "$PF_ABS/usr/lib/postfix/sbin/master" -d -c "$PF_CONF" \
	    >"$PF_DIR/master.out" 2>&1 &
	PF_PID=$!
	wait_port "$PF_PORT" 15
}

pf_stop() {
	if [ -n "$PF_PID" ]; then
		kill "$PF_PID" 2>/dev/null
		i=0
		while kill -0 "$PF_PID" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -9 "$PF_PID" 2>/dev/null
		wait "$PF_PID" 2>/dev/null
		PF_PID=
	fi
}

# pf_rcpt FROM TO: the RCPT reply ("451 4.7.1") of one swaks session;
# the transcript is left in $PF_DIR/swaks.out.
pf_rcpt() {
	swaks --server "127.0.0.1:$PF_PORT" --from "$1" --to "$2" \
	    --quit-after RCPT --timeout 20 >"$PF_DIR/swaks.out" 2>&1
	sed -n 's/^<[-*]\{1,2\} *\([0-9][0-9][0-9][ -][0-9.]*\).*/\1/p' \
	    "$PF_DIR/swaks.out" | tail -n 2 | head -n 1
}

# pf_expect WANT FROM TO: the RCPT reply starts with WANT, or fail (the
# caller's function) is called.
pf_expect() {
	pf_got=$(pf_rcpt "$2" "$3")
	case "$pf_got" in
	"$1"*) echo "ok: <$2> -> <$3>: $pf_got" ;;
	*) cat "$PF_DIR/swaks.out"
	   fail "<$2> -> <$3>: want $1, got '$pf_got'" ;;
	esac
}
