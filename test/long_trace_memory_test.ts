/**
 * A trace's per-process state stays bounded however many processes come and go: a leak test, not a benchmark (the
 * bench measures peak memory). The state is driven in a child with V8's gc exposed, so that what is measured is
 * what stays reachable.
 */

import assert from "node:assert/strict";

const CHURN = new URL("./fixtures/heap_churn.ts", import.meta.url).pathname;

async function heapAfter(cycles: number): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", CHURN, String(cycles)],
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, `heap_churn.ts ${cycles} failed: ${new TextDecoder().decode(out.stderr)}`);
  assert.match(text, /^\d+$/);
  return Number(text);
}

Deno.test("the state of 600,000 short-lived processes on reused pids takes no more heap than that of 150,000", async () => {
  // By 150,000 processes every bounded map that fills is full (the largest, of exec times, holds 131,072), and the
  // maps of processes, filled by the first 70,000 and evicting then, churn below their limit. Each idle iterator once
  // kept every table its map outgrew or compacted: 600,000 processes took 245 MiB more than 150,000.
  const before = await heapAfter(150_000);
  const after = await heapAfter(600_000);
  const grown = (after - before) / 2 ** 20;
  assert.ok(grown < 8, `the heap grew by ${grown.toFixed(1)} MiB from 150,000 to 600,000 processes`);
});
