/** The --sites adapter: learns each traced process's executable and resolves return addresses with binutils. */

import { basename, posix } from "node:path";
import { findTool } from "./system_tools.ts";
import { hasShebang } from "./file_head.ts";
import { samePath } from "./procfs.ts";
import type { Options } from "./args.ts";
import type { SiteAnnotator } from "./session.ts";
import { resolveCommand } from "./launcher.ts";
import type { Output } from "../shared/correlator.ts";
import type { CheckEvent, Site } from "../shared/event.ts";
import { type ElfLayout, hasElfMagic, isStatic, parseElfLayout } from "../shared/elf_layout.ts";
import { hexAddress, linkAddress } from "../shared/site_address.ts";
import { callSiteFrame, parseAddr2line, type SourceFrame } from "../shared/addr2line.ts";
import { envCommand, interpreterName, parseShebang, scriptFromArgv } from "../shared/interpreter.ts";
import { BoundedMap } from "../shared/bounded_map.ts";

/** Most addresses given to one addr2line run (its command line stays far below ARG_MAX). */
const ADDR2LINE_BATCH = 500;
/** How long readelf or addr2line may take on one binary before its addresses are given up. */
const TOOL_TIMEOUT_MS = 20_000;
/** Exec images remembered per process (a process that execs in a loop must not grow memory). */
const HISTORY = 8;
/** Processes remembered; the oldest are forgotten beyond this. */
const MAX_PROCS = 65_536;
/** Addresses remembered per binary. */
const MAX_ADDRESSES = 100_000;
/** Binaries remembered (by path, inode and time of change: a rebuilt one is another); the oldest are forgotten. */
const MAX_BINARIES = 1_024;

/** Reasons given in `site_reason`, one sentence fragment each. */
export const Reason = {
  notCaptured: "no user-space return address was captured (kernel thread, or not x86_64)",
  notFound: "executable not found",
  notElf: "not an ELF executable",
  stripped: "stripped binary: no symbols or debug info",
  noDebug: "no debug info (build with -g)",
  static:
    "static binary: its C library is part of the program's code, so the program's own call site cannot be told apart",
  noLine: "no debug info for this address (start-up or library code)",
  noTools: "binutils not found (install it for readelf and addr2line)",
} as const;

/** A resolved executable file, keyed by path, inode and mtime. */
interface _Binary {
  path: string;
  layout: ElfLayout | null;
  /** Why the file cannot be used, when layout is null. */
  error: string | null;
  interpreter: string | null;
  /** addr2line's answer by link address; a string is the reason it failed. */
  frames: Map<bigint, SourceFrame | string>;
}

/** A process's argv and working directory, when known without /proc (the launched command's). */
interface _Argv {
  argv: readonly string[];
  cwd: string;
}

/** What a process was running at some point: the binary and, for an interpreter, the script. */
interface _Image {
  binary: _Binary | null;
  reason: string | null;
  script: string | null;
  /** The process's start_code as first seen with this image, to catch a wrong guess. */
  cs: bigint | null;
  /** An interpreter whose argv could not be read (the process gone): its script is not known, rather than none. */
  argvGone?: boolean;
  /** For a `#!/usr/bin/env python3` script: the command env runs for it (python3), which the process executes next. */
  envRuns?: string;
}

interface _Entry {
  ts: number;
  image: _Image | null;
  pending: Promise<_Image> | null;
}

interface _Proc {
  history: _Entry[];
  exitedTs: number | null;
}

type _Check = { event: CheckEvent; ra: bigint; cs: bigint };

async function _run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string; missing: boolean }> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), TOOL_TIMEOUT_MS);
  try {
    const r = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped", signal: ctl.signal })
      .output();
    return { ok: r.success, out: new TextDecoder().decode(r.stdout), missing: false };
  } catch (e) {
    return { ok: false, out: "", missing: e instanceof Deno.errors.NotFound };
  } finally {
    clearTimeout(timer);
  }
}

async function _readHead(path: string): Promise<Uint8Array | null> {
  try {
    using f = await Deno.open(path);
    const buf = new Uint8Array(256);
    const n = await f.read(buf);
    return buf.subarray(0, n ?? 0);
  } catch {
    return null;
  }
}

async function _readlink(path: string): Promise<string | null> {
  try {
    return await Deno.readLink(path);
  } catch {
    return null;
  }
}

function _isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/**
 * Fills `site`, `site_reason` and `script` of check events. Everything known is filled synchronously; only
 * new processes, new binaries and new addresses wait, and those are gathered per chunk and per binary into
 * one addr2line run.
 */
export class SiteResolver implements SiteAnnotator {
  #options: Options;
  #rootPid: number | null = null;
  #procs = new BoundedMap<number, _Proc>(MAX_PROCS);
  #binaries = new BoundedMap<string, Promise<_Binary>>(MAX_BINARIES);
  #inflight = new Set<Promise<unknown>>();

  /**
   * `commandPath`: the command's file as its exec finds it, on the PATH it gets (-u's, not captrace's own); null to look
   * it up here.
   */
  constructor(options: Options, commandPath: string | null = null) {
    this.#options = options;
    this.#commandPath = commandPath;
  }
  readonly #commandPath: string | null;

  annotate(batch: Output[]): Promise<void> {
    const slow: _Check[] = [];
    for (const out of batch) {
      const e = out.event;
      switch (e.type) {
        case "ready":
          this.#rootPid = e.pid;
          if (e.pid !== null && this.#options.mode === "command") this.#learnRoot(e.pid);
          // Attached: what the process runs is read now, while it runs, not at a first check it may not outlive.
          else if (e.pid !== null) this.#push(e.pid, 0, this.#track(this.#imageFromProc(e.pid)));
          continue;
        case "exec":
          this.#learnExec(e.pid, e.ppid, e.ts, e.filename);
          continue;
        case "exit":
          this.#proc(e.pid).exitedTs = e.ts;
          continue;
        case "check":
          if (!this.#options.verbose && !e.audit) continue; // never printed: not worth resolving
          if (!out.raw) {
            e.site_reason = Reason.notCaptured;
            continue;
          }
          if (!this.#fill({ event: e, ra: out.raw.ra, cs: out.raw.cs })) {
            slow.push({ event: e, ra: out.raw.ra, cs: out.raw.cs });
          }
      }
    }
    return slow.length === 0 ? Promise.resolve() : this.#resolve(slow);
  }

  async close(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p);
    p.finally(() => this.#inflight.delete(p)).catch(() => {});
    return p;
  }

  #proc(pid: number): _Proc {
    let p = this.#procs.get(pid);
    if (!p) {
      p = { history: [], exitedTs: null };
      this.#procs.set(pid, p);
    }
    return p;
  }

  #push(pid: number, ts: number, pending: Promise<_Image>): void {
    const proc = this.#proc(pid);
    const entry: _Entry = { ts, image: null, pending };
    pending.then((img) => {
      entry.image = img;
      entry.pending = null;
    });
    // A new process that reuses an exited pid starts with no history.
    if (proc.exitedTs !== null && ts > proc.exitedTs) {
      proc.history = [];
      proc.exitedTs = null;
    }
    proc.history.push(entry);
    proc.history.sort((a, b) => a.ts - b.ts);
    if (proc.history.length > HISTORY) proc.history.shift();
  }

  #learnRoot(pid: number): void {
    const name = this.#options.command[0];
    if (name === undefined) return;
    // The launcher's own execs are not traced: the root runs the command from its first shown check on.
    // Its argv is the command's, known here: /proc may show the launcher's yet, or nothing once it ended.
    const argv = { argv: this.#options.command, cwd: Deno.cwd() };
    const p = this.#track(
      (this.#commandPath === null ? resolveCommand(name) : Promise.resolve(this.#commandPath))
        .then((path) => this.#imageFromPath(path, pid, argv), () => this.#imageFromProc(pid)),
    );
    this.#push(pid, 0, p);
  }

  #learnExec(pid: number, ppid: number, ts: number, filename: string): void {
    // What the process ran before: a `#!/usr/bin/env python3` script, whose interpreter env executes next.
    const before = this.#procs.get(pid)?.history.at(-1) ?? null;
    // Read /proc now, while the process most likely still exists: argv and cwd are gone once it exits.
    const p = this.#track((async () => {
      const img = await this.#imageOfExec(pid, ppid, filename);
      if (img.argvGone && before !== null) {
        // Gone before its argv was read: the interpreter env ran for the script (or that its #! line names, when
        // env was gone too) is running that script.
        const prev = before.image ?? await before.pending!;
        const runner = prev.binary?.path ?? "";
        const ran = img.binary?.path;
        // env executes the command by the name its #! line gives (python3): whatever file captrace's PATH finds.
        const named = prev.envRuns !== undefined && basename(filename) === basename(prev.envRuns);
        if (
          prev.script !== null &&
          (named || /\/env$/.test(runner) || (runner !== "" && ran && await samePath(runner, ran)))
        ) {
          img.script = prev.script;
        }
      }
      return img;
    })());
    this.#push(pid, ts, p);
  }

  /** The image of an exec of `filename`, made absolute against the process's directory (or its parent's). */
  async #imageOfExec(pid: number, ppid: number, filename: string): Promise<_Image> {
    let path: string | null = filename;
    if (!_isAbsolute(filename)) {
      // A short-lived child is often gone already; it forked from its parent (a shell) with the same cwd.
      const cwd = (await _readlink(`/proc/${pid}/cwd`)) ?? (await _readlink(`/proc/${ppid}/cwd`));
      path = cwd ? `${cwd}/${filename}` : null;
    }
    if (path) return await this.#imageFromPath(path, pid);
    const img = await this.#imageFromProc(pid);
    if (img.reason === _gone().reason) {
      img.reason = `${Reason.notFound} (relative path ${filename}; the process exited before its directory was read)`;
    }
    return img;
  }

  /** The history entry of the image a check ran in, or null when the process is not known yet. */
  #imageAt(e: CheckEvent): _Entry | null {
    const proc = this.#procs.get(e.pid);
    if (proc && !(proc.exitedTs !== null && e.ts > proc.exitedTs)) {
      for (let i = proc.history.length - 1; i >= 0; i--) {
        const h = proc.history[i]!;
        if (h.ts <= e.ts) return h;
      }
    }
    return null;
  }

  #fill(c: _Check): boolean {
    const entry = this.#imageAt(c.event);
    if (!entry?.image) return false;
    return this.#fillFrom(c, entry.image, false);
  }

  /** Fill the event from a known image; false when an address still needs addr2line (unless `final`). */
  #fillFrom(c: _Check, image: _Image, final: boolean): boolean {
    const e = c.event;
    e.script = image.script;
    if (image.reason !== null || !image.binary) {
      e.site_reason = image.reason ?? Reason.notFound;
      return true;
    }
    const bin = image.binary;
    if (!bin.layout) {
      e.site_reason = bin.error ?? Reason.notElf;
      return true;
    }
    image.cs ??= c.cs;
    if (bin.interpreter) {
      e.site_reason = `interpreter ${bin.interpreter}: the line in the script is not known`;
      return true;
    }
    if (isStatic(bin.layout)) {
      e.site_reason = Reason.static;
      return true;
    }
    const link = linkAddress(c.ra, c.cs, bin.layout);
    if ("reason" in link) {
      e.site_reason = link.reason;
      return true;
    }
    const frame = bin.frames.get(link.address);
    if (frame === undefined && !final) return false;
    const site: Site = { binary: bin.path, address: hexAddress(link.address), function: null, file: null, line: null };
    if (typeof frame === "string" || frame === undefined) {
      e.site = site;
      e.site_reason = frame ?? Reason.noTools;
      return true;
    }
    site.function = frame.function;
    site.file = frame.file;
    site.line = frame.line;
    e.site = site;
    e.site_reason = frame.file && frame.line !== null ? null : _whyNoLine(bin.layout);
    return true;
  }

  async #resolve(checks: _Check[]): Promise<void> {
    // 1. The image of every check: await the ones being learned, look up the unknown ones.
    const images = await Promise.all(checks.map((c) => this.#imageFor(c)));
    // 2. Per binary, the addresses addr2line has not answered yet: one run each, all binaries at once.
    const misses = new Map<_Binary, Set<bigint>>();
    checks.forEach((c, i) => {
      const bin = images[i]!.binary;
      if (!bin?.layout || bin.interpreter || isStatic(bin.layout) || images[i]!.reason) return;
      const link = linkAddress(c.ra, c.cs, bin.layout);
      if ("reason" in link || bin.frames.has(link.address)) return;
      let set = misses.get(bin);
      if (!set) misses.set(bin, set = new Set());
      set.add(link.address);
    });
    await Promise.all([...misses].map(([bin, addrs]) => this.#track(this.#lookup(bin, [...addrs]))));
    checks.forEach((c, i) => this.#fillFrom(c, images[i]!, true));
  }

  #imageFor(c: _Check): Promise<_Image> {
    let entry = this.#imageAt(c.event);
    if (!entry) {
      // Remembered at once, so further checks of this process in the batch share the lookup.
      this.#push(c.event.pid, 0, this.#track(this.#guess(c)));
      entry = this.#imageAt(c.event)!;
    }
    return entry.image ? Promise.resolve(entry.image) : entry.pending!;
  }

  /** A process not seen exec'ing runs what /proc says, or (gone already) what its parent ran when it forked. */
  async #guess(c: _Check): Promise<_Image> {
    const e = c.event;
    const exe = await _readlink(`/proc/${e.pid}/exe`);
    if (exe && !exe.endsWith(" (deleted)")) return await this.#imageFromPath(exe, e.pid);
    const parent = this.#imageAt({ ...e, pid: e.ppid });
    const img = parent ? (parent.image ?? await parent.pending!) : null;
    // A forked child shares its parent's mapping: the same code start, or it is something else.
    if (img && (img.cs === null || img.cs === c.cs)) return img;
    return _gone();
  }

  async #imageFromProc(pid: number): Promise<_Image> {
    const exe = await _readlink(`/proc/${pid}/exe`);
    return exe && !exe.endsWith(" (deleted)") ? await this.#imageFromPath(exe, pid) : _gone();
  }

  /** The image for a file that was exec'd: an ELF program, or a `#!` script run by its interpreter. */
  async #imageFromPath(path: string, pid: number, known: _Argv | null = null): Promise<_Image> {
    const head = await _readHead(path);
    if (!head) return { binary: null, reason: `${Reason.notFound}: ${path}`, script: null, cs: null };
    if (hasShebang(head)) {
      const script = path;
      const words = parseShebang(new TextDecoder().decode(head));
      const viaEnv = words !== null && /\/env$/.test(words[0]!);
      const envRuns = viaEnv ? envCommand(words.slice(1)) : null;
      // The kernel ran the interpreter: /proc has its exact path; the #! line is the fallback.
      const exe = await _readlink(`/proc/${pid}/exe`);
      let interp = exe && !exe.endsWith(" (deleted)") ? exe : words?.[0] ?? null;
      if (!exe && viaEnv) interp = envRuns ? await resolveCommand(envRuns).catch(() => null) : null;
      const via = envRuns === null ? {} : { envRuns };
      if (!interp) {
        return { binary: null, reason: `${Reason.notFound}: interpreter of ${path}`, script, cs: null, ...via };
      }
      return { binary: await this.#binary(interp), reason: null, script, cs: null, ...via };
    }
    if (!hasElfMagic(head)) return { binary: null, reason: `${Reason.notElf}: ${path}`, script: null, cs: null };
    const binary = await this.#binary(path);
    if (!binary.interpreter) return { binary, reason: null, script: null, cs: null };
    const found = await this.#scriptOf(pid, known);
    return {
      binary,
      reason: null,
      script: found ?? null,
      cs: null,
      ...(found === undefined ? { argvGone: true } : {}),
    };
  }

  /**
   * The script of an interpreter process: from its argv as given (`known`), else as /proc shows it; null when it
   * runs none (`sh -c`), undefined when its argv is gone.
   */
  async #scriptOf(pid: number, known: _Argv | null): Promise<string | null | undefined> {
    let argv: string[];
    if (known !== null) argv = [...known.argv];
    else {
      try {
        argv = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
      } catch {
        return undefined;
      }
      if (argv.at(-1) === "") argv.pop();
    }
    const s = scriptFromArgv(argv);
    if (s === null || _isAbsolute(s)) return s;
    const cwd = known?.cwd ?? await _readlink(`/proc/${pid}/cwd`);
    // `python3 ./app.py`: the file's path, as an editor names it, without the `./`.
    return cwd ? posix.normalize(`${cwd}/${s}`) : s;
  }

  #binary(path: string): Promise<_Binary> {
    return this.#track((async () => {
      let key: string;
      try {
        const st = await Deno.stat(path);
        key = `${path}\0${st.ino}\0${st.mtime?.getTime()}`;
      } catch {
        return _unusable(path, `${Reason.notFound}: ${path}`);
      }
      let p = this.#binaries.get(key);
      if (!p) {
        p = _loadBinary(path);
        this.#binaries.set(key, p);
      }
      return await p;
    })());
  }

  async #lookup(bin: _Binary, addrs: bigint[]): Promise<void> {
    for (let i = 0; i < addrs.length; i += ADDR2LINE_BATCH) {
      const part = addrs.slice(i, i + ADDR2LINE_BATCH);
      // A return address is the instruction after the call; the call itself is one byte before.
      const args = ["-a", "-f", "-p", "-i", "-C", "-e", bin.path, ...part.map((a) => hexAddress(a - 1n))];
      const r = await _run(findTool("addr2line") ?? "addr2line", args);
      const parsed = r.ok ? parseAddr2line(r.out) : [];
      const byAddr = new Map(parsed.map((p) => [p.address + 1n, callSiteFrame(p)]));
      if (bin.frames.size + part.length > MAX_ADDRESSES) bin.frames.clear();
      for (const a of part) {
        bin.frames.set(a, byAddr.get(a) ?? (r.missing ? Reason.noTools : "addr2line could not read this binary"));
      }
    }
  }
}

function _gone(): _Image {
  return {
    binary: null,
    reason: `${Reason.notFound} (the process exited before it was looked up)`,
    script: null,
    cs: null,
  };
}

function _unusable(path: string, error: string): _Binary {
  return { path, layout: null, error, interpreter: null, frames: new Map() };
}

async function _loadBinary(path: string): Promise<_Binary> {
  const interpreter = interpreterName(path);
  const r = await _run(findTool("readelf") ?? "readelf", ["-lSW", path]);
  if (r.missing) return _unusable(path, Reason.noTools);
  try {
    return { path, layout: parseElfLayout(r.out), error: null, interpreter, frames: new Map() };
  } catch {
    return _unusable(path, `${Reason.notElf}: ${path}`);
  }
}

function _whyNoLine(layout: ElfLayout): string {
  if (!layout.debugLines && !layout.symbols && !layout.debugLink) return Reason.stripped;
  if (!layout.debugLines && !layout.debugLink) return Reason.noDebug;
  return Reason.noLine;
}

/** The annotator session.ts asks for with --sites. */
export function siteAnnotator(options: Options, commandPath: string | null = null): SiteAnnotator {
  return new SiteResolver(options, commandPath);
}
