#!/bin/sh
# store_faults.sh: the tdb store under faults, through mxgreyctl: the
# file deleted under a running engine, a read-only filesystem, a full
# filesystem. Each gives the failure action with a clear log line, and
# service comes back when the fault goes. Needs root (mounts a tmpfs).
set -u
CTL=$(pwd)/shim/cli/mxgreyctl
D=$(pwd)/tests/tmp/store_faults.$$
MNT=$D/mnt
if [ "$(id -u)" != 0 ]; then
	echo "skip: needs root to mount a small tmpfs"
	exit 77
fi
mkdir -p $MNT
cleanup() {
	umount $MNT 2>/dev/null
	rm -rf $D
}
trap cleanup EXIT
fail=0
expect() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1"; echo "  got:  $2"; echo "  want: $3"; fail=1
	else
		echo "ok: $1"
	fi
}
T=1700000000
printf 'store "%s/s.tdb" hashsize 1021\ngreylist 10m\nracl greylist default\n' $MNT > $D/r.conf

# full filesystem: 128 KB; fill until the store cannot grow
mount -t tmpfs -o size=128k tmpfs $MNT || { echo "skip: cannot mount tmpfs"; exit 77; }
i=0 first_fail=""
while [ $i -lt 4000 ]; do
	out=$($CTL -f $D/r.conf check --ip 10.0.$((i / 250)).$((i % 250)) \
	    --from "sender$i@example.org" --rcpt "rcpt$i@example.net" \
	    --now $T 2>>$D/full.err)
	case "$out" in
	tempfail*) first_fail=$i; break ;;
	esac
	i=$((i + 1))
done
expect "a full filesystem gives the failure action" \
    "$(echo "$out" | cut -d' ' -f1-3)" "tempfail 451 4.3.0"
grep -q "s.tdb" $D/full.err
expect "and says which store" "$?" "0"
# an existing tuple can still be answered (updated in place)
out=$($CTL -f $D/r.conf check --ip 10.0.0.0 --from sender0@example.org \
    --rcpt rcpt0@example.net --now $((T + 1)) 2>/dev/null)
expect "existing tuples still decided" "${out%% *}" "greylist"
# space comes back: service comes back
mount -o remount,size=4m $MNT
out=$($CTL -f $D/r.conf check --ip 10.99.0.1 --from new@example.org \
    --rcpt new@example.net --now $T 2>/dev/null)
expect "service after space is freed" "${out%% *}" "greylist"
$CTL -f $D/r.conf fsck >/dev/null 2>&1
expect "store clean after ENOSPC" "$?" "0"
echo "filled to $first_fail tuples before ENOSPC"

# read-only filesystem
mount -o remount,ro $MNT
$CTL -f $D/r.conf check --ip 10.99.0.2 --from a@example.org \
    --rcpt b@example.net --now $T >$D/out 2>$D/ro.err
expect "read-only store: exit" "$?" "2"
expect "read-only store: failure action" "$(cut -d' ' -f1-3 $D/out)" \
    "tempfail 451 4.3.0"
grep -q "s.tdb" $D/ro.err
expect "read-only store: logged" "$?" "0"
mount -o remount,rw $MNT

# deleted under a running engine: a long-lived process (the policy-style
# test driver is mxgreyctl in a loop of its own: use the engine test
# program instead) is covered in test_store_tdb; here: a new process
# after deletion starts a fresh, clean store
rm -f $MNT/s.tdb
out=$($CTL -f $D/r.conf check --ip 10.99.0.3 --from a@example.org \
    --rcpt b@example.net --now $T 2>/dev/null)
expect "deleted store: recreated" "${out%% *}" "greylist"
expect "recreated with mode 0660" "$(stat -c %a $MNT/s.tdb)" "660"
exit $fail
