/** Turns parsed tracer records into v1 events: pairs kprobe entries with returns, decodes flags, keeps counts. */

import { basename } from "node:path";
import { CAP_OPT_INSETID, CAP_OPT_NOAUDIT, isAudited, optsFromStack } from "./audit.ts";
import { BROAD, capName, FALLBACK_CALLS, FALLBACK_OF } from "./capabilities.ts";
import { errnoName } from "./errno.ts";
import type { CheckEvent, Event, ExecEvent, ExitEvent, ProbeKind } from "./event.ts";
import type { CheckRecord, EntryRecord, TraceRecord } from "./parse_line.ts";
import { BoundedMap } from "./bounded_map.ts";
import { PendingEntries } from "./pending_entries.ts";
import { countsOutside, doneWithout } from "./program.ts";
import type { BroadRole } from "./program_usage.ts";
import { syscallNameOf, syscallOf } from "./syscalls.ts";

/**
 * A new process and its parent (a fork record, with `--summary-only`): not an event of the schema, but kept in the
 * stream's time order, for the program the process's checks are charged to.
 */
export interface ForkNote {
  v: 1;
  type: "fork";
  ts: number;
  pid: number;
  ppid: number;
  /** The mark of the program the parent ran (see AggEntry.program); absent in records made before marks. */
  mark?: number;
}

/**
 * A pid taken by a new process (a `reused` record, with `--unique`): not an event of the schema, but kept in the
 * stream's time order, so that the new process's checks are no repeats of the earlier one's.
 */
export interface ReusedNote {
  v: 1;
  type: "reused";
  ts: number;
  pid: number;
  /** When the new process started, ns since boot. */
  start: number;
}

/** A check event with the raw user-space return address the kernel captured, for later source lookup. */
export interface Output {
  event: Event | ForkNote | ReusedNote;
  /** Raw return address and code start, when captured (checks only). */
  raw?: { ra: bigint; cs: bigint } | undefined;
  /** For an audited check of a broad capability: on its own, or a fallback after a denied narrow one. */
  role?: BroadRole | undefined;
}

/** One entry of the in-kernel aggregate, as read at the end. */
export interface AggEntry {
  pid: number;
  cap: number;
  ret: number;
  sys: number;
  /** False when the checking process was in a user namespace other than the initial one. */
  initialNs: boolean;
  /** True when that other namespace's process was checked against the initial one: no capability passes it. */
  againstInitial?: true;
  /**
   * The program the process ran, as the kernel marked it: the `ts` of the exec record that started it (a new
   * process takes its parent's), or for a program that ran before the trace, its process's pid (see
   * ProgramMap.programMarked); system-wide, 0 for a process that executed nothing while traced; absent in summaries
   * made before marks.
   */
  program?: number;
  /**
   * For a broad capability (FALLBACK_OF's values): the narrow one it stood in for, when the same thread's check
   * right before, in the same syscall, refused that one; absent otherwise, or when not counted.
   */
  fallbackFor?: number;
  /**
   * A setuid(0) or setgid(0) refused to a process whose real and saved ids are not 0: how a program checks that it
   * cannot get root's ids (CERT POS37-C), and it stops if it can. The recommendation leaves it out and names it.
   */
  regain?: true;
  opts: number;
  count: number;
}

/** Options of a correlator. */
export interface CorrelatorOptions {
  probe: ProbeKind;
  /** Kernel architecture, for syscall names. */
  arch?: string;
  /** Wall-clock milliseconds now; called once when the ready record arrives, to date kernel timestamps. */
  now?: () => number;
  /** Most kprobe entries waiting for their return; the oldest is dropped (and counted) beyond it. */
  maxPending?: number;
  /**
   * --unique: the kprobe program prints every entry but the return of a key's first check only, so an entry that
   * never returns is a repeat, not a lost return, and is not counted unmatched.
   */
  unique?: boolean;
}

/** A narrow capability that was denied right before its broad fallback was checked in the same syscall. */
export interface Narrowing {
  cap: number;
  count: number;
  /** The broad capability checked after it (FALLBACK_OF). */
  insteadOf: number;
}

/**
 * Correlates records into events. Feed records in arrival order; read the counters at the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Correlator } from "./correlator.ts";
 * const c = new Correlator({ probe: "kprobe", now: () => 0 });
 * c.push({ kind: "entry", ts: 1, pid: 7, tid: 8, ppid: 1, uid: 0, euid: 0, cap: 13, opts: 0, sys: 41,
 *   userns: 1, targetNs: 1, ra: 0n, cs: 0n, comm: "ping" });
 * const [out] = c.push({ kind: "return", ts: 2, tid: 8, ret: -1 });
 * assert(out?.event.type === "check");
 * ```
 */
export class Correlator {
  readonly probe: ProbeKind;
  #arch: string;
  #now: () => number;
  // Wall-clock ms and kernel ns of the ready record; kept apart because ms * 1e6 exceeds 2^53 and loses precision.
  #baseMs = 0;
  #baseTs = 0;
  #maxPending: number;
  #pending: PendingEntries;
  #unique: boolean;
  // Per tid whose last audited check was a denied narrow capability: that capability and the syscall.
  #deniedNarrow: BoundedMap<number, { cap: number; sys: number }>;
  #narrow = new Map<number, number>();
  #alone = new Map<number, number>();

  /** Entries dropped because too many were waiting, and returns with no entry. */
  unmatched = 0;
  /** Lines the parser could not read. */
  malformed = 0;
  /** Events the tracer reported lost. */
  lost = 0;
  /** Checks turned into events. */
  checks = 0;
  /** Records received that the kernel counts as printed (checks, entries, returns, execs, exits). */
  records = 0;
  /** The in-kernel aggregate, filled at the end. */
  readonly agg: AggEntry[] = [];
  /** Named in-kernel totals, e.g. n (checks) and launcher. */
  readonly totals = new Map<string, number>();
  /** True once the end-of-trace summary has been read completely. */
  summaryComplete = false;
  /** Kernel timestamp of the ready record, or null before it. */
  readyTs: number | null = null;

  constructor(options: CorrelatorOptions) {
    this.probe = options.probe;
    this.#arch = options.arch ?? "x86_64";
    this.#now = options.now ?? Date.now;
    this.#maxPending = options.maxPending ?? 65536;
    this.#unique = options.unique ?? false;
    this.#pending = new PendingEntries(this.#maxPending);
    this.#deniedNarrow = new BoundedMap(this.#maxPending);
    this.#tolerated = new BoundedMap(this.#maxPending);
    this.#toleratedEntries = new BoundedMap(this.#maxPending);
  }

  /** Number of kprobe entries waiting for their return. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Narrow capabilities that a broad one stood in for, by capability. */
  get narrowings(): Narrowing[] {
    return [...this.#narrow].map(([cap, count]) => ({ cap, count, insteadOf: FALLBACK_OF.get(cap)! }));
  }

  /** Per broad capability (BROAD), its audited checks that were not a fallback after a narrow capability. */
  get alone(): ReadonlyMap<number, number> {
    return this.#alone;
  }

  /**
   * Consume one record; appends the events it completes to `out` and returns it. A caller feeding millions of
   * records passes one array per batch, rather than get a new one per record.
   */
  push(rec: TraceRecord, out: Output[] = []): Output[] {
    switch (rec.kind) {
      case "ready":
        this.readyTs = rec.ts;
        this.#baseMs = this.#now();
        this.#baseTs = rec.ts;
        break;
      case "check":
        this.records++;
        out.push(this.#build(rec, rec.ts, rec.ret, "inferred", this.#takeTolerated(rec.tid)));
        break;
      case "tolerated":
        this.records++;
        this.#tolerated.set(rec.tid, true);
        break;
      case "entry":
        this.records++;
        // The mark is the entry's: kept with its time until its return.
        if (this.#takeTolerated(rec.tid)) {
          this.#toleratedEntries.set(rec.tid, rec.ts);
        } else if (this.#toleratedEntries.size > 0) this.#toleratedEntries.delete(rec.tid);
        // A new entry on a tid whose previous entry never returned: that one is lost for good (or with --unique, was
        // a repeat), as is the oldest beyond maxPending.
        if (this.#unique) this.#pending.set(rec);
        else this.unmatched += this.#pending.set(rec);
        break;
      case "return": {
        this.records++;
        const e = this.#pending.take(rec.tid);
        if (!e) {
          this.unmatched++;
          break;
        }
        const tolerated = this.#toleratedEntries.size > 0 && this.#toleratedEntries.get(e.tid) === e.ts;
        if (tolerated) this.#toleratedEntries.delete(e.tid);
        out.push(this.#build(e, rec.ts, rec.ret, "read", tolerated));
        break;
      }
      case "exec":
        this.records++;
        out.push({ event: this.#exec(rec) });
        break;
      case "exit":
        this.records++;
        out.push({ event: this.#exit(rec) });
        break;
      case "fork":
        this.records++;
        out.push({
          event: {
            v: 1,
            type: "fork",
            ts: rec.ts,
            pid: rec.pid,
            ppid: rec.ppid,
            ...(rec.mark === null ? {} : { mark: rec.mark }),
          },
        });
        break;
      case "reused":
        this.records++;
        out.push({ event: { v: 1, type: "reused", ts: rec.ts, pid: rec.pid, start: rec.start } });
        break;
      case "lost":
        this.lost += rec.count;
        out.push({ event: { v: 1, type: "lost", count: rec.count } });
        break;
      case "total":
        this.totals.set(rec.name, rec.value);
        break;
      case "agg": {
        const { pid, cap, ret, sys, initialNs, againstInitial, program, fallbackFor, count } = rec;
        const call = syscallNameOf(syscallOf(sys, this.#arch));
        const tolerated = rec.tolerated === true && doneWithout(call, cap, ret) ? CAP_OPT_NOAUDIT : 0;
        // Refused only: allowed, the kprobe's entry marked it all the same.
        const regain = rec.regain === true && ret !== 0 && doneWithout(call, cap, ret) && call !== "capset";
        const opts = (rec.opts ?? optsFromStack(rec.stack ?? [])) | tolerated;
        this.agg.push({
          pid,
          cap,
          ret,
          sys,
          initialNs,
          ...(againstInitial ? { againstInitial: true as const } : {}),
          ...(program === null ? {} : { program }),
          ...(fallbackFor === null ? {} : { fallbackFor }),
          ...(regain ? { regain: true as const } : {}),
          opts,
          count,
        });
        break;
      }
      case "summary_begin":
        // A later summary replaces an earlier one: it counts the same checks (and any since).
        this.agg.length = 0;
        this.totals.clear();
        this.summaryComplete = false;
        break;
      case "summary_end":
        this.summaryComplete = true;
        break;
      case "malformed":
        this.malformed++;
        break;
    }
    return out;
  }

  /**
   * Records the kernel counted as printed (`@p` in the summary) that have neither arrived nor been reported
   * lost by the tracer: 0 once the stream is complete. Records may still arrive after the summary.
   */
  get outstanding(): number {
    const printed = this.totals.get("p");
    return printed === undefined ? 0 : Math.max(0, printed - this.records - this.lost);
  }

  /**
   * Call once at the end of the stream: reports the records the kernel printed that never arrived as lost
   * (bpftrace drops what it reads after an exit(), and a trace ended early may leave some unread).
   */
  finish(out: Output[] = []): Output[] {
    if (!this.summaryComplete || this.#finished) return out;
    this.#finished = true;
    // The tracer's own "Lost N events" were counted as printed too, and are already in `lost`.
    const undelivered = (this.totals.get("p") ?? this.records) - this.records - this.lost;
    if (undelivered <= 0) return out;
    this.lost += undelivered;
    out.push({ event: { v: 1, type: "lost", count: undelivered } });
    return out;
  }
  #finished = false;
  /** Threads whose next check or entry is one its syscall does without when refused (the tolerated record). */
  #tolerated: BoundedMap<number, true>;
  /** Entries so marked, by thread, with their time, until their return. */
  #toleratedEntries: BoundedMap<number, number>;

  /** Whether thread `tid`'s check or entry that just came was marked; a mark is for that record only. */
  #takeTolerated(tid: number): boolean {
    return this.#tolerated.size > 0 && this.#tolerated.delete(tid);
  }

  #build(
    r: CheckRecord | EntryRecord,
    ts: number,
    ret: number,
    source: "read" | "inferred",
    marked: boolean,
  ): Output {
    this.checks++;
    const abi = syscallOf(r.sys, this.#arch);
    const syscall = syscallNameOf(abi);
    // A check its syscall does without is a probe, as a no-audit check is (see the tolerated record).
    const tolerated = marked && doneWithout(syscall, r.cap, ret);
    const implied = tolerated ? CAP_OPT_NOAUDIT : 0;
    const opts = r.opts | implied;
    if ((implied & ~r.opts) !== 0) source = "inferred";
    const audit = isAudited(opts);
    const role = this.#trackNarrowing(r.tid, r.cap, ret, r.sys, audit && countsOutside(r.userns, r.targetNs, ret));
    const event: CheckEvent = {
      v: 1,
      type: "check",
      ts,
      time: this.#time(ts),
      pid: r.pid,
      tid: r.tid,
      ppid: r.ppid,
      uid: r.uid,
      euid: r.euid,
      comm: r.comm,
      cap: r.cap,
      cap_name: capName(r.cap),
      ret,
      verdict: ret === 0 ? "allowed" : "denied",
      errno: ret < 0 ? errnoName(-ret) : null,
      syscall: abi === null ? (r.sys < 0 ? null : r.sys) : abi.nr,
      syscall_name: syscall,
      syscall_abi: abi?.abi ?? null,
      opts,
      audit,
      insetid: (opts & CAP_OPT_INSETID) !== 0,
      opts_source: source,
      userns: r.userns || null,
      target_userns: r.targetNs || null,
      site: null,
      site_reason: null,
      script: null,
    };
    // Every check's output has the same fields, set or not: millions of them pass through the same code.
    return { event, raw: r.ra !== 0n || r.cs !== 0n ? { ra: r.ra, cs: r.cs } : undefined, role };
  }

  /**
   * perfmon_capable() and friends check the narrow capability first, CAP_SYS_ADMIN only when it was refused, as
   * generic_permission() does CAP_DAC_READ_SEARCH before CAP_DAC_OVERRIDE for a read: an audited broad check right
   * after an audited denied narrow one that falls back to it, in the same thread and syscall, stood in for it. Only
   * such denials are remembered: the map is usually empty, and then a check does not look it up. `counts` is false
   * for a check that neither needs a capability nor refuses one (no-audit, or allowed in another user namespace).
   */
  #trackNarrowing(tid: number, cap: number, ret: number, sys: number, counts: boolean): BroadRole | undefined {
    if (!counts) return undefined;
    const denied = this.#deniedNarrow;
    let role: BroadRole | undefined;
    if (BROAD.has(cap)) {
      const prev = denied.size > 0 ? denied.get(tid) : undefined;
      if (prev !== undefined && prev.sys === sys && FALLBACK_OF.get(prev.cap) === cap && this.#pairsIn(prev.cap, sys)) {
        this.#narrow.set(prev.cap, (this.#narrow.get(prev.cap) ?? 0) + 1);
        role = "fallback";
      } else {
        this.#alone.set(cap, (this.#alone.get(cap) ?? 0) + 1);
        role = "alone";
      }
    }
    if (ret !== 0 && FALLBACK_OF.has(cap)) {
      denied.set(tid, { cap, sys });
    } else if (denied.size > 0) {
      denied.delete(tid);
    }
    return role;
  }

  /** True unless the pair of narrow capability `cap` is limited to calls (FALLBACK_CALLS) that `sys` is not one of. */
  #pairsIn(cap: number, sys: number): boolean {
    const calls = FALLBACK_CALLS.get(cap);
    if (calls === undefined) return true;
    const name = this.#arch === "x86_64" ? syscallNameOf(syscallOf(sys, this.#arch)) : null;
    return name !== null && calls.includes(name);
  }

  #exec(rec: { ts: number; pid: number; ppid: number; filename: string }): ExecEvent {
    const base = basename(rec.filename);
    return {
      v: 1,
      type: "exec",
      ts: rec.ts,
      pid: rec.pid,
      ppid: rec.ppid,
      comm: _comm(base),
      filename: rec.filename,
    };
  }

  #exit(rec: { ts: number; pid: number; status: number; root: boolean }): ExitEvent {
    const signal = rec.status & 0x7f;
    return {
      v: 1,
      type: "exit",
      ts: rec.ts,
      pid: rec.pid,
      code: signal === 0 ? (rec.status >> 8) & 0xff : null,
      signal: signal === 0 ? null : signal,
      // The kernel's 0x80 bit of a wait status: the signal's core was written.
      core_dumped: signal !== 0 && (rec.status & 0x80) !== 0,
      root: rec.root,
    };
  }

  #time(ts: number): string {
    const ms = this.#baseMs + Math.floor((ts - this.#baseTs) / 1e6);
    // Checks come in bursts within one millisecond: format each millisecond once.
    if (ms !== this.#lastMs) {
      this.#lastMs = ms;
      this.#lastTime = new Date(ms).toISOString();
    }
    return this.#lastTime;
  }
  #lastMs = NaN;
  #lastTime = "";
}

const _encoder = new TextEncoder();
const _decoder = new TextDecoder();

/**
 * The comm the kernel gives a program of file name `base`: its first 15 bytes, a character they cut in two shown as
 * U+FFFD, as the parser decodes a check's comm.
 */
function _comm(base: string): string {
  const bytes = _encoder.encode(base);
  return bytes.length <= 15 ? base : _decoder.decode(bytes.subarray(0, 15));
}
