/**
 * The floor of the pipeline benchmark: the least a reader of the tracer's stream can do and still say, for each check,
 * which thread made it, for which capability, with which verdict and audit flags. It reads the file as the do-nothing
 * baseline does (read_lines.ts), splits it into byte lines as the CLI does, reads the numbers of each check's head
 * (and of each kprobe entry and return, pairing them by thread), the audit flags of its stack frames, and writes
 * `pid tid cap ret opts` per check to /dev/null. No names, times, comms, time order, accounting or summary: what the
 * CLI adds to this floor is its features; what this floor adds to the baseline, no pipeline in JavaScript can drop.
 * Prints the number of checks written.
 */

import { frameOptsAt } from "../../shared/audit.ts";
import { ByteBuffer } from "../../shared/byte_buffer.ts";
import { ByteLines } from "../../shared/byte_lines.ts";
import { MAX_LINE } from "../../shared/parse_line.ts";

/** The numbers of the record being read: a check's or an entry's eleven, or a return's three. */
const nums = new Array<number>(11).fill(0);

/** Reads `count` space-separated integers of `b` from `at` into `nums`. */
function _numbers(b: Uint8Array, at: number, count: number): void {
  for (let i = 0; i < count; i++) {
    let c = b[at]!;
    const neg = c === 45; // "-"
    if (neg) c = b[++at]!;
    let v = 0;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = b[++at]!;
    }
    nums[i] = neg ? -v : v;
    at++;
  }
}

const out = new ByteBuffer();
/** Kprobe entries waiting for their return, by thread: pid and capability. */
const entries = new Map<number, { pid: number; cap: number }>();
let checks = 0;
/** The check whose stack frames are being read, if any: its numbers are in `nums` until it is written. */
let open = false;
let opts = 0;

function _write(pid: number, tid: number, cap: number, ret: number, flags: number): void {
  out.int(pid);
  out.byte(32);
  out.int(tid);
  out.byte(32);
  out.int(cap);
  out.byte(32);
  out.int(ret);
  out.byte(32);
  out.int(flags);
  out.byte(10);
  checks++;
}

function _line(b: Uint8Array, start: number, end: number): void {
  const c = start < end ? b[start]! : -1;
  if (c === 32) {
    if (open) opts |= frameOptsAt(b, start, end);
    return;
  }
  if (open) {
    // The check's stack ended (at its blank line): ts pid tid ppid uid euid cap ret ...
    _write(nums[1]!, nums[2]!, nums[6]!, nums[7]!, opts);
    open = false;
  }
  if (end - start < 2 || b[start + 1] !== 32) return;
  if (c === 67) { // "C"
    _numbers(b, start + 2, 11);
    open = true;
    opts = 0;
  } else if (c === 66) { // "B": ts pid tid ppid uid euid cap opts ...
    _numbers(b, start + 2, 11);
    entries.set(nums[2]!, { pid: nums[1]!, cap: nums[6]! });
  } else if (c === 82) { // "R": ts tid ret
    _numbers(b, start + 2, 3);
    const e = entries.get(nums[1]!);
    if (e === undefined) return;
    entries.delete(nums[1]!);
    _write(e.pid, nums[1]!, e.cap, nums[2]!, 0);
  }
}

if (import.meta.main) {
  const file = await Deno.open(Deno.args[0]!);
  const sink = await Deno.open("/dev/null", { write: true });
  const lines = new ByteLines(MAX_LINE);
  for await (const chunk of file.readable) {
    lines.push(chunk, _line);
    sink.writeSync(out.view());
    out.clear();
  }
  lines.end(_line);
  if (open) _write(nums[1]!, nums[2]!, nums[6]!, nums[7]!, opts);
  sink.writeSync(out.view());
  console.log(checks);
}
