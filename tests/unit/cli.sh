#!/bin/sh
# cli.sh: the mxgreyctl contract: test, check with time travel, explain,
# dump, purge, stats, reload; exit codes and output formats.
set -u
CTL=shim/cli/mxgreyctl
D=tests/tmp/cli.$$
rm -rf $D && mkdir -p $D
trap 'rm -rf $D' EXIT
fail=0
. tests/lib/expect.sh
cat > $D/r.conf <<'R'
greylist 30m
autowhite 1d
racl whitelist addr 127.0.0.0/8
racl blacklist from /spammer@/
racl greylist default
R
out=$($CTL -f $D/r.conf test); expect "test ok" "$out $?" "$D/r.conf: ok 0"

printf 'greylist 30m\nracl frobnicate default\nbogus 1\n' > $D/bad.conf
out=$($CTL -f $D/bad.conf test 2>$D/err); rc=$?
expect "test broken exit" "$rc" "1"
expect "test broken stdout" "$out" ""
n=$(grep -c "^$D/bad.conf:[0-9]*:[0-9]*: " $D/err)
expect "every error located (file:line:col)" "$n" "2"
expect "then a summary" "$(tail -n 1 $D/err)" "$D/bad.conf: 2 errors, not loaded"
expect "nothing else on stderr" "$(wc -l < $D/err | tr -d ' ')" "3"
# what an MTA host does with a broken file is not for a check, even -v
$CTL -v -f $D/bad.conf test >/dev/null 2>$D/err
expect "-v: no failure-action line" "$(grep -c 'failure action' $D/err)" "0"
expect "-v: errors and summary" "$(wc -l < $D/err | tr -d ' ')" "3"
$CTL -f $D/missing.conf test >/dev/null 2>$D/err
expect "missing rules file" "$?" "1"
expect "missing rules file summary" "$(tail -n 1 $D/err)" \
    "$D/missing.conf: 1 error, not loaded"

# a GeoIP database that does not open is an error at its line:col
printf 'greylist 30m\ngeoipdb  "%s"\n' "$D/none.mmdb" > $D/geo.conf
out=$($CTL -f $D/geo.conf test 2>$D/err)
expect "geoipdb missing exit" "$? $out" "1 "
expect "geoipdb missing located" "$(head -n 1 $D/err)" \
    "$D/geo.conf:2:10: cannot open $D/none.mmdb: No such file or directory"
expect "geoipdb missing summary" "$(tail -n 1 $D/err)" \
    "$D/geo.conf: 1 error, not loaded"
printf 'not a database' > $D/junk.mmdb
printf 'geoipdb "%s"\n' "$D/junk.mmdb" > $D/geo.conf
$CTL -f $D/geo.conf test >/dev/null 2>$D/err
expect "geoipdb not a MaxMind DB exit" "$?" "1"
grep -q "^$D/geo.conf:1:9: cannot open $D/junk.mmdb: " $D/err
expect "geoipdb not a MaxMind DB located" "$?" "0"
# a real one opens (written with Debian's libmaxmind-db-writer-perl)
if perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
	perl -MMaxMind::DB::Writer::Tree -e '
	my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6,
	    record_size => 24, database_type => "mxgrey-test",
	    languages => ["en"], description => { en => "mxgrey test" },
	    remove_reserved_networks => 0,
	    map_key_type_callback => sub { "utf8_string" });
	$t->insert_network("192.0.2.0/24", { country_code => "FR" });
	open(my $fh, ">:raw", $ARGV[0]) or die "$ARGV[0]: $!";
	$t->write_tree($fh); close($fh) or die;' $D/ok.mmdb
	printf 'geoipdb "%s"\nracl blacklist geoip "FR"\nracl whitelist default\n' \
	    "$D/ok.mmdb" > $D/geook.conf
	out=$($CTL -f $D/geook.conf test 2>&1)
	expect "geoipdb that opens" "$out $?" "$D/geook.conf: ok 0"
	out=$($CTL -f $D/geook.conf -s $D/geo.tdb check --ip 192.0.2.1 \
	    --from a@b --rcpt c@d --now 1700000000)
	expect "and is used" "${out%% *}" "reject"
else
	echo "ok: # skip a real .mmdb: no MaxMind::DB::Writer"
fi
# the engine refuses it too, and tells a host what it does meanwhile
$CTL -f $D/geo.conf -s $D/geo.tdb check --ip 192.0.2.1 --from a@b \
    --rcpt c@d --now 1700000000 >/dev/null 2>$D/err
expect "geoipdb broken: check refused" "$?" "2"
grep -q "^$D/geo.conf:1:9: cannot open" $D/err
expect "geoipdb broken: engine says where" "$?" "0"
grep -q "mxgrey: $D/geo.conf not loaded (" $D/err
expect "host log line unchanged outside test" "$?" "0"

# usage: every command, on stdout for help, on stderr for a bad command
for h in --help -h help; do
	out=$($CTL $h 2>/dev/null); rc=$?
	expect "$h exit" "$rc" "0"
	for cmd in test check explain dump purge stats fsck migrate \
	    import-dump reload; do
		echo "$out" | grep -q "^  $cmd " ||
		    expect "$h lists $cmd" "missing" "listed"
	done
done
out=$($CTL frobnicate 2>$D/err); rc=$?
expect "unknown command: exit 2, nothing on stdout" "$rc $out" "2 "
grep -q "^  reload " $D/err
expect "unknown command: usage on stderr" "$?" "0"
$CTL >/dev/null 2>&1
expect "no command" "$?" "2"

C="$CTL -f $D/r.conf -s $D/s.tdb"
T=1700000000
out=$($C check --ip 192.0.2.1 --from a@example.org --rcpt b@example.net --now $T)
expect "first sight" "$out" "greylist 451 4.7.1 Greylisting in action, please come back in 00:30:00"
out=$($C check --ip 192.0.2.1 --from a@example.org --rcpt b@example.net --now $((T + 1)))
expect "early retry" "$out" "greylist 451 4.7.1 Greylisting in action, please come back in 00:29:59"
out=$($C explain --ip 192.0.2.1 --from a@example.org --rcpt b@example.net --now $((T + 1800)) | head -n 20 | grep -c '^accept 250')
expect "explain after the delay says accept" "$out" "1"
out=$($C dump --now $((T + 1800)) | grep -v '^#' | grep -c 'AUTO')
expect "explain wrote nothing" "$out" "0"
out=$($C check --ip 192.0.2.1 --from a@example.org --rcpt b@example.net --now $((T + 1800)))
expect "after the delay" "${out%% *}" "accept"
out=$($C check --ip 192.0.2.1 --from A@Example.ORG --rcpt b@example.net --now $((T + 3600)))
expect "autowhite" "$out" "accept 250 2.1.5 Ok (autowhitelisted)"
out=$($C check --ip 127.0.0.1 --from x@y --rcpt z@w --now $T)
expect "whitelist" "${out%% *}" "accept"
out=$($C check --ip 192.0.2.7 --from spammer@bad.example --rcpt z@w --now $T)
expect "blacklist" "$out" "reject 550 5.7.1 Go away!"
line=$($C dump --now $((T + 3600)) | grep -v '^#')
case "$line" in
"192.0.2.1	<a@example.org>	<b@example.net>	$((T + 3600 + 86400)) AUTO # "*) ok=1 ;;
*) ok=0 ;;
esac
expect "dump line in milter-greylist format" "$ok" "1"
out=$($C migrate $D/copy.tdb --now $((T + 3600)))
expect "migrate to another tdb" "$out" "copied 1 records to $D/copy.tdb"
expect "the copy dumps the same" "$($CTL -f $D/r.conf -s $D/copy.tdb dump --now $((T + 3600)))" \
    "$($C dump --now $((T + 3600)))"
$C migrate $D/s.tdb >/dev/null 2>&1
expect "migrate into itself refused" "$?" "2"

# our dump is milter-greylist's format: importing it gives the same store
$C dump --now $((T + 3600)) > $D/dump.txt
printf 'garbage line\n' >> $D/dump.txt
out=$($CTL -f $D/r.conf -s $D/imported.tdb import-dump $D/dump.txt --now $((T + 3600)) 2>$D/err)
expect "import-dump" "$out" "imported 1 records, skipped 1"
grep -q "dump.txt:[0-9]*:" $D/err
expect "bad dump line reported with its line number" "$?" "0"
expect "imported store dumps the same" \
    "$($CTL -f $D/r.conf -s $D/imported.tdb dump --now $((T + 3600)))" \
    "$($C dump --now $((T + 3600)))"
$CTL -f $D/r.conf -s $D/imported.tdb import-dump $D/nonexistent >/dev/null 2>&1
expect "import of a missing file" "$?" "2"

out=$($C stats --now $((T + 3600)) | tr '\n' ' ')
expect "stats" "$out" "pending 0 autowhite 1 expired 0 generation 0 "
out=$($C purge --now $((T + 3600)))
expect "purge keeps live" "$out" "purged 0 expired records"
out=$($C purge --now $((T + 3600 + 86400)))
expect "purge removes expired" "$out" "purged 1 expired records"
out=$($C reload)
expect "reload" "$out" "reload requested"
out=$($C stats --now $T | tail -n 1)
expect "generation bumped" "$out" "generation 1"

out=$($C fsck)
expect "fsck on a clean store" "$out $?" "store: clean 0"
printf 'this is not a tdb' > $D/alien.tdb
$CTL -f $D/r.conf -s $D/alien.tdb fsck >/dev/null 2>&1
[ $? -ne 0 ]
expect "fsck on an alien file fails" "$?" "0"
expect "alien file left alone" "$(cat $D/alien.tdb)" "this is not a tdb"
# ... says what it is and what to do, for fsck and any other command
advice="$D/alien.tdb: not a tdb file (17 bytes): move it away; a new store is created on next use"
out=$($CTL -f $D/r.conf -s $D/alien.tdb fsck 2>/dev/null)
expect "fsck on an alien file: what and what to do" "$out $?" \
    "store: damaged: $advice 1"
out=$($CTL -f $D/r.conf -s $D/alien.tdb fsck --repair 2>/dev/null)
expect "fsck --repair cannot: the same advice" "$out $?" \
    "store: damaged: $advice 2"
$CTL -f $D/r.conf -s $D/alien.tdb stats >/dev/null 2>$D/err
expect "stats on an alien file" "$? $(head -n 1 $D/err)" \
    "2 mxgrey: tuple store $advice"
expect "alien file still left alone" "$(cat $D/alien.tdb)" "this is not a tdb"
# an empty file (touch) is made a store
: > $D/empty.tdb
out=$($CTL -f $D/r.conf -s $D/empty.tdb stats --now $T 2>/dev/null | head -n 1)
expect "empty file made a store" "$out $?" "pending 0 0"

# commands that only look at the store never create one
for cmd in dump stats purge fsck "migrate $D/m2.tdb" \
    "explain --ip 192.0.2.1 --from a@b --rcpt c@d"; do
	out=$($CTL -f $D/r.conf -s $D/typo.tdb $cmd 2>$D/err)
	rc=$?
	expect "$cmd on a missing store: exit 2, stdout empty" "$rc $out" "2 "
	expect "$cmd on a missing store: says so" "$(head -n 1 $D/err)" \
	    "mxgrey: $D/typo.tdb: no such store"
	[ -e $D/typo.tdb ] && expect "$cmd created no store" "created" "none"
done
[ -e $D/m2.tdb ] && expect "failed migrate created no target" "created" "none"
# the rules' store, without -s, the same
printf 'store "%s/rtypo.tdb"\nracl greylist default\n' "$PWD/$D" > $D/st.conf
$CTL -f $D/st.conf dump >/dev/null 2>$D/err
expect "rules' store missing: dump" "$? $(head -n 1 $D/err)" \
    "2 mxgrey: $PWD/$D/rtypo.tdb: no such store"
[ -e $D/rtypo.tdb ] && expect "rules' store not created" "created" "none"
# check decides as an MTA does: it creates the store
$CTL -f $D/st.conf check --ip 192.0.2.1 --from a@b --rcpt c@d --now $T >/dev/null 2>&1
expect "check creates the store" "$? $([ -e $D/rtypo.tdb ] && echo yes)" "0 yes"

$C check --ip 999.1.1.1 --from a@b --rcpt c@d --now $T >$D/out 2>/dev/null
expect "bad ip exit" "$?" "2"
expect "bad ip answer" "$(cut -d' ' -f1-3 $D/out)" "tempfail 451 4.3.0"
$C check --ip 192.0.2.1 --from a@b >/dev/null 2>&1
expect "missing --rcpt" "$?" "2"
$C check --ip 192.0.2.1 --from a@b --rcpt c@d --now yesterday >/dev/null 2>&1
expect "bad --now" "$?" "2"
$C frobnicate >/dev/null 2>&1
expect "unknown command" "$?" "2"
$CTL -f $D/r.conf -s /nonexistent/dir/s.tdb check --ip 192.0.2.1 --from a@b --rcpt c@d --now $T >$D/out 2>$D/err
expect "store unavailable exit" "$?" "2"
expect "store unavailable answer" "$(cut -d' ' -f1-3 $D/out)" "tempfail 451 4.3.0"
grep -q "nonexistent" $D/err
expect "store unavailable says where" "$?" "0"
exit $fail
