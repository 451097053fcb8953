# ports.sh: sourced by integration tests.
# free_port: print a TCP port on loopback that nothing listens on now.
free_port() {
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
		if ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
}

# wait_port PORT [SECONDS]: wait until something listens on PORT.
wait_port() {
	i=0
	while [ $i -lt $(( ${2:-10} * 10 )) ]; do
		if ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
