/** One trace from start to end: check the machine, start bpftrace, release the command, stream, summarize. */

import { CaptraceError, ExitCode, reason } from "./exit_codes.ts";
import type { Options } from "./args.ts";
import { mapKeysAfterFull } from "./map_keys.ts";
import {
  capableOptsParam,
  checkPidNamespace,
  checkPrivileges,
  ensureTracefs,
  keptBpftraceVersion,
  kernelOffsetsFromBtf,
  probeSupport,
  setsidPath,
  takesTypelessBtf,
} from "./environment.ts";
import { typelessBtf } from "../shared/btf.ts";
import {
  checkInterpreter,
  type Gated,
  launchGated,
  privateTempDir,
  resolveCommand,
  resolveUser,
  type User,
} from "./launcher.ts";
import { reachable, userPath } from "./user_path.ts";
import { escapeForPrintf, isUtf8, rawTail } from "./raw_args.ts";
import { unusableVariables } from "./user_env.ts";
import { mountOf, mounts } from "./mountinfo.ts";
import { fileCapsOf, hasFileCaps } from "./file_caps.ts";
import { type Cgroup, resolveCgroup } from "./cgroup.ts";
import { SignalRelay } from "./signal_relay.ts";
import { readerGone, Sink, stderrQueue } from "./sink.ts";
import { WriteStalled } from "./write_queue.ts";
import { eitherStop, fifoStop, type ProcessStop, processStop, stdinStop, type StopInput } from "./stop_input.ts";
import {
  capSet,
  catches,
  catchesInGroup,
  cpuTicks,
  descendantsOf,
  descendantsOfAll,
  effectiveCaps,
  handlesTyped,
  hasEnded,
  ignores,
  isKernelThread,
  processState,
  processStopped,
  readStatus,
  startTime,
  stateFromStatus,
  terminalFields,
  terminalSignalsReach,
  treeNow,
} from "./procfs.ts";
import { readBaseline } from "./baseline.ts";
import { chooseProbe, kprobeOptsArg, probeLimits } from "../shared/probe_choice.ts";
import {
  countsOutside,
  generateProgram,
  namesKernelTypes,
  type ProgramOptions,
  watchesNewCgroups,
} from "../shared/program.ts";
import { type BroadRole, ProgramUsage } from "../shared/program_usage.ts";
import type { KernelOffsets } from "../shared/kernel_offsets.ts";
import { LineParser, type TraceRecord } from "../shared/parse_line.ts";
import { TimeOrder } from "../shared/time_order.ts";
import { BoundedMap } from "../shared/bounded_map.ts";
import { LineSplitter } from "../shared/line_splitter.ts";
import { Correlator, type Output } from "../shared/correlator.ts";
import type { CheckEvent, ProbeKind, ReadyEvent, SummaryEvent } from "../shared/event.ts";
import { andList, formatExec, formatExit, printable, writeCheck } from "../shared/format_text.ts";
import { capConstant } from "../shared/capabilities.ts";
import { isAudited } from "../shared/audit.ts";
import { signalName, signalNumber } from "../shared/signals.ts";
import { recommend, UNKNOWN_PROGRAM } from "../shared/recommend.ts";
import type { ProgramFile } from "../shared/program_map.ts";
import {
  currentDir,
  cutInRecords,
  fileGone,
  MAX_PATH,
  programFile,
  ProgramFiles,
  recordedAs,
  runningProgram,
} from "./program_files.ts";
import { formatCompleteness, formatSummary, summarize, summaryEvent } from "../shared/summary.ts";
import { compareBaseline } from "../shared/baseline.ts";

/** Anything that adds source locations to check events before they are printed (see --sites). */
export interface SiteAnnotator {
  annotate(batch: Output[]): Promise<void>;
  close(): Promise<void>;
}

/** Hooks for parts built elsewhere. */
export interface SessionHooks {
  /** Builds the annotator for --sites; called once the probe is known. */
  sites?: (options: Options, commandPath: string | null) => SiteAnnotator;
}

/** How long bpftrace may take to attach its probes before captrace gives up. */
const START_TIMEOUT_MS = 60_000;
/** After the command has exited, how long to wait for bpftrace to stop before interrupting it anyway. */
const DRAIN_TIMEOUT_MS = 5_000;
/**
 * A stop signal to captrace this long before an unasked END of bpftrace's came with the signal that ended it
 * (`systemctl stop`, a Ctrl-C reaching both): the trace was stopped, not ended by another process.
 */
const STOP_NEAR_MS = 1_000;
/** How long after an unasked END a stop signal to captrace is waited for (one sent with it comes within ms). */
const STOP_AFTER_MS = 300;
/** After a second signal, how long the command may take to die of its SIGKILL before bpftrace is stopped anyway. */
const KILL_WAIT_MS = 2_000;
/** After a second signal killed the command, how long its exit record may take before bpftrace is stopped anyway. */
const EXIT_RECORD_WAIT_MS = 300;
/** After the root process's exit record, how long bpftrace's output must stay quiet before it is stopped. */
const QUIET_MS = 10;
/** How far short of captrace's read buffer a read may come and still have found bpftrace's pipe full. */
const FULL_SLACK = 8 * 1024;
/** A read smaller than this found bpftrace caught up with the trace: the root's exit in it asks for the summary. */
const CAUGHT_UP = 16 * 1024;
/** How long bpftrace may stay silent after a SIGINT before it is sent another. */
const SIGINT_RETRY_MS = 1_000;
/**
 * How long a silent bpftrace is taken to be working, not stuck, while it uses CPU: it reads and sorts a big map before
 * printing any of it (a million keys take seconds).
 */
const BUSY_LIMIT_MS = 60_000;
/** Text output shows the tracer's losses at most once in this long. */
const LOST_LINE_MS = 1_000;
/** How long the summary may take to begin once asked for, before bpftrace is stopped with SIGINT instead. */
const SUMMARY_WAIT_MS = 500;
/**
 * After the summary, records it counts that have not arrived are waited for as long as bpftrace's output keeps
 * coming; once it has been silent this long, the rest are reported lost.
 */
const STRAGGLER_QUIET_MS = 500;
/**
 * How long events are held to be put back in time order (bpftrace reads each CPU's buffer in turn): an event is
 * shown once events this much later have come, or once the stream has been quiet this long; longer, up to MAX_HOLD_MS,
 * once events came later than that (see TimeOrder).
 */
const HOLD_MS = 10;
/** The most the time-order hold widens to after events came later than it (see TimeOrder). */
const MAX_HOLD_MS = 250;
/** How long a command may outlive the SIGTERM sent when the stop input (--stdin-control, --control) closed. */
const STOP_INPUT_GRACE_MS = 3_000;
/**
 * --unique: the fewest keys shown remembered to drop a second showing of one (as many as the kernel's maps hold, if
 * more). The kernel shows each key once, but for two threads racing on two CPUs (a second showing comes within
 * microseconds of the first) or once its map of shown keys is full; a long system-wide trace would otherwise keep a
 * key for every process it saw.
 */
const UNIQUE_SHOWN_MIN = 1 << 17;
/** After a typed Ctrl-C, how long another one kills the command; a later one is a first one again. */
const TYPED_AGAIN_MS = 3_000;
/** The byte Ctrl-C types (ETX), an interrupt when written to the stop input (see #interrupt). */
const ETX = 3;

const HARMLESS_STDERR = [/couldn't set RLIMIT_MEMLOCK/, /WARNING: Addrspace mismatch/, /^\s+[~^]+\s*$/];

/**
 * bpftrace's stderr without its harmless lines, nor the program line and marker that follow a harmless warning
 * (`program.bt:30:33-34: WARNING: Addrspace mismatch`, the line, `~`): none of them is a reason for a failure.
 */
function _meaningful(lines: readonly string[]): string[] {
  const out: string[] = [];
  let context = 0;
  for (const line of lines) {
    // A message of bpftrace's own is never a warning's context (one printed without its program line).
    if (context > 0 && !/^(?:ERROR|WARNING|\S+:\d+:\d+(?:-\d+)?: (?:ERROR|WARNING))/.test(line)) {
      context = /^\s+[~^]+\s*$/.test(line) ? 0 : context - 1;
      continue;
    }
    context = 0;
    if (_harmless(line)) {
      if (/^\S+:\d+:\d+(?:-\d+)?: WARNING: /.test(line)) context = 2;
      continue;
    }
    out.push(line);
  }
  return out;
}

/** True for a line of bpftrace's stderr that HARMLESS_STDERR says is no trouble. */
function _harmless(line: string): boolean {
  return HARMLESS_STDERR.some((re) => re.test(line));
}

/**
 * Stops `pids` and every process below them, looking at /proc again until no new one appears (stopped, they fork no
 * more meanwhile). Returns them all, `pids` first.
 */
async function _freeze(pids: readonly number[]): Promise<number[]> {
  const frozen = new Set(pids);
  for (const pid of frozen) _kill(pid, "SIGSTOP");
  for (let round = 0; round < 8; round++) {
    const more = (await descendantsOfAll([...frozen])).filter((pid) => !frozen.has(pid));
    if (more.length === 0) break;
    for (const pid of more) {
      frozen.add(pid);
      _kill(pid, "SIGSTOP");
    }
  }
  return [...frozen];
}

/** Sends `sig` to `pid`, if it is still there. */
function _kill(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** How long a wait for a FIFO's other end goes on before captrace says what it waits for. */
const WAIT_NOTICE_MS = 1000;

/**
 * Says on stderr what captrace waits for (`what`: "a reader of 'trace.fifo'") once `waiting` has taken
 * WAIT_NOTICE_MS: a FIFO nobody opens would otherwise hang captrace with no word. Not with an NDJSON trace on stderr,
 * which takes no text.
 */
function _sayWhileWaiting(waiting: Promise<unknown>, what: string, options: Options): void {
  if (options.json && options.output === null) return;
  const timer = setTimeout(() => {
    stderrQueue().push(new TextEncoder().encode(`captrace: waiting for ${what}…\n`));
  }, WAIT_NOTICE_MS);
  waiting.then(() => clearTimeout(timer), () => clearTimeout(timer));
}

/** Bytes of trace queued for a slow reader before the reading of bpftrace waits for it. */
const MAX_BACKLOG = 1 << 20;

/** Human notices (header, completeness, warnings) go to stderr unless the trace itself is NDJSON there. */
function _notice(options: Options, sink: Sink, text: string): void {
  if (options.json && sink.isStderr) return;
  sink.flush();
  // Nobody reading captrace's stderr any more (a closed pipe), the trace goes on, and the exit status still tells.
  stderrQueue().push(new TextEncoder().encode(text + "\n"), [], sink.noticeAfter());
}

/** Run the trace described by `options`; returns the exit code. Throws CaptraceError for reportable failures. */
export async function runSession(options: Options, hooks: SessionHooks = {}): Promise<number> {
  // --stop-with's process: its end stops the trace, and gives up any wait below (nobody would ever come).
  const stopWith = options.stopWith === null ? null : await processStop(options.stopWith);
  if (stopWith !== null && !stopWith.running) {
    stopWith.close();
    throw new CaptraceError(
      `Process ${options.stopWith} given to --stop-with is not running: nothing was traced`,
      stopWith.closedEarly.hint,
      ExitCode.TRACE_FAILED,
    );
  }
  try {
    return await _run(options, hooks, stopWith);
  } finally {
    stopWith?.close();
  }
}

async function _run(options: Options, hooks: SessionHooks, stopWith: ProcessStop | null): Promise<number> {
  const orEnd = <T>(waiting: Promise<T>, what: string): Promise<T> => {
    _sayWhileWaiting(waiting, what, options);
    return stopWith === null ? waiting : Promise.race([
      waiting,
      stopWith.ended.then((): never => {
        throw new CaptraceError(
          `Process ${options.stopWith} ended while captrace waited for ${what} (--stop-with): nothing was traced`,
          stopWith.closedEarly.hint,
          ExitCode.TRACE_FAILED,
        );
      }),
    ]);
  };
  // Read before -o truncates its file (it may be the same one: a trace kept as its own baseline), and while a signal
  // still ends captrace as usual: a baseline on a FIFO may wait for its writer.
  const baseline = options.baseline === null
    ? null
    : await orEnd(readBaseline(options.baseline), `the baseline '${options.baseline}'`);
  // Opening a FIFO waits for its reader: until then a signal must end captrace as usual, with nothing to clean up.
  const sink = options.output === "-" ? Sink.stdout(options.mode === "command") : options.output
    ? await orEnd(
      Sink.open(options.output, options.mode === "command").catch((e) => {
        throw new CaptraceError(
          `Cannot write the trace to '${options.output}': ${reason(e)}`,
          "Check the path, or leave out -o to write the trace to stderr",
          ExitCode.USAGE,
        );
      }),
      `a reader of '${options.output}'`,
    )
    : Sink.stderr(options.mode === "command");
  // The same for the control FIFO, which waits for its writer.
  let stopInput: StopInput | null;
  try {
    const input = options.control !== null
      ? await orEnd(fifoStop(options.control), `a writer of '${options.control}'`)
      : options.stdinControl
      ? stdinStop()
      : null;
    stopInput = input === null ? stopWith : stopWith === null ? input : eitherStop(input, stopWith);
  } catch (e) {
    _reportInTrace(options, sink, e);
    await sink.close();
    throw e;
  }
  const signals = new SignalRelay();
  try {
    return await _prepare(options, hooks, sink, signals, baseline, stopInput);
  } catch (e) {
    _reportInTrace(options, sink, e);
    throw e;
  } finally {
    // Written out while a signal still ends a wait for a reader that reads nothing (see Sink.ending).
    await sink.close();
    signals.close();
  }
}

/**
 * A consumer reading only the trace (an editor on a FIFO, a file read later) must learn why it ended: in the trace
 * too; as text, in a file of its own (not stdout or stderr's file, which get the report already).
 */
function _reportInTrace(options: Options, sink: Sink, e: unknown): void {
  if (e instanceof CaptraceError && !sink.isStderr) {
    if (options.json) {
      sink.line(JSON.stringify(e.toEvent()));
      // A trace already broken takes it no more: stderr gets the event then.
      e.inTrace = !sink.broken;
    } else if (sink.isOwn) sink.line(e.toText());
  }
}

async function _prepare(
  options: Options,
  hooks: SessionHooks,
  sink: Sink,
  signals: SignalRelay,
  baseline: string[] | null,
  stopInput: StopInput | null,
): Promise<number> {
  // captrace's own status, read once: its privileges, and the bounding set a launched command inherits.
  const own = await readStatus(Deno.pid);
  checkPrivileges(Deno.uid(), own);
  await checkPidNamespace();
  // Reading and parsing BTF takes about 25 ms: done while the rest starts (up to the command's launcher).
  // CAPTRACE_BTF_OFFSETS=0 makes the program name the structs instead (slower start; for troubleshooting).
  const useOffsets = Deno.build.arch === "x86_64" && Deno.env.get("CAPTRACE_BTF_OFFSETS") !== "0";
  const offsets = useOffsets ? kernelOffsetsFromBtf() : Promise.resolve(null);
  const tracefs = await ensureTracefs();
  // The version decides which BTF bpftrace is given (see typelessBtf), and refuses one too old before the command
  // runs: kept for the boot by bpftrace's file, else asked alongside the rest of the start.
  const version = keptBpftraceVersion(options.bpftrace, signals.early);
  version.catch(() => {}); // awaited later: a failure is reported then
  try {
    // A bpftrace too old to use may also fail these; its version is the error worth reporting then.
    const support = await probeSupport(options.bpftrace, options.probe, tracefs.dir, signals.early).catch(async (e) => {
      await version;
      throw e;
    });
    const choice = chooseProbe(options.probe, support);
    if (typeof choice !== "string") {
      await version;
      throw new CaptraceError(
        `${choice.error} (kernel ${Deno.osRelease()})`,
        options.probe === "auto" ? "Tried the tracepoint, then kprobes" : "Try --probe auto",
        ExitCode.CANNOT_TRACE,
      );
    }
    const probe: ProbeKind = choice;
    const arch = Deno.build.arch;
    const limits = probeLimits(probe, arch);
    // The program's map of cgroup ids has room for --map-keys entries.
    const cgroup = options.cgroup === null ? null : await resolveCgroup(options.cgroup, options.mapKeys);
    const optsArg = probe === "kprobe"
      ? kprobeOptsArg(await capableOptsParam(options.bpftrace, signals.early), Deno.osRelease())
      : "opts";

    let rootPid: number | null = null;
    let preTracked: number[] = [];
    const running: { pid: number; ppid: number; file: ProgramFile }[] = [];
    let binary: ProgramFile | undefined;
    let commandPath: string | null = null;
    let commandAs: { name: string; path: string } | null = null;
    const escaped: number[] = [];
    let argv: string[] = [];
    // The traced processes' bounding set: the command's is captrace's own, which it inherits.
    let bounding: number[] | null = null;
    if (options.mode === "pid") {
      rootPid = options.pid!;
      // Read once: its state now, and below, the capabilities it holds and may be granted.
      const status = await readStatus(rootPid);
      bounding = capSet(status ?? "", "CapBnd");
      const state = stateFromStatus(rootPid, status);
      if (hasEnded(state)) {
        throw state.kind === "gone"
          ? new CaptraceError(
            `No process with pid ${rootPid}`,
            "Check the pid with 'ps -p PID'",
            ExitCode.NO_SUCH_PROCESS,
          )
          : new CaptraceError(
            `Process ${rootPid} has already exited`,
            `Give the pid of a running process: ${rootPid} is a zombie ('ps -p ${rootPid}' shows <defunct>)`,
            ExitCode.NO_SUCH_PROCESS,
          );
      }
      if (rootPid === Deno.pid) {
        throw new CaptraceError("captrace cannot trace itself", "Give the pid of another process", ExitCode.USAGE);
      }
      if (isKernelThread(await Deno.readTextFile(`/proc/${rootPid}/stat`).catch(() => ""))) {
        // It makes no syscalls of a program's, and kthreadd's children are every kernel thread.
        throw new CaptraceError(
          `Process ${rootPid} is a kernel thread`,
          "Trace a user process, or the whole system (leave out -p)",
          ExitCode.USAGE,
        );
      }
      if (state.kind === "thread") {
        // The kernel program follows processes by their pid: a thread's id alone would match nothing.
        throw new CaptraceError(
          `${rootPid} is a thread of process ${state.tgid}`,
          `Trace the process: captrace -p ${state.tgid}`,
          ExitCode.USAGE,
        );
      }
      if (options.follow) {
        const below = await descendantsOf(rootPid);
        // The root and every process below it, with all their threads.
        preTracked = [rootPid, ...below.map((p) => p.pid)];
        // For the setcap lines: what the processes already running run; they have no exec record to come.
        for (const r of below) {
          const file = await runningProgram(r.pid);
          if (file) running.push({ pid: r.pid, ppid: r.ppid, file });
        }
      }
      // For the setcap line: the program the process runs.
      binary = await runningProgram(rootPid) ?? undefined;
      // What it did before is not seen: a daemon's capabilities were often used at its start (binding a port).
      const held = effectiveCaps(status ?? "") ?? [];
      // Held in a user namespace of its own (a rootless container's), they count there only.
      const [its, ours] = await Promise.all(
        [`/proc/${rootPid}/ns/user`, "/proc/self/ns/user"].map((l) => Deno.readLink(l).catch(() => null)),
      );
      const where = its !== null && ours !== null && its !== ours ? ` in ${its}, a user namespace of its own` : "";
      const holds = held.length === 0
        ? ""
        : `; it holds ${held.length > 6 ? `${held.length} capabilities` : held.map(capConstant).join(" ")}${where}`;
      limits.push(`checks process ${rootPid} made before the attach are not seen${holds}`);
    }
    const user = options.user ? await resolveUser(options.user, signals.early) : null;
    const envPath = Deno.env.get("PATH");
    const forUser = user === null || envPath === undefined ? null : await userPath(envPath, user);
    if (options.mode === "command") {
      bounding = capSet(own ?? "", "CapBnd");
      const raw = rawTail(options.command.length);
      // Deno's strings cannot name a file whose name is not UTF-8 (each such byte becomes U+FFFD): captrace could
      // neither look it up nor have it run. As an argument, escaped, it passes through (see below).
      if (raw !== null && !isUtf8(raw[0]!)) {
        throw new CaptraceError(
          "The command's name is not UTF-8, which captrace cannot look up",
          `Run it through a shell, which gets it as given: captrace [options] -- sh -c 'exec "$0" "$@"' COMMAND [ARGS]`,
          ExitCode.USAGE,
        );
      }
      // Looked up on the PATH the command gets: the file the launcher's exec finds.
      const path = await resolveCommand(options.command[0]!, forUser?.path, user ?? undefined, forUser?.dropped);
      await checkInterpreter(path, options.command[0]!);
      // The name is passed as given, as a shell passes it: the launcher's exec finds the same file on the same PATH,
      // or from the same working directory, and the program sees in argv[0] the name it was called by ("bash", not
      // "/usr/bin/bash"; "./tool", not "/home/me/tool"). But for one the launcher's exec would take for an option.
      const name = options.command[0]!;
      argv = [name.startsWith("-") ? path : name, ...options.command.slice(1)];
      // Arguments that are not UTF-8 go to the command as the bytes they were, escaped (see raw_args.ts).
      for (let i = 1; raw !== null && i < raw.length; i++) {
        if (isUtf8(raw[i]!)) continue;
        argv[i] = escapeForPrintf(raw[i]!);
        escaped.push(i);
      }
      // Its exec record names it by that relative path, or cut short (bpftrace's strings stop at MAX_PATH bytes): the
      // file is the one resolved here.
      if ((name.includes("/") && !name.startsWith("/") && argv[0] === name) || cutInRecords(path)) {
        commandAs = { name: argv[0]!, path };
      }
      // For the setcap line: setcap refuses a symbolic link, and /bin/sh or python3 often are one.
      binary = await programFile(path);
      commandPath = path;
    }
    if (tracefs.note) _notice(options, sink, `captrace: ${tracefs.note}`);
    if (user !== null && options.mode === "command") {
      // The command starts in captrace's directory: one the user cannot search makes every relative lookup there a
      // denied DAC check, which the recommendation would then hold.
      const cwd = currentDir();
      if (cwd !== null && !(await reachable(cwd, user))) {
        _notice(
          options,
          sink,
          `captrace: ${user.name} cannot search the working directory ${printable(cwd)}: the command's lookups ` +
            `there are refused, and recommended as needs\nRun captrace from a directory ${user.name} can enter`,
        );
      }
    }
    if (forUser !== null && forUser.dropped.length > 0) {
      const dirs = forUser.dropped.join(", ");
      _notice(options, sink, `captrace: the command's PATH leaves out what ${user!.name} cannot search: ${dirs}`);
    }
    const unusable = user === null || options.mode !== "command"
      ? []
      : await unusableVariables(Deno.env.toObject(), user);
    if (unusable.length > 0) {
      const vars = unusable.map((v) => `${v.name}=${printable(v.value)} (${v.why})`).join(", ");
      _notice(options, sink, `captrace: the command's environment leaves out what ${user!.name} cannot use: ${vars}`);
    }
    return await _trace(options, hooks, sink, signals, {
      stopInput,
      probe,
      limits,
      version,
      optsArg,
      rootPid,
      preTracked,
      running,
      binary,
      commandPath,
      argv,
      escaped,
      commandAs,
      bounding,
      user,
      userPath: forUser?.path ?? null,
      dropEnv: unusable.map((v) => v.name),
      cgroup,
      baseline,
      arch,
      offsets,
    });
  } catch (e) {
    // Not left running after captrace has exited: the version check's bpftrace ends within milliseconds.
    await version.catch(() => {});
    // Stopped by a signal while starting (what was waited for given up): the run ends as the signal asks, and says
    // that, not what was given up.
    if (!signals.attached && signals.early.aborted && signals.pending) {
      throw _stoppedBeforeTrace(signals.pending, options.mode);
    }
    throw e;
  }
}

interface _Plan {
  probe: ProbeKind;
  limits: string[];
  /** bpftrace's version; rejects with the error to report when it cannot be used. */
  version: Promise<string>;
  optsArg: "opts" | "audit";
  rootPid: number | null;
  preTracked: number[];
  /** Processes below the root that run already (--pid), with their binaries. */
  running: { pid: number; ppid: number; file: ProgramFile }[];
  binary: ProgramFile | undefined;
  /** The command's file, as its exec finds it on the PATH it gets (-u's), a link kept a link; null without one. */
  commandPath: string | null;
  argv: string[];
  /** Which words of `argv` are escaped for `printf %b`: arguments that were not UTF-8 (see raw_args.ts). */
  escaped: number[];
  /** The command given by a relative path (./tool), and the file it names, from captrace's directory. */
  commandAs: { name: string; path: string } | null;
  /** The bounding set of the traced processes (the command's, the pid's); null when not known (system-wide). */
  bounding: number[] | null;
  user: User | null;
  /** The command's PATH as the user (see userPath); null to keep captrace's. */
  userPath: string | null;
  /** Variables left out of the command's environment (see unusableVariables). */
  dropEnv: string[];
  /** --cgroup's cgroup. */
  cgroup: Cgroup | null;
  baseline: string[] | null;
  arch: string;
  /** Parsed from BTF while the command's launcher starts. */
  offsets: Promise<KernelOffsets | null>;
  /** The input whose end stops the trace (--stdin-control, --control), if any. */
  stopInput: StopInput | null;
}

async function _trace(
  options: Options,
  hooks: SessionHooks,
  sink: Sink,
  signals: SignalRelay,
  plan: _Plan,
): Promise<number> {
  const { probe, limits, version, optsArg, preTracked, binary, argv, user, baseline, arch } = plan;
  let rootPid = plan.rootPid;

  let gate: Gated | null = null;
  if (options.mode === "command") {
    gate = await launchGated(argv, {
      user,
      ...(plan.userPath === null ? {} : { path: plan.userPath }),
      drop: plan.dropEnv,
      stdin: options.stdinControl ? "null" : "inherit",
      escaped: plan.escaped,
      ignore: signals.ignored,
    });
    rootPid = gate.pid;
  }
  // The command's process group, when it is captrace's too (see ProgramOptions.sharedPgid).
  const pgrp = gate === null ? undefined : terminalFields(gate.pid)?.pgrp;
  const sharedPgid = pgrp !== undefined && pgrp === terminalFields("self")?.pgrp ? pgrp : null;

  // captrace asks for the summary by chowning a file of its own in `control` (see ProgramOptions.controlPid); a
  // directory only root can enter, so nothing can swap the file for a link to another.
  let control: string | null = null;
  let tracer: Deno.ChildProcess | null = null;
  let annotator: SiteAnnotator | null = null;
  try {
    const offsets = await plan.offsets;
    const programOptions: ProgramOptions = {
      probe,
      kprobeOptsArg: optsArg,
      mode: options.mode,
      ...(rootPid !== null ? { rootPid } : {}),
      follow: options.follow,
      launcherExecs: gate?.launcherExecs ?? 0,
      unique: options.unique,
      summaryOnly: options.summaryOnly,
      sites: options.sites,
      preTracked,
      excludePids: [Deno.pid],
      excludeChildrenOf: Deno.pid,
      ...(plan.cgroup ? { cgroup: { path: plan.cgroup.path, ids: plan.cgroup.ids } } : {}),
      controlPid: Deno.pid,
      ...(sharedPgid === null ? {} : { sharedPgid }),
      arch,
      ...(offsets ? { offsets } : {}),
    };
    if (plan.cgroup !== null && plan.cgroup.path !== "/" && !watchesNewCgroups(programOptions)) {
      plan.limits.push(
        "cgroups made below the traced one during the trace are not seen: its path cannot be compared in the " +
          "kernel (longer than 198 bytes, or with a character other than plain ASCII, a quote or a backslash)",
      );
    }
    const program = generateProgram(programOptions);
    if (options.debug) _notice(options, sink, `captrace: bpftrace program:\n${program}`);
    control = await privateTempDir("captrace-control-");
    // A program that names no kernel type needs none of the kernel's BTF: bpftrace 0.17 then starts about 100 ms
    // sooner (see typelessBtf). Its version is known by now, asked at the start. Only on the tracepoint, the path
    // run end to end against a real kernel by the tests; kprobe programs are only compiled there.
    let btf: string | null = null;
    const typeless = probe === "tracepoint" && !namesKernelTypes(programOptions);
    if (typeless && takesTypelessBtf(await version.catch(() => ""))) {
      btf = `${control}/types.btf`;
      await _writePrivate(btf, typelessBtf());
    }
    // The program goes to bpftrace as a file: one argument holds 128 KiB at most, and one line per process already
    // running (-p 1 on a busy machine) can pass that.
    const programFile = `${control}/program.bt`;
    await _writePrivate(programFile, new TextEncoder().encode(program));
    // Stopped before bpftrace starts: the command never runs (the gate is aborted below), what was made is removed.
    if (signals.pending) throw _stoppedBeforeTrace(signals.pending, options.mode);
    tracer = await _startTracer(options, programFile, version, btf);
    const state = new _Session(
      options,
      sink,
      probe,
      limits,
      version,
      rootPid,
      gate,
      tracer,
      binary,
      control,
      signals,
      user,
    );
    state.cgroup = plan.cgroup?.path ?? null;
    state.stopInput = plan.stopInput;
    state.commandAs = plan.commandAs;
    state.bounding = plan.bounding;
    // What the processes already running run; the kernel marks their programs with their pids.
    for (const r of plan.running) {
      state.programs.map.exec(r.pid, r.ppid, r.file);
      state.programs.map.mark(r.pid, r.file);
      state.tracking(r.pid);
    }
    if (options.mode === "pid" && rootPid !== null) state.programs.map.mark(rootPid, state.programs.map.root);
    annotator = options.sites && hooks.sites ? hooks.sites(options, plan.commandPath) : null;
    const code = await state.run(annotator);
    // The summary and the completeness line are written (or that failed) before the outcome is told.
    await sink.relieve(0);
    if (sink.failure) {
      const gone = readerGone(sink.failure, sink.isTerminal);
      const stalled = sink.failure instanceof WriteStalled;
      throw new CaptraceError(
        `Cannot write the trace${options.output ? ` to '${options.output}'` : ""}: ${
          gone ? "its reader went away" : reason(sink.failure)
        }`,
        gone || stalled
          ? "Keep reading the trace until captrace ends"
          : /os error (28|122)\)/.test(sink.failure.message) // ENOSPC, EDQUOT
          ? "Free some space, or write the trace elsewhere with -o FILE"
          : "Write the trace elsewhere with -o FILE",
        ExitCode.TRACE_FAILED,
      );
    }
    // A command stopped before the trace began was not traced: there is nothing to hold to the baseline.
    const summary = state.ready ? state.summary() : null;
    if (baseline && summary) {
      const { capabilities, narrowed } = summary.recommendation;
      const diff = compareBaseline(baseline, capabilities, narrowed);
      if (diff.length > 0) {
        _notice(options, sink, `captrace: ${diff.join(" ")} needed, not in baseline ${options.baseline}`);
        if (options.json) {
          const e = new CaptraceError(
            `Capabilities not in the baseline: ${diff.join(", ")}`,
            "Grant them, or update the baseline",
            ExitCode.BASELINE_EXCEEDED,
          );
          sink.line(JSON.stringify(e.toEvent()));
        }
        return ExitCode.BASELINE_EXCEEDED;
      }
    }
    return code;
  } catch (e) {
    // Normally the session has ended bpftrace; after an error before or outside it, nothing may be left running.
    try {
      tracer?.kill("SIGKILL");
    } catch {
      // already gone
    }
    throw e;
  } finally {
    await annotator?.close();
    gate?.abort();
    await gate?.cleanup();
    if (control) await Deno.remove(control, { recursive: true }).catch(() => {});
  }
}

/**
 * A run stopped by `sig` before its trace began ends as the signal asks (128 + N), and says so, in the trace too: a
 * consumer of the trace cannot tell an empty one from a command killed by the signal.
 */
function _stoppedBeforeTrace(sig: Deno.Signal, mode: Options["mode"]): CaptraceError {
  const what = mode === "command" ? "the command did not run" : "nothing was traced";
  return new CaptraceError(`Stopped by ${sig} before the trace began: ${what}`, null, 128 + (signalNumber(sig) ?? 0));
}

/**
 * The command's exit status. Deno rejects it when a signal it has no name for ended the process (a real-time
 * signal such as 36: "Invalid signal: 36"); the status then says 128 + N, as a shell would.
 */
async function _exitStatus(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  try {
    return await child.status;
  } catch (e) {
    const n = /^Invalid signal: (\d+)$/.exec((e as Error)?.message ?? "");
    if (!n) throw e;
    return { success: false, code: 128 + Number(n[1]), signal: null };
  }
}

/** Writes `data` to `path` in captrace's private directory; a full or unwritable TMPDIR is exit 3. */
async function _writePrivate(path: string, data: Uint8Array): Promise<void> {
  await Deno.writeFile(path, data, { mode: 0o600 }).catch((e) => {
    throw new CaptraceError(
      `Cannot write to a temporary directory: ${reason(e)}`,
      "Check that TMPDIR names a writable directory with room, or unset it",
      ExitCode.CANNOT_TRACE,
    );
  });
}

/** Starts bpftrace on `programFile`, in a session of its own where util-linux's `setsid` is there (see setsidPath). */
async function _startTracer(
  options: Options,
  programFile: string,
  version: Promise<string>,
  btf: string | null,
): Promise<Deno.ChildProcess> {
  const setsid = setsidPath();
  const argv = [options.bpftrace, "-B", "line", programFile];
  const command = new Deno.Command(setsid ?? options.bpftrace, {
    args: setsid ? argv : argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: {
      BPFTRACE_STRLEN: String(MAX_PATH),
      BPFTRACE_MAP_KEYS_MAX: String(options.mapKeys),
      BPFTRACE_PERF_RB_PAGES: "1024",
      BPFTRACE_NO_USER_SYMBOLS: "1",
      ...(btf ? { BPFTRACE_BTF: btf } : {}),
    },
  });
  try {
    return command.spawn();
  } catch (e) {
    await version; // a missing or unusable bpftrace: the version check's error says which
    throw e;
  }
}

/** The running state of one trace. */
class _Session {
  readonly parser = new LineParser();
  readonly correlator: Correlator;
  shown = 0;
  hiddenNoaudit = 0;
  ready = false;
  stderrLines: string[] = [];
  stopping = 0;
  stopSignal: Deno.Signal | null = null;
  /** --cgroup's path from the hierarchy's root. */
  cgroup: string | null = null;
  /** The command as given by a relative path, until its exec record is read (see _Plan). */
  commandAs: { name: string; path: string } | null = null;
  /** The traced processes' bounding set, for the setcap lines (see recommend's bounding); null when not known. */
  bounding: number[] | null = null;
  /** The input whose end stops the trace (see _Plan). */
  stopInput: StopInput | null = null;

  /**
   * Processes of the traced tree (below the root) with no exit read yet, with their start time (read as soon as
   * their record is): an exit record the tracer lost leaves its pid here, which another process may have since.
   */
  #started = new Map<number, Promise<number | null>>();
  #rootExited = false;

  /** `pid`, below the root, runs: its exit is to come (or it outlives the root). */
  tracking(pid: number): void {
    // A fork record is a new process, whose pid may be one whose exit record the tracer lost: its time replaces.
    if (this.#started.size < 65536 || this.#started.has(pid)) this.#started.set(pid, startTime(pid));
  }

  /**
   * The pids of #started that still name the processes traced, running (not ended, nor given to another process
   * since), each handed to `each` as soon as it is found so (a signal sent then leaves the pid the least time to
   * change hands).
   */
  async #stillStarted(each?: (pid: number) => void): Promise<number[]> {
    const alive: number[] = [];
    for (const [pid, started] of this.#started) {
      const then = await started;
      if (then === null || (await startTime(pid)) !== then) continue;
      alive.push(pid);
      each?.(pid);
    }
    return alive;
  }

  /**
   * The trace ends with the root (README, Limits): processes of the tree still running then go on untraced. Says
   * so, naming them, so that a daemon's missing checks are no surprise.
   */
  async #noteOutliving(): Promise<void> {
    if (!this.#rootExited || this.#started.size === 0) return;
    const running: string[] = [];
    for (const pid of await this.#stillStarted()) {
      const comm = (await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "")).trim();
      running.push(comm === "" ? String(pid) : `${pid} ${printable(comm)}`);
    }
    if (running.length === 0) return;
    const shown = running.length > 5 ? [...running.slice(0, 5), "…"] : running;
    const which = running.length === 1
      ? "1 process it started still runs"
      : `${running.length} processes it started still run`;
    _notice(
      this.options,
      this.sink,
      `captrace: the traced process ended, and ${which} (${shown.join(", ")}): their later checks are not traced`,
    );
    // The summary says so too: a --json reader, or a --baseline run in CI, sees no notice.
    const were = running.length === 1 ? "1 process it started was" : `${running.length} processes it started were`;
    this.#outliving = `The traced command ended while ${were} still running (${shown.join(", ")}): ` +
      `checks ${running.length === 1 ? "it" : "they"} made later are not covered.`;
  }
  /** The summary note's sentence about processes that outlived the root, if any did. */
  #outliving = "";
  /**
   * --pid's process was found ended once the probes were attached: nothing of it was traced, unless a record of it
   * came (it ended between the attach and the ready record).
   */
  #endedBeforeAttach = false;
  #rootSeen = false;
  tracerStatus: Deno.CommandStatus | null = null;
  childStatus: Deno.CommandStatus | null = null;

  constructor(
    readonly options: Options,
    readonly sink: Sink,
    readonly probe: ProbeKind,
    readonly limits: string[],
    readonly version: Promise<string>,
    readonly rootPid: number | null,
    readonly gate: Gated | null,
    readonly tracer: Deno.ChildProcess,
    binary: ProgramFile | undefined,
    /** Private directory for the file chowned to ask for the summary. */
    readonly control: string,
    readonly signals: SignalRelay,
    /** Who the command runs as (-u); null for captrace's own user. */
    readonly user: User | null,
  ) {
    this.correlator = new Correlator({ probe, arch: Deno.build.arch, unique: options.unique });
    // System-wide, no program is the trace's own: one not found is no file to name.
    this.programs = new ProgramFiles(binary ?? { path: UNKNOWN_PROGRAM, script: false, unplaced: true });
  }

  /**
   * System-wide (--cgroup too), a process that executed nothing while traced has no exec record: the program it runs
   * is read from /proc when its first check is read; when it is gone by then, its parent's if that still runs under
   * its comm (it was a fork), or else it is named by its comm, as it was run.
   * One only the kernel's counts name (with --summary-only) is looked up at the end.
   */
  #lookUp(pid: number, ppid: number, comm: string | null): void {
    if (this.options.mode !== "system" || this.#lookedUp.has(pid)) return;
    if (this.#lookedUp.size >= 65536) this.#lookedUp.clear();
    const turn = { comm: comm ?? "" };
    this.#lookedUp.set(pid, turn);
    this.programs.track((async () => {
      let file = await runningProgram(pid);
      // A fork that made its check and exited ran its parent's program: the parent, still there, has its comm.
      if (file === null && comm !== null && ppid > 0) {
        const parent = (await Deno.readTextFile(`/proc/${ppid}/comm`).catch(() => "")).replace(/\n$/, "");
        if (parent === comm) file = await runningProgram(ppid);
      }
      // An exec record of the process read meanwhile names its program: this lookup may have read a later one.
      if (this.#lookedUp.get(pid) !== turn) return;
      const found = file ?? (comm === null ? null : { path: comm, script: false, unplaced: true as const });
      if (found !== null) this.programs.map.exec(pid, ppid, found);
    })());
  }
  #lookedUp = new Map<number, { comm: string }>();
  /** System-wide, the pids with an exec record. */
  #executed = new Set<number>();

  /** Resolves once the program of every process that made a check is known, as far as it can be. */
  async #programsKnown(): Promise<void> {
    for (const a of this.correlator.agg) this.#lookUp(a.pid, 0, null);
    await this.programs.settled();
  }

  /**
   * When nothing is needed, the setcap line removes the program's file capabilities: unless getcap says it has none,
   * when `setcap -r` would fail. Asked only then (a spawn at the end of the trace), and the summary made again.
   */
  async #rootCaps(): Promise<void> {
    if (!this.summary()?.recommendation.setcap.startsWith("setcap -r ")) return;
    if ((await hasFileCaps(this.#rootProgram().path)) !== false) return;
    this.#rootCapless = true;
    this.#summary = undefined;
  }
  #rootCapless = false;

  /**
   * A command run as another user whose program, or a program of its tree that made checks, is set-user-ID root (on a
   * mount without nosuid) ran as root: root's files were its own and its checks passed. The note says so: what it
   * needs without the bit is not seen.
   */
  async #noteSetuidRoot(): Promise<void> {
    if (this.user === null || this.user.uid === 0) return;
    // Under no_new_privs, which the command inherits from captrace, the kernel ignores the bit.
    if (/^NoNewPrivs:\s*1$/m.test(await readStatus(Deno.pid) ?? "")) return;
    const root = this.#rootProgram();
    const paths = [
      ...(root.unplaced || root.mountNs !== undefined ? [] : [root.path]),
      ...(this.summary()?.recommendation.programs ?? []).filter((p) => p.placed && p.mount_ns === null).map((p) =>
        p.path
      ),
    ];
    const table = await Deno.readTextFile("/proc/self/mountinfo").catch(() => null);
    if (table === null) return;
    const all = mounts(table);
    const setuid: string[] = [];
    for (const path of new Set(paths)) {
      const st = await Deno.stat(path).catch(() => null);
      if (st === null || st.uid !== 0 || ((st.mode ?? 0) & 0o4000) === 0) continue;
      const real = await Deno.realPath(path).catch(() => null);
      if (real !== null && mountOf(real, all)?.options.includes("nosuid") === false) setuid.push(path);
    }
    if (setuid.length === 0) return;
    this.#setuidRoot = new Set(setuid);
    const one = setuid.length === 1;
    this.#setuidNote =
      `${andList(setuid.map(printable))} ${one ? "is" : "are"} set-user-ID root: run by ${this.user.name}, ` +
      `${one ? "it" : "they"} ran as root, whose files are ${one ? "its" : "their"} own and whose checks pass, so ` +
      `what ${one ? "it needs" : "they need"} without that bit is not seen.`;
    this.#summary = undefined;
  }
  #setuidNote = "";
  /** The files of the setuid note, whose setcap lines are comments (see recommend's setuidRoot). */
  #setuidRoot = new Set<string>();

  /**
   * A program whose setcap line gives nothing its file's capabilities do not give already, though the kernel refused
   * one of them: the program drops them itself (iproute2's ip drops all unless CAP_NET_ADMIN is inheritable), or the
   * kernel ignores them (a nosuid mount). Run again after setcap, that line comes again: the note says that setcap
   * changes nothing there, and what does.
   */
  async #noteCapsHeld(): Promise<void> {
    const summary = this.summary();
    if (summary === null) return;
    // Each program's refused capabilities, as far as the program a pid ran at the end tells.
    const refused = new Set<string>();
    for (const a of this.correlator.agg) {
      if (a.ret === 0 || !isAudited(a.opts) || a.count === 0) continue;
      refused.add(`${this.programs.map.programOf(a.pid).path}\0${capConstant(a.cap)}`);
    }
    const held: string[] = [];
    for (const p of summary.recommendation.programs) {
      if (!p.placed || p.mount_ns !== null || p.script || p.interpreter) continue;
      if (!p.capabilities.some((c) => refused.has(`${p.path}\0${c}`))) continue;
      const has = await fileCapsOf(p.path);
      if (has !== null && p.capabilities.every((c) => has.includes(c))) held.push(printable(p.path));
    }
    if (held.length === 0) return;
    const [have, their] = held.length === 1 ? ["has", "its"] : ["have", "their"];
    this.#heldNote = `${andList(held)} already ${have} the capabilities of ${their} setcap line, yet they were ` +
      "refused: a program may drop them itself (iproute2's ip drops them all unless CAP_NET_ADMIN is also in its " +
      "inheritable set), and on a nosuid mount the kernel ignores them. setcap changes nothing then; grant them as " +
      "ambient capabilities (the systemd lines, or setpriv --inh-caps and --ambient-caps).";
    this.#summary = undefined;
  }
  #heldNote = "";
  /**
   * The exit status of each pid's processes seen to end: the first that is not 0 (null: killed), else 0; the oldest
   * pids dropped past 65,536 (see RecommendInput.exitOf).
   */
  #exitCodes = new BoundedMap<number, number | null>(65536);

  /**
   * The program the root ends up running: past a launcher it execs (`env VAR=1 prog`, a wrapper script's `exec`),
   * which the setcap line of a command that needs nothing would otherwise name (see RecommendInput.rootLast).
   */
  #rootProgram(): ProgramFile {
    const map = this.programs.map;
    return this.rootPid === null || this.options.mode === "system" ? map.root : map.programOf(this.rootPid);
  }

  /** What each traced process ran, and what it asked for while it did, for the setcap lines. */
  readonly programs: ProgramFiles;
  readonly usage = new ProgramUsage();

  async run(annotator: SiteAnnotator | null): Promise<number> {
    // SIGUSR2 goes on to a running command, and is dropped otherwise.
    this.signals.attach((sig) => this.stop(sig), (sig) => {
      if (this.gate && this.ready && this.childStatus === null) _kill(this.gate.pid, sig);
    });
    if (this.stopInput) void this.#watchStopInput(this.stopInput);
    const stderrDone = this.#readStderr();
    stderrDone.catch(() => {}); // not awaited when captrace ends bpftrace itself
    // A bpftrace too old to use is not waited for: its version's error is reported once the tracer is gone.
    this.version.catch(() => this.#killTracer("SIGKILL"));

    const startTimer = setTimeout(() => {
      if (!this.ready) {
        this.stderrLines.push(`bpftrace did not attach its probes within ${START_TIMEOUT_MS / 1000} s`);
        this.#killTracer("SIGKILL");
      }
    }, START_TIMEOUT_MS);
    const childDone = this.gate ? this.#watchChild() : null;
    try {
      await this.#readStdout(annotator);
      // Ended by captrace with every record in: bpftrace takes ~75 ms per tracepoint to die, nothing to wait for.
      if (!this.#complete) {
        this.tracerStatus = await this.tracer.status;
        await stderrDone;
      }
    } finally {
      this.#streamEnded.resolve();
      clearTimeout(startTimer);
      clearTimeout(this.#summaryTimer);
      clearInterval(this.#partialTimer);
      clearInterval(this.#stragglerTimer);
      clearInterval(this.#quietTimer);
      clearInterval(this.#retryTimer);
      clearTimeout(this.#holdTimer);
      clearTimeout(this.#killWait);
      clearTimeout(this.#forceTimer);
      // From here a signal only gives up waits for a reader that reads nothing (see Sink.ending).
      this.signals.attach(() => this.sink.ending());
    }

    if (!this.ready) {
      this.gate?.abort();
      await this.version; // a bpftrace too old to use is the error to report
      // The stop input ended before the probes were attached: nothing was traced, which is said.
      if (this.#stopInputClosedEarly && this.stopInput) {
        const { message, hint } = this.stopInput.closedEarly;
        throw new CaptraceError(message, hint, ExitCode.TRACE_FAILED);
      }
      // Stopped by the user before the probes were attached: the command never ran.
      if (this.stopSignal) throw _stoppedBeforeTrace(this.stopSignal, this.options.mode);
      throw new CaptraceError(
        `bpftrace could not start the trace: ${this.#tracerError()}`,
        "Run with --debug to see the program and bpftrace's messages",
        ExitCode.CANNOT_TRACE,
      );
    }
    const complete = this.correlator.summaryComplete;
    this.#endedByOther = await this.#endedByOtherNow();
    if (!complete || this.#endedByOther) {
      // The tracer died, or was ended by another process, mid-trace: do not leave the command running untraced.
      if (this.gate && this.childStatus === null) await this.#terminateChild();
      await this.#killStragglers();
      await this.#programsKnown();
      await this.sink.relieve(0);
      this.#finish();
      throw this.#endedByOther
        ? new CaptraceError(
          "bpftrace ended before captrace stopped it: another process ended it (with SIGTERM or SIGINT)",
          this.gate
            ? "The trace ends where bpftrace did, without its summary; the command was stopped with it"
            : "The trace ends where bpftrace did, without its summary",
          ExitCode.TRACE_FAILED,
        )
        : this.#gaveUp !== null
        ? new CaptraceError(
          `bpftrace was killed when the trace was stopped: ${this.#gaveUp}`,
          "The trace is incomplete: its summary is lost",
          ExitCode.TRACE_FAILED,
        )
        : new CaptraceError(
          `bpftrace stopped unexpectedly (${this.#describeStatus(this.tracerStatus)}): ${this.#tracerError()}`,
          "The trace is incomplete; run with --debug for details",
          ExitCode.TRACE_FAILED,
        );
    }
    if (this.#endedBeforeAttach && !this.#rootSeen) {
      // Nothing of it was traced: no summary, whose "nothing needed" would be no finding at all.
      throw new CaptraceError(
        `Process ${this.rootPid} exited before the probes were attached`,
        "Nothing of it was traced; to trace a program from its start, launch it: captrace -- COMMAND",
        ExitCode.NO_SUCH_PROCESS,
      );
    }
    if (childDone && this.stopping > 1 && this.childStatus === null) {
      // Killed, but not dead: in the kernel's uninterruptible sleep it dies when it leaves it. Not waited for.
      const dead = await Promise.race([
        childDone.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), KILL_WAIT_MS)),
      ]);
      if (!dead) {
        _notice(
          this.options,
          this.sink,
          `captrace: the command (pid ${this.gate!.pid}) has not ended ${KILL_WAIT_MS / 1000} s after SIGKILL; ` +
            "it will when the kernel lets it",
        );
      }
    } else if (childDone) await childDone;
    await this.#killStragglers();
    await this.#noteOutliving();
    await this.#programsKnown();
    // The counts of what was written need the writes done (or given up: see Sink.ending), before the summary is made
    // (#rootCaps makes it).
    await this.sink.relieve(0);
    // The setcap line of a program that needs nothing and the notes are the written summary's alone (--baseline holds
    // the capabilities only): their getcap runs and /proc reads are not made for a trace that writes none.
    if (this.options.summary || this.options.json) {
      await this.#rootCaps();
      await this.#noteSetuidRoot();
      await this.#noteCapsHeld();
    }
    this.#finish();
    if (this.gate && this.childStatus) {
      const s = this.childStatus;
      return s.signal ? 128 + (signalNumber(s.signal) ?? 0) : s.code;
    }
    // Sent SIGKILL, not yet dead of it.
    if (this.gate) return 128 + (signalNumber("SIGKILL") ?? 9);
    return ExitCode.OK;
  }

  /** Summary counts and recommendation; null before the kernel's counts arrived. */
  summary(): SummaryEvent | null {
    if (!this.correlator.summaryComplete) return null;
    return this.#summary ??= this.#buildSummary();
  }
  #summary: SummaryEvent | undefined;

  #buildSummary(): SummaryEvent {
    const c = this.correlator;
    const programs = this.programs.map;
    const rows = summarize(c.agg, Deno.build.arch);
    const unique = this.options.unique;
    this.usage.complete = !unique && c.lost === 0;
    const seen = c.totals.get("n") ?? c.checks;
    // The exact counts come from a kernel map: keys that found it full were counted in @n only.
    const summarized = c.agg.reduce((sum, a) => sum + a.count, 0);
    const rec = recommend({
      agg: c.agg,
      narrowings: c.narrowings,
      alone: c.alone,
      countsIncomplete: summarized < seen,
      // A stream without every check (--unique prints a key's first only, --summary-only none, or events were lost)
      // may lack a broad capability's check on its own: the kernel's counts say which checks stood in.
      narrowFromCounts: !this.usage.complete || this.options.summaryOnly,
      root: programs.root,
      rootLast: this.#rootProgram(),
      programOf: (pid) =>
        // System-wide, a count with no mark was made before its process's first exec seen: not the executed
        // program's. The stream tells whose when it has every check (see ProgramUsage.chargeTo); else (--unique,
        // --summary-only, events lost), no one's.
        this.options.mode === "system" && (!this.usage.complete || this.options.summaryOnly) &&
          this.#executed.has(pid)
          ? programs.root
          : programs.programOf(pid),
      programMarked: (mark) => programs.programMarked(mark),
      programNow: (pid) => programs.programOf(pid),
      usage: this.usage,
      rootCapless: this.#rootCapless,
      arch: Deno.build.arch,
      exitOf: (pid) => this.#exitCodes.get(pid),
      gone: fileGone,
      setuidRoot: (path) => this.#setuidRoot.has(path),
      ...(this.bounding === null ? {} : { bounding: this.bounding }),
    });
    const totals = {
      seen,
      shown: this.#written().shown,
      hidden: Math.max(0, seen - this.shown - this.#dropped - c.lost),
      lost: c.lost,
      malformed: c.malformed,
      unsummarized: c.summaryComplete ? Math.max(0, seen - summarized) : 0,
    };
    // The children were not traced: their needs are not known, and may well be there.
    if (!this.options.follow) {
      rec.note +=
        ` With --no-follow only process ${this.rootPid} was traced: what the processes it started needed is ` +
        "not covered.";
    }
    if (this.#outliving !== "") rec.note += ` ${this.#outliving}`;
    if (this.#setuidNote !== "") rec.note += ` ${this.#setuidNote}`;
    if (this.#heldNote !== "") rec.note += ` ${this.#heldNote}`;
    return summaryEvent(rows, rec, totals, this.probe, this.limits);
  }

  #finish(): void {
    const c = this.correlator;
    const s = this.summary() ?? this.#buildSummary();
    // A trace something else ended early has no summary: its "nothing needed" would be no finding.
    if (c.summaryComplete && !this.#endedByOther) {
      if (this.options.json) this.sink.line(JSON.stringify(s));
      if (this.options.summary && !this.options.json) {
        this.sink.line("");
        this.sink.line(formatSummary(s));
      }
    }
    let noaudit = this.hiddenNoaudit;
    let repeats = Math.max(0, s.totals.seen - c.checks - c.lost) + this.#uniqueDropped;
    // With --unique the kernel prints only a key's first check: how many of those it held back were no-audit
    // checks is known from its exact counts, and the rest are repeats. Without them (a full map), not known.
    const told = c.summaryComplete && s.totals.unsummarized === 0;
    if (this.options.unique && !this.options.verbose && told) {
      noaudit = Math.min(s.totals.hidden, s.capabilities.reduce((n, r) => n + r.noaudit, 0));
      repeats = s.totals.hidden - noaudit;
    }
    const line = formatCompleteness(
      s.totals,
      this.probe === "tracepoint" ? "tracepoint:capability:cap_capable" : "kprobe:cap_capable",
      this.limits,
      {
        noaudit,
        repeats,
        launcher: c.totals.get("launcher") ?? 0,
        summaryOnly: this.options.summaryOnly,
        untold: this.options.unique && !this.options.verbose && !told,
        dropped: this.#written().dropped,
        // A full disk, say: not a reader gone (see Sink.failure).
        unwritable: this.sink.failure !== null,
      },
    );
    if (c.unmatched > 0) {
      _notice(this.options, this.sink, `captrace: ${c.unmatched} kprobe entries had no matching return`);
    }
    if (s.totals.unsummarized > 0) {
      // What the stream showed of them is in the recommendation (see recommend's countsIncomplete).
      const missing = this.options.summaryOnly
        ? "the summary and the recommendation"
        : "the summary's counts (the recommendation adds the capabilities the trace showed)";
      _notice(
        this.options,
        this.sink,
        `captrace: the kernel's map of exact counts was full: ${s.totals.unsummarized} checks are missing from ` +
          `${missing}\nRun again with --map-keys ${
            mapKeysAfterFull(this.options.mapKeys, s.totals.seen, s.totals.unsummarized)
          }`,
      );
    } else if (c.lost > 0) {
      _notice(this.options, this.sink, `captrace: ${c.lost} events lost by the tracer; summary counts are still exact`);
    }
    // A text trace in a file of its own (a FIFO or pipe too) ends with it: read apart, it says what it holds and lost.
    if (!this.options.json && this.sink.isOwn) this.sink.line(line);
    _notice(this.options, this.sink, line);
    this.sink.flush();
  }

  stop(sig: Deno.Signal): void {
    this.#signalledAt = performance.now();
    // A Ctrl-C (or Ctrl-\\) typed at the terminal, where the command's foreground program catches it (a REPL, a
    // pager, an editor): it reached the program already, which does with it what it would without captrace. It is
    // no stop of the trace, nor, typed again, a reason to kill the program.
    if (
      this.gate && this.ready && this.childStatus === null && (sig === "SIGINT" || sig === "SIGQUIT") &&
      terminalSignalsReach(this.gate.pid) &&
      handlesTyped([...treeNow(this.gate.pid), ...this.#started.keys()], signalNumber(sig)!)
    ) return;
    this.stopping++;
    this.stopSignal ??= sig;
    // A reader of the trace (or of stderr) that reads nothing no longer holds captrace up.
    this.sink.ending();
    if (this.gate) {
      if (!this.ready) {
        this.gate.abort();
        this.#stopTracer();
        return;
      }
      // Forward to the command; its exit ends the trace. A second request does not wait for it.
      if (this.childStatus === null) {
        // Ctrl-C and Ctrl-\ alike: the terminal sends their signal to the command's process group itself.
        const typed = (sig === "SIGINT" || sig === "SIGQUIT") && terminalSignalsReach(this.gate.pid);
        // A typed Ctrl-C long after a typed one before (a REPL the user went on with) is a first one again; after a
        // stop of another kind (a SIGTERM), it is the second that kills.
        const again = typed && this.stopping > 1 && this.#lastStopTyped;
        if (again && performance.now() - this.#typedAt > TYPED_AGAIN_MS) this.stopping = 1;
        this.#lastStopTyped = typed;
        if (typed && this.stopping === 1) {
          // A Ctrl-C typed at the terminal: the command has its own SIGINT, and a second one is "force quit" to many
          // programs (or a stray interrupt to a REPL). The trace follows the command to its end; a second signal
          // soon after kills it, as it would have if this one had come from elsewhere.
          this.#typedAt = performance.now();
          // Deno does not say who sent it: a `kill -INT` of captrace alone (`timeout --foreground -s INT`) is taken
          // for a typed one too, and reaches the command only if sent on. Sent to a command that neither catches nor
          // ignores SIGINT (nor is stopped, keeping it pending), it changes nothing for a typed one, which ends it
          // already. Not SIGQUIT: a second core dump is no help.
          if (sig === "SIGINT") this.#sendIfDefault(sig);
          _notice(
            this.options,
            this.sink,
            `captrace: ${sig === "SIGQUIT" ? "Ctrl-\\" : "Ctrl-C"}: tracing the command until it exits (again within ${
              TYPED_AGAIN_MS / 1000
            } s to kill it)`,
          );
        } else {
          this.#signalChild(this.stopping > 1 ? "SIGKILL" : sig, this.#stopTree || this.stopping > 1);
        }
      }
      // The command killed by a second signal still leaves its exit record, which ends the trace as usual (see
      // #watchChild): stopping bpftrace at once could lose it. A third signal does not wait, nor one to a stopped
      // bpftrace once the command has ended (the trace, finishing, waits for it).
      const stuck = this.childStatus !== null && processStopped(this.tracer.pid);
      if ((this.stopping > 1 && (this.childStatus !== null || this.stopping > 2)) || stuck) this.#stopTracer();
      else if (this.stopping > 1) {
        // A command SIGKILL does not end at once (in the kernel's uninterruptible sleep: a hung NFS read) is not
        // waited for long either.
        this.#killWait ??= setTimeout(() => {
          if (this.childStatus === null) this.#stopTracer();
        }, KILL_WAIT_MS);
      }
      return;
    }
    if (this.stopping === 1 && this.ready) this.#requestSummary();
    else this.#stopTracer();
  }

  #typedAt = -Infinity;
  /** The last stop request was a signal typed at the terminal (see stop). */
  #lastStopTyped = false;

  /** Sends `sig` to the command when it does with it what the kernel does by default, and is not stopped. */
  #sendIfDefault(sig: "SIGINT"): void {
    const pid = this.gate!.pid;
    let status: string;
    try {
      status = Deno.readTextFileSync(`/proc/${pid}/status`);
    } catch {
      return; // ended
    }
    const n = signalNumber(sig)!;
    if (!catches(status, n) && !ignores(status, n) && !processStopped(pid)) _kill(pid, sig);
  }
  #killWait: ReturnType<typeof setTimeout> | undefined;

  /**
   * A stop asked of bpftrace by a signal: SIGINT (END's summary comes), unless captrace sent one already (a summary
   * that did not come); then nothing more for SIGINT_RETRY_MS (Ctrl-C pressed several times in quick succession must
   * not cut END short), then SIGKILL (a tracer that no longer answers; its summary is given up).
   */
  #stopTracer(): void {
    const now = performance.now();
    // A tracer stopped (SIGSTOP, a debugger, Ctrl-Z on its own) answers nothing: no second signal is waited for.
    this.#killIfStopped();
    if (this.#stoppedAt === Infinity) {
      this.#stoppedAt = now;
      if (this.#interruptedAt === Infinity) this.#interruptTracer();
    } else if (now - this.#stoppedAt >= SIGINT_RETRY_MS) {
      this.#gaveUp ??= "it did not answer";
      this.#killTracer("SIGKILL");
    }
  }
  /** Kills bpftrace if it is stopped (it would answer no signal, nor ever print the summary): true if it was. */
  #killIfStopped(): boolean {
    if (this.tracerStatus !== null || !processStopped(this.tracer.pid)) return false;
    this.#gaveUp = "it was stopped";
    this.#killTracer("SIGKILL");
    return true;
  }

  /** When a signal first asked bpftrace to stop. */
  #stoppedAt = Infinity;
  /** Why captrace killed bpftrace when asked to stop, or null. */
  #gaveUp: string | null = null;
  /** When bpftrace was first sent SIGINT. */
  #interruptedAt = Infinity;

  /**
   * Sends `sig` to the command, and with `tree` to every process of its tree still running too. A signal relayed from
   * elsewhere goes to the command alone, as strace's does: a script may end its own children. A forced end (a second
   * signal, the stop input closed, the trace's reader gone, the tracer dead) must leave none of them running untraced.
   */
  #signalChild(sig: Deno.Signal, tree: boolean): void {
    if (sig === "SIGKILL" && tree) {
      // Stopped at once, the command forks no child whose fork record is not read yet, to be left running.
      _kill(this.gate!.pid, "SIGSTOP");
      void this.#stillStarted().then((started) =>
        // Ended meanwhile, the command's pid is no longer its own to signal.
        this.#stopAndKill([...(this.childStatus === null ? [this.gate!.pid] : []), ...started])
      );
      return;
    }
    // A process stopped (SIGSTOP, Ctrl-Z) holds the signal pending until continued: continued, as timeout(1) does.
    const send = (pid: number) => {
      _kill(pid, sig);
      if (processStopped(pid)) _kill(pid, "SIGCONT");
    };
    send(this.gate!.pid); // captrace's own child: its pid is not reused before captrace reaps it
    if (tree) void this.#stillStarted(send);
  }

  /** The end is forced (the stop input closed, the trace's reader gone): signals go to the command's whole tree. */
  #stopTree = false;
  /** When the end was forced while the command ran. */
  #forcedAt = Infinity;
  #forceTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * The end is forced while the command runs: the signals of stop() go to its whole tree, and what still runs of it
   * STOP_INPUT_GRACE_MS later is killed, the command (as a second Ctrl-C would) or the processes that outlived it (see
   * #killStragglers). Once the command has ended, its other processes outlive it as they would have anyway.
   */
  #forceEnd(secondStop = true): void {
    if (this.gate === null || this.childStatus !== null || this.#forcedAt !== Infinity) return;
    this.#stopTree = true;
    this.#forcedAt = performance.now();
    if (!secondStop) return;
    this.#forceTimer = setTimeout(() => {
      if (this.childStatus === null) this.stop("SIGTERM");
    }, STOP_INPUT_GRACE_MS);
  }

  /**
   * After a forced end, the processes of the tree still running once the grace given to the command is over (ones
   * that ignore SIGTERM, the command having ended) get SIGKILL: none is left running untraced.
   */
  async #killStragglers(): Promise<void> {
    if (this.gate === null || this.#forcedAt === Infinity) return;
    let left = await this.#stillStarted();
    while (left.length > 0 && performance.now() < this.#forcedAt + STOP_INPUT_GRACE_MS) {
      await new Promise((r) => setTimeout(r, 50));
      left = await this.#stillStarted();
    }
    if (left.length === 0) return;
    // The trace ended with the command: what the stragglers forked since has no fork record read.
    left = await this.#stopAndKill(left);
    // Dead before they are looked at again (#noteOutliving): SIGKILL takes a moment to finish a process.
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      left = await this.#stillStarted();
    }
  }

  /**
   * SIGKILL to `pids` (alive, the trace's or captrace's own) and every process below them. Stopped first, they fork
   * no more while /proc is looked at for their children (forked with no fork record read yet), and theirs. Returns
   * the processes signalled.
   */
  async #stopAndKill(pids: readonly number[]): Promise<number[]> {
    const doomed = await _freeze(pids);
    for (const pid of doomed) _kill(pid, "SIGKILL");
    return doomed;
  }

  #lastOutput = 0;
  #quietTimer: ReturnType<typeof setInterval> | undefined;

  /**
   * The root process is gone: ask for the summary once bpftrace's output has been quiet for a moment, unless it was
   * asked for already as the exit was read (#readStdout). Records the summary counts that are still unread on other
   * CPUs arrive after it and are waited for (#finishIfComplete).
   */
  #stopWhenQuiet(): void {
    if (this.#quietTimer !== undefined) return;
    this.#quietTimer = setInterval(() => {
      if (performance.now() - this.#lastOutput < QUIET_MS) return;
      clearInterval(this.#quietTimer);
      this.#requestSummary();
    }, QUIET_MS / 2);
  }

  #summaryRequested = false;
  #summaryTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Ask the program for its summary: a chown of captrace's own file is a CAP_CHOWN check the program answers by
   * printing its counts, probes still attached. SIGINT would make bpftrace detach every tracepoint first (about
   * 75 ms each) before END prints the same. If the summary does not begin soon, SIGINT it is (#fallBack).
   */
  #requestSummary(): void {
    if (this.#summaryRequested) return;
    this.#summaryRequested = true;
    this.#lostAsked = this.correlator.lost;
    try {
      const file = `${this.control}/ask`;
      Deno.writeFileSync(file, new Uint8Array(), { mode: 0o600 });
      Deno.chownSync(file, 1, 1);
    } catch {
      // Refused (a file system that takes no chown) is still a check; if none was made, the timer below falls back to
      // SIGINT.
    }
    this.#askedAt = performance.now();
    this.#writingAtAsk = this.#writing;
    this.#awaitSummary(SUMMARY_WAIT_MS);
  }

  #askedAt = 0;
  #writingAtAsk = 0;

  /**
   * Falls back to SIGINT when the summary has not begun SUMMARY_WAIT_MS after the ask, not counting the time captrace
   * spent writing events out since: a write held up by a slow reader of the trace (a FIFO read slowly, a paused
   * terminal) holds captrace's loop and timers up while the summary may be waiting in the pipe.
   */
  #awaitSummary(ms: number): void {
    this.#summaryTimer = setTimeout(() => {
      if (this.#summaryBegun) return;
      const waited = performance.now() - this.#askedAt - (this.#writing - this.#writingAtAsk);
      if (waited < SUMMARY_WAIT_MS) this.#awaitSummary(SUMMARY_WAIT_MS - waited);
      else this.#fallBack(`no summary ${SUMMARY_WAIT_MS} ms after asking`);
    }, ms);
  }

  #lostAsked = 0;
  #fellBack = false;

  /** The requested summary did not come, or came incomplete: SIGINT, and END prints it afresh. */
  #fallBack(why: string): void {
    if (this.#fellBack) return;
    this.#fellBack = true;
    if (this.options.debug) _notice(this.options, this.sink, `captrace: ${why}: sending SIGINT`);
    // What came of the request is void: END's summary replaces it (and SIGINT is repeated until it begins). Time
    // bpftrace spent on the request's does not count against END's.
    this.#summaryBegun = false;
    this.#busy = null;
    this.#interruptTracer();
  }

  #partialTimer: ReturnType<typeof setInterval> | undefined;
  #complete = false;
  /**
   * bpftrace printed END's summary unasked while the root ran, and captrace was sent no stop at about that time (as
   * `systemctl stop` sends one to every process of the unit): something else ended bpftrace. Decided once the stream
   * has ended (see #endedByOtherNow).
   */
  #endedByOther = false;
  /** When END's summary was read unasked, while the root ran; -Infinity if it was not. */
  #unaskedEndAt = -Infinity;
  /** The root's exit record was read. */
  #rootExitRead = false;
  /** When captrace was last sent a signal that asks for a stop (typed at a terminal too); -Infinity if never. */
  #signalledAt = -Infinity;

  /** Whether the unasked END came from another process, waiting a moment for captrace's own stop signal. */
  async #endedByOtherNow(): Promise<boolean> {
    if (this.#unaskedEndAt === -Infinity) return false;
    const near = () =>
      this.#signalledAt > this.#unaskedEndAt - STOP_NEAR_MS && this.#signalledAt < this.#unaskedEndAt + STOP_AFTER_MS;
    const until = this.#unaskedEndAt + STOP_AFTER_MS;
    while (!near() && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    return !near();
  }

  /**
   * True while the root of the trace (the command, or the --pid process) runs, as far as captrace knows; always
   * system-wide. bpftrace ends on its own only after the root's end (EXIT_FALLBACK_MS), whose record may be lost.
   */
  #rootRuns(): boolean {
    if (this.#rootExitRead) return false;
    if (this.gate) return this.childStatus === null;
    if (this.rootPid === null) return true;
    let status: string | null = null;
    try {
      status = Deno.readTextFileSync(`/proc/${this.rootPid}/status`);
    } catch {
      // gone
    }
    return !hasEnded(stateFromStatus(this.rootPid, status));
  }
  #stragglerTimer: ReturnType<typeof setInterval> | undefined;
  #reader: ReadableStreamBYOBReader | null = null;
  #streamEnded = Promise.withResolvers<void>();

  /**
   * Once the summary is in and every record it counts has arrived (or was reported lost), nothing is left to
   * read: end bpftrace now rather than wait for it to detach its probes and exit. Records still missing once
   * bpftrace's output has been silent for a while after the summary are reported lost.
   */
  #finishIfComplete(): void {
    if (this.#complete || this.#fellBack) return;
    const ended = () => this.correlator.summaryComplete;
    if (this.#summaryBegun && !ended()) {
      // Begun but not ended: part of it may have been lost with other events. A big summary takes seconds to print
      // (bpftrace prints about 100,000 keys a second): only one that stops coming is given up for END's.
      this.#partialTimer ??= setInterval(() => {
        const stuck = this.#silentAndIdle(SUMMARY_WAIT_MS);
        if (ended()) clearInterval(this.#partialTimer);
        else if (stuck) {
          clearInterval(this.#partialTimer);
          this.#fallBack("the summary stopped before its end");
        }
      }, SUMMARY_WAIT_MS / 5);
      return;
    }
    if (!ended()) return;
    if (this.#summaryRequested && this.correlator.lost > this.#lostAsked) {
      // Events were lost while the summary was printed: it may lack lines. END prints it again, whole.
      this.#fallBack("events were lost around the summary");
      return;
    }
    if (this.correlator.outstanding > 0) {
      this.#stragglerTimer ??= setInterval(() => {
        if (performance.now() - this.#lastOutput >= STRAGGLER_QUIET_MS) this.#end();
      }, STRAGGLER_QUIET_MS / 5);
      return;
    }
    this.#end();
  }

  #end(): void {
    this.#complete = true;
    this.#killTracer("SIGKILL");
    void this.#reader?.cancel().catch(() => {});
  }

  #retryTimer: ReturnType<typeof setInterval> | undefined;
  #summaryBegun = false;

  /**
   * SIGINT to bpftrace, repeated while it shows no sign of stopping. bpftrace only acts on SIGINT inside its
   * epoll wait or on the next event, so one that arrives while it is busy, with no event after, is never acted
   * on. A repeat is sent only while nothing at all has come out since the last one: once END has begun, a
   * second SIGINT would cut bpftrace's drain of the buffers short.
   */
  #interruptTracer(): void {
    if (this.#interruptedAt === Infinity) this.#interruptedAt = performance.now();
    // A tracer stopped (SIGSTOP, a debugger) would never act on it: killed at once, as by #stopTracer.
    if (this.#killIfStopped()) return;
    this.#killTracer("SIGINT");
    if (this.#retryTimer !== undefined) return;
    let sentAt = performance.now();
    this.#retryTimer = setInterval(() => {
      if (this.#summaryBegun || this.tracerStatus !== null || this.#complete || this.#killIfStopped()) {
        clearInterval(this.#retryTimer);
        return;
      }
      const now = performance.now();
      if (!this.#silentAndIdle(now - sentAt) || now - sentAt < SIGINT_RETRY_MS) return;
      sentAt = performance.now();
      this.#killTracer("SIGINT");
    }, SIGINT_RETRY_MS / 4);
  }

  /**
   * True when bpftrace has printed nothing for `ms` and is not working (see #tracerWorking). Each timer that waits on
   * bpftrace asks on every turn, silent or not, so that the CPU time it compares with is recent.
   */
  #silentAndIdle(ms: number): boolean {
    const working = this.#tracerWorking();
    return performance.now() - this.#lastOutput >= ms && !working;
  }

  /**
   * True while bpftrace, silent, has used CPU within the last SUMMARY_WAIT_MS (it reads and sorts a map before it
   * prints it), for at most BUSY_LIMIT_MS: a repeated SIGINT would cut its output short.
   */
  #tracerWorking(): boolean {
    const now = performance.now();
    const ticks = cpuTicks(this.tracer.pid);
    if (ticks === null) return false;
    const busy = this.#busy;
    // The first reading is only a reference.
    if (busy === null) this.#busy = { ticks, at: -Infinity, since: now };
    else if (ticks > busy.ticks + 1) {
      this.#busy = { ticks, at: now, since: now - busy.at < SUMMARY_WAIT_MS ? busy.since : now };
    }
    const b = this.#busy!;
    return now - b.at < SUMMARY_WAIT_MS && now - b.since < BUSY_LIMIT_MS;
  }
  #busy: { ticks: number; at: number; since: number } | null = null;

  #killTracer(sig: Deno.Signal): void {
    try {
      this.tracer.kill(sig);
    } catch {
      // already gone
    }
  }

  /** The stop input ended before the trace began. */
  #stopInputClosedEarly = false;

  async #watchStopInput(input: StopInput): Promise<void> {
    const buf = new Uint8Array(4096);
    try {
      for (let n = await input.read(buf); n !== null; n = await input.read(buf)) {
        // Ctrl-C's byte, passed on by an editor's terminal, interrupts, each one (two quick presses may come in one
        // read); anything else written is ignored.
        for (const b of buf.subarray(0, n)) if (b === ETX) this.#interrupt(input.name);
      }
    } catch {
      // closed
    }
    if (this.tracerStatus !== null) return;
    // Before the trace began, the error that ends the run says it all, unless the trace begins all the same (-p or
    // system-wide: bpftrace, interrupted, may still attach), when the notice comes then.
    if (!this.ready) this.#stopInputClosedEarly = true;
    else _notice(this.options, this.sink, input.closedNotice);
    // A command that ignores SIGTERM is then killed, as a second Ctrl-C would: the editor asked for the end.
    this.#forceEnd();
    this.stop("SIGTERM");
    // A tracer that never ends is killed at last, once silent and idle: nobody is left to send another signal.
    const closed = performance.now();
    const last = setInterval(() => {
      const stuck = this.#silentAndIdle(SIGINT_RETRY_MS);
      if (stuck && performance.now() - closed >= STOP_INPUT_GRACE_MS + BUSY_LIMIT_MS) this.#killTracer("SIGKILL");
    }, SIGINT_RETRY_MS);
    await this.#streamEnded.promise;
    clearInterval(last);
  }

  /**
   * A Ctrl-C passed on by an editor (a byte 0x03 written to the stop input), which runs the command with no terminal:
   * SIGINT to the processes of the command's process group, as a terminal's Ctrl-C reaches its foreground programs; the
   * trace follows the command to its end. Another within TYPED_AGAIN_MS kills them (SIGKILL), unless one of them
   * catches SIGINT (a REPL), which gets each one. Before the command runs, once it has ended, or without one (--pid,
   * system-wide), it stops the trace, as a signal to captrace does.
   */
  #interrupt(from: string): void {
    if (this.tracerStatus !== null) return;
    if (this.gate === null || !this.ready || this.stopping > 0 || this.childStatus !== null) {
      return this.stop("SIGINT");
    }
    const group = terminalFields(this.gate.pid)?.pgrp ?? -1;
    const now = treeNow(this.gate.pid);
    const at = performance.now();
    const again = at - this.#ctrlCAt <= TYPED_AGAIN_MS;
    this.#ctrlCAt = at;
    if (again && !catchesInGroup([...now, ...this.#started.keys()], signalNumber("SIGINT")!, group)) {
      _notice(this.options, this.sink, `captrace: Ctrl-C again (${from}): killing the command`);
      this.#signalGroup(group, now, "SIGKILL");
      return;
    }
    _notice(
      this.options,
      this.sink,
      `captrace: Ctrl-C (${from}): SIGINT to the command and what it started (again within ${
        TYPED_AGAIN_MS / 1000
      } s to kill it, unless it catches SIGINT)`,
    );
    this.#signalGroup(group, now, "SIGINT");
  }

  /**
   * `sig` to the command and the processes it started in its process group `group`, each once (a second SIGINT is
   * "force quit" to many programs), not to a daemon that left it (setsid): those running now (`now`, from /proc, which
   * has a child whose fork record is not read yet), then those the trace saw started that have left the tree.
   */
  #signalGroup(group: number, now: readonly number[], sig: Deno.Signal): void {
    const root = this.gate!.pid;
    const inGroup = (pid: number) => pid === root || terminalFields(pid)?.pgrp === group;
    const sent = new Set(now.filter(inGroup));
    for (const pid of sent) _kill(pid, sig);
    void this.#stillStarted((pid) => {
      if (!sent.has(pid) && inGroup(pid)) _kill(pid, sig);
    });
  }

  #ctrlCAt = -Infinity;

  async #watchChild(): Promise<void> {
    this.childStatus = await _exitStatus(this.gate!.child);
    // The root's exit record makes captrace stop the tracer (#readStdout, #stopWhenQuiet); this is a net for a
    // record that never comes. Once signals asked twice for the end, it is not waited for long.
    const timer = setTimeout(() => this.#interruptTracer(), DRAIN_TIMEOUT_MS);
    const asked = setTimeout(() => {
      if (this.stopping > 1 && !this.#summaryRequested) this.#stopTracer();
    }, EXIT_RECORD_WAIT_MS);
    await this.#streamEnded.promise;
    clearTimeout(timer);
    clearTimeout(asked);
  }

  async #terminateChild(): Promise<void> {
    // Its own SIGKILL comes sooner than a forced end's second stop, which a dead tracer cannot serve: none is armed,
    // and one armed before (the stop input closed earlier) is dropped.
    this.#forceEnd(false);
    clearTimeout(this.#forceTimer);
    // The fork records the dead tracer never printed are lost: the tree is taken from /proc too, stopped while it is
    // looked at. Else a child of the command's, left to init when the command ends at SIGTERM, runs on untraced.
    const root = this.gate!.pid;
    const frozen = await _freeze([root]);
    for (const pid of frozen) if (pid !== root) this.tracking(pid);
    _kill(root, "SIGTERM");
    for (const pid of await this.#stillStarted()) _kill(pid, "SIGTERM");
    for (const pid of frozen) _kill(pid, "SIGCONT");
    const t = setTimeout(() => this.#signalChild("SIGKILL", true), 2000);
    this.childStatus = await _exitStatus(this.gate!.child);
    clearTimeout(t);
  }

  async #readStderr(): Promise<void> {
    const splitter = new LineSplitter(4096);
    const dec = new TextDecoder();
    // Kept whole: a harmless warning's context lines are told by the warning before them (see _meaningful).
    const handle = (line: string) => {
      if (this.stderrLines.length < 1000) this.stderrLines.push(line);
      if (this.options.debug) _notice(this.options, this.sink, `bpftrace: ${line}`);
    };
    for await (const chunk of this.tracer.stderr) {
      for (const l of splitter.push(dec.decode(chunk, { stream: true }))) handle(l);
    }
    for (const l of splitter.end()) handle(l);
  }

  async #readStdout(annotator: SiteAnnotator | null): Promise<void> {
    const reader = this.#reader = this.tracer.stdout.getReader({ mode: "byob" });
    let buf = new Uint8Array(1 << 16);
    while (!this.#complete) {
      const { value, done } = await reader.read(buf).catch(() => ({ value: undefined, done: true }));
      if (done || !value) break;
      const chunk = value;
      buf = new Uint8Array(value.buffer);
      this.#lastOutput = performance.now();
      const outs: Output[] = [];
      this.#records(this.parser.pushChunk(chunk), outs);
      if (annotator && outs.length) {
        // Finding source lines can take a while: what is held must wait for this chunk, which may be older.
        this.#annotating = true;
        await annotator.annotate(outs).finally(() => this.#annotating = false);
      }
      // A chunk that filled the buffer means more is waiting: bpftrace is busy and its reads of each CPU's buffer
      // come in quick turns, so this chunk's events are put in order among themselves and none is held (held
      // events outlive V8's young generation, and a busy trace's memory grows by half). A pipe bpftrace filled
      // gives a little less than the buffer (about 64,000 bytes: a page of it holds whole lines only).
      const busy = chunk.length > buf.length - FULL_SLACK;
      const rootExit = chunk.length < CAUGHT_UP && outs.some((o) => o.event.type === "exit" && o.event.root);
      await this.#show(this.#hold(outs, busy));
      this.#armHold();
      // The root's exit, read while bpftrace keeps up (a small read): the summary is asked for once this chunk is
      // written, not once the exit is shown (HOLD_MS later) and the stream has been quiet (QUIET_MS); what it counts
      // and is unread is waited for. Read from a backlog, the quiet wait stands. A stop under way ends its own way.
      if (rootExit && this.ready && !this.#abandoned && this.stopping === 0) this.#requestSummary();
      this.#finishIfComplete();
    }
    clearTimeout(this.#holdTimer);
    // Ended by captrace, a line left is one cut short by the kill, nothing the summary counts.
    const rest: Output[] = [];
    // Ended by captrace, a record held for the line after it is whole: it was waited for as a straggler.
    this.#records(this.#complete ? this.parser.flushHeld() : this.parser.end(), rest);
    this.correlator.finish(rest);
    if (annotator && rest.length) await annotator.annotate(rest);
    await this.#show(this.#hold(rest, true));
    this.sink.flush();
  }

  /**
   * Events held for their order are shown once the stream has been quiet for as long as they are held (HOLD_MS, or
   * more once events came later than that: bpftrace, held up between its reads of two CPUs' buffers, is quiet
   * meanwhile). The timer runs only while some are held: an idle trace (an empty cgroup) wakes for nothing.
   */
  #armHold(): void {
    if (this.#holdTimer !== undefined || this.#order.size === 0) return;
    this.#holdTimer = setTimeout(() => {
      this.#holdTimer = undefined;
      const quiet = performance.now() - this.#lastOutput;
      if (this.#order.size > 0 && !this.#annotating && quiet >= this.#order.holdNs / 1e6) {
        void this.#show(this.#order.takeAll([], true));
      }
      this.#armHold();
    }, HOLD_MS / 2);
  }

  #holdTimer: ReturnType<typeof setTimeout> | undefined;
  #annotating = false;
  #showing: Promise<void> = Promise.resolve();

  /** Emits `outs` after whatever is being emitted: the reading loop and the quiet-stream flush take turns. */
  #show(outs: Output[]): Promise<void> {
    if (outs.length > 0) {
      this.#showing = this.#showing.then(async () => {
        const start = performance.now();
        try {
          await this.#emit(outs);
        } finally {
          this.#writing += performance.now() - start;
        }
      });
    }
    return this.#showing;
  }

  /** Milliseconds captrace has spent writing events out (see #awaitSummary). */
  #writing = 0;

  #order = new TimeOrder<Output>(HOLD_MS * 1e6, MAX_HOLD_MS * 1e6);

  /**
   * Holds `outs` to be put back in time order and returns the events due now, oldest first; when `busy`, every
   * event held is due. The ready event is never held (the command waits for it); a lost-events notice keeps its
   * place in the stream.
   */
  #hold(outs: Output[], busy = false): Output[] {
    const due: Output[] = [];
    for (const o of outs) {
      const e = o.event;
      if (e.type === "ready") {
        this.#order.takeAll(due).push(o);
        continue;
      }
      this.#order.push("ts" in e ? e.ts : this.#order.newest, o);
    }
    return busy ? this.#order.takeAll(due) : this.#order.takeSettled(due);
  }

  #records(recs: TraceRecord[], outs: Output[]): void {
    for (const rec of recs) {
      if (rec.kind === "malformed" && this.options.debug) {
        _notice(this.options, this.sink, `captrace: unreadable tracer line (${rec.reason}): ${rec.line}`);
      }
      // Read, if not yet shown: a reader behind by seconds gets it in the chunk that ends the trace.
      if (rec.kind === "exit" && rec.root) this.#rootExitRead = true;
      if (rec.kind === "summary_begin") {
        this.#summaryBegun = true;
        // END's summary that captrace did not ask for (nor bpftrace's own end after the root's, EXIT_FALLBACK_MS):
        // something else ended bpftrace (SIGTERM, SIGINT), and the trace ends here, early.
        if (rec.atEnd && !this.#summaryRequested && this.#interruptedAt === Infinity && this.#rootRuns()) {
          this.#unaskedEndAt = performance.now();
        }
      }
      // captrace's own namespace and root, as exec records name them: READY comes before any.
      if (rec.kind === "ready" && rec.mntNs !== undefined) this.programs.here = { mntNs: rec.mntNs, root: rec.root! };
      // The command's exec names it as it was given (./tool), from the directory it started in, or cut short: the
      // file resolved, whole.
      let whole = false;
      if (rec.kind === "exec" && rec.pid === this.rootPid && this.commandAs !== null) {
        const { name, path } = this.commandAs;
        if (recordedAs(rec.filename, name) || recordedAs(rec.filename, path)) {
          rec.filename = path;
          this.commandAs = null;
          whole = true;
        }
      }
      // Looked up as soon as read, not once shown: a relative path needs the process's working directory, and a
      // short-lived process may be gone already.
      if (rec.kind === "exec") this.programs.resolve(rec.pid, rec.ts, rec.filename, whole ? { ...rec, whole } : rec);
      this.correlator.push(rec, outs);
      if (rec.kind === "ready" && !this.ready) outs.push({ event: this.#readyEvent() });
    }
  }

  #readyEvent(): ReadyEvent {
    return {
      v: 1,
      type: "ready",
      probe: this.probe,
      kernel: Deno.osRelease(),
      bpftrace: "", // known by the time it is emitted
      mode: this.options.mode,
      pid: this.rootPid,
      cgroup: this.cgroup,
      limits: this.limits,
    };
  }

  async #emit(outs: Output[]): Promise<void> {
    const o = this.options;
    if (this.#abandoned) return;
    for (const { event, role, raw } of outs) {
      switch (event.type) {
        case "ready": {
          // Nothing runs with a bpftrace too old to use: run() reports its version once the tracer is gone.
          const version = await this.version.catch(() => null);
          if (version === null) {
            this.#killTracer("SIGKILL");
            return;
          }
          // A command stopped before this record was read, or while the version was awaited: its launch was given up
          // (the gate aborted, the launcher killed) and the tracer asked to stop. No trace begins, and nothing of
          // what follows (the launcher's end) is shown. With --pid or system-wide, the probes were attached: the
          // trace ends as any stopped at once does, its summary included.
          if (this.gate !== null && this.stopping > 0) {
            this.#abandoned = true;
            return;
          }
          this.ready = true;
          // A process that ended after captrace first looked and before the probes were attached leaves no exit
          // record to end the trace on: looked at again, before the banner (what ends after it, the probes see).
          const endedBeforeAttach = o.mode === "pid" && this.rootPid !== null &&
            hasEnded(await processState(this.rootPid));
          if (!o.json) {
            const where = this.cgroup === null ? "" : ` in cgroup ${printable(this.cgroup)}`;
            // SIGINT ignored when captrace started (a script's background job): Ctrl-C, or kill -INT, ends nothing.
            const ignored = this.signals.ignored;
            const ender = (["SIGTERM", "SIGHUP", "SIGQUIT"] as const).find((sig) => !ignored.includes(sig));
            const end = !ignored.includes("SIGINT")
              ? "Hit Ctrl-C to end."
              : `SIGINT is ignored, as it was when captrace started: ${
                ender ? `${ender} ends it.` : "so are SIGTERM, SIGHUP and SIGQUIT; only SIGKILL ends it (no summary)."
              }`;
            _notice(o, this.sink, `Tracing capability checks (${this.probe})${where}… ${end}`);
          } else this.sink.line(JSON.stringify({ ...event, bpftrace: version }));
          if (this.#stopInputClosedEarly) _notice(o, this.sink, this.stopInput!.closedNotice);
          this.sink.flush();
          // Only now may the command run: every probe is attached.
          if (this.gate) await this.gate.release();
          if (endedBeforeAttach) {
            this.#endedBeforeAttach = true;
            this.#stopWhenQuiet();
          }
          continue;
        }
        case "check":
          this.#charge(event, role);
          if (!o.verbose && !event.audit) {
            this.hiddenNoaudit++;
            continue;
          }
          if (o.unique && this.#shownBefore(event, raw?.ra ?? 0n)) continue;
          // Its reader gone (`-o - | head`), the trace is dropped: not shown.
          if (this.sink.broken) {
            this.#dropped++;
            continue;
          }
          this.shown++;
          // Counted with the write that takes its line (see Sink.written).
          this.sink.mark();
          if (o.json) this.sink.line(JSON.stringify(event));
          else {
            writeCheck(this.sink.out, event);
            this.sink.endLine();
          }
          continue;
        case "exec":
          // Its parent first: a check of it read late is charged to what it ran before this exec, maybe its parent's.
          this.programs.map.parent(event.pid, event.ppid);
          this.usage.exec(event.pid, this.programs.map.programOf(event.pid), event.ts);
          this.programs.exec(event.pid, event.ppid, event.ts, event.filename);
          // --unique: the program's checks are its own, no repeats of what the process ran before.
          if (o.unique) (this.#execAt ??= new BoundedMap(this.options.mapKeys)).set(event.pid, event.ts);
          // Its program is known from here: no lookup in /proc (one under way may read what it runs next).
          if (o.mode === "system") {
            this.#lookedUp.set(event.pid, { comm: event.comm });
            if (this.#executed.size < 65536) this.#executed.add(event.pid);
          }
          if (o.json) this.sink.line(JSON.stringify(event));
          else if (o.verbose) this.sink.line(formatExec(event));
          continue;
        case "exit":
          if (event.root) this.#rootSeen = true;
          // A pid's processes share its counts: one that failed (or was killed) is not undone by a later one's 0.
          if (!this.#exitCodes.has(event.pid) || this.#exitCodes.get(event.pid) === 0) {
            this.#exitCodes.set(event.pid, event.code);
          }
          this.usage.exited(
            event.pid,
            this.programs.map.programOf(event.pid),
            event.ts,
            this.programs.map.knows(event.pid),
          );
          this.programs.map.exited(event.pid);
          this.#started.delete(event.pid);
          if (event.root) this.#rootExited = true;
          // With --summary-only, the text trace is the summary: of the exits, the root's ends it (as strace -c's).
          if (o.json) this.sink.line(JSON.stringify(event));
          // System-wide, only processes that were marked end with a record: said with -v.
          else if (o.mode === "system" ? o.verbose : !o.summaryOnly || o.verbose || event.root) {
            this.sink.line(formatExit(event, signalName));
          }
          // A later process with its pid is another: looked up anew. (It stays among those that executed something:
          // the kernel's counts by pid hold the ended one's checks too.)
          this.#lookedUp.delete(event.pid);
          if (event.root) this.#stopWhenQuiet();
          continue;
        case "fork":
          // The parent at the fork: a process that never executes anything (a server's worker, a daemon's child) runs
          // its parent's program, whatever parent its checks name later. In time order, before its exec if any; read
          // after the child's own exec (a busy trace, another CPU's buffer), that exec stands.
          if (this.usage.turnedAfter(event.pid, event.ts)) this.programs.map.parent(event.pid, event.ppid);
          else this.programs.map.forked(event.pid, event.ppid, event.mark);
          this.tracking(event.pid);
          continue;
        case "reused":
          // As many as the kernel's map of pids holds.
          (this.#pidStarts ??= new BoundedMap(this.options.mapKeys)).set(event.pid, event.start);
          continue;
        case "lost":
          if (o.json) this.sink.line(JSON.stringify(event));
          else this.#reportLost(event.count);
          continue;
        default:
          if (o.json) this.sink.line(JSON.stringify(event));
      }
    }
    this.sink.flush();
    // A reader slower than the trace holds the reading of bpftrace up here (its buffers then fill and it counts what
    // it loses), as a blocking write would, but captrace still serves its signals and stop input meanwhile.
    if (this.sink.backlog > MAX_BACKLOG) await this.sink.relieve(MAX_BACKLOG / 2);
    // The reader of a stream the command shares went away (`-o - | head`): the command runs on, untraced from here;
    // said once, on stderr, where it can still be read.
    if (this.sink.broken && this.sink.failure === null && !this.#saidBroken) {
      this.#saidBroken = true;
      _notice(this.options, this.sink, "captrace: the trace's reader went away: the rest of the trace is dropped");
    }
    // The trace can no longer be written (a full disk): stop as Ctrl-C would; run()'s caller reports why.
    // A reader given up as stalled was so once captrace was ending: the stop under way goes on as it is.
    if (this.sink.failure && !(this.sink.failure instanceof WriteStalled) && !this.#stoppedForOutput) {
      this.#stoppedForOutput = true;
      this.#forceEnd();
      this.stop("SIGTERM");
    }
  }
  #stoppedForOutput = false;
  /** Checks not written: the trace's reader had gone away. */
  #dropped = 0;

  /**
   * The checks written, and those dropped: once writing failed, the checks of the write that failed too (queued, shown
   * as far as captrace could tell), and those queued after.
   */
  #written(): { shown: number; dropped: number } {
    if (!this.sink.broken) return { shown: this.shown, dropped: this.#dropped };
    return { shown: this.sink.written, dropped: this.#dropped + this.shown - this.sink.written };
  }
  #saidBroken = false;
  /** The command was stopped before the trace began: what the tracer still prints is not shown (see READY). */
  #abandoned = false;

  /**
   * Text: a loss is shown where it happened, but at most a line a second, with what was lost since the last: a busy
   * trace can have bpftrace report a loss for every few events. The end's completeness line gives the total.
   */
  #reportLost(count: number): void {
    this.#lostUnshown += count;
    this.#lostSeen += count;
    const now = performance.now();
    if (now - this.#lostShownAt < LOST_LINE_MS) return;
    this.#lostShownAt = now;
    const since = this.#lostUnshown < this.#lostSeen ? ` (${this.#lostSeen} so far)` : "";
    this.sink.line(`captrace: tracer lost ${this.#lostUnshown} events${since}`);
    this.#lostUnshown = 0;
  }
  #lostUnshown = 0;
  #lostSeen = 0;
  #lostShownAt = -Infinity;

  /**
   * --unique: true when a check of the same process and program, capability, verdict, syscall, audit flags, namespace
   * and call site was shown already. The kernel prints a key's first check only, but two threads on two CPUs can both pass
   * its test before either marks the key; its counts stay exact. A process that took an earlier one's pid is another:
   * told by its start, which a `reused` record gives.
   */
  #shownBefore(e: CheckEvent, ra: bigint): boolean {
    const who = `${e.pid}:${this.#pidStarts?.get(e.pid) ?? 0}:${this.#execAt?.get(e.pid) ?? 0}`;
    const key = `${who} ${e.cap} ${e.ret} ${e.syscall_abi ?? ""}${e.syscall ?? -1} ${e.opts} ${e.userns ?? 0} ${ra}`;
    const shown = this.#uniqueShown ??= new BoundedMap(Math.max(UNIQUE_SHOWN_MIN, this.options.mapKeys));
    const before = shown.delete(key);
    // Set again when seen again: the keys forgotten first are those seen longest ago.
    shown.set(key, true);
    if (before) this.#uniqueDropped++;
    return before;
  }
  #uniqueShown: BoundedMap<string, true> | null = null;
  /** --unique: the start of each process that took an earlier one's pid, by pid, as `reused` records give it. */
  #pidStarts: BoundedMap<number, number> | null = null;
  /** --unique: the time of each process's latest exec, by pid (the kernel keys by the program too). */
  #execAt: BoundedMap<number, number> | null = null;
  #uniqueDropped = 0;

  /** Notes a check for the setcap lines: its process's parent, and the check if it counts (see recommend). */
  #charge(event: CheckEvent, role: BroadRole | undefined): void {
    if (event.pid === this.rootPid) this.#rootSeen = true;
    this.#lookUp(event.pid, event.ppid, event.comm);
    const counts = event.audit && countsOutside(event.userns, event.target_userns, event.ret);
    // Made before the exec or exit of its process shown already (read late from another CPU): not a new process.
    const turn = this.usage.earlier(event.pid, event.ts);
    // A process that exited before its first check was read: its program is its parent's, named by this check.
    const earlier = turn === null ? null : turn.file ?? this.programs.map.programOf(event.ppid);
    if (earlier !== null && counts) this.usage.late(event.pid, event.cap, earlier);
    else if (earlier === null && this.usage.check(event.pid, event.cap, counts)) {
      this.programs.map.parent(event.pid, event.ppid);
    }
    if (counts && role !== undefined && !this.options.unique) {
      this.usage.role(earlier ?? this.programs.map.programOf(event.pid), event.cap, role);
    }
  }

  #tracerError(): string {
    const lines = _meaningful(this.stderrLines);
    const err = lines.find((l) => /ERROR|error/.test(l)) ?? lines[0];
    return err ? err.replace(/^ERROR:\s*/, "").trim() : "it printed no error";
  }

  #describeStatus(s: Deno.CommandStatus | null): string {
    if (!s) return "no status";
    return s.signal ? `killed by ${s.signal}` : `exit status ${s.code}`;
  }
}
