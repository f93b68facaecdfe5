#!/bin/sh
# The layering of DESIGN.md, checked on the built static libraries:
#   dependencies point down:  proc, core  <  db  <  probes  <  runner
#   observation never links the runner; the database layer links neither;
#   checks and planner are pure: no I/O at all.
#   the commands and the console (cli, tui) use the model and never
#   assemble it themselves (checks_run, plan_compute, ...).
# Usage: layering.sh NAME=LIB ... (names: core proc db probes runner checks
# planner model tui cli). Also run with --planted CC: a library that breaks both rules is
# built and must be caught (the check can fail).
status=0
defined() { nm -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
undefined() { nm -u "$1" 2>/dev/null | awk '{ print $NF }' | sort -u; }

# below LOWER may not refer to a symbol that UPPER defines
not_up() {  # LOWER_NAME LOWER_LIB UPPER_NAME UPPER_LIB
	hits=$(comm -12 "$T/u.$1" "$T/d.$3")
	if [ -n "$hits" ]; then
		echo "FAIL: $1 ($2) refers to $3 ($4): $(echo $hits | head -c 400)"
		status=1
	else
		echo "ok: $1 refers to nothing of $3"
	fi
}

IO='^(socket|connect|accept|bind|listen|send|recv|sendto|recvfrom|poll|ppoll|select|epoll_wait|open|openat|fopen|read|write|pread|pwrite|fork|execve|execvp|posix_spawn|popen|system|getaddrinfo|PQ[A-Za-z]*|mysql_[a-z_]*|curl_[a-z_]*|dlopen|dlsym|libcurl)$'
pure() {  # NAME LIB
	hits=$(grep -E "$IO" "$T/u.$1")
	if [ -n "$hits" ]; then
		echo "FAIL: $1 ($2) does I/O: $(echo $hits)"
		status=1
	else
		echo "ok: $1 is pure (no I/O symbol)"
	fi
}

# what the model assembles (observe, derive, checks, record, plan) is
# assembled there only: the commands and the console use the model
ASSEMBLY='^(checks_run|plan_compute|snapshot_derive|journal_read_shared|steps_vouches)$'
one_place() {  # NAME LIB
	hits=$(grep -E "$ASSEMBLY" "$T/u.$1")
	if [ -n "$hits" ]; then
		echo "FAIL: $1 ($2) assembles the model itself: $(echo $hits)"
		status=1
	else
		echo "ok: $1 uses the model (calls none of its assembling)"
	fi
}

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ "$1" = --planted ]; then
	# a probe that calls the runner, a check that asks PostgreSQL
	CC=$2
	shift 2
	printf 'struct dblock *lock_start(const void *);\nvoid *p(void) { return lock_start(0); }\n' > "$T/probe.c"
	printf 'void *PQexec(void *, const char *);\nvoid *c(void) { return PQexec(0, "x"); }\n' > "$T/check.c"
	printf 'void checks_run(const void *, void **);\nvoid v(void) { checks_run(0, 0); }\n' > "$T/view.c"
	"$CC" -c "$T/probe.c" -o "$T/probe.o" && ar rc "$T/libprobe.a" "$T/probe.o" &&
	"$CC" -c "$T/check.c" -o "$T/check.o" && ar rc "$T/libcheck.a" "$T/check.o" &&
	"$CC" -c "$T/view.c" -o "$T/view.o" && ar rc "$T/libview.a" "$T/view.o" || exit 1
	for a in "$@"; do case "$a" in runner=*) runner=${a#runner=} ;; esac; done
	undefined "$T/libprobe.a" > "$T/u.probes"
	defined "$runner" > "$T/d.runner"
	undefined "$T/libcheck.a" > "$T/u.checks"
	undefined "$T/libview.a" > "$T/u.tui"
	out=$( { not_up probes "$T/libprobe.a" runner "$runner"; pure checks "$T/libcheck.a";
		 one_place tui "$T/libview.a"; } )
	echo "$out" | sed 's/^/planted: /'
	if [ "$(echo "$out" | grep -c '^FAIL')" != 3 ]; then
		echo "FAIL: the planted violations were not all three caught"
		exit 1
	fi
	echo "ok: the three planted violations caught"
	exit 0
fi

for a in "$@"; do
	name=${a%%=*} lib=${a#*=}
	eval "lib_$name=\$lib"
	defined "$lib" > "$T/d.$name"
	undefined "$lib" > "$T/u.$name"
done
not_up core "$lib_core" db "$lib_db"
not_up core "$lib_core" probes "$lib_probes"
not_up core "$lib_core" runner "$lib_runner"
not_up proc "$lib_proc" db "$lib_db"
not_up proc "$lib_proc" probes "$lib_probes"
not_up proc "$lib_proc" runner "$lib_runner"
not_up db "$lib_db" probes "$lib_probes"
not_up db "$lib_db" runner "$lib_runner"
not_up probes "$lib_probes" runner "$lib_runner"
not_up checks "$lib_checks" probes "$lib_probes"
not_up checks "$lib_checks" runner "$lib_runner"
not_up planner "$lib_planner" probes "$lib_probes"
not_up planner "$lib_planner" runner "$lib_runner"
pure checks "$lib_checks"
pure planner "$lib_planner"
not_up model "$lib_model" tui "$lib_tui"
not_up model "$lib_model" cli "$lib_cli"
one_place tui "$lib_tui"
one_place cli "$lib_cli"
# the model is where they are assembled (is nm working?)
if ! grep -q '^plan_compute$' "$T/u.model"; then
	echo "FAIL: the model should refer to plan_compute"
	status=1
fi
# and the check sees references where they are allowed: the runner uses
# the lock's observation
if ! comm -12 "$T/u.runner" "$T/d.probes" | grep -q '^lockobs_'; then
	echo "FAIL: the runner should refer to probes' lockobs_* (is nm working?)"
	status=1
fi
exit $status
