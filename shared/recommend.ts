/** The minimal capability set a traced program needs, printed ready to paste for each way of granting it. */

import { basename } from "node:path";
import { isAudited } from "./audit.ts";
import {
  BROAD,
  CAP_DAC_OVERRIDE,
  CAP_DAC_READ_SEARCH,
  CAP_FSETID,
  CAP_SETUID,
  capConstant,
  FALLBACK_OF,
  FSETID_CHMOD_CALLS,
  parseCap,
  READ_SEARCH_OWN_CALLS,
} from "./capabilities.ts";
import { syscallName } from "./syscalls.ts";
import { andList, printable } from "./format_text.ts";
import type { Recommendation } from "./event.ts";
import type { AggEntry, Narrowing } from "./correlator.ts";
import { type ProgramFile, programKey } from "./program_map.ts";
import { type ProgramShare, type ProgramUsage, shareOf } from "./program_usage.ts";
import { interpreterName } from "./interpreter.ts";
import { escapedByte } from "./lossless_text.ts";

/** What the recommendation is computed from. */
export interface RecommendInput {
  /** Exact in-kernel counts. */
  agg: readonly AggEntry[];
  /** Narrow capabilities that a broad one stood in for. */
  narrowings: readonly Narrowing[];
  /** Per broad capability, its audited checks seen that were no fallback for a narrow capability. */
  alone: ReadonlyMap<number, number>;
  /** Path of the program, for the setcap line; a placeholder when unknown. */
  binary?: string;
  /** The traced program as a file (a script, for `--pid` of `python3 app.py`); `binary` when not given. */
  root?: ProgramFile;
  /**
   * The program each process ran (see ProgramMap), for one setcap line per program; without it, every check is the
   * binary's; `usage` says which checks came before an exec.
   */
  programOf?: (pid: number) => ProgramFile;
  /**
   * The program each process runs at the end, for what the stream saw it check since its last exec; `programOf` when
   * not given (which may charge a pid's counts elsewhere, since they mix checks from before and after an exec).
   */
  programNow?: (pid: number) => ProgramFile;
  /**
   * The program the kernel marked a count with (AggEntry.program; see ProgramMap.programMarked): when known, its
   * checks are that program's, whatever its process ran before or after.
   */
  programMarked?: (mark: number) => ProgramFile | undefined;
  /** The checks and execs of the stream, in time order (see ProgramUsage). */
  usage?: ProgramUsage;
  /**
   * Narrow by the kernel's counts (AggEntry.fallbackFor), not by `narrowings` and `alone`: for a trace whose stream
   * did not show every check in order (`--summary-only`, `--unique`, lost events).
   */
  narrowFromCounts?: boolean;
  /**
   * The counts lack checks: the kernel's map was full. A narrow capability is then never taken as covered by its
   * broad one, since its checks outside a fallback may be among those missing.
   */
  countsIncomplete?: boolean;
  /**
   * The traced program's file was found to carry no file capabilities: when it needs none, there is nothing to
   * remove, and `setcap -r` would fail (and stop a pasted script under `set -e`).
   */
  rootCapless?: boolean;
  /**
   * The program the root process ran last (past a launcher it exec'd, as `env VAR=1 prog`): the file the line of a
   * command that needs nothing names, rather than the launcher's. `root` when not given.
   */
  rootLast?: ProgramFile;
  /** The kernel's architecture, for the syscalls of the counts (x86_64 when not given). */
  arch?: string;
  /**
   * A process's exit status as seen in the trace: null when a signal killed it, undefined when its end was not seen.
   * For the note's capabilities refused only to processes that exited 0 all the same.
   */
  exitOf?: (pid: number) => number | null | undefined;
  /**
   * True for a program's file (a path of captrace's file system) that no longer exists: deleted before the trace
   * ended, as `go run` deletes the program it built. Its setcap line is a comment. Without it, every file is there.
   */
  gone?: (path: string) => boolean;
  /**
   * True for a program's file that is set-user-ID root and ran so (run by another user, not on a nosuid mount): its
   * checks were root's, so its setcap line is a comment that says how to see what it needs without the bit.
   */
  setuidRoot?: (path: string) => boolean;
  /**
   * The bounding set of the traced processes (a container's, or one cut down at boot), when known: a capability
   * outside it no file capability grants there, and a file whose setcap line holds one fails to execute (EPERM). But
   * for a program whose processes were allowed it (in the initial user namespace): they had it, so the set they were
   * executed with held it (a daemon may cut its own after it starts).
   */
  bounding?: readonly number[];
}

const _encoder = new TextEncoder();

/** Multi-call binaries: one file that is every command it is called as (a link's name), sh included. */
const MULTI_CALL = /^(?:busybox|toybox)$/;

/** A setcap line for a file of mount namespace `ns` (a container's), as a comment: to run there, not here. */
function _runThere(ns: number, line: string): string {
  return `# in mount namespace mnt:[${ns}] (a container's files, not this system's), run there: ${line}`;
}

/** The setcap lines' path when the program is not known (a system-wide trace). */
export const UNKNOWN_PROGRAM = "/path/to/program";

const NOTE = "Covers only the code paths this run exercised; no-audit probing checks are left out.";

/**
 * The capabilities the program used or was refused in audited checks, narrowed where the kernel tried a narrow
 * capability (CAP_PERFMON before CAP_SYS_ADMIN, and the others of FALLBACK_OF) before falling back. A check allowed to
 * a process in a user namespace other than the initial one (one it made, as `unshare -U` does, or a rootless
 * container's) is left out: it held the capability there and needs none from outside; so is one allowed to the owner
 * of the namespace checked against. One refused there is kept (a capability held in its namespace would pass it),
 * but not one checked against the initial namespace, which no capability granted passes (the note says so).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recommend } from "./recommend.ts";
 * const r = recommend({ agg: [{ pid: 1, cap: 0, ret: -1, sys: 260, initialNs: true, opts: 0, count: 1 }], narrowings: [],
 *   alone: new Map(), binary: "/usr/bin/chown" });
 * assert(r.setcap === "setcap cap_chown+ep /usr/bin/chown");
 * ```
 */
export function recommend(input: RecommendInput): Recommendation {
  const root: ProgramFile = input.root ??
    (input.binary === undefined
      ? { path: UNKNOWN_PROGRAM, script: false, unplaced: true }
      : { path: input.binary, script: false });
  const programOf = input.programOf ?? (() => root);
  const caps = new Set<number>();
  // Per program path, what its checks asked for: what the stream charged before execs, then the kernel's counts, each
  // to the program it is marked with, or by pid.
  const byProgram = new Map<string, ProgramShare>();
  const fromCounts = input.narrowFromCounts === true;
  // A file's path is known once looked up, after it was charged: shares merge under the path they have now. How a
  // broad capability stood comes from the counts instead when the stream lacks checks (one lost may be its partner).
  const call = (a: AggEntry) => syscallName(a.sys, input.arch);
  // CAP_FSETID in a chmod is asked of every caller outside the file's group: refused, the call succeeds all the same,
  // and only a set-group-ID bit asked for is cleared. Not a need, unless the program sets that bit (the note says so).
  let chmodFsetid = 0;
  // setuid(0) or setgid(0) refused to a process with no root id: its check that it cannot get root's ids, which it
  // stops on if it can (see AggEntry.regain). Left out, and named in the note.
  const regained = new Map<number, number>();
  const counts = input.agg.filter((a) => {
    if (!isAudited(a.opts) || a.count <= 0) return false;
    if (a.regain) {
      regained.set(a.cap, (regained.get(a.cap) ?? 0) + a.count);
      return false;
    }
    if (a.cap !== CAP_FSETID || !FSETID_CHMOD_CALLS.includes(call(a) ?? "")) return true;
    if (!_outside(a)) chmodFsetid += a.count;
    return false;
  });
  // Each count's program: marked by the kernel with one it knows, that one's. Else the one its pid ran at the end,
  // unless the stream charged its checks before an exec already (null).
  const charged = counts.map((a) => {
    if (_outside(a)) return undefined;
    const marked = a.program === undefined ? undefined : input.programMarked?.(a.program);
    if (marked !== undefined) return marked;
    const last = programOf(a.pid);
    return input.usage ? input.usage.chargeTo(a.pid, a.cap, last) : last;
  });
  // What the stream charged counts only for the capabilities of counts it charged (null), or when the counts lack
  // checks. The kernel's marks are exact; the stream's charges follow the order records are read in, and a busy trace
  // reads each CPU's buffer in turn: an exec read after the checks it came before (another CPU's) had those checks
  // charged to the program its process ran until then, the shell that forked it.
  const fromStream = new Set(counts.filter((_, i) => charged[i] === null).map((a) => a.cap));
  // How the stream's broad capabilities stood, unless the counts tell it.
  const roles = fromCounts ? [] as const : ["alone", "fallback"] as const;
  for (const from of input.usage?.shares() ?? []) {
    const share = shareOf(byProgram, from.file);
    for (const c of from.caps) if (input.countsIncomplete || fromStream.has(c)) share.caps.add(c);
    for (const key of roles) for (const c of from[key]) share[key].add(c);
  }
  let elsewhere = 0;
  // Refused to a process in another user namespace against the initial one: no capability granted passes them.
  const beyond = new Map<number, number>();
  const counted = { narrow: new Map<number, number>(), alone: new Map<number, number>() };
  /** Each capability's counted checks. */
  const checks = new Map<number, number>();
  for (const [i, a] of counts.entries()) {
    const to = charged[i];
    if (to === undefined) {
      if (a.ret === 0) elsewhere += a.count;
      else beyond.set(a.cap, (beyond.get(a.cap) ?? 0) + a.count);
      continue;
    }
    caps.add(a.cap);
    checks.set(a.cap, (checks.get(a.cap) ?? 0) + a.count);
    const share = to === null ? undefined : shareOf(byProgram, to);
    share?.caps.add(a.cap);
    if (BROAD.has(a.cap)) {
      const narrow = a.fallbackFor;
      const fallback = narrow !== undefined && FALLBACK_OF.get(narrow) === a.cap;
      if (fallback) counted.narrow.set(narrow, (counted.narrow.get(narrow) ?? 0) + a.count);
      else counted.alone.set(a.cap, (counted.alone.get(a.cap) ?? 0) + a.count);
      if (fromCounts) share?.[fallback ? "fallback" : "alone"].add(a.cap);
    }
  }
  // The counts lack checks (the kernel's map was full), which the stream may have shown: each capability it charged
  // is needed too, by the program it was charged to, or for checks since a process's last exec, the one it runs.
  if (input.countsIncomplete && input.usage) {
    for (const share of input.usage.shares()) for (const c of share.caps) caps.add(c);
    for (const { pid, caps: since } of input.usage.uncharged()) {
      const share = shareOf(byProgram, (input.programNow ?? programOf)(pid));
      for (const c of since) {
        caps.add(c);
        share.caps.add(c);
      }
    }
  }
  const narrowings: readonly Narrowing[] = fromCounts
    ? [...counted.narrow].sort(([a], [b]) => a - b).map(([cap, count]) => ({
      cap,
      count,
      insteadOf: FALLBACK_OF.get(cap)!,
    }))
    // The stream's, as far as the counts have them: the kernel leaves out checks the stream cannot tell apart (one
    // allowed against a namespace the process owns; one refused against the initial namespace from another).
    : input.countsIncomplete
    ? input.narrowings
    : input.narrowings.filter((n) => checks.has(n.cap));
  const alone = fromCounts
    ? counted.alone
    : input.countsIncomplete
    ? input.alone
    : new Map([...input.alone].filter(([cap]) => counted.alone.has(cap)));
  // Only ever checked before falling back: not said when the counts lack checks (one of its own may be missing).
  const fallbackOnly = (n: Narrowing) => !input.countsIncomplete && (checks.get(n.cap) ?? 0) <= n.count;
  // Such a narrow capability is covered by its broad one where that is needed on its own: the kernel grants the
  // fallback (with CAP_DAC_OVERRIDE for its writes, a program's reads need no CAP_DAC_READ_SEARCH).
  const covered = new Set<number>();
  for (const n of narrowings) if (fallbackOnly(n) && (alone.get(n.insteadOf) ?? 0) > 0) covered.add(n.cap);
  // So is CAP_DAC_READ_SEARCH allowed (a second run, with it granted) where CAP_DAC_OVERRIDE is needed on its own:
  // every read and search it allowed, that allows too. Not where it was asked for on its own (open_by_handle_at), or
  // in a call not known.
  const readSearchOwn = counts.some((a) => {
    if (a.cap !== CAP_DAC_READ_SEARCH) return false;
    const name = call(a);
    return name === null || READ_SEARCH_OWN_CALLS.includes(name);
  });
  const readsCovered = caps.has(CAP_DAC_READ_SEARCH) && !covered.has(CAP_DAC_READ_SEARCH) && !readSearchOwn &&
    !input.countsIncomplete && (alone.get(CAP_DAC_OVERRIDE) ?? 0) > 0;
  if (readsCovered) covered.add(CAP_DAC_READ_SEARCH);
  const narrowed: Recommendation["narrowed"] = [];
  for (const n of narrowings) {
    caps.add(n.cap);
    if (covered.has(n.cap)) continue;
    const broad = capConstant(n.insteadOf);
    narrowed.push({
      cap: capConstant(n.cap),
      instead_of: broad,
      reason: `the kernel checked ${capConstant(n.cap)} first and fell back to ${broad} (${n.count}×)`,
      fallback_only: fallbackOnly(n),
    });
  }
  // A broad capability that only ever stood in for narrow ones is not needed: the narrow ones are.
  // Not when the counts say so and lack checks: the broad one's checks on its own may be among those missing.
  const broadKnown = !(fromCounts && input.countsIncomplete);
  for (const n of narrowings) if (broadKnown && (alone.get(n.insteadOf) ?? 0) === 0) caps.delete(n.insteadOf);
  // Each program's share still has its narrow capabilities: one whose broad capability is not needed keeps them.
  const all = [...caps].sort((a, b) => a - b);
  const sorted = all.filter((c) => !covered.has(c));
  const list = sorted.map(capConstant);
  let note = elsewhere === 0 ? NOTE : `${NOTE} So ${elsewhere === 1 ? "is 1 check" : `are ${elsewhere} checks`} ` +
    "allowed to processes in a user namespace other than the initial one, or to the owner of the one checked " +
    "against: they need no capability outside it.";
  if (beyond.size > 0) {
    const n = [...beyond.values()].reduce((x, y) => x + y, 0);
    const names = [...beyond.keys()].sort((x, y) => x - y).map(capConstant).join(", ");
    note += ` ${n === 1 ? "1 check" : `${n} checks`} (${names}) ${n === 1 ? "was" : "were"} refused to processes ` +
      "in a user namespace other than the initial one, against the initial one: no capability granted passes " +
      "that, so none is recommended for them; such a program has to run outside its user namespace.";
  }
  if (readsCovered) {
    note +=
      " CAP_DAC_READ_SEARCH, allowed for reads, is left out: CAP_DAC_OVERRIDE, needed on its own, allows them too.";
  }
  // Not said of one needed all the same (by other checks, or the stream's when the counts lack checks).
  if (chmodFsetid > 0 && !sorted.includes(CAP_FSETID)) {
    note += ` CAP_FSETID, asked of every chmod by a user outside the file's group (${chmodFsetid}×), is left out: ` +
      "without it, the chmod succeeds and only clears a set-group-ID bit asked for; grant it if the program sets " +
      "that bit on such files.";
  }
  note += _regainNote(new Map([...regained].filter(([cap]) => !sorted.includes(cap))));
  const unknown = list.filter((c) => _UNKNOWN.test(c));
  if (unknown.length > 0) {
    note += ` ${unknown.join(" ")} ${unknown.length === 1 ? "is a capability" : "are capabilities"} this version ` +
      "of captrace has no name for: setcap and systemd take it by number; docker, compose and Kubernetes only by " +
      "name, and leave it out here.";
  }
  const programs = _programs(all, covered, byProgram, root, input.gone);
  note += _shruggedNote(sorted, counts.filter((a) => !_outside(a)), input.exitOf, programs);
  // Each program's capabilities allowed to its processes in the initial namespace, by path (this system's files only):
  // held, so to be had, though the bounding set read may lack them (a daemon that cut its own after it started).
  const heldBy = new Map<string, Set<number>>();
  for (const [i, a] of counts.entries()) {
    const to = charged[i];
    if (a.ret !== 0 || !to || to.mountNs !== undefined) continue;
    heldBy.set(to.path, (heldBy.get(to.path) ?? new Set<number>()).add(a.cap));
  }
  const bounding = input.bounding;
  const outsideBounding = new Set(bounding === undefined ? [] : sorted.filter((c) => !bounding.includes(c)));
  const lines = _setcapLines(programs, input.rootLast ?? root, input.rootCapless === true, {
    ...input,
    outsideBounding,
    heldBy,
  });
  note += _systemTools(lines.granted);
  note += _boundingNote(lines.leftOut, lines.kept);
  return {
    capabilities: list,
    narrowed,
    ...formats(list, root.path),
    setcap: lines.text,
    programs,
    note,
  };
}

/**
 * Each program's share of the capabilities (`all`, numbers, the narrow ones `covered` included), the root program
 * first: what its processes asked for, less the broad capabilities that only stood in for narrow ones in that program,
 * and less the covered narrow ones where the program needs their broad one on its own. A capability no program's
 * check asked for (a narrowing alone) is the root program's.
 */
function _programs(
  all: readonly number[],
  covered: ReadonlySet<number>,
  byProgram: ReadonlyMap<string, ProgramShare>,
  root: ProgramFile,
  gone?: (path: string) => boolean,
): Recommendation["programs"] {
  const sorted = all.filter((c) => !covered.has(c));
  const claimed = new Set<number>();
  const out: Recommendation["programs"] = [];
  const rootKey = programKey(root);
  const isRoot = (f: ProgramFile) => programKey(f) === rootKey;
  // The root program first, then this system's files by path, then each other namespace's; no program known (the
  // root system-wide) last.
  const unknown = root.path === UNKNOWN_PROGRAM && root.unplaced === true;
  const order = (f: ProgramFile): [number, number, string] => [
    isRoot(f) ? (unknown ? 2 : 0) : 1,
    f.mountNs ?? 0,
    f.path,
  ];
  const entries = [...byProgram.values()].sort((a, b) => {
    const [x, y] = [order(a.file), order(b.file)];
    return x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0);
  });
  let mine: Recommendation["programs"][number] | undefined;
  for (const { file, caps, alone, fallback } of entries) {
    const needs = (c: number) => alone.has(c) || !fallback.has(c);
    const own = all.filter((c) =>
      caps.has(c) && needs(c) && !(covered.has(c) && caps.has(FALLBACK_OF.get(c)!) && needs(FALLBACK_OF.get(c)!))
    );
    own.forEach((c) => claimed.add(c));
    if (own.length) out.push(_program(file, own.map(capConstant), gone));
    if (own.length && isRoot(file)) mine = out.at(-1);
  }
  const rest = sorted.filter((c) => !claimed.has(c)).map(capConstant);
  if (rest.length) {
    if (mine) {
      mine.capabilities = all.map(capConstant).filter((c) => mine.capabilities.includes(c) || rest.includes(c));
    } else if (unknown) out.push(_program(root, rest, gone));
    else out.unshift(_program(root, rest, gone));
  }
  return out;
}

function _program(
  file: ProgramFile,
  capabilities: string[],
  gone?: (path: string) => boolean,
): Recommendation["programs"][number] {
  // A path as the process gave it, which captrace could not place (relative, one of the process's own files, or in a
  // root captrace could not look into).
  const placed = !file.unplaced && file.path.startsWith("/") && !/^\/(?:proc|dev)\//.test(file.path);
  // Only a file of captrace's own file system can be looked for here.
  const deleted = placed && file.mountNs === undefined && file.path !== UNKNOWN_PROGRAM && gone?.(file.path) === true;
  return {
    path: file.path,
    placed,
    mount_ns: file.mountNs ?? null,
    script: file.script,
    interpreter: interpreterName(file.path) !== null,
    capabilities,
    ...(deleted ? { deleted: true as const } : {}),
  };
}

/**
 * One setcap line per program; a script, an interpreter, a multi-call binary or a file captrace could not find gets a
 * comment instead: setcap has no effect on a script, on an interpreter (python3, sh, node…) it would grant the
 * capabilities to every script it runs, and on busybox to every command it provides.
 */
function _setcapLines(
  programs: Recommendation["programs"],
  root: ProgramFile,
  capless: boolean,
  { gone, setuidRoot, outsideBounding, heldBy }: Pick<RecommendInput, "gone" | "setuidRoot"> & {
    outsideBounding: ReadonlySet<number>;
    heldBy: ReadonlyMap<string, ReadonlySet<number>>;
  },
): { text: string; granted: string[]; leftOut: number[]; kept: { caps: number[]; programs: string[] } } {
  // For the notes: the files given a setcap line that grants something (system tools); the capabilities outside the
  // bounding set left out of this system's lines, or named by a comment or a line to run elsewhere; those kept in a
  // line all the same, for having been allowed to its program's processes, and those programs.
  const granted: string[] = [];
  const leftOut = new Set<number>();
  const kept = { caps: new Set<number>(), programs: new Set<string>() };
  const outside = (caps: readonly string[]) => caps.map(_capNumber).filter((c) => outsideBounding.has(c));
  const done = (text: string) => ({
    text,
    granted,
    leftOut: [...leftOut].sort((a, b) => a - b),
    kept: { caps: [...kept.caps].sort((a, b) => a - b), programs: [...kept.programs] },
  });
  // Its checks were root's: a setcap line would give it what root's run asked for, and do nothing while the bit stays.
  const asRoot = (file: string, needs: string) =>
    `# ${file} is set-user-ID root: it ran as root, so what it needs without the bit${needs} is not seen; trace a ` +
    "copy without the bit (cp, then chmod u-s) for its setcap line";
  const setuid = (p: Recommendation["programs"][number]) =>
    (p.mount_ns ?? null) === null && setuidRoot?.(p.path) === true;
  // The line of a program that needed nothing.
  const noneLine = (): string => {
    const p = _program(root, [], gone);
    const multiCall = _multiCall(p.path);
    const where = _inNamespace(p.mount_ns);
    // No program known (system-wide): no file to remove capabilities from.
    if (p.path === UNKNOWN_PROGRAM && !p.placed) return "# no capability was needed: no program to set";
    // Removing the file capabilities of a file that is not this program's alone would take them from the others.
    if (!p.placed) {
      return `# ${_shellWord(p.path)} (as it was run; captrace could not find the file) needs no capability`;
    }
    if (p.deleted) return `# ${_shellWord(p.path)} (deleted before the trace ended) needs no capability`;
    if (p.script) {
      return `# ${_shellWord(p.path)}${where} is a script: it needs no capability, and the kernel ignores file ` +
        "capabilities on scripts";
    }
    if (p.interpreter || multiCall) {
      const what = p.interpreter ? "an interpreter" : "a multi-call binary";
      const others = p.interpreter ? "other scripts it runs" : "other commands it provides";
      return `# ${_shellWord(p.path)}${where} is ${what}: this run needed no capability, but ${others} may; ` +
        "leave its file capabilities as they are";
    }
    if (setuid(p)) return asRoot(_shellWord(p.path), "");
    if (capless && root.mountNs === undefined) {
      return `# ${_shellWord(p.path)} needs no capability, and has no file capabilities to remove`;
    }
    const none = formats([], root.path).setcap;
    // On the host, the same path may name another file, whose capabilities this would remove.
    return root.mountNs === undefined ? none : _runThere(root.mountNs, none);
  };
  // The line of each program that needed something.
  const line = (p: Recommendation["programs"][number]): string => {
    const lower = p.capabilities.map(_setcapName).join(",");
    const file = _shellWord(p.path);
    if (p.path === UNKNOWN_PROGRAM) {
      return `# programs captrace could not name (gone before it looked, or run before an exec it saw): grant ${lower} ` +
        "to each program's file by its full path, or to its service or container (below)";
    }
    const elsewhere = "or to its service or container (below)";
    if (p.placed === false) {
      for (const c of outside(p.capabilities)) leftOut.add(c);
      return `# ${file} (as it was run; captrace could not find the file): grant ${lower} to that file by its full ` +
        `path, ${elsewhere}`;
    }
    const multiCall = _multiCall(p.path);
    // A file of another mount namespace (a container's), not of this system: on the host the path may name another
    // file, so the line is one to run there (in the image's build).
    const ns = p.mount_ns ?? null;
    if (p.script || p.interpreter || multiCall) {
      const why = p.script
        ? "is a script: the kernel ignores file capabilities on scripts"
        : p.interpreter
        ? `is an interpreter: setcap on it would grant ${lower} to every script it runs`
        : `is a multi-call binary: setcap on it would grant ${lower} to every command it provides`;
      // An interpreter can have a copy of its own, run by this program alone, as a file of capabilities.
      const copy = p.interpreter ? ", or to a copy of it kept for this program alone" : "";
      return `# ${file}${_inNamespace(ns)} ${why}; grant ${lower} to its service or container instead (below)${copy}`;
    }
    if (p.deleted) {
      for (const c of outside(p.capabilities)) leftOut.add(c);
      return `# ${file} (deleted before the trace ended, as a temporary build is): grant ${lower} to the program's ` +
        `file where it is kept, ${elsewhere}`;
    }
    if (setuid(p)) return asRoot(file, ` (${lower} as root)`);
    // A file of another namespace is set there, in its image: the container needs them in its bounding set (the note).
    if (ns !== null) {
      for (const c of outside(p.capabilities)) leftOut.add(c);
      return _runThere(ns, formats(p.capabilities, p.path).setcap);
    }
    // Outside the bounding set, a capability would keep the file from being executed at all: left out of the line,
    // unless its processes were allowed it, so had it.
    const held = heldBy.get(p.path);
    const out: string[] = [];
    for (const c of p.capabilities) {
      const n = _capNumber(c);
      if (!outsideBounding.has(n)) continue;
      if (held?.has(n)) {
        kept.caps.add(n);
        kept.programs.add(p.path);
      } else {
        out.push(c);
        leftOut.add(n);
      }
    }
    const grant = p.capabilities.filter((c) => !out.includes(c));
    const them = out.length === 1 ? "it" : "them";
    const named = (also: string) =>
      `# ${file}${also} asked for ${out.map(_setcapName).join(",")}, outside the bounding set here: no file ` +
      `capability grants ${them}, and in a setcap line ${them} would keep the program from running; add ${them} to ` +
      "the line where the bounding set has it";
    if (grant.length === 0) return named("");
    granted.push(p.path);
    const setcap = formats(grant, p.path).setcap;
    return out.length === 0 ? setcap : `${setcap}\n${named(" also")}`;
  };
  return done(programs.length === 0 ? noneLine() : programs.map(line).join("\n"));
}

/** The number of a capability as recommendations name them (CAP_CHOWN, CAP_41). */
function _capNumber(name: string): number {
  return _UNKNOWN.test(name) ? Number(name.slice(4)) : parseCap(name) ?? -1;
}

/**
 * The note's sentences for the capabilities outside the bounding set: those left out of this system's setcap lines (or
 * named by comments, or by lines to run in another namespace), and those `kept` in lines for having been allowed to
 * the programs' processes. "" for none.
 */
function _boundingNote(
  leftOut: readonly number[],
  kept: { caps: readonly number[]; programs: readonly string[] },
): string {
  let note = "";
  if (leftOut.length > 0) {
    const [it, is] = leftOut.length === 1 ? ["it", "is"] : ["them", "are"];
    note += ` ${andList(leftOut.map(capConstant))} ${is} outside the bounding set of the traced processes (a ` +
      `container's or a service's, or one cut down at boot or by a wrapper such as setpriv): nothing grants ${it} ` +
      `where that set holds, and a file whose setcap line holds ${it} fails to execute there (EPERM), so this ` +
      `system's setcap lines leave ${it} out; lines to run in a container, and the service and container forms, need ` +
      `${it} in the bounding set where they run.`;
  }
  if (kept.caps.length > 0) {
    const [it, is, was] = kept.caps.length === 1 ? ["it", "is", "was"] : ["them", "are", "were"];
    const whose = kept.programs.length === 1 ? "whose line keeps" : "whose lines keep";
    note += ` ${andList(kept.caps.map(capConstant))} ${is} outside the bounding set read, yet ${was} allowed to the ` +
      `processes of ${andList(kept.programs.map((p) => printable(p)))}, ${whose} ${it}: a set cut down after a ` +
      "program started (as some daemons do) is not the one its file is executed with; where it is, such a line fails.";
  }
  return note;
}

/**
 * The note's sentence for the setuid(0) and setgid(0) refused to processes with no root id (AggEntry.regain), left
 * out: their counts by capability; "" when there were none.
 */
function _regainNote(byCap: ReadonlyMap<number, number>): string {
  if (byCap.size === 0) return "";
  const what = [...byCap].sort(([a], [b]) => a - b).map(([cap, n]) =>
    `${capConstant(cap)} (${cap === CAP_SETUID ? "setuid" : "setgid"}(0), ${n}×)`
  );
  const [it, is] = byCap.size === 1 ? ["it", "is"] : ["them", "are"];
  return ` ${andList(what)}, refused to a process with no root id, ${is} left out: that is how a program checks that ` +
    `it cannot get root's ids (util-linux's mount does), and it stops if it can; grant ${it} only to a program meant ` +
    "to become root.";
}

/**
 * The note's sentence for the capabilities of `caps` that every audited check of `counts` refused, only to processes
 * that exited 0 all the same (`ps` refused other users' /proc files, `cp -p` a file's owner), named with the programs
 * whose lines have them: they may do without, or did less. "" when there are none, or no exit status is known.
 */
function _shruggedNote(
  caps: readonly number[],
  counts: readonly AggEntry[],
  exitOf: RecommendInput["exitOf"],
  programs: Recommendation["programs"],
): string {
  if (exitOf === undefined) return "";
  const shrugged = caps.filter((cap) => {
    const mine = counts.filter((a) => a.cap === cap);
    return mine.length > 0 && mine.every((a) => a.ret !== 0 && exitOf(a.pid) === 0);
  }).map(capConstant);
  if (shrugged.length === 0) return "";
  const names = [
    ...new Set(
      programs.filter((p) => p.capabilities.some((c) => shrugged.includes(c))).map((p) => printable(basename(p.path))),
    ),
  ].sort();
  const one = shrugged.length === 1;
  const who = names.length === 0 ? "" : ` (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""})`;
  return ` ${andList(shrugged)} ${one ? "was" : "were"} only refused, to processes that exited 0 all the ` +
    `same${who}: the program may do without ${one ? "it" : "them"}, or did less without; see whether that is enough.`;
}

/**
 * True for a count that asks nothing of the initial namespace: allowed in a user namespace other than the initial one
 * (or to its owner), or refused there against the initial one, which no capability granted passes.
 */
function _outside(a: AggEntry): boolean {
  return (a.ret === 0 && !a.initialNs) || (a.ret !== 0 && a.againstInitial === true);
}

/** A file of the system's command directories, which every user runs. */
const SYSTEM_DIRS = /^\/(?:usr\/(?:local\/)?)?s?bin\//;

/**
 * The note's sentence for the programs of this system's command directories that get a setcap line (/usr/bin/chown):
 * their capabilities would reach every user who runs them, which for most (CAP_CHOWN, CAP_DAC_OVERRIDE) is root's
 * power in all but name. "" when there are none.
 */
function _systemTools(granted: readonly string[]): string {
  const tools = granted.filter((path) => SYSTEM_DIRS.test(path));
  if (tools.length === 0) return "";
  const one = tools.length === 1;
  return ` ${tools.join(", ")} ${one ? "is a system tool" : "are system tools"}: setcap on ${one ? "it" : "them"} ` +
    `gives every user who runs ${one ? "it its" : "them their"} capabilities; a copy of ${one ? "its" : "their"} ` +
    `own, or ${one ? "its" : "their"} service or container (below), keeps them to this use.`;
}

/** True for a multi-call binary (busybox): setcap on it would reach every command it provides. */
function _multiCall(path: string): boolean {
  return MULTI_CALL.test(basename(path));
}

/** " (in mount namespace mnt:[N])" for a file of another mount namespace, "" for one of this system. */
function _inNamespace(ns: number | null | undefined): string {
  return ns === null || ns === undefined ? "" : ` (in mount namespace mnt:[${ns}])`;
}

/** capConstant's name for a capability number this version does not know. */
const _UNKNOWN = /^CAP_\d+$/;

/** A capability as setcap takes it: its lower-case name, or a number for one with none. */
function _setcapName(c: string): string {
  return _UNKNOWN.test(c) ? c.slice(4) : c.toLowerCase();
}

/** Each paste-ready form of a capability list (upper-case names such as "CAP_CHOWN"). */
export function formats(
  list: readonly string[],
  binary: string,
): Pick<Recommendation, "setcap" | "systemd" | "docker" | "compose" | "kubernetes"> {
  // A capability with no name (CAP_41: newer than this version): setcap and systemd take its number, the others
  // only names.
  const bare = list.filter((c) => !_UNKNOWN.test(c)).map((c) => c.replace(/^CAP_/, ""));
  const lower = list.map(_setcapName);
  const systemd = list.map((c) => _UNKNOWN.test(c) ? c.slice(4) : c).join(" ");
  const q = _shellWord;
  return {
    setcap: list.length ? `setcap ${lower.join(",")}+ep ${q(binary)}` : `setcap -r ${q(binary)}`,
    systemd: `CapabilityBoundingSet=${systemd}\nAmbientCapabilities=${systemd}`,
    docker: ["docker run --cap-drop=ALL", ...bare.map((c) => `--cap-add=${c}`), "IMAGE"].join(" "),
    compose: ["cap_drop:", "  - ALL", ...(bare.length ? ["cap_add:", ...bare.map((c) => `  - ${c}`)] : [])]
      .join("\n"),
    kubernetes: [
      "securityContext:",
      "  capabilities:",
      '    drop: ["ALL"]',
      ...(bare.length ? [`    add: [${bare.map((c) => JSON.stringify(c)).join(", ")}]`] : []),
    ].join("\n"),
  };
}

/**
 * `s` as one shell word on one line: as is when it holds nothing the shell would read, else single-quoted, or with
 * control characters, ANSI-C quoted (`$'a\x0ab'`). A path is chosen by the traced process: a newline in it must not
 * start a line of its own in what is pasted into a shell, nor end a `#` comment.
 */
function _shellWord(s: string): string {
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  // deno-lint-ignore no-control-regex
  if (!/[\x00-\x1f\x7f-\x9f\udc80-\udcff]/.test(s)) return `'${s.replaceAll("'", `'\\''`)}'`;
  const escaped = s.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f-\x9f\\'\udc80-\udcff]/g,
    (c) => {
      if (c === "\\" || c === "'") return `\\${c}`;
      // A byte that was not UTF-8 (lossless_text.ts) as itself; C1 characters as their UTF-8 bytes: a shell reads \u
      // only in a UTF-8 locale.
      const byte = escapedByte(c.charCodeAt(0));
      const bytes = byte === null ? [..._encoder.encode(c)] : [byte];
      return bytes.map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
    },
  );
  return `$'${escaped}'`;
}
