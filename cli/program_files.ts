/** Finds the file behind each exec record, for the recommendation's setcap lines (see shared/program_map.ts). */

import { basename } from "node:path";
import { decodeLossless } from "../shared/lossless_text.ts";
import { type ProgramFile, ProgramMap } from "../shared/program_map.ts";
import { fileHead, hasShebang } from "./file_head.ts";
import { sameFile, samePath } from "./procfs.ts";
import {
  envCommand,
  interpreterName,
  parseShebang,
  scriptFromArgv,
  shebangInterpreter,
} from "../shared/interpreter.ts";

/** The longest string bpftrace gives captrace, with its terminating NUL (BPFTRACE_STRLEN, see cli/session.ts). */
export const MAX_PATH = 200;

const ENCODER = new TextEncoder();
/** Decodes a file's head (its #! line). */
const DECODER = new TextDecoder();

/** True when exec records name `path` cut short: it is as long as bpftrace's strings, or longer. */
export function cutInRecords(path: string): boolean {
  return ENCODER.encode(path).length >= MAX_PATH - 1;
}

/**
 * True when an exec record's file name is `name`, or `name` cut short as bpftrace cuts its strings (and decoded as
 * the parser decodes them: the first byte of a character cut in two kept as an escaped byte, see lossless_text.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_PATH, recordedAs } from "./program_files.ts";
 * const long = "/opt/" + "d".repeat(300) + "/tool";
 * assert(recordedAs(long.slice(0, MAX_PATH - 1), long));
 * assert(!recordedAs("/opt/tool", "/opt/tool2"));
 * ```
 */
export function recordedAs(recorded: string, name: string): boolean {
  if (recorded === name) return true;
  const bytes = ENCODER.encode(name);
  return bytes.length >= MAX_PATH - 1 && decodeLossless(bytes.subarray(0, MAX_PATH - 1)) === recorded;
}

/** True when no file is at `path` now (deleted since it ran); false when one is, or when that cannot be told. */
export function fileGone(path: string): boolean {
  try {
    Deno.statSync(path);
    return false;
  } catch (e) {
    return e instanceof Deno.errors.NotFound;
  }
}

/**
 * Where an exec looked its file up, as the kernel's record says: the mount namespace, and the root directory (its
 * dentry's address, and its inode number, 0 when not known). A namespace of 0: the record does not say.
 */
export interface ExecPlace {
  mntNs: number;
  root: string;
  rootIno: number;
  /** The inode number of the file executed, 0 when not known. */
  exeIno?: number;
  /** The path is captrace's own for the command it launched, whole, not the record's (which may be cut short). */
  whole?: boolean;
}

/** captrace's own mount namespace and root directory, as the kernel names them in exec records (the ready record). */
export interface KernelRoot {
  mntNs: number;
  root: string;
}

/**
 * The file setcap needs for `path` as executed by process `pid`: its real path (setcap refuses a symbolic link) and
 * whether it is a script.
 * - An absolute path is resolved as it is.
 * - A path that depends on the process (relative to its working directory, or naming its own files, such as
 *   `/proc/self/exe` or `/dev/fd/3`) is read through the process's /proc entry, never captrace's own. It is
 *   trusted only when it leads to the binary the process runs (`/proc/PID/exe`) or to a script; otherwise that
 *   binary is named if it has the path's file name. Else, as once the process is gone, the path is kept as given.
 * - An exec looked up elsewhere than captrace's root (`place`, against `here`: a chroot, a container) is read in the
 *   process's root while the process is still there, else through its parent (`ppid`) if that one is: named from
 *   captrace's root under a chroot, or with its mount namespace otherwise (see ProgramFile), unless it is the very
 *   file of that path here. Else it keeps the name it was run by, with its namespace, or marked unplaced in a chroot.
 *   Without `place`, the process's root now is taken for the exec's.
 * Only regular files are opened, so a path naming a terminal or a FIFO cannot block captrace.
 */
export async function programFile(
  path: string,
  pid?: number,
  place?: ExecPlace,
  ppid?: number,
  here?: KernelRoot,
): Promise<ProgramFile> {
  if (pid === undefined) return await _inOurRoot(path);
  // A path as long as bpftrace's strings may have been cut short: it may name another file.
  if (!place?.whole && cutInRecords(path)) return { path, script: false, unplaced: true };
  const known = place !== undefined && place.mntNs !== 0 && here !== undefined;
  // Most execs are here: read the process's links at once, while it still runs what it exec'd.
  const gone = { ppid, exeIno: place?.exeIno ?? 0 };
  if (known && place.mntNs === here.mntNs && place.root === here.root) return await _inOurRoot(path, pid, gone);
  const now = await rootOf(pid);
  if (known) {
    // Still where the exec was: the same namespace and the same root (by its inode number, when known: a chroot
    // inside a container shares the container's namespace, not its root).
    const there = (r: ProcessRoot | null): r is Exclude<ProcessRoot, { kind: "same" }> =>
      r !== null && r.kind !== "same" && r.ns === place.mntNs && (place.rootIno === 0 || r.ino === place.rootIno);
    const found = there(now) ? await _inItsRoot(path, pid, now) : null;
    if (found !== null) return found;
    // Gone (perhaps since it was found there), or moved on since: its parent, where the exec was, can still read an
    // absolute path.
    const parent = ppid === undefined || _ownPath(path, ppid) !== null ? null : await rootOf(ppid);
    const viaParent = there(parent) ? await _inItsRoot(path, ppid!, parent) : null;
    if (viaParent !== null) return viaParent;
    // None left there to read it through: in a namespace whose root is captrace's root directory, the file of that
    // path here, if it has the executed file's inode number.
    const sameRoot = place.root.split(":")[0] === here.root.split(":")[0] && place.root !== "0";
    const same = sameRoot ? await _sameInodeHere(path, place.exeIno ?? 0) : null;
    if (same !== null) return same;
    return place.mntNs === here.mntNs
      ? { path, script: false, unplaced: true }
      : { path, script: false, mountNs: place.mntNs };
  }
  if (now === null || now.kind === "same") return await _inOurRoot(path, pid, gone);
  const other = now.kind === "other" ? { path, script: false, mountNs: now.ns } : { path, script: false };
  return await _inItsRoot(path, pid, now) ?? other;
}

/**
 * The file of absolute `path` in captrace's root, when it has inode number `ino` (the exec record's, not 0): the very
 * file a process gone from a namespace with captrace's root directory executed (`unshare -m`, a systemd service's
 * PrivateTmp), unless a mount there covered it. The record gives no device to be sure by: a file of another file
 * system mounted at that path there, with that number too, is taken for it. A script is not (its record gives its
 * interpreter's number, which another script of that path here may share).
 */
async function _sameInodeHere(path: string, ino: number): Promise<ProgramFile | null> {
  if (ino === 0 || !path.startsWith("/")) return null;
  const real = await Deno.realPath(path).catch(() => null);
  const st = real === null ? null : await _stat(real);
  return st?.isFile && st.ino === ino ? { path: real!, script: false } : null;
}

/**
 * programFile for a process with captrace's root, or gone. A path of the process's own (relative, or one of its
 * files) is taken only if it is the very file executed, when the kernel's record says which (`gone.exeIno`: the
 * binary's inode number, or a script's interpreter's): the process may have changed directory, or executed another
 * program since, and a file of that name there, or that program of the same name, is not it. Not found where the
 * process is now, or with the process gone, it is looked for in its parent's working directory, then captrace's (the
 * command's first).
 */
async function _inOurRoot(
  path: string,
  pid?: number,
  gone?: { ppid: number | undefined; exeIno: number },
): Promise<ProgramFile> {
  const own = pid === undefined ? null : _ownPath(path, pid);
  if (own === null) {
    const real = await Deno.realPath(path).catch(() => null);
    // Not there by that name: deleted or renamed since its exec, or named by bytes that are not UTF-8 (the parser
    // decoded them as U+FFFD). A setcap line would name another file, or none.
    if (real === null) return { path, script: false, unplaced: true };
    return { path: real, script: await _isScript(real) };
  }
  const exe = await Deno.readLink(`/proc/${pid}/exe`).catch(() => null);
  const ino = gone?.exeIno ?? 0;
  let candidate = own;
  if (!own.startsWith("/")) {
    const cwd = await Deno.readLink(`/proc/${pid}/cwd`).catch(() => null);
    candidate = cwd === null ? "" : `${cwd.replace(/\/$/, "")}/${own}`;
  }
  const real = candidate === "" ? null : await Deno.realPath(candidate).catch(() => null);
  if (real !== null && ino > 0) {
    const found = await _executedAs(real, ino, true);
    if (found !== null) return found;
  } else if (real !== null) {
    // What the process runs now, by that path, is the file.
    if (real === exe) return { path: real, script: false };
    if (await _isScript(real)) return { path: real, script: true };
  }
  if (ino > 0 && !own.startsWith("/")) {
    const found = await _executedIn(own, ino, gone?.ppid);
    if (found !== null) return found;
  }
  // The process moved, or already runs something else (it exec'd again): its binary is the file only if it goes by
  // the same name, and is the file executed when the record says which.
  if (exe !== null && basename(exe) === basename(path) && (ino === 0 || (await _stat(exe))?.ino === ino)) {
    return { path: exe, script: false };
  }
  return { path, script: false };
}

/**
 * `file` as the file an exec record names by inode `ino`: that file, or a script whose interpreter it is (the record
 * gives a script's interpreter's); with `anyRelative`, a script whose interpreter is relative (not known here) too.
 * Null for another file.
 */
async function _executedAs(file: string, ino: number, anyRelative: boolean): Promise<ProgramFile | null> {
  const st = await _stat(file);
  if (!st?.isFile) return null;
  if (st.ino === ino) return { path: file, script: false };
  const head = await fileHead(file, 256);
  if (head === null || !hasShebang(head)) return null;
  const interpreter = await _interpreterIno(head);
  return interpreter === ino || (anyRelative && interpreter === 0) ? { path: file, script: true } : null;
}

/**
 * The inode number of the interpreter the `#!` line of a script (`head`, its first bytes) names, which the kernel's
 * exec record gives for a script; 0 when it names none, or a relative one (found from the process's directory then).
 */
async function _interpreterIno(head: Uint8Array): Promise<number> {
  const interpreter = shebangInterpreter(DECODER.decode(head));
  if (interpreter === null || !interpreter.startsWith("/")) return 0;
  return (await _stat(interpreter))?.ino ?? 0;
}

/** captrace's working directory, or null once it was removed (Deno.cwd throws then). */
export function currentDir(): string | null {
  try {
    return Deno.cwd();
  } catch {
    return null;
  }
}

/**
 * The file `own` (relative) in the working directory of `ppid` or of captrace, if it is inode `ino`, or a script whose
 * interpreter is (as the kernel's record gives for a script).
 */
async function _executedIn(own: string, ino: number, ppid?: number): Promise<ProgramFile | null> {
  const dirs = [
    ppid === undefined ? null : await Deno.readLink(`/proc/${ppid}/cwd`).catch(() => null),
    currentDir(),
  ];
  for (const dir of dirs) {
    if (dir === null) continue;
    const found = await _executedAs(`${dir.replace(/\/$/, "")}/${own}`, ino, false);
    if (found === null) continue;
    const real = await Deno.realPath(found.path).catch(() => null);
    if (real !== null) return { ...found, path: real };
  }
  return null;
}

/**
 * Where a process's file system is, against captrace's: the same (namespace and root); below a directory of
 * captrace's (chroot); or out of its reach, in another mount namespace (a container's), whose files are read through
 * `/proc/PID/root`. With the namespace's inode and the root's inode.
 */
export type ProcessRoot =
  & { ns: number; ino: number }
  & ({ kind: "same" } | { kind: "under"; dir: string } | { kind: "other"; dir: string });

let ours: Promise<{ ns: number; root: Deno.FileInfo } | null> | undefined;

/** captrace's own mount namespace and root. */
function _ourRoot(): Promise<{ ns: number; root: Deno.FileInfo } | null> {
  ours ??= Promise.all([_stat("/"), _nsOf("self")]).then(([root, ns]) =>
    root === null || ns === null ? null : { ns, root }
  );
  return ours;
}

async function _nsOf(pid: number | "self"): Promise<number | null> {
  const m = /^mnt:\[(\d+)\]$/.exec(await Deno.readLink(`/proc/${pid}/ns/mnt`).catch(() => ""));
  return m ? Number(m[1]) : null;
}

/** The root `pid` sees, compared with captrace's own; null when the process is gone or not ours to look at. */
export async function rootOf(pid: number): Promise<ProcessRoot | null> {
  const [theirs, ns, mine] = await Promise.all([_stat(`/proc/${pid}/root`), _nsOf(pid), _ourRoot()]);
  if (theirs === null || ns === null || mine === null) return null;
  const at = { ns, ino: theirs.ino! };
  if (sameFile(theirs, mine.root) && ns === mine.ns) return { ...at, kind: "same" };
  // A chroot's link names its directory: from captrace's root, or in another namespace from that namespace's root
  // ("/" when the process is at that root); a root out of captrace's tree in its namespace reads as "/".
  const dir = await Deno.readLink(`/proc/${pid}/root`).catch(() => null) ?? "/";
  if (ns !== mine.ns) return { ...at, kind: "other", dir };
  const there = dir !== "/" ? await _stat(dir) : null;
  return sameFile(there, theirs) ? { ...at, kind: "under", dir } : { ...at, kind: "other", dir: "/" };
}

/**
 * programFile for a process whose root is not captrace's: `path` is looked up in the process's own tree, its links
 * followed there (an absolute link inside a container points into the container); null when it leads nowhere
 * there. In another namespace, a file that is also the file of that path here (a namespace sharing captrace's
 * files, as `unshare -m` makes) is named plainly.
 */
async function _inItsRoot(
  path: string,
  pid: number,
  root: Exclude<ProcessRoot, { kind: "same" }>,
): Promise<ProgramFile | null> {
  const base = root.kind === "under" ? root.dir : `/proc/${pid}/root`;
  // The kernel's links (exe, cwd) name files from captrace's root under a chroot, from the namespace's root in
  // another namespace: from the process's root once its directory's path is taken off.
  const inside = (p: string | null): string | null => {
    if (p === null || root.dir === "/") return p;
    return p === root.dir ? "/" : p.startsWith(`${root.dir}/`) ? p.slice(root.dir.length) : null;
  };
  // Null when the process is gone meanwhile: its root no longer tells whether the file is this system's too.
  const named = async (p: string, script: boolean): Promise<ProgramFile | null> => {
    if (root.kind === "under") return { path: `${root.dir}${p}`, script };
    // A root out of captrace's reach in its own namespace (a chroot whose directory is gone): no container's.
    if (root.ns === (await _ourRoot())?.ns) return { path: p, script, unplaced: true };
    // Its path in its namespace: below a chroot's directory there, as setcap run there needs it.
    const path = root.dir === "/" ? p : `${root.dir}${p}`;
    const [there, here] = await Promise.all([_stat(`${base}${p}`), _stat(path)]);
    if (there === null) return null;
    return sameFile(there, here) ? { path, script } : { path, script, mountNs: root.ns };
  };
  const exe = inside(await Deno.readLink(`/proc/${pid}/exe`).catch(() => null));
  const own = _ownPath(path, pid);
  let wanted: string | null = path;
  if (own !== null && own.startsWith("/")) wanted = inside(await Deno.realPath(own).catch(() => null));
  else if (own !== null) {
    const cwd = inside(await Deno.readLink(`/proc/${pid}/cwd`).catch(() => null));
    wanted = cwd === null ? null : `${cwd.replace(/\/$/, "")}/${own}`;
  }
  const found = wanted === null ? null : await resolveIn(base, wanted);
  if (found !== null) {
    // The same file, not just the same path: a binary from before the root changed may have a namesake here.
    const isExe = await samePath(`/proc/${pid}/exe`, `${base}${found}`);
    const script = !isExe && await _isScript(`${base}${found}`);
    if (isExe || script || own === null) return await named(found, script);
  }
  // As for captrace's root: a path of the process's own that leads elsewhere is its binary only by the same name.
  if (own !== null && exe !== null && basename(exe) === basename(path)) return await named(exe, false);
  return null;
}

/**
 * `path` with its links followed, every one inside `base` (a directory standing for a root: an absolute link starts
 * again from `base`, and `..` stops there), as a path from that root; null when a part is missing or links loop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveIn } from "./program_files.ts";
 * assert.equal(await resolveIn("/", "/proc/../proc/self/.."), "/proc");
 * ```
 */
export async function resolveIn(base: string, path: string): Promise<string | null> {
  const prefix = base.replace(/\/+$/, "");
  let done: string[] = [];
  let rest = path.split("/").filter((c) => c !== "" && c !== ".");
  for (let links = 0; rest.length > 0;) {
    const part = rest.shift()!;
    if (part === "..") {
      done.pop();
      continue;
    }
    const here = `${prefix}/${[...done, part].join("/")}`;
    const st = await Deno.lstat(here).catch(() => null);
    if (st === null) return null;
    if (!st.isSymlink) {
      done.push(part);
      continue;
    }
    const target = await Deno.readLink(here).catch(() => null);
    if (target === null || ++links > 40) return null;
    if (target.startsWith("/")) done = [];
    rest = [...target.split("/").filter((c) => c !== "" && c !== "."), ...rest];
  }
  return `/${done.join("/")}`;
}

/** stat of `path`, null when it cannot be read. */
function _stat(path: string): Promise<Deno.FileInfo | null> {
  return Deno.stat(path).catch(() => null);
}

/**
 * What a running process runs, for the setcap lines (`--pid` has no exec record for it): its binary, or, for an
 * interpreter started on a script file (`python3 app.py`), that script, found in the process's working directory.
 * Null when the process is gone.
 */
export async function runningProgram(pid: number): Promise<ProgramFile | null> {
  const exe = await Deno.readLink(`/proc/${pid}/exe`).catch(() => null);
  if (exe === null) {
    // A process whose main thread has ended while others run: read through one of those, as /proc/TID.
    const tid = await _liveThread(pid);
    return tid === null ? null : runningProgram(tid);
  }
  const root = await rootOf(pid);
  if (root === null) return null;
  // Its file deleted or replaced since it started (a package upgrade): the kernel marks the link so. No file is that
  // program now: the path as it was, unplaced.
  if (exe.endsWith(" (deleted)") && (await _stat(exe)) === null) {
    return { path: exe.slice(0, -" (deleted)".length), script: false, unplaced: true };
  }
  if (interpreterName(exe) === null) return await _linked(root, `/proc/${pid}/exe`, exe, false);
  const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).split("\0");
  // The interpreter's own name, not argv[0] (a #! script's argv[0] is the interpreter's path as the #! line gives it).
  const script = scriptFromArgv([exe, ...argv.slice(1, argv.at(-1) === "" ? -1 : undefined)]);
  if (script === null) return await _linked(root, `/proc/${pid}/exe`, exe, false);
  // Interpreters keep their script open (dash on fd 10, bash on 255): its link names the file wherever the process
  // has moved since it started, deleted or not.
  const open = await _openFileEnding(pid, script);
  if (open !== null) return await _linked(root, open.link, open.target, true);
  if (root.kind !== "same") {
    const found = await _inItsRoot(script, pid, root);
    return found?.script ? found : await _linked(root, `/proc/${pid}/exe`, exe, false);
  }
  // Read as the process sees it (`sh /dev/stdin` is its stdin, not captrace's); a script is a regular file.
  const own = _ownPath(script, pid) ?? script;
  const cwd = own.startsWith("/") ? "" : await Deno.readLink(`/proc/${pid}/cwd`).catch(() => null);
  const real = cwd === null ? null : await Deno.realPath(cwd === "" ? own : `${cwd}/${own}`).catch(() => null);
  const regular = real !== null && (await _stat(real))?.isFile === true;
  return regular ? { path: real, script: true } : { path: exe, script: false };
}

/** A thread of `pid` other than its main one whose program can be read, or null. */
async function _liveThread(pid: number): Promise<number | null> {
  try {
    for await (const e of Deno.readDir(`/proc/${pid}/task`)) {
      const tid = Number(e.name);
      if (tid !== pid && (await Deno.readLink(`/proc/${tid}/exe`).catch(() => null)) !== null) return tid;
    }
  } catch {
    // gone
  }
  return null;
}

/**
 * The file behind one of a process's links (`link`, such as /proc/PID/exe), which the kernel names `path`: as
 * captrace sees it when it is the file of that path here (under a chroot, or a file from before the process entered
 * another namespace); as the process sees it, with its namespace, otherwise.
 */
async function _linked(root: ProcessRoot, link: string, path: string, script: boolean): Promise<ProgramFile> {
  if (root.kind !== "other") return { path, script };
  return await samePath(link, path) ? { path, script } : { path, script, mountNs: root.ns };
}

/**
 * The file `pid` has open whose path ends with `path` (leading `./` and `../` dropped), without a " (deleted)" mark,
 * and the link it was read from; null when none.
 */
async function _openFileEnding(pid: number, path: string): Promise<{ target: string; link: string } | null> {
  const tail = path.replace(/^(?:\.\.?\/)+/, "");
  if (tail === "" || path.startsWith("/dev/") || path.startsWith("/proc/")) return null;
  try {
    for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
      const link = `/proc/${pid}/fd/${e.name}`;
      const target = (await Deno.readLink(link).catch(() => "")).replace(/ \(deleted\)$/, "");
      if (target.startsWith("/") && (target === path || target.endsWith(`/${tail}`))) return { target, link };
    }
  } catch {
    // gone, or not ours to read
  }
  return null;
}

/**
 * `path` as the process itself would see it, when that differs from what captrace sees: `/proc/self/…` and
 * `/dev/fd/N` made `/proc/PID/…`, a relative path as is; null for any other absolute path.
 */
function _ownPath(path: string, pid: number): string | null {
  if (!path.startsWith("/")) return path;
  const self = /^\/proc\/(?:self|thread-self)(\/.*)$/.exec(path);
  if (self) return `/proc/${pid}${self[1]}`;
  const fd = /^\/dev\/fd\/(\d+)$/.exec(path) ?? /^\/dev\/std(in|out|err)$/.exec(path);
  if (fd) return `/proc/${pid}/fd/${({ in: 0, out: 1, err: 2 } as Record<string, number>)[fd[1]!] ?? fd[1]}`;
  return path.startsWith("/proc/") ? path : null;
}

/** True when `path` is a regular file that starts with `#!`. */
async function _isScript(path: string): Promise<boolean> {
  const head = await fileHead(path, 2);
  return head !== null && hasShebang(head);
}

/**
 * A ProgramMap fed with exec records. Each file is looked up as soon as its record is read (`resolve`), while the
 * process still runs, and enters the map when the record is shown (`exec`), in time order with the checks.
 */
export class ProgramFiles {
  readonly map: ProgramMap;
  #pending = new Set<Promise<void>>();
  #resolving = new Map<string, ProgramFile>();
  /** Each file's lookup, settled once it is known. */
  #lookups = new WeakMap<ProgramFile, Promise<void>>();
  /** The files of execs that env made for a script (see #throughEnv): the script's, not the interpreter's. */
  #forScript = new WeakSet<ProgramFile>();
  /** The inode number of the file each exec record executed, when it says. */
  #inodes = new WeakMap<ProgramFile, number>();

  /** captrace's own namespace and root as the kernel names them, from the ready record; unknown before it. */
  here: KernelRoot | undefined;

  constructor(root: ProgramFile) {
    this.map = new ProgramMap(root);
  }

  /**
   * Starts looking up the file of the exec record (`pid`, `ts`, `filename`, looked up by the kernel at `place`, by a
   * child of `place.ppid`). A file of another mount namespace says so from the start: checks charged to it before
   * the lookup ends are kept apart from this system's file of the same path.
   */
  resolve(pid: number, ts: number, filename: string, place?: ExecPlace & { ppid: number }): void {
    const key = `${pid} ${ts}`;
    if (this.#resolving.has(key)) return;
    const here = this.here;
    const file: ProgramFile = { path: filename, script: false };
    if (place && here && place.mntNs !== 0 && place.mntNs !== here.mntNs) file.mountNs = place.mntNs;
    this.#resolving.set(key, file);
    if (place?.exeIno) this.#inodes.set(file, place.exeIno);
    // The kernel's counts and fork records mark the program with this time.
    this.map.mark(ts, file);
    // A lookup that fails unforeseen leaves the name as run: the trace goes on (see track).
    const lookup = programFile(filename, pid, place, place?.ppid, here).then((resolved) => {
      file.path = resolved.path;
      file.script = resolved.script;
      if (resolved.mountNs === undefined) delete file.mountNs;
      else file.mountNs = resolved.mountNs;
      if (resolved.unplaced) file.unplaced = true;
    });
    this.track(lookup);
    this.#lookups.set(file, lookup.catch(() => {}));
  }

  /**
   * A script whose `#!` line runs env (`#!/usr/bin/env python3`) is executed twice: the kernel runs env on it, then
   * env executes the command it names on it, in the same process. The checks after that second exec are the
   * script's, as for a script that names its interpreter: `next`'s file (executed as `filename`, right after `script`
   * in process `pid`) becomes the script's when `script` is such a script and `filename` the command it gives env.
   */
  async #throughEnv(pid: number, script: ProgramFile, next: ProgramFile, filename: string): Promise<void> {
    await Promise.all([this.#lookups.get(script), this.#lookups.get(next)]);
    if (!script.script || script.unplaced || this.#forScript.has(script)) return;
    // A container's script is read through the process's root, while it runs.
    const where = script.mountNs === undefined ? script.path : `/proc/${pid}/root${script.path}`;
    const head = await fileHead(where, 256);
    const shebang = head === null ? null : parseShebang(DECODER.decode(head).split("\n")[0]!);
    if (shebang === null || basename(shebang[0]!) !== "env") return;
    const command = envCommand(shebang.slice(1));
    if (command === null || basename(command) !== basename(filename)) return;
    next.path = script.path;
    next.script = true;
    if (script.mountNs === undefined) delete next.mountNs;
    else next.mountNs = script.mountNs;
    delete next.unplaced;
    this.#forScript.add(next);
  }

  /** The exec record is shown: `pid`, child of `ppid`, runs its file from now on (as given until looked up). */
  exec(pid: number, ppid: number, ts: number, filename: string): void {
    const key = `${pid} ${ts}`;
    this.resolve(pid, ts, filename);
    const file = this.#resolving.get(key)!;
    this.#resolving.delete(key);
    // Shown in time order: what the process executed right before, if it is the same process.
    const before = this.map.ownExec(pid);
    const fixes = [this.#again(file, this.map.programOf(pid))];
    if (before !== undefined) fixes.push(this.#throughEnv(pid, before, file, filename));
    for (const fix of fixes) this.track(fix);
    // What comes next may take this file for the program run before (a re-exec, a child's): it waits for these too.
    const found = this.#lookups.get(file);
    this.#lookups.set(file, Promise.all([found, ...fixes]).then(() => {}, () => {}));
    this.map.exec(pid, ppid, file);
  }

  /**
   * A process that executes its program again by a path of its own (`/proc/self/exe`, as Go programs, runc and other
   * re-executing tools do; `/dev/fd/N` of it) can be gone before that path is read: its file is then the program it
   * ran before (its own, or its parent's), when that one is the file the exec record names by its inode.
   */
  async #again(file: ProgramFile, prior: ProgramFile): Promise<void> {
    await Promise.all([this.#lookups.get(file), this.#lookups.get(prior)]);
    const ino = this.#inodes.get(file);
    if (ino === undefined || !file.path.startsWith("/") || _ownPath(file.path, 0) === null) return;
    if (file.mountNs !== undefined || prior.mountNs !== undefined || prior.unplaced || prior.script) return;
    // Not found itself (a path of its process's own still): no file to compare with.
    if (!prior.path.startsWith("/") || _ownPath(prior.path, 0) !== null) return;
    if ((await _stat(prior.path))?.ino !== ino) return;
    file.path = prior.path;
    file.script = false;
    delete file.unplaced;
  }

  /** Counts `lookup`, which tells the map a process's file, among those settled() waits for. */
  track(lookup: Promise<void>): void {
    const p = lookup.catch(() => {}).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves once every file looked up so far is known. */
  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }
}
