# debian-packages.sh: sourced. install_packages PKG...: install the Debian
# packages that are missing (as root), running apt-get update only when
# needed. Prints what it installs.
install_packages() {
	missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		    grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing Debian packages:$missing (run as root to install them)" >&2
		return 1
	fi
	echo "installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	apt-get install -y -q $missing >/tmp/mxgrey-apt.log 2>&1 || {
		apt-get update -q >>/tmp/mxgrey-apt.log 2>&1
		apt-get install -y -q $missing >>/tmp/mxgrey-apt.log 2>&1
	} || { tail -20 /tmp/mxgrey-apt.log >&2; return 1; }
}

# What building mxgrey needs.
BUILD_PACKAGES="gcc make pkg-config libtdb-dev tdb-tools libc-ares-dev
libmaxminddb-dev libspf2-dev check libhiredis-dev libmilter-dev"
