#!/bin/sh
# tests/demo/run.sh: mxgrey greylisting inside a real Exim, end to end.
#
# On a fresh Debian 12, as root: installs what it needs (apt-get), builds
# mxgrey if needed, starts a private Exim 4.96 on 127.0.0.1 with the ACL
# from docs/exim-acl.conf and rules "greylist 5s", then plays SMTP
# sessions with swaks: defer -> retry too early -> accepted after the
# delay (and delivered) -> accepted at once (autowhite). Prints the store
# and stops Exim. Everything lives under tests/tmp/demo/.
#
# Usage: sh tests/demo/run.sh        (from anywhere)
set -u
cd "$(dirname "$0")/../.." || exit 1
TOP=$(pwd)
T=$TOP/tests/tmp/demo
DELAY=5

say() {
	printf '\n\033[1m%s\033[0m\n' "$*"
}

die() {
	echo "demo: $*" >&2
	exit 1
}

# --- 1. Debian packages ----------------------------------------------------
PKGS="exim4-daemon-heavy exim4-dev swaks autoconf pkg-config gcc make
libtdb-dev libc-ares-dev libmaxminddb-dev libspf2-dev check libhiredis-dev
libmilter-dev"
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || die "as root, or install first:$missing"
	say "Installing:$missing"
	apt-get update -qq || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing ||
	    die "apt-get install failed"
fi
[ "$(id -u)" = 0 ] || die "run as root (Exim then runs as Debian-exim)"

# --- 2. build --------------------------------------------------------------
if [ ! -f shim/exim/mxgrey_exim.so ] || [ ! -x shim/cli/mxgreyctl ]; then
	say "Building mxgrey"
	mkdir -p tests/tmp
	[ -f Makefile ] || ./configure >/dev/null || die "configure failed"
	make -j2 >tests/tmp/demo-build.log 2>&1 || {
		tail -n 30 tests/tmp/demo-build.log
		die "make failed (log: tests/tmp/demo-build.log)"
	}
fi
SO=$TOP/shim/exim/mxgrey_exim.so
CTL=$TOP/shim/cli/mxgreyctl

# --- 3. a private Exim -----------------------------------------------------
. tests/lib/ports.sh
rm -rf "$T"
mkdir -p "$T/spool" "$T/log" "$T/mail"
RULES=$T/mxgrey.conf
STORE=$T/greylist.tdb
cat >"$RULES" <<EOF
# demo rules (milter-greylist's greylist.conf language)
store "$STORE"
greylist ${DELAY}s
autowhite 1d
racl blacklist rcpt spam@demo.test msg "Go away, spammer"
racl greylist default
EOF
# the main part and the RCPT statements of docs/exim-acl.conf, as pasted
sed -n '/^# --- main section/,/^# --- in acl_check_rcpt/p' docs/exim-acl.conf |
    sed -e "s|^MXGREY_SO = .*|MXGREY_SO = $SO|" \
	-e "s|^MXGREY_CONF = .*|MXGREY_CONF = $RULES|" \
	-e "s|^MXGREY_STORE = .*|MXGREY_STORE = $STORE|" >"$T/main.part"
sed -n '/^# --- in acl_check_rcpt/,/^# --- optional/p' docs/exim-acl.conf \
    >"$T/acl.part"
PORT=$(free_port)
cat >"$T/exim.conf" <<EOF
$(cat "$T/main.part")
exim_user = Debian-exim
exim_group = Debian-exim
spool_directory = $T/spool
log_file_path = $T/log/%slog
primary_hostname = mx.demo.test
domainlist local_domains = demo.test
local_interfaces = <; 127.0.0.1 ; ::1
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  require domains = +local_domains
$(cat "$T/acl.part")
  accept

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
EOF
chmod 644 "$RULES" "$T/exim.conf"
chown -R Debian-exim:Debian-exim "$T"
AS="setpriv --reuid=Debian-exim --regid=Debian-exim --init-groups"

say "Rules ($RULES):"
sed 's/^/    /' "$RULES"
$AS "$CTL" -f "$RULES" test || die "rules do not parse"

XPID=
stop() {
	if [ -n "$XPID" ]; then
		kill "$XPID" 2>/dev/null
		wait "$XPID" 2>/dev/null
		XPID=
		echo "Exim stopped."
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM HUP PIPE
$AS exim -C "$T/exim.conf" -bdf -oX "$PORT" 2>>"$T/log/stderr" &
XPID=$!
wait_port "$PORT" 10 || die "exim did not start (see $T/log/)"
say "Exim $(exim -bV | sed -n '1s/Exim version \([^ ]*\).*/\1/p') listening on 127.0.0.1:$PORT and [::1]:$PORT as Debian-exim, mxgrey loaded per connection"

# session LABEL FROM TO [swaks args]: one SMTP session, shown briefly
session() {
	label=$1 from=$2 to=$3
	shift 3
	out=$(swaks --server 127.0.0.1 --port "$PORT" --helo client.example \
	    --from "$from" --to "$to" --timeout 20 "$@" 2>&1)
	printf '%-34s' "$label"
	echo "$out" | sed -n '/-> RCPT TO/{n;s/^<[-*][-* ]* /RCPT -> /;p;}' |
	    head -n 1
	d=$(echo "$out" | sed -n '/-> \.$/{n;s/^<[-*][-* ]* //;p;}')
	[ -z "$d" ] || printf '%-34s%s\n' "" "end of DATA -> $d"
}

say "SMTP sessions (swaks, from 127.0.0.1, alice@example.org -> bob@demo.test):"
session "[1] first attempt:" alice@example.org bob@demo.test --quit-after RCPT
start=$(date +%s)
sleep 2
session "[2] retry after 2s (too early):" alice@example.org bob@demo.test \
    --quit-after RCPT
while [ $(( $(date +%s) - start )) -le $DELAY ]; do
	sleep 0.2
done
session "[3] retry after the delay:" alice@example.org bob@demo.test \
    --header "Subject: mxgrey demo"
session "[4] next message (autowhite):" alice@example.org bob@demo.test \
    --quit-after RCPT
session "[5] blacklisted recipient:" alice@example.org spam@demo.test \
    --quit-after RCPT

i=0
while ! grep -rqs 'Subject: mxgrey demo' "$T/mail/new"; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "message [3] was not delivered"
	sleep 0.1
done
say "Delivered to the maildir:"
grep -l 'Subject: mxgrey demo' "$T/mail/new/"* | sed 's/^/    /'

say "Exim's log, mxgrey lines:"
grep 'mxgrey' "$T/log/mainlog" | cut -c 12- | sed 's/^/    /'

say "Store ($CTL -s $STORE dump):"
$AS "$CTL" -f "$RULES" -s "$STORE" dump | sed 's/^/    /'
stop
