/** Turns bpftrace's output lines (see program.ts for the record formats) into typed records. */

import { frameOpts, frameOptsAt } from "./audit.ts";
import { ByteLines } from "./byte_lines.ts";
import { decodeLossless } from "./lossless_text.ts";

/** A capability check from the tracepoint, with the audit flags its kernel stack frames (symbol+offset) imply. */
export interface CheckRecord {
  kind: "check";
  ts: number;
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  euid: number;
  cap: number;
  ret: number;
  sys: number;
  userns: number;
  targetNs: number;
  /** Raw user return address into the program (0 when not captured). */
  ra: bigint;
  /** The process's code start at the time of the check (0 when not captured). */
  cs: bigint;
  comm: string;
  /** CAP_OPT_* bits inferred from the frames of the kernel stack (see audit.ts frameOpts). */
  opts: number;
}

/** kprobe entry: the arguments of cap_capable, waiting for the return value. */
export interface EntryRecord extends Omit<CheckRecord, "kind" | "ret" | "opts"> {
  kind: "entry";
  /** CAP_OPT_* bits read from cap_capable's argument. */
  opts: number;
}

/** Parsed tracer output. */
export type TraceRecord =
  | {
    kind: "ready";
    ts: number;
    /** bpftrace's (captrace's) mount namespace and root directory, as exec records give them; absent from old ones. */
    mntNs?: number;
    root?: string;
  }
  | CheckRecord
  | EntryRecord
  | { kind: "return"; ts: number; tid: number; ret: number }
  | {
    kind: "exec";
    ts: number;
    pid: number;
    ppid: number;
    /**
     * The mount namespace and root directory the file was looked up in: the root's dentry and mount addresses
     * (`dentry:mount` in hex, as printed, "0" when not known) and its inode number (0 when not known).
     */
    mntNs: number;
    root: string;
    rootIno: number;
    filename: string;
    /** The inode number of the file executed, to tell it by; 0 when not known. */
    exeIno: number;
  }
  | { kind: "exit"; ts: number; pid: number; status: number; root: boolean }
  | {
    kind: "fork";
    ts: number;
    pid: number;
    ppid: number;
    /** The mark of the program the parent ran (see AggEntry.program); null in records made before marks. */
    mark: number | null;
  }
  | { kind: "lost"; count: number }
  /**
   * The next check of thread `tid` (its return, on the kprobe) is one its syscall does without when refused: a
   * setuid or setgid to an id the process has already, or a capset that does not raise the inheritable set (see
   * program.ts).
   */
  | { kind: "tolerated"; tid: number }
  /**
   * With --unique: process `pid` is not the one that pid last made a check for, but one started at `start` (ns since
   * boot); its checks are no repeats of the earlier process's. Comes before the check it was printed with.
   */
  | { kind: "reused"; ts: number; pid: number; start: number }
  | { kind: "total"; name: string; value: number }
  | {
    kind: "agg";
    pid: number;
    cap: number;
    ret: number;
    sys: number;
    /** False when the checking process was in a user namespace other than the initial one. */
    initialNs: boolean;
    /** Made in another user namespace against the initial one: refused whatever it holds (init 4); false when absent. */
    againstInitial?: boolean;
    /** The check is one its syscall does without when refused (see the `tolerated` record); false when absent. */
    tolerated?: boolean;
    /** A setuid(0) or setgid(0) of a process with no root id (init 9; see _tolerated in program.ts). */
    regain?: boolean;
    /** The mark of the program the process ran (see AggEntry.program); null when not counted. */
    program: number | null;
    /** The narrow capability this broad check stood in for (see AggEntry.fallbackFor); null for none. */
    fallbackFor: number | null;
    stack: string[] | null;
    opts: number | null;
    count: number;
  }
  | {
    kind: "summary_begin";
    /** END's summary (`S begin <ts> END`): bpftrace is ending. */
    atEnd?: true;
  }
  | { kind: "summary_end" }
  | { kind: "malformed"; line: string; reason: string };

/** Longest line accepted; longer ones are reported as malformed, never buffered without bound. */
export const MAX_LINE = 64 * 1024;
/**
 * A loose bound on an exec record's length: its fields, a file name of at most PATH_MAX (4096) bytes (captrace's own
 * runs cut names at 199; a recording may not), newlines included, and its end. A record cut short (bad input) takes the
 * lines after it as its name up to here, no further.
 */
const MAX_EXEC_RECORD = 4096 + 512;
/** Most stack frames read for one record, so a missing terminator cannot grow memory. */
const MAX_FRAMES = 64;

const INT = /^-?\d+$/;
const HEX = /^[0-9a-f]+$/;
/** A root directory as the kernel program prints it: `dentry:mount` addresses in hex, or 0 when not known. */
const ROOT = /^(?:[0-9a-f]+:[0-9a-f]+|0)$/;

function _ints(fields: string[], from: number, to: number): number[] | null {
  const out: number[] = [];
  for (let i = from; i < to; i++) {
    const f = fields[i];
    if (f === undefined || !INT.test(f)) return null;
    out.push(Number(f));
  }
  return out;
}

/** True when `line` starts with white space (as /^\s/ tests, without running a regex for every stack frame). */
function _startsBlank(line: string): boolean {
  const c = line.charCodeAt(0);
  return c === 32 || (c >= 9 && c <= 13) || (c > 127 && /^\s/.test(line));
}

// Lines are read as bytes (see LineParser.pushChunk); the rare ones that are not checks, entries, returns or
// stack frames are decoded and parsed as text, as are comms. A comm or a file name is the process's bytes: one that is
// not UTF-8 is kept (see lossless_text.ts).
const _encoder = new TextEncoder();

function _text(b: Uint8Array, start: number, end: number): string {
  return decodeLossless(b.subarray(start, end));
}

/** bpftrace's report of events its buffers dropped. */
const LOST = /^Lost (\d+) events$/;

/** True when `b[start, end)` is bpftrace's `Lost N events` line. */
function _isLost(b: Uint8Array, start: number, end: number): boolean {
  return LOST.test(_text(b, start, end));
}

/**
 * Reads `count` integer fields (`-?\d+`, as INT accepts) of `b[at, end)` into `out`, each followed by one space,
 * or by the end of the line for the last one when `lastAtEnd`. Returns the offset after the last field's space
 * (or `end`), or -1 when a field is not an integer. Checks arrive by the million and most of their fields are
 * numbers: they are read from the bytes, never made into strings. `b[end]` is never a digit or a space (it is the
 * newline, a carriage return, or past the end of `b`; see ByteLines), so the loops need no bound of their own.
 */
function _scanInts(b: Uint8Array, at: number, end: number, count: number, out: number[], lastAtEnd = false): number {
  for (let i = 0; i < count; i++) {
    let c = b[at]!;
    const neg = c === 45; // "-"
    if (neg) c = b[++at]!;
    const first = at;
    // Nine digits in 32-bit arithmetic, about twice as fast as in floating point; the rest (the time) in floating point.
    let small = 0;
    while (c >= 48 && c <= 57 && at - first < 9) {
      small = (small * 10 + (c - 48)) | 0;
      c = b[++at]!;
    }
    let v: number = small;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = b[++at]!;
    }
    if (at === first || at > end) return -1;
    const last = lastAtEnd && i === count - 1;
    if (last ? at !== end : c !== 32) return -1;
    // Beyond 15 digits the running product can round differently from Number(): let Number() decide.
    if (at - first > 15) v = Number(_text(b, first, at));
    out[i] = neg ? -v : v;
    if (!last) at++;
  }
  return at;
}

/** The hex word `b[from, to)`, or null when it is not one. */
function _hex(b: Uint8Array, from: number, to: number): bigint | null {
  // No site captured: the usual case, and BigInt() is slow.
  if (to === from + 1 && b[from] === 48) return 0n;
  const f = _text(b, from, to);
  return HEX.test(f) ? BigInt("0x" + f) : null;
}

/** The offset of the first space in `b[from, end)`, or -1. */
function _space(b: Uint8Array, from: number, end: number): number {
  for (let i = from; i < end; i++) if (b[i] === 32) return i;
  return -1;
}

/**
 * Comms repeat: each distinct one is decoded once. The cache is keyed by a hash of the bytes and checks them,
 * so a collision only costs a decode.
 */
const _comms = new Map<number, { bytes: Uint8Array; text: string }>();
const _COMMS_MAX = 4096;

function _comm(b: Uint8Array, start: number, end: number): string {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  const hit = _comms.get(h);
  if (hit !== undefined && hit.bytes.length === end - start) {
    let i = 0;
    while (i < hit.bytes.length && hit.bytes[i] === b[start + i]) i++;
    if (i === hit.bytes.length) return hit.text;
  }
  const text = _text(b, start, end);
  if (_comms.size >= _COMMS_MAX) _comms.clear();
  _comms.set(h, { bytes: b.slice(start, end), text });
  return text;
}

/** The common head of check and entry records, as `_head` reads it; one instance, reused for every record. */
const _h = { n: new Array<number>(11).fill(0), ra: 0n, cs: 0n, comm: "", commBytes: 0 };

/** The longest comm the kernel keeps, in bytes (TASK_COMM_LEN less its NUL). */
const COMM_MAX = 15;

/**
 * Reads the common head of check and entry records after the tag into `_h`: 11 integers, two hex words, then the
 * comm (the rest of the line, which may hold spaces). False when malformed.
 */
function _head(b: Uint8Array, start: number, end: number): boolean {
  const at = _scanInts(b, start + 2, end, 11, _h.n);
  if (at < 0) return false;
  const sp1 = _space(b, at, end);
  const sp2 = sp1 < 0 ? -1 : _space(b, sp1 + 1, end);
  if (sp2 < 0) return false;
  const ra = _hex(b, at, sp1);
  const cs = _hex(b, sp1 + 1, sp2);
  if (ra === null || cs === null) return false;
  _h.ra = ra;
  _h.cs = cs;
  _h.comm = _comm(b, sp2 + 1, end);
  _h.commBytes = end - sp2 - 1;
  return true;
}

/** Split off `count` space-separated fields; the rest of the line (which may hold spaces) is the last item. */
function _split(line: string, count: number): string[] | null {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const sp = line.indexOf(" ", at);
    if (sp < 0) return null;
    out.push(line.slice(at, sp));
    at = sp + 1;
  }
  out.push(line.slice(at));
  return out;
}

/**
 * A stateful parser: feed it the tracer's output as byte chunks (pushChunk) or as lines without the newline
 * (push), in order; it returns each record once it is complete.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineParser } from "./parse_line.ts";
 * const p = new LineParser();
 * const [r] = p.push("R 10 42 -1");
 * assert(r?.kind === "return");
 * const [c] = p.pushChunk(new TextEncoder().encode("R 11 42 0\n"));
 * assert(c?.kind === "return" && c.ret === 0);
 * ```
 */
export class LineParser {
  /** A check (its frames follow) or an entry, held until the line after it: its comm may go on there (see #line). */
  #pending: CheckRecord | EntryRecord | null = null;
  #frames = 0;
  /** Bytes the pending record's comm may still take: a comm is at most COMM_MAX bytes, newlines included. */
  #commRoom = 0;
  /** An exec record whose file name has not ended yet (it held a newline): the line so far, and its end mark. */
  #exec: { line: string; mark: string; bytes: number } | null = null;
  #agg: { head: string; stack: string[] } | null = null;
  #inSummary = false;
  #summaryDone = false;
  /** Between the `W` line and the next line that is not a frame. */
  #warmUp = false;
  #lines = new ByteLines(MAX_LINE);
  #out: TraceRecord[] = [];
  #onLine = (b: Uint8Array, start: number, end: number) => this.#line(b, start, end, this.#out);

  /**
   * Parse a chunk of the stream: its complete lines, joined with what earlier chunks left over. Appends the
   * records they complete to `out` and returns it. A caller reading millions of lines passes one array per batch.
   */
  pushChunk(chunk: Uint8Array, out: TraceRecord[] = []): TraceRecord[] {
    this.#out = out;
    this.#lines.push(chunk, this.#onLine);
    this.#out = [];
    return out;
  }

  /**
   * Parse one line (without its newline); appends the records it completes (none while a multi-line record is
   * open) to `out` and returns it. Feed a stream either by chunks or by lines: a line given here does not join a
   * partial line left by pushChunk.
   */
  push(line: string, out: TraceRecord[] = []): TraceRecord[] {
    const b = _encoder.encode(line);
    return this.#line(b, 0, b.length, out);
  }

  /** The line `b[start, end)`. Checks, entries, returns and stack frames are read as bytes; the rest as text. */
  #line(b: Uint8Array, start: number, end: number, out: TraceRecord[]): TraceRecord[] {
    // Measured before its carriage return goes: ByteLines cuts an over-long line to MAX_LINE + 1 bytes, which may
    // end in one.
    const tooLong = end - start > MAX_LINE;
    if (end > start && b[end - 1] === 13) end--; // a carriage return
    const c = end > start ? b[start]! : -1;
    if (this.#exec !== null) return this.#execLine(_text(b, start, end), end - start, out);
    const pending = this.#pending;
    if (pending !== null) {
      // Before its first frame, a line short enough to be the rest of the comm is the rest of the comm: a comm may
      // hold newlines, and a process chooses its comm. Every frame, and every record captrace's program prints, is
      // longer than a comm can be; bpftrace's own `Lost N events` is not, and is taken for what it says (a comm made
      // to look like it can at worst claim a loss, while the loss it hid would go unreported where it happened).
      const room = this.#commRoom - (end - start) - 1;
      if (this.#frames === 0 && room >= 0 && !tooLong && !(c === 76 && _isLost(b, start, end))) {
        pending.comm += "\n" + _text(b, start, end);
        this.#commRoom = room;
        return out;
      }
      if (pending.kind === "entry") {
        this.#pending = null;
        out.push(pending);
        return this.#line(b, start, end, out);
      }
      if (c === -1) {
        this.#pending = null;
        out.push(pending);
        return out;
      }
      if (c === 32 || (c >= 9 && c <= 13)) {
        if (tooLong) out.push(this.#tooLong(b, start));
        else if (this.#frames < MAX_FRAMES) {
          this.#frames++;
          const opts = frameOptsAt(b, start, end);
          pending.opts |= opts >= 0 ? opts : frameOpts(_text(b, start, end));
        }
        return out;
      }
      // A line may also start with Unicode white space.
      if (c > 127 && !tooLong) return this.#textLine(_text(b, start, end), out);
      // Not a frame: the check ended without its blank line. Emit it, then parse this line on its own.
      this.#pending = null;
      out.push(pending);
    }
    if (tooLong) {
      out.push(this.#tooLong(b, start));
      return out;
    }
    if (this.#warmUp && c !== 32 && (c < 9 || c > 13)) this.#warmUp = false;
    if (this.#agg === null && end - start > 2 && b[start + 1] === 32) {
      let r: TraceRecord | null = null;
      if (c === 67) r = this.#check(b, start, end); // "C"
      else if (c === 66) r = this.#entry(b, start, end); // "B", held as a check is
      else if (c === 82) r = this.#return(b, start, end); // "R"
      else return this.#textLine(_text(b, start, end), out);
      if (r) out.push(r);
      return out;
    }
    return this.#textLine(_text(b, start, end), out);
  }

  #tooLong(b: Uint8Array, start: number): TraceRecord {
    return this.#malformed(_text(b, start, start + 200) + "…", `line longer than ${MAX_LINE} bytes`);
  }

  /** A line read as text: any record but a check, entry or return, or a line that may be a frame. */
  #textLine(line: string, out: TraceRecord[]): TraceRecord[] {
    if (this.#pending && line !== "" && !_startsBlank(line)) {
      out.push(this.#pending);
      this.#pending = null;
    }
    const r = this.#one(line);
    if (r) out.push(r);
    return out;
  }

  #one(line: string): TraceRecord | null {
    if (this.#pending?.kind === "check") return this.#stackLine(line);
    if (this.#agg) return this.#aggLine(line);
    if (line === "") return null;
    if (this.#warmUp && _startsBlank(line)) return null;
    // The stack printed after READY only to have bpftrace read the kernel's symbols (see generateProgram).
    if (line === "W") {
      this.#warmUp = true;
      return null;
    }
    // After END, bpftrace prints the maps END cleared; records still unread at END (drained after it) may follow.
    if (this.#summaryDone && line.startsWith("@")) return null;
    switch (line.charCodeAt(1) === 32 ? line[0] : "") {
      case "N": {
        // An exec whose file name ends with a tab and the record's time: a name may hold newlines, and the time
        // cannot be foretold, so lines that come before that end are the name's, never records of their own.
        const sp = line.indexOf(" ", 2);
        const mark = "\t" + (sp < 0 ? "" : line.slice(2, sp));
        const end = _execEnd(line, mark);
        return end ? this.#execRecord(line, end) : this.#execStart(line, mark);
      }
      case "E": {
        const f = _split(line, 7);
        const n = f ? _ints(f, 1, 5) : null;
        const ino = f ? _ints(f, 6, 7) : null;
        if (!f || !n || !ino || !ROOT.test(f[5]!)) return this.#malformed(line, "bad exec record");
        const [ts, pid, ppid, mntNs] = n as [number, number, number, number];
        return { kind: "exec", ts, pid, ppid, mntNs, root: f[5]!, rootIno: ino[0]!, filename: f[7]!, exeIno: 0 };
      }
      case "F": {
        const f = line.split(" ");
        const n = f.length === 4 || f.length === 5 ? _ints(f, 1, f.length) : null;
        if (!n || n[3]! < 0) return this.#malformed(line, "bad fork record");
        return { kind: "fork", ts: n[0]!, pid: n[1]!, ppid: n[2]!, mark: n[3] ?? null };
      }
      case "T": {
        // `T <ts> <tid>`: the time makes it longer than a comm, so never the rest of one (see #line).
        const f = line.split(" ");
        const n = f.length === 3 ? _ints(f, 1, 3) : null;
        if (!n || n[1]! <= 0) return this.#malformed(line, "bad tolerated record");
        return { kind: "tolerated", tid: n[1]! };
      }
      case "P": {
        const f = line.split(" ");
        const n = f.length === 4 ? _ints(f, 1, 4) : null;
        if (!n || n[1]! <= 0) return this.#malformed(line, "bad pid reuse record");
        return { kind: "reused", ts: n[0]!, pid: n[1]!, start: n[2]! };
      }
      case "X": {
        const f = line.split(" ");
        const n = f.length === 5 ? _ints(f, 1, 5) : null;
        if (!n) return this.#malformed(line, "bad exit record");
        return { kind: "exit", ts: n[0]!, pid: n[1]!, status: n[2]!, root: n[3] === 1 };
      }
      case "S":
        if (line === "S begin" || /^S begin \d+( END)?$/.test(line)) {
          // A second summary (END's, when the first came incomplete) is read like the first.
          this.#inSummary = true;
          this.#summaryDone = false;
          return line.endsWith(" END") ? { kind: "summary_begin", atEnd: true } : { kind: "summary_begin" };
        }
        if (line === "S end" || /^S end \d+$/.test(line)) {
          this.#inSummary = false;
          this.#summaryDone = true;
          return { kind: "summary_end" };
        }
        return this.#malformed(line, "bad summary marker");
    }
    if (line.startsWith("READY ")) {
      const f = line.slice(6).split(" ");
      if (!INT.test(f[0]!)) return this.#malformed(line, "bad ready record");
      if (f.length === 1) return { kind: "ready", ts: Number(f[0]) };
      if (f.length !== 3 || !INT.test(f[1]!) || !ROOT.test(f[2]!)) return this.#malformed(line, "bad ready record");
      return { kind: "ready", ts: Number(f[0]), mntNs: Number(f[1]), root: f[2]! };
    }
    const lost = LOST.exec(line);
    if (lost) return { kind: "lost", count: Number(lost[1]) };
    if (/^Attaching \d+ probes?\.\.\.$/.test(line)) return null;
    if (this.#inSummary) {
      const total = /^@(\w+): (\d+)$/.exec(line);
      if (total) return { kind: "total", name: total[1]!, value: Number(total[2]) };
      if (line.startsWith("@agg[")) {
        if (line.endsWith("]: ") || /\]: \d+$/.test(line)) return this.#aggDone(line, []);
        this.#agg = { head: line, stack: [] };
        return null;
      }
    }
    return this.#malformed(line, "unknown record");
  }

  /**
   * The record held for the line after it (a check's, or an entry's, whose comm may go on there), if any, when
   * nothing more is to be read but the stream is not at its end (captrace ended the tracer).
   */
  flushHeld(): TraceRecord[] {
    const held = this.#pending;
    this.#pending = null;
    return held === null ? [] : [held];
  }

  /**
   * Call at end of input: returns the records of a last line without its newline (from pushChunk) and a record
   * cut short, if any.
   */
  end(): TraceRecord[] {
    const out: TraceRecord[] = [];
    this.#out = out;
    this.#lines.end(this.#onLine);
    this.#out = [];
    if (this.#pending) {
      out.push(this.#pending); // a check whose stack was cut off is still a check
      this.#pending = null;
    }
    if (this.#exec) {
      out.push(this.#malformed(this.#exec.line.slice(0, 200), "exec record cut short"));
      this.#exec = null;
    }
    if (this.#agg) {
      const head = this.#agg.head;
      this.#agg = null;
      out.push(this.#malformed(head, "summary entry cut short"));
    }
    return out;
  }

  #execStart(line: string, mark: string): TraceRecord | null {
    this.#exec = { line, mark, bytes: _encoder.encode(line).length };
    return null;
  }

  /** A line of an exec record's file name that held a newline (`bytes` long). */
  #execLine(text: string, bytes: number, out: TraceRecord[]): TraceRecord[] {
    const exec = this.#exec!;
    exec.line += "\n" + text;
    exec.bytes += 1 + bytes;
    const end = _execEnd(text, exec.mark);
    if (end) {
      this.#exec = null;
      const r = this.#execRecord(exec.line, end);
      if (r) out.push(r);
    } else if (exec.bytes > MAX_EXEC_RECORD) {
      this.#exec = null;
      out.push(this.#malformed(exec.line.slice(0, 200) + "…", "exec record without its end"));
    }
    return out;
  }

  /** `N <ts> <pid> <ppid> <mnt_ns> <root> <root_ino> <filename>` and its end (see program.ts). */
  #execRecord(line: string, end: { length: number; exeIno: number }): TraceRecord | null {
    const r = this.#one("E" + line.slice(1, line.length - end.length));
    if (r?.kind === "exec") r.exeIno = end.exeIno;
    return r;
  }

  #malformed(line: string, reason: string): TraceRecord {
    return { kind: "malformed", line, reason };
  }

  #check(b: Uint8Array, start: number, end: number): TraceRecord | null {
    if (!_head(b, start, end)) return this.#malformed(_text(b, start, end), "bad check record");
    const n = _h.n;
    this.#frames = 0;
    this.#commRoom = COMM_MAX - _h.commBytes;
    this.#pending = {
      kind: "check",
      ts: n[0]!,
      pid: n[1]!,
      tid: n[2]!,
      ppid: n[3]!,
      uid: n[4]!,
      euid: n[5]!,
      cap: n[6]!,
      ret: n[7]!,
      sys: n[8]!,
      userns: n[9]!,
      targetNs: n[10]!,
      ra: _h.ra,
      cs: _h.cs,
      comm: _h.comm,
      opts: 0,
    };
    return null;
  }

  #entry(b: Uint8Array, start: number, end: number): TraceRecord | null {
    if (!_head(b, start, end)) return this.#malformed(_text(b, start, end), "bad entry record");
    const n = _h.n;
    this.#frames = 0;
    this.#commRoom = COMM_MAX - _h.commBytes;
    this.#pending = {
      kind: "entry",
      ts: n[0]!,
      pid: n[1]!,
      tid: n[2]!,
      ppid: n[3]!,
      uid: n[4]!,
      euid: n[5]!,
      cap: n[6]!,
      opts: n[7]!,
      sys: n[8]!,
      userns: n[9]!,
      targetNs: n[10]!,
      ra: _h.ra,
      cs: _h.cs,
      comm: _h.comm,
    };
    return null;
  }

  #return(b: Uint8Array, start: number, end: number): TraceRecord {
    const n = _h.n;
    if (_scanInts(b, start + 2, end, 3, n, true) < 0) return this.#malformed(_text(b, start, end), "bad return record");
    return { kind: "return", ts: n[0]!, tid: n[1]!, ret: n[2]! };
  }

  #stackLine(line: string): TraceRecord | null {
    const rec = this.#pending!;
    if (line === "") {
      this.#pending = null;
      return rec;
    }
    if (this.#frames < MAX_FRAMES) {
      this.#frames++;
      rec.opts |= frameOpts(line);
    }
    return null;
  }

  #aggLine(line: string): TraceRecord | null {
    const agg = this.#agg!;
    const done = /^\]: (\d+)$/.exec(line);
    if (done) {
      this.#agg = null;
      return this.#aggDone(agg.head + "]: " + done[1], agg.stack);
    }
    if (agg.stack.length >= MAX_FRAMES) {
      this.#agg = null;
      return this.#malformed(agg.head, "summary entry too long");
    }
    agg.stack.push(line.trim());
    return null;
  }

  #aggDone(line: string, stack: string[]): TraceRecord {
    // @agg[cpu, pid, cap, ret, sys, init, program, fallback, <stack or opts>]: count (the CPU only splits the count;
    // see program.ts). `init` is 1 when the checking process was in the initial user namespace, 3 when the check was
    // also one its syscall does without (see the tolerated record), 9 for a setuid(0) or setgid(0) of a process with
    // no root id (in the initial namespace too), 4 when it was in another and checked against the
    // initial one, 0 otherwise (or allowed to the owner of the namespace checked against). Summaries made before
    // `init` was counted lack it, and their checks count as made there; older ones lack `program` (the mark of the
    // process's program) and `fallback` (the narrow capability a broad check stood in for) too.
    const m = /^@agg\[\d+((?:, -?\d+)+)(, )?\]: (\d+)$/.exec(line);
    const ints = m ? m[1]!.slice(2).split(", ").map(Number) : [];
    const withStack = m?.[2] !== undefined;
    const keyed = ints.length - (withStack ? 0 : 1); // pid, cap, ret, sys, then perhaps init, program, fallback
    if (
      !m || keyed < 4 || keyed > 7 ||
      (keyed >= 5 && ints[4] !== 0 && ints[4] !== 1 && ints[4] !== 3 && ints[4] !== 4 && ints[4] !== 9) ||
      (keyed >= 6 && ints[5]! < 0) || (keyed === 7 && ints[6]! < 0)
    ) {
      return this.#malformed(line, "bad summary entry");
    }
    return {
      kind: "agg",
      pid: ints[0]!,
      cap: ints[1]!,
      ret: ints[2]!,
      sys: ints[3]!,
      initialNs: keyed === 4 || ints[4] === 1 || ints[4] === 3 || ints[4] === 9,
      ...(keyed >= 5 && ints[4] === 4 ? { againstInitial: true } : {}),
      tolerated: keyed >= 5 && ints[4] === 3,
      ...(keyed >= 5 && ints[4] === 9 ? { regain: true } : {}),
      program: keyed >= 6 ? ints[5]! : null,
      fallbackFor: keyed === 7 && ints[6]! > 0 ? ints[6]! : null,
      stack: withStack ? stack : null,
      opts: withStack ? null : ints.at(-1)!,
      count: Number(m[3]),
    };
  }
}

/**
 * Where an exec record's line ends, if it does: with `mark` (a tab and the record's time), or with `mark`, a tab and
 * the executed file's inode number (records since that field): how many characters the end takes, and the inode.
 */
function _execEnd(line: string, mark: string): { length: number; exeIno: number } | null {
  if (line.endsWith(mark)) return { length: mark.length, exeIno: 0 };
  const tab = line.lastIndexOf("\t");
  // A u64 printed in full: up to 20 digits (past 2^53 the number is rounded, as Deno.stat's `ino` is).
  if (tab <= 0 || !/^\d{1,20}$/.test(line.slice(tab + 1)) || !line.slice(0, tab).endsWith(mark)) return null;
  return { length: line.length - tab + mark.length, exeIno: Number(line.slice(tab + 1)) };
}
