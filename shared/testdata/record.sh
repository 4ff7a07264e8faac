#!/bin/sh
# Records real bpftrace output for the tracepoint fixtures (run as root from the repo root):
#   sh shared/testdata/record.sh > shared/testdata/tracepoint_pid.txt
# Traces, in pid mode, a shell that waits on a FIFO until the probes are attached and then runs the workload.
# Extra program options (JSON) may be given as $1, e.g. '{"unique":true}'.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cc -O2 -pthread -o "$dir/workload" "$(dirname "$0")/workload.c"
chmod 755 "$dir"
touch "$dir/file"
mkfifo "$dir/go"
W="$dir/workload"
F="$dir/file"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --"
sh -c "read x < $dir/go; $NOBODY chown 65534 $F; unshare -Ur true; $NOBODY $W threads $F; \
  setpriv --bounding-set=-bpf,-perfmon -- $W narrow $F; exit 3" &
root=$!
program=$(deno eval "import { generateProgram } from './shared/program.ts';
console.log(generateProgram({ probe: 'tracepoint', mode: 'pid', rootPid: $root, ...JSON.parse('${1:-{\}}') }));")
BPFTRACE_STRLEN=200 BPFTRACE_MAP_KEYS_MAX=1000000 BPFTRACE_NO_USER_SYMBOLS=1 \
  bpftrace -B line -e "$program" > "$dir/out" &
tracer=$!
until grep -q '^READY' "$dir/out" 2>/dev/null; do sleep 0.05; done
echo go > "$dir/go"
wait "$tracer"
# Temporary paths differ per run: make them stable.
sed "s|$dir|/tmp/rec|g" "$dir/out"
