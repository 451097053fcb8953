#!/bin/sh
# run-tests.sh FAMILY TEST...: run each test program or script, print one
# line per test and a closing "N passed, N failed, N skipped" line.
# Exit status 77 from a test means skipped (a missing optional part); it
# must print why. Exits 1 if any test failed.
family=$1
shift
pass=0 fail=0 skip=0 failed=""
mkdir -p tests/tmp/logs
for t in "$@"; do
	name=$(echo "$t" | tr '/' '_')
	log=tests/tmp/logs/$name.log
	start=$(date +%s)
	case "$t" in
	*.sh) sh "$t" >"$log" 2>&1 ;;
	*) "./$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS: $t (${secs}s)"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP: $t: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed="$failed $t"
		echo "FAIL: $t (exit $rc, ${secs}s); last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
done
echo "$family: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
