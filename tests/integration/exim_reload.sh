#!/bin/sh
# exim_reload.sh: rules changes reach a running Exim.
# 1. `mxgreyctl reload` (bumps the store's generation): an Exim process
#    already in a session picks up the new rules on its next RCPT, and the
#    next connection uses them too.
# 2. A broken rules file + reload: the old rules keep serving, in the
#    running session (engine keeps its ruleset) and in new connections
#    (the shim serves the last good copy), and the error is logged.
. tests/integration/exim_lib.sh
exim_init exim_reload

exim_rules "# v1
greylist 1h
racl greylist default"
exim_start
session_open || skip "python3 needed for the held SMTP session"

session_rcpt a1@test; r=$R
expect_prefix "v1, held session" "$r" "451 4.7.1"

# v2 accepts everything
exim_rules "# v2
greylist 1h
racl whitelist default"
ctl reload | grep -q 'reload requested' || fail "mxgreyctl reload failed"
# the engine looks at the generation at most once a second: poll
i=0
while :; do
	i=$((i + 1))
	session_rcpt "a2-$i@test"; r=$R
	case "$r" in
	250*) break ;;
	esac
	[ $i -lt 30 ] || fail "held session still on v1 rules: $r"
	sleep 0.2
done
ok "v2 in the held session after reload: $r"
grep -q 'rules reloaded from' "$T/log/mainlog" || fail "reload not logged"
r=$(rcpt_reply new@example.org b1@test)
expect_prefix "v2, next connection" "$r" "250"

# v3 is broken: v2 must keep serving everywhere
exim_rules "# v3, broken
greylist 1h
racl whitelist default
racl frobnicate everything"
# mxgreyctl checks the file first and refuses, saying where the error is
if ctl reload >"$T/ctl.out" 2>&1; then
	fail "mxgreyctl reload accepted a broken rules file"
fi
grep -q 'mxgrey.conf:4:6: ' "$T/ctl.out" || fail "mxgreyctl: no located error"
ok "mxgreyctl reload refused: $(head -n 1 "$T/ctl.out")"
# bump the generation anyway (as a careless admin's script might): the
# running Exim process must try, fail, log it and keep v2
marker=$(wc -l <"$T/log/mainlog")
printf 'racl whitelist default\n' >"$T/valid.conf"
chmod 644 "$T/valid.conf"
as_exim "$CTL" -f "$T/valid.conf" -s "$STORE" reload | grep -q 'reload requested' ||
    fail "generation bump failed"
i=0
while ! tail -n +"$marker" "$T/log/mainlog" | grep -q 'reload of .* failed'; do
	i=$((i + 1))
	[ $i -lt 30 ] || fail "held session did not log the failed reload"
	session_rcpt "a3-$i@test"; r=$R
	expect_prefix "v2 still, held session" "$r" "250"
	sleep 0.2
done
tail -n +"$marker" "$T/log/mainlog" | grep 'reload of .* failed'
session_rcpt a4@test; r=$R
expect_prefix "v2 still, held session, after the failed reload" "$r" "250"
r=$(rcpt_reply new2@example.org b2@test)
expect_prefix "v2 still, next connection (last good copy)" "$r" "250"
grep -q "$RULES cannot be used (rules file has errors): serving its last good copy" \
    "$T/log/mainlog" || grep -q "$RULES cannot be used.*serving its last good copy" \
    "$T/log/mainlog" || fail "new connection: fallback not logged"
grep "mxgrey.conf:4:" "$T/log/mainlog" | head -n 1 | grep . ||
    fail "the rules error is not logged with its location"
ok "broken rules: old rules keep serving, error logged"
session_close

# fixed again: new connections use the file itself
exim_rules "# v4
greylist 1h
racl blacklist rcpt nomore@test
racl whitelist default"
r=$(rcpt_reply new3@example.org nomore@test)
expect_prefix "v4, next connection" "$r" "5"
echo "exim_reload: all passed"
