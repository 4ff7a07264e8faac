/** Finds the file behind each exec record, for the recommendation's setcap lines (see shared/program_map.ts). */

import { type ProgramFile, ProgramMap } from "../shared/program_map.ts";
import { interpreterName, scriptFromArgv } from "../shared/interpreter.ts";

/**
 * The file setcap needs for `path` as executed by process `pid`: its real path (setcap refuses a symbolic link) and
 * whether it is a script.
 * - An absolute path is resolved as it is.
 * - A path that depends on the process (relative to its working directory, or naming its own files, such as
 *   `/proc/self/exe` or `/dev/fd/3`) is read through the process's /proc entry, never captrace's own. It is
 *   trusted only when it leads to the binary the process runs (`/proc/PID/exe`) or to a script; otherwise that
 *   binary is named if it has the path's file name. Else, as once the process is gone, the path is kept as given.
 * Only regular files are opened, so a path naming a terminal or a FIFO cannot block captrace.
 */
export async function programFile(path: string, pid?: number): Promise<ProgramFile> {
  const own = pid === undefined ? null : _ownPath(path, pid);
  if (own === null) {
    const real = await Deno.realPath(path).catch(() => path);
    return { path: real, script: await _isScript(real) };
  }
  const exe = await Deno.readLink(`/proc/${pid}/exe`).catch(() => null);
  let candidate = own;
  if (!own.startsWith("/")) {
    const cwd = await Deno.readLink(`/proc/${pid}/cwd`).catch(() => null);
    candidate = cwd === null ? "" : `${cwd.replace(/\/$/, "")}/${own}`;
  }
  const real = candidate === "" ? null : await Deno.realPath(candidate).catch(() => null);
  if (real !== null && real === exe) return { path: real, script: false };
  if (real !== null && await _isScript(real)) return { path: real, script: true };
  // The process moved, or already runs something else (it exec'd again): its binary is the file only if it goes by
  // the same name.
  if (exe !== null && _base(exe) === _base(path)) return { path: exe, script: false };
  return { path, script: false };
}

function _base(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * What a running process runs, for the setcap lines (`--pid` has no exec record for it): its binary, or, for an
 * interpreter started on a script file (`python3 app.py`), that script, found in the process's working directory.
 * Null when the process is gone.
 */
export async function runningProgram(pid: number): Promise<ProgramFile | null> {
  const exe = await Deno.readLink(`/proc/${pid}/exe`).catch(() => null);
  if (exe === null) return null;
  if (interpreterName(exe) === null) return { path: exe, script: false };
  const argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).split("\0");
  // The interpreter's own name, not argv[0] (a #! script's argv[0] is the interpreter's path as the #! line gives it).
  const script = scriptFromArgv([exe, ...argv.slice(1, argv.at(-1) === "" ? -1 : undefined)]);
  if (script === null) return { path: exe, script: false };
  // Interpreters keep their script open (dash on fd 10, bash on 255): its link names the file wherever the process
  // has moved since it started, deleted or not.
  const open = await _openFileEnding(pid, script);
  if (open !== null) return { path: open, script: true };
  // Read as the process sees it (`sh /dev/stdin` is its stdin, not captrace's); a script is a regular file.
  const own = _ownPath(script, pid) ?? script;
  const cwd = own.startsWith("/") ? "" : await Deno.readLink(`/proc/${pid}/cwd`).catch(() => null);
  const real = cwd === null ? null : await Deno.realPath(cwd === "" ? own : `${cwd}/${own}`).catch(() => null);
  const regular = real !== null && (await Deno.stat(real).catch(() => null))?.isFile === true;
  return regular ? { path: real, script: true } : { path: exe, script: false };
}

/**
 * The file `pid` has open whose path ends with `path` (leading `./` and `../` dropped), without a " (deleted)" mark;
 * null when none.
 */
async function _openFileEnding(pid: number, path: string): Promise<string | null> {
  const tail = path.replace(/^(?:\.\.?\/)+/, "");
  if (tail === "" || path.startsWith("/dev/") || path.startsWith("/proc/")) return null;
  try {
    for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
      const target = (await Deno.readLink(`/proc/${pid}/fd/${e.name}`).catch(() => "")).replace(/ \(deleted\)$/, "");
      if (target.startsWith("/") && (target === path || target.endsWith(`/${tail}`))) return target;
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
  const st = await Deno.stat(path).catch(() => null);
  if (!st?.isFile) return false;
  let file: Deno.FsFile | null = null;
  try {
    file = await Deno.open(path);
    const head = new Uint8Array(2);
    return (await file.read(head)) === 2 && head[0] === 0x23 && head[1] === 0x21; // "#!"
  } catch {
    return false;
  } finally {
    file?.close();
  }
}

/**
 * A ProgramMap fed with exec records. Each file is looked up as soon as its record is read (`resolve`), while the
 * process still runs, and enters the map when the record is shown (`exec`), in time order with the checks.
 */
export class ProgramFiles {
  readonly map: ProgramMap;
  #pending = new Set<Promise<void>>();
  #resolving = new Map<string, ProgramFile>();

  constructor(root: ProgramFile) {
    this.map = new ProgramMap(root);
  }

  /** Starts looking up the file of the exec record (`pid`, `ts`, `filename`). */
  resolve(pid: number, ts: number, filename: string): void {
    const key = `${pid} ${ts}`;
    if (this.#resolving.has(key)) return;
    const file = { path: filename, script: false };
    this.#resolving.set(key, file);
    const p: Promise<void> = programFile(filename, pid).then((resolved) => {
      Object.assign(file, resolved);
    }).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** The exec record is shown: `pid`, child of `ppid`, runs its file from now on (as given until looked up). */
  exec(pid: number, ppid: number, ts: number, filename: string): void {
    const key = `${pid} ${ts}`;
    this.resolve(pid, ts, filename);
    const file = this.#resolving.get(key)!;
    this.#resolving.delete(key);
    this.map.exec(pid, ppid, file);
  }

  /** Resolves once every file looked up so far is known. */
  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }
}
