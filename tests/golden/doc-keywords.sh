#!/bin/sh
# doc-keywords.sh: every keyword of the rules parser's table
# (module/mxg_rules_kw.c) is documented in docs/mxgrey.conf.5 as "Ic name",
# and the page is clean under mandoc -Tlint.
srcdir=${srcdir:-.}
tab=$srcdir/module/mxg_rules_kw.c
man=$srcdir/docs/mxgrey.conf.5
kws=$(sed -n 's/^[[:space:]]*{ "\([a-z0-9_]*\)",.*/\1/p' "$tab")
n=0 missing=0
for k in $kws; do
	n=$((n + 1))
	if ! grep -Eq "Ic $k( |$)" "$man"; then
		echo "keyword '$k' is not documented in $man"
		missing=$((missing + 1))
	fi
done
if [ "$n" -lt 50 ]; then
	echo "could not read the keyword table ($n keywords)"
	exit 1
fi
if command -v mandoc >/dev/null 2>&1; then
	if ! mandoc -Tlint -Wwarning "$man"; then
		echo "mandoc -Tlint complains about $man"
		exit 1
	fi
fi
echo "$n keywords, $missing undocumented"
[ "$missing" -eq 0 ]
