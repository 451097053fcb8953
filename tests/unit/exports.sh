#!/bin/sh
# libmxgrey.so exports only the public API: every dynamic symbol it
# defines is an mxg_* function named in module/mxgrey.h.
set -e
so=module/libmxgrey.so.0
[ -f "$so" ] || { echo "no $so"; exit 1; }
syms=$(nm -D --defined-only "$so" | awk '$2 ~ /[TDBR]/ {print $3}' | sed 's/@.*//' | sort -u)
[ -n "$syms" ] || { echo "no exported symbols at all"; exit 1; }
bad=0
for s in $syms; do
	case "$s" in
	mxg_*) grep -q "\\b$s(" module/mxgrey.h || { echo "exported but not in mxgrey.h: $s"; bad=1; } ;;
	*) echo "exported symbol outside the mxg_ namespace: $s"; bad=1 ;;
	esac
done
for s in $(grep -o '^mxg_[a-z_]*(' module/mxgrey.h | tr -d '(') $(grep -oE '^[a-z].* \*?mxg_[a-z_]*\(' module/mxgrey.h | grep -oE 'mxg_[a-z_]*\(' | tr -d '('); do
	echo "$syms" | grep -qx "$s" || { echo "declared in mxgrey.h but not exported: $s"; bad=1; }
done
readelf -d "$so" | grep -q 'SONAME.*libmxgrey.so.0' || { echo "soname is not libmxgrey.so.0"; bad=1; }
[ $bad -eq 0 ] && echo "exports: $(echo "$syms" | wc -l) symbols, all public API"
exit $bad
