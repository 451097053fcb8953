#!/bin/sh
# exim_debian.sh: docs/exim-acl.conf's recipe for Debian's exim4-config,
# unsplit and split, run through Debian's own update-exim4.conf on a copy
# of /etc/exim4 (-d), then `exim -bh` plays a client through the
# generated config's acl_check_rcpt: an outside client is greylisted,
# localhost is not, and the retry has less time left.
. tests/integration/exim_lib.sh
exim_init exim_debian
command -v update-exim4.conf >/dev/null 2>&1 ||
    skip "no update-exim4.conf (exim4-config)"
[ -f /etc/exim4/exim4.conf.template ] && [ -d /etc/exim4/conf.d ] ||
    skip "no Debian exim4 configuration in /etc/exim4"
[ "$(id -u)" = 0 ] || skip "needs root (Debian's config runs as Debian-exim)"

exim_rules "greylist 1h
racl greylist default"
mkdir -p "$T/store"
chown "$XUSER:$XGROUP" "$T/store"

# the doc's main section with this tree's paths, and the ACL hook
sed -n '/^# --- main section/,/^# --- in acl_check_rcpt/p' docs/exim-acl.conf |
    sed -e "s|^MXGREY_SO = .*|MXGREY_SO = $SO|" \
	-e "s|^MXGREY_CONF = .*|MXGREY_CONF = $RULES|" \
	-e "s|^MXGREY_STORE = .*|MXGREY_STORE = $T/store/mxgrey.tdb|" \
	>"$T/localmacros"
echo "CHECK_RCPT_LOCAL_ACL_FILE = $T/mxgrey_rcpt.acl" >>"$T/localmacros"
sed -n '/^# --- in acl_check_rcpt/,/^# --- optional/p' docs/exim-acl.conf \
    >"$T/mxgrey_rcpt.acl"
chmod 644 "$T/localmacros" "$T/mxgrey_rcpt.acl"

# generate LAYOUT: Debian's generator on a copy of /etc/exim4
generate() {
	etc=$T/etc-$1
	rm -rf "$etc"
	cp -a /etc/exim4 "$etc"
	sed -i '/^dc_use_split_config=/d' "$etc/update-exim4.conf.conf"
	if [ "$1" = split ]; then
		echo "dc_use_split_config='true'" >>"$etc/update-exim4.conf.conf"
		cp "$T/localmacros" "$etc/conf.d/main/000_localmacros"
	else
		echo "dc_use_split_config='false'" >>"$etc/update-exim4.conf.conf"
		cp "$T/localmacros" "$etc/exim4.conf.localmacros"
	fi
	update-exim4.conf -d "$etc" -o "$T/exim-$1.conf" ||
	    fail "update-exim4.conf ($1) failed"
	if ! grep -q '^MXGREY_SO' "$T/exim-$1.conf"; then
		# update-exim4.conf (4.96-15) looks for the unsplit
		# localmacros at /etc/exim4/exim4.conf.localmacros, not in
		# -d: it only reads it from -d when that file exists
		[ "$1" = unsplit ] ||
		    fail "split config: 000_localmacros not in the output"
		cat "$etc/exim4.conf.localmacros" "$T/exim-$1.conf" \
		    >"$T/exim-$1.tmp" && mv "$T/exim-$1.tmp" "$T/exim-$1.conf"
		echo "note: unsplit localmacros prepended by hand (generator reads /etc only)"
	fi
	grep -q "^ *.include CHECK_RCPT_LOCAL_ACL_FILE" "$T/exim-$1.conf" ||
	    fail "$1: Debian's hook CHECK_RCPT_LOCAL_ACL_FILE not found"
	chmod 644 "$T/exim-$1.conf"
}

# bh CONF IP RCPT: the reply to RCPT TO from a pretend client at IP
bh() {
	printf 'EHLO client.example\r\nMAIL FROM:<root@localhost>\r\nRCPT TO:<%s>\r\nQUIT\r\n' \
	    "$3" | as_exim exim -C "$1" -bh "$2" 2>>"$T/bh.stderr" |
	    tr -d '\r' | sed -n '/^250 OK$/{n;p;q;}'
}

for layout in unsplit split; do
	generate $layout
	c=$T/exim-$layout.conf
	as_exim exim -C "$c" -bV >/dev/null 2>>"$T/bh.stderr" ||
	    fail "$layout: Exim refuses the generated config"
	[ $layout = unsplit ] && ip=203.0.113.10 || ip=203.0.113.20
	r=$(bh "$c" $ip root@localhost)
	expect_prefix "$layout: $ip first RCPT" "$r" \
	    "451 4.7.1 Greylisting in action, please come back in 01:00:00"
	sleep 1.1
	r=$(bh "$c" $ip root@localhost)
	expect_prefix "$layout: $ip retry" "$r" \
	    "451 4.7.1 Greylisting in action, please come back in 00:59:5"
	# localhost is in relay_from_hosts, accepted before the hook
	r=$(bh "$c" 127.0.0.1 root@localhost)
	expect_prefix "$layout: 127.0.0.1" "$r" "250"
done
n=$("$CTL" -f "$RULES" -s "$T/store/mxgrey.tdb" dump | grep -c 'root@localhost')
[ "$n" = 2 ] || fail "store: want 2 tuples (one per layout), got $n"
ok "store holds one tuple per layout"
echo "exim_debian: all passed"
