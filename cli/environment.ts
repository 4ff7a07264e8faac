/** What this machine offers for tracing: privileges, tracefs, bpftrace and its probes. */

import { basename } from "node:path";
import { CaptraceError, ExitCode } from "./exit_codes.ts";
import { VERSION } from "./args.ts";
import { findTool } from "./system_tools.ts";
import { capSet, pidExists } from "./procfs.ts";
import type { ProbeSupport } from "../shared/probe_choice.ts";
import type { ProbeKind } from "../shared/event.ts";
import { parseBtf } from "../shared/btf.ts";
import { hasElfMagic } from "../shared/elf_layout.ts";
import { CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN } from "../shared/capabilities.ts";
import { initialOrUnknown } from "../shared/user_namespace.ts";
import { type KernelOffsets, kernelOffsets, readSavedOffsets, savedOffsets } from "../shared/kernel_offsets.ts";

const TRACEFS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

async function _exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws unless captrace runs as root: bpftrace refuses any other user, whatever capabilities it holds (CAP_BPF and
 * CAP_PERFMON would do for the kernel), and tracefs is root's alone. Root must hold those capabilities too, in the
 * initial user namespace. `status` and `userNs` are /proc/self/status and the /proc/self/ns/user link (null: not
 * known, then not checked).
 */
export function checkPrivileges(
  uid = Deno.uid(),
  status = _readOr("/proc/self/status"),
  userNs = _linkOr("/proc/self/ns/user"),
): void {
  if (uid !== 0) {
    throw new CaptraceError(
      "Tracing needs root: bpftrace runs as root only, whatever capabilities another user holds",
      "Run it with sudo, e.g. 'sudo captrace -u $USER -- ./program'",
      ExitCode.CANNOT_TRACE,
    );
  }
  // Root of a user namespace of its own (unshare -r, a rootless container): its capabilities are that namespace's,
  // and loading a tracing program needs them in the first one.
  const ns = userNs === null ? null : /^user:\[(\d+)\]$/.exec(userNs)?.[1];
  if (!initialOrUnknown(ns === undefined ? null : Number(ns))) {
    throw new CaptraceError(
      "This root is that of a user namespace of its own, whose capabilities do not reach the kernel's tracing",
      "Run it as root of the host (not under unshare -r, nor in a rootless container)",
      ExitCode.CANNOT_TRACE,
    );
  }
  // Root without the capabilities (a container's default set, a bounding set cut down): bpftrace, run by root, gets
  // the bounding set (and the inheritable one) at its exec, whatever captrace's own effective set.
  const caps = status === null ? null : _rootExecCaps(status);
  if (caps !== null && !caps.includes(CAP_SYS_ADMIN) && !(caps.includes(CAP_BPF) && caps.includes(CAP_PERFMON))) {
    throw new CaptraceError(
      "This root lacks CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN), which loading a tracing program needs",
      "Run it with them (in a container: --cap-add BPF --cap-add PERFMON, or --privileged)",
      ExitCode.CANNOT_TRACE,
    );
  }
}

/** The capabilities a program root runs gets: CapBnd | CapInh of /proc/PID/status, or null when not there. */
function _rootExecCaps(status: string): number[] | null {
  const bnd = capSet(status, "CapBnd");
  return bnd === null ? null : [...new Set([...bnd, ...(capSet(status, "CapInh") ?? [])])];
}

function _readOr(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

function _linkOr(path: string): string | null {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
}

/** The inode of the initial PID namespace (PROC_PID_INIT_INO), the same on every kernel. */
export const INIT_PID_NS = 4026531836;

/**
 * Throws unless captrace runs in the initial PID namespace (`link` is /proc/self/ns/pid). bpftrace 0.17 gives the
 * program process ids as the host sees them, while captrace names the command, the `--pid` process and itself by the
 * ids it sees, and reads them in its /proc: in a namespace of its own it would trace other processes, or none.
 */
export async function checkPidNamespace(link = "/proc/self/ns/pid"): Promise<void> {
  let target: string;
  try {
    target = await Deno.readLink(link);
  } catch {
    return; // no /proc to tell by: the trace then shows whether it works
  }
  const m = /^pid:\[(\d+)\]$/.exec(target);
  if (!m || Number(m[1]) === INIT_PID_NS) return;
  throw new CaptraceError(
    `Cannot trace from a PID namespace of its own (${target}): bpftrace gives process ids as the host sees them`,
    "Run it in the host's PID namespace (for a container: --pid=host)",
    ExitCode.CANNOT_TRACE,
  );
}

/** Where tracefs is, and a note when captrace had to mount it there. */
export interface Tracefs {
  dir: string;
  note: string | null;
}

/** Finds tracefs, mounting it when no copy is mounted, since bpftrace finds tracepoints there. */
export async function ensureTracefs(): Promise<Tracefs> {
  for (const dir of TRACEFS) if (await _exists(`${dir}/events`)) return { dir, note: null };
  const out = await new Deno.Command(findTool("mount") ?? "mount", {
    args: ["-t", "tracefs", "nodev", TRACEFS[0]!],
    stdout: "null",
    stderr: "piped",
  }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  if (!out.success || !(await _exists(`${TRACEFS[0]}/events`))) {
    throw new CaptraceError(
      "tracefs is not mounted and captrace could not mount it",
      "Mount it with 'mount -t tracefs nodev /sys/kernel/tracing'",
      ExitCode.CANNOT_TRACE,
    );
  }
  return { dir: TRACEFS[0]!, note: `mounted tracefs at ${TRACEFS[0]} (it was not mounted)` };
}

/** How long bpftrace is given to answer a question (its version, its probes) before captrace gives up on it. */
export const ASK_TIMEOUT_MS = 20_000;

async function _run(
  bin: string,
  args: string[],
  stop?: AbortSignal,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  // Killed when it does not answer, or when captrace is asked to stop meanwhile (a signal: see SignalRelay.early);
  // given up at once then, not when its output closes (a child of its own may hold it open).
  const timeout = AbortSignal.timeout(ASK_TIMEOUT_MS);
  const signal = stop ? AbortSignal.any([stop, timeout]) : timeout;
  try {
    const child = new Deno.Command(bin, { args, stdin: "null", stdout: "piped", stderr: "piped" }).spawn();
    const output = child.output();
    const given = new Promise<never>((_, reject) => {
      const up = () => {
        try {
          child.kill("SIGKILL");
        } catch {
          // ended meanwhile
        }
        reject(signal.reason);
      };
      if (signal.aborted) up();
      else signal.addEventListener("abort", up, { once: true });
      output.finally(() => signal.removeEventListener("abort", up)).catch(() => {});
    });
    given.catch(() => {});
    const out = await Promise.race([output, given]);
    const dec = new TextDecoder();
    return { ok: out.success, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    if (signal.aborted) {
      throw new CaptraceError(
        timeout.aborted
          ? `'${bin} ${args.join(" ")}' did not answer within ${ASK_TIMEOUT_MS / 1000} s`
          : `'${bin} ${args.join(" ")}' was stopped: captrace was asked to stop`,
        timeout.aborted ? "Check --bpftrace, or the bpftrace installed" : null,
        ExitCode.CANNOT_TRACE,
      );
    }
    if (e instanceof Deno.errors.NotFound) {
      throw new CaptraceError(
        `bpftrace was not found (tried '${bin}')`,
        "Install it (Debian/Ubuntu: apt-get install bpftrace; Fedora: dnf install bpftrace) or pass --bpftrace PATH",
        ExitCode.CANNOT_TRACE,
      );
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new CaptraceError(
        `bpftrace at '${bin}' cannot be run`,
        "Check that it is executable",
        ExitCode.CANNOT_TRACE,
      );
    }
    throw e;
  }
}

/** Oldest bpftrace known to handle the programs captrace generates. */
export const MIN_BPFTRACE: readonly [number, number] = [0, 16];

/**
 * True for the bpftrace versions known to compile and run captrace's offset-reading programs against a BTF with no
 * types (typelessBtf), which spares them a scan of the kernel's types per cast. Others are given the kernel's BTF:
 * a later bpftrace may take tracepoint records from BTF, which that one lacks.
 */
export function takesTypelessBtf(version: string): boolean {
  return /^v0\.17\./.test(version);
}

/** bpftrace's version string (e.g. "v0.17.0"); throws when it is missing or too old. */
export async function bpftraceVersion(bin: string, stop?: AbortSignal): Promise<string> {
  const out = await _run(bin, ["--version"], stop);
  // "bpftrace v0.17.0": another program's version (--bpftrace /bin/cat says "cat (GNU coreutils) 9.1") is none.
  const m = /\bbpftrace v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(out.stdout);
  if (!out.ok || !m) {
    throw new CaptraceError(
      `'${bin} --version' did not print a bpftrace version`,
      "Check --bpftrace, or reinstall bpftrace",
      ExitCode.CANNOT_TRACE,
    );
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major < MIN_BPFTRACE[0] || (major === MIN_BPFTRACE[0] && minor < MIN_BPFTRACE[1])) {
    throw new CaptraceError(
      `${m[0]} is too old (captrace needs ${MIN_BPFTRACE.join(".")} or newer)`,
      "Install a newer bpftrace from your distribution or from its releases",
      ExitCode.CANNOT_TRACE,
    );
  }
  const version = m[0].replace(/^bpftrace /, "");
  return version.startsWith("v") ? version : `v${version}`;
}

/**
 * Which cap_capable probes bpftrace can attach on this kernel, as far as `requested` needs to know: a probe that
 * cannot be chosen is not asked about, and is reported absent. The tracepoint is looked up in tracefs (`tracefs`,
 * its mount), where `bpftrace -l` would look too, without the 40–50 ms a bpftrace run costs; kprobes are asked of
 * bpftrace, which knows which functions it may attach to.
 */
export async function probeSupport(
  bin: string,
  requested: "auto" | ProbeKind,
  tracefs: string,
  stop?: AbortSignal,
): Promise<ProbeSupport> {
  const tracepoint = requested !== "kprobe" && await _exists(`${tracefs}/events/capability/cap_capable`);
  const kprobe = requested === "kprobe" || (requested === "auto" && !tracepoint)
    ? /^kprobe:cap_capable$/m.test((await _run(bin, ["-l", "kprobe:cap_capable"], stop)).stdout)
    : false;
  return { tracepoint, kprobe };
}

/** The BTF name of cap_capable's 4th parameter ("opts" since Linux 5.1, "audit" before), or null if unknown. */
export async function capableOptsParam(bin: string, stop?: AbortSignal): Promise<string | null> {
  const out = await _run(bin, ["-lv", "kfunc:cap_capable"], stop).catch(() => null);
  const m = out && /\b(?:unsigned )?int (opts|audit)\b/.exec(out.stdout);
  return m ? m[1]! : null;
}

/**
 * Where what cannot change until the next boot is kept (struct offsets read from the kernel's BTF, bpftrace's version
 * by its file), in files named after the boot.
 */
export const BOOT_CACHE_DIR = "/run/captrace";

/** Where kernelOffsetsFromBtf and keptBpftraceVersion read and keep their saves; `dir` null keeps none. */
export interface BootCache {
  dir: string | null;
  /** The file naming this boot (the kernel's boot_id). */
  bootId: string;
}

const _BOOT_CACHE: BootCache = { dir: BOOT_CACHE_DIR, bootId: "/proc/sys/kernel/random/boot_id" };
const _OFFSETS_PREFIX = "kernel-offsets-";

/**
 * Struct offsets from the running kernel's BTF, or null when it has none (the program then names structs). Parsing
 * the 5 MB of BTF takes 15–30 ms at every start, so the offsets are kept for the rest of the boot in `cache.dir`:
 * a directory of this user's that no one else may enter (made so if missing; not used otherwise). A save that
 * cannot be read or written is ignored; saves of other boots and captrace versions are removed.
 */
export async function kernelOffsetsFromBtf(
  path = "/sys/kernel/btf/vmlinux",
  cache: BootCache = _BOOT_CACHE,
): Promise<KernelOffsets | null> {
  const keep = await _keeping(cache, _OFFSETS_PREFIX);
  if (keep) {
    const saved = readSavedOffsets(await _readSave(keep.file) ?? "");
    if (saved) return saved;
  }
  let offsets: KernelOffsets | null;
  try {
    offsets = kernelOffsets(parseBtf(await Deno.readFile(path)));
  } catch {
    return null;
  }
  if (keep && offsets) await _save(keep, savedOffsets(offsets)).catch(() => {});
  return offsets;
}

const _VERSION_PREFIX = "bpftrace-version-";
/** The most bpftrace files whose versions are kept (a --bpftrace of each build tried). */
const _KEPT_VERSIONS = 16;

/**
 * bpftraceVersion, kept for the rest of the boot in `cache.dir` by the identity of bpftrace's file (its device and
 * inode, size, modification and change times, which an upgrade or a rewrite changes): asking runs bpftrace, which
 * loads LLVM before it answers, about 20 ms on the way to every start. Kept only for an ELF file named bpftrace…:
 * a script or another program's launcher (snap's bpftrace is a link to /usr/bin/snap) answers for whatever it runs,
 * which can change under it. Two runs saving at once may drop one's entry, which is asked again next time.
 */
export async function keptBpftraceVersion(
  bin: string,
  stop?: AbortSignal,
  cache: BootCache = _BOOT_CACHE,
): Promise<string> {
  const id = await _bpftraceIdentity(bin);
  if (id === null) return await bpftraceVersion(bin, stop);
  const keep = await _keeping(cache, _VERSION_PREFIX);
  const kept = keep ? readKeptVersions(await _readSave(keep.file) ?? "") : {};
  const known = kept[id.key];
  if (known && _sameContent(known, id)) return known.version;
  const version = await bpftraceVersion(bin, stop);
  // Kept only if the file that answered is still the one identified (not one a package manager put there meanwhile).
  const after = keep ? await _bpftraceIdentity(bin) : null;
  if (keep && after?.key === id.key && _sameContent(after, id)) {
    const { key, ...file } = id;
    const others = Object.entries(kept).filter(([k]) => k !== key).slice(-(_KEPT_VERSIONS - 1));
    const text = JSON.stringify(Object.fromEntries([...others, [key, { ...file, version }]]));
    await _save(keep, text).catch(() => {});
  }
  return version;
}

/** A kept bpftrace version and the identity of the file it was asked of. */
export interface KeptVersion {
  size: number;
  mtime: number;
  ctime: number;
  version: string;
}

/**
 * The versions kept in `text`, by "device:inode"; entries of any other shape are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readKeptVersions } from "./environment.ts";
 * const text = '{"64:12":{"size":9,"mtime":1,"ctime":2,"version":"v0.17.0"},"64:13":{"size":9}}';
 * assert.deepEqual(Object.keys(readKeptVersions(text)), ["64:12"]);
 * assert.deepEqual(readKeptVersions("not json"), {});
 * ```
 */
export function readKeptVersions(text: string): Record<string, KeptVersion> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) return {};
  const out: Record<string, KeptVersion> = {};
  for (const [key, v] of Object.entries(data as Record<string, unknown>)) {
    if (!/^\d+:\d+$/.test(key) || typeof v !== "object" || v === null) continue;
    const { size, mtime, ctime, version } = v as Record<string, unknown>;
    const numbers = [size, mtime, ctime].every((n) => typeof n === "number" && Number.isFinite(n));
    if (numbers && typeof version === "string" && /^v\d+\.\d+(\.\d+)?$/.test(version)) {
      out[key] = { size: size as number, mtime: mtime as number, ctime: ctime as number, version };
    }
  }
  return out;
}

interface _Identity {
  key: string;
  size: number;
  mtime: number;
  ctime: number;
}

/** True when two identities of a file's content (or a kept one's) have the same size and times. */
function _sameContent(a: Omit<_Identity, "key">, b: Omit<_Identity, "key">): boolean {
  return a.size === b.size && a.mtime === b.mtime && a.ctime === b.ctime;
}

/** The identity of the file `bin` leads to, if it is an ELF file named bpftrace… with every time known; else null. */
async function _bpftraceIdentity(bin: string): Promise<_Identity | null> {
  const real = await Deno.realPath(bin).catch(() => null);
  if (real === null || !/^bpftrace/.test(basename(real))) return null;
  const st = await Deno.stat(real).catch(() => null);
  if (!st?.isFile || st.mtime === null || st.ctime === null) return null;
  const head = new Uint8Array(4);
  try {
    using f = await Deno.open(real);
    if (await f.read(head) !== 4 || !hasElfMagic(head)) return null;
  } catch {
    return null;
  }
  return { key: `${st.dev}:${st.ino}`, size: st.size, mtime: st.mtime.getTime(), ctime: st.ctime.getTime() };
}

/**
 * Where a save of `prefix` is kept for this boot, or null when none may be: the boot must be known, and `cache.dir` a
 * directory of this user's that no one else may enter (made so if missing).
 */
async function _keeping(cache: BootCache, prefix: string): Promise<_Keep | null> {
  if (cache.dir === null) return null;
  const boot = (await Deno.readTextFile(cache.bootId).catch(() => "")).trim();
  const dir = /^[0-9a-f-]{8,64}$/.test(boot) ? await _privateDir(cache.dir) : null;
  return dir === null ? null : { dir, prefix, file: `${dir}/${prefix}${VERSION}-${boot}.json` };
}

/** A save's file, in its directory, and the prefix every save of its kind has. */
interface _Keep {
  dir: string;
  prefix: string;
  file: string;
}

/** `dir`, made if missing, when it is a real directory of this user's that no one else may enter; else null. */
async function _privateDir(dir: string): Promise<string | null> {
  await Deno.mkdir(dir, { mode: 0o700 }).catch(() => {});
  const st = await Deno.lstat(dir).catch(() => null);
  return st?.isDirectory && st.uid === Deno.uid() && (st.mode! & 0o077) === 0 ? dir : null;
}

/** The text saved in `file`, if it is a plain file of this user's (never a FIFO or a link). */
async function _readSave(file: string): Promise<string | null> {
  const st = await Deno.lstat(file).catch(() => null);
  if (!st?.isFile || st.uid !== Deno.uid()) return null;
  return await Deno.readTextFile(file).catch(() => null);
}

/** Writes `text` as the save at once (a reader sees all of it or none), then removes older saves of its kind. */
async function _save(keep: _Keep, text: string): Promise<void> {
  const { dir, prefix, file } = keep;
  const name = file.slice(dir.length + 1);
  const part = `${file}.${Deno.pid}.part`;
  try {
    // A new file or none: never one that was there, nor through a link.
    await Deno.writeTextFile(part, text, { createNew: true, mode: 0o600 });
    await Deno.rename(part, file);
  } catch (e) {
    await Deno.remove(part).catch(() => {});
    throw e;
  }
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.startsWith(prefix) || e.name === name) continue;
    // Another run's save being written is left alone; one whose writer was killed (its pid gone) is not.
    const writer = /\.(\d+)\.part$/.exec(e.name)?.[1];
    if (writer !== undefined && await pidExists(writer)) continue;
    await Deno.remove(`${dir}/${e.name}`).catch(() => {});
  }
}

/**
 * util-linux's `setsid`, to start bpftrace in a session of its own, or null when there is none. A terminal's
 * Ctrl-C then reaches captrace alone: bpftrace given SIGINT detaches every probe before it prints its counts
 * (about 0.3 s), while captrace has the program print them at once. `setsid` execs bpftrace in place (a child
 * is no process group leader), so bpftrace keeps the pid captrace spawned.
 */
export function setsidPath(): string | null {
  // The system's first: root runs it (a user's PATH may come along through sudo -E).
  return findTool("setsid", "/usr/bin:/bin");
}
