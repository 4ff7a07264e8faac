/** Finds the file behind each exec record, for the recommendation's setcap lines (see shared/program_map.ts). */

import { type ProgramFile, ProgramMap } from "../shared/program_map.ts";

/**
 * The file setcap needs for `path` as executed: its real path, since setcap refuses a symbolic link, and whether it
 * is a script. A relative path is looked for in the working directory of each process of `cwdOf` in turn (the one
 * that ran it, then its parent: a short-lived process may be gone before its exec record is read). What cannot be
 * resolved is kept as given.
 */
export async function programFile(path: string, cwdOf: readonly number[] = []): Promise<ProgramFile> {
  if (path.startsWith("/")) {
    const real = await Deno.realPath(path).catch(() => path);
    return { path: real, script: await _isScript(real) };
  }
  for (const pid of cwdOf) {
    const cwd = await Deno.readLink(`/proc/${pid}/cwd`).catch(() => null);
    const real = cwd === null ? null : await Deno.realPath(`${cwd.replace(/\/$/, "")}/${path}`).catch(() => null);
    if (real !== null) return { path: real, script: await _isScript(real) };
  }
  return { path, script: false };
}

async function _isScript(path: string): Promise<boolean> {
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

/** A ProgramMap fed with exec records as they arrive; their files are resolved in the background. */
export class ProgramFiles {
  readonly map: ProgramMap;
  #pending = new Set<Promise<void>>();

  constructor(root: ProgramFile) {
    this.map = new ProgramMap(root);
  }

  /** `pid`, child of `ppid`, executed `filename`: recorded as given now, as resolved once known. */
  exec(pid: number, ppid: number, filename: string): void {
    const file = { path: filename, script: false };
    this.map.exec(pid, ppid, file);
    const p: Promise<void> = programFile(filename, [pid, ppid]).then((resolved) => {
      Object.assign(file, resolved);
    }).finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Resolves once every exec recorded so far has its file resolved. */
  async settled(): Promise<void> {
    await Promise.all(this.#pending);
  }
}
