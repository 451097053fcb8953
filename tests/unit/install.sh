#!/bin/sh
# install.sh: `make install` into a staging directory puts every piece in
# place, and a program built against the installed mxgrey.h, mxgrey.pc
# and libmxgrey.so decides through the shared library.
set -eu
D=$(pwd)/tests/tmp/install.$$
trap 'rm -rf $D' EXIT
make -s install DESTDIR=$D >/dev/null
P=$(sed -n 's/^prefix[[:space:]]*=[[:space:]]*//p' Makefile)
R=$D$P
for f in include/mxgrey.h lib/libmxgrey.so.0 lib/libmxgrey.so \
    lib/pkgconfig/mxgrey.pc sbin/mxgreyctl share/man/man5/mxgrey.conf.5 \
    share/man/man8/mxgreyctl.8 share/man/man3/libmxgrey.3 \
    sbin/mxgrey-policyd libexec/mxgrey/filter-mxgrey; do
	[ -e "$R/$f" ] || { echo "not installed: $f"; exit 1; }
done
conf=$(sed -n 's/^sysconfdir[[:space:]]*=[[:space:]]*//p' Makefile | sed "s|\${prefix}|$P|")
[ -f "$D$conf/mxgrey/mxgrey.conf" ] || { echo "no $conf/mxgrey/mxgrey.conf"; exit 1; }
cat > $D/t.c <<'C'
#include <stdio.h>
#include <string.h>
#include <mxgrey.h>
int
main(int argc, char **argv)
{
	struct mxg_host h = { MXGREY_API_VERSION, NULL, NULL, NULL, NULL };
	struct mxg_engine *e = NULL;
	struct mxg_request r;
	struct mxg_verdict v;

	if (argc != 3 || mxg_open(&e, argv[1], argv[2], &h) != MXG_OK)
		return 1;
	memset(&r, 0, sizeof(r));
	r.client_addr = "192.0.2.1";
	r.sender = "a@example.org";
	r.rcpt = "b@example.net";
	r.now = 1700000000;
	if (mxg_check(e, &r, &v) != MXG_OK)
		return 1;
	printf("%s %d\n", mxg_action_name(v.action), v.code);
	mxg_close(e);
	return 0;
}
C
flags=$(PKG_CONFIG_PATH=$R/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D pkg-config --cflags --libs mxgrey)
# a library built with SAN=1 needs its program built with the sanitizers
san=""
nm -D $R/lib/libmxgrey.so.0 | grep -q __asan && san="-fsanitize=address,undefined"
cc $san -o $D/t $D/t.c $flags
printf 'racl greylist default\n' > $D/r.conf
out=$(LD_LIBRARY_PATH=$R/lib $D/t $D/r.conf $D/s.tdb)
[ "$out" = "greylist 451" ] || { echo "installed library said: $out"; exit 1; }
echo "installed library decides: $out"
