#!/bin/bash
run() { local s=$(date +%s%N); FAKE_PROBES="tracepoint kprobe" FAKE_REPLAY=/tmp/proto/mix.txt TZ=UTC deno run --allow-all --v8-flags=$1 /work/main/cli/main.ts --bpftrace /work/main/test/fixtures/fake_bpftrace.sh -p 22383 -o /dev/null 2>/dev/null; echo $(( ($(date +%s%N)-s)/1000000 )); }
for i in 1 2 3 4 5; do
  a=$(run --min-semi-space-size=8,--max-semi-space-size=8)
  b=$(run --min-semi-space-size=8,--max-semi-space-size=8,--always-sparkplug)
  c=$(run --min-semi-space-size=8,--max-semi-space-size=8,--no-lazy-feedback-allocation)
  d=$(run --min-semi-space-size=8,--max-semi-space-size=8,--always-sparkplug,--no-lazy-feedback-allocation)
  echo "$a $b $c $d"
done
