/** Launches the traced command held at a gate, so it runs only once the probes are attached. */

import { dirname, resolve } from "node:path";
import { CaptraceError, ExitCode, reason } from "./exit_codes.ts";
import { kernelAllows, reachableByModes, searchable } from "./user_path.ts";
import { shebangInterpreter } from "../shared/interpreter.ts";
import { printable } from "../shared/format_text.ts";
import { findTool } from "./system_tools.ts";
import { pidExists } from "./procfs.ts";

/** A user to run the command as. */
export interface User {
  name: string;
  uid: number;
  gid: number;
  /** Supplementary groups, as `--init-groups` sets them. */
  groups: number[];
  home: string;
}

/**
 * Look a user up by name or number in the system's user database (getent), as strace -u does. The command runs as
 * them through setpriv: without it, or without getent, this throws (exit 3) before anything runs.
 */
export async function resolveUser(spec: string, stop?: AbortSignal): Promise<User> {
  const needed = (tool: string, pkg: string) => {
    const found = findTool(tool);
    if (found !== null) return found;
    throw new CaptraceError(
      `-u needs ${tool}, which was found neither on PATH nor in the system's directories`,
      `Install ${pkg}, or leave out -u`,
      ExitCode.CANNOT_TRACE,
    );
  };
  const getent = needed("getent", "libc-bin");
  needed("setpriv", "util-linux");
  const run = async (cmd: string | null, args: string[]) => {
    try {
      return cmd === null
        ? null
        : await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null", ...(stop ? { signal: stop } : {}) })
          .output();
    } catch {
      return null;
    }
  };
  const [out, ids] = await Promise.all([run(getent, ["passwd", spec]), run(findTool("id"), ["-G", spec])]);
  const f = out === null ? [] : new TextDecoder().decode(out.stdout).split("\n")[0]?.split(":") ?? [];
  if (!out?.success || f.length < 4) {
    throw new CaptraceError(`No such user '${spec}'`, "Give a user name or uid from /etc/passwd", ExitCode.USAGE);
  }
  const gid = Number(f[3]);
  const groups = ids?.success ? new TextDecoder().decode(ids.stdout).trim().split(/\s+/).map(Number) : [gid];
  return { name: f[0]!, uid: Number(f[2]), gid, groups, home: f[5] || "/" };
}

/**
 * Find the program the way execvp would; throws with exit code 127 or 126 like a shell. With `user` (-u), the file
 * must be one that user may run (its x bit for them, and every directory on the way searchable), as their own exec
 * would find it: else the command would not run, and the trace would say that nothing is needed. `dropped`: the
 * directories left out of the user's PATH, where a name not found is looked for, to say why.
 */
export async function resolveCommand(
  name: string,
  // With no PATH, the launcher's shell looks in its own default, dash's and bash's alike but for bash's last ".".
  path = Deno.env.get("PATH") ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  user?: User,
  dropped: readonly string[] = [],
): Promise<string> {
  // As the name is shown in messages: a newline in it would split them.
  const shown = printable(name);
  const candidates = name.includes("/") ? [name] : path.split(":").map((d) => `${d || "."}/${name}`);
  let found: string | null = null;
  let loop: string | null = null;
  let missing = false;
  for (const c of candidates) {
    const st = await Deno.stat(c).catch((e) => {
      if (e instanceof Deno.errors.FilesystemLoop) loop ??= c;
      if (e instanceof Deno.errors.NotFound) missing = true;
      return null;
    });
    if (st?.isDirectory && name.includes("/")) {
      throw new CaptraceError(
        `Command '${shown}' is a directory`,
        "Give the path of a program",
        ExitCode.NOT_EXECUTABLE,
      );
    }
    if (!st?.isFile) continue;
    // Absolute, but not through realPath: a link must stay a link, as a multi-call binary goes by its name.
    const full = resolve(c);
    // The file's x bit for the user's class is read as a directory's search bit is (searchable).
    const runs = ((st.mode ?? 0) & 0o111) !== 0 &&
      (user === undefined || (searchable(st, user) && await reachableByModes(dirname(full), user)) ||
        (await kernelAllows([full], user)).has(full));
    if (runs) return full;
    found ??= c;
  }
  if (found && user !== undefined && user.uid !== 0) {
    throw new CaptraceError(
      `Command '${shown}' is not executable by ${user.name}`,
      `Let ${user.name} run it (chmod o+x ${found}, and o+x on the directories above it), or leave out -u`,
      ExitCode.NOT_EXECUTABLE,
    );
  }
  if (found) {
    throw new CaptraceError(
      `Command '${shown}' is not executable`,
      `Make it executable with 'chmod +x ${found}'`,
      ExitCode.NOT_EXECUTABLE,
    );
  }
  if (user !== undefined && !name.includes("/")) {
    for (const dir of dropped) {
      if (!(await Deno.stat(`${dir}/${name}`).catch(() => null))?.isFile) continue;
      throw new CaptraceError(
        `Command '${shown}' was not found on the PATH ${user.name} gets: it is in ${dir}, which ${user.name} cannot search`,
        `Let ${user.name} search ${dir} (and the directories above it), or give the command's path, or leave out -u`,
        ExitCode.NOT_FOUND,
      );
    }
  }
  // A path (a name is looked for on PATH, where the shell passes such a file over): as bash, "Too many levels of
  // symbolic links", exit 126.
  if (loop !== null && name.includes("/")) {
    throw new CaptraceError(
      `Command '${shown}' is a loop of symbolic links`,
      `See where they point with 'namei ${printable(loop)}'`,
      ExitCode.NOT_EXECUTABLE,
    );
  }
  const link = name.includes("/") && missing ? await Deno.readLink(name).catch(() => null) : null;
  if (link !== null) {
    throw new CaptraceError(
      `Command '${shown}' is a symbolic link that leads to no file (to '${printable(link)}')`,
      "Check the link's target",
      ExitCode.NOT_FOUND,
    );
  }
  throw new CaptraceError(
    `Command '${shown}' was not found`,
    name.includes("/") ? "Check the path" : "Check the name, or give its path",
    ExitCode.NOT_FOUND,
  );
}

/**
 * Throws when the file `full` (the command `name`) is a script whose `#!` interpreter does not exist, as its exec
 * would fail: sh would say "exec: FILE: not found" of a file that is there. Exit 127, as bash's "required file not
 * found"; a carriage return ending the name (Windows line endings) is pointed out.
 */
export async function checkInterpreter(full: string, name: string): Promise<void> {
  const head = new Uint8Array(256);
  let n: number | null = null;
  try {
    const file = await Deno.open(full);
    try {
      n = await file.read(head);
    } finally {
      file.close();
    }
  } catch {
    return; // the exec will say what is wrong
  }
  const read = head.subarray(0, n ?? 0);
  // The kernel reads the first 256 bytes, the rest of its buffer zeros: the file's end, shorter, ends the line too.
  // A first line running past them has no end there: to the kernel, no interpreter (ENOEXEC: sh runs the file).
  const end = read.indexOf(10);
  if (end < 0 && read.length === head.length) return;
  let line: string;
  try {
    line = new TextDecoder("utf-8", { fatal: true }).decode(end < 0 ? read : read.subarray(0, end));
  } catch {
    return; // a name that is no text: the exec will say
  }
  const interpreter = shebangInterpreter(line);
  // Relative, it is found from the working directory, which the command starts in.
  if (interpreter === null || await Deno.stat(interpreter).then(() => true, () => false)) return;
  throw new CaptraceError(
    `Command '${printable(name)}' cannot run: its interpreter '${printable(interpreter)}' was not found`,
    interpreter.endsWith("\r")
      ? "Its #! line ends in a carriage return (Windows line endings): convert the file, as with dos2unix"
      : "Install the interpreter, or fix the script's #! line",
    ExitCode.NOT_FOUND,
  );
}

/** A launched command held at the gate. */
export interface Gated {
  child: Deno.ChildProcess;
  pid: number;
  /** How many execs happen in the root process before the target runs (the launcher's own). */
  launcherExecs: number;
  /** Let the command run. */
  release(): Promise<void>;
  /** Kill the launcher if it was never released. */
  abort(): void;
  /** Remove the gate's temporary directory. */
  cleanup(): Promise<void>;
}

// The gate: block on opening a FIFO until captrace writes to it, then exec the target in place, so the
// launcher's pid becomes the command's pid. Its $0 (SHELL_NAME) is the name sh puts before an error of its own. Its
// variables have names of captrace's own: one of the environment's (`_`, `e`) set here would reach the command changed.
const GATE = 'read -r __captrace_go < "$1" || exit 125; shift; exec "$@"';
/**
 * The gate when some words are escaped for `printf %b` (see raw_args.ts): the word after the FIFO lists their
 * positions (" 3 7 "), and each of those is decoded (past a sentinel x, which keeps a trailing newline from command
 * substitution) before the exec; the others are passed as they are. Linear in the words: thousands take no time.
 */
const GATE_ESCAPED = 'read -r __captrace_go < "$1" || exit 125; __captrace_m=$2; shift 2; ' +
  // Each escaped word decoded into a variable, __captrace_a$k; then one exec of the words, by reference, in one pass.
  'for __captrace_k in $__captrace_m; do eval "__captrace_e=\\${$__captrace_k}"; ' +
  '__captrace_e=$(printf "%bx" "$__captrace_e"); eval "__captrace_a$__captrace_k=\\${__captrace_e%x}"; done; ' +
  '__captrace_c=$(i=0; for e do i=$((i + 1)); case " $__captrace_m " in *" $i "*) printf \' "$__captrace_a%d"\' "$i";; ' +
  '*) printf \' "${%d}"\' "$i";; esac; done); eval "exec$__captrace_c"';
/**
 * The $0 of the launcher's shells: an exec that fails (an interpreter the user may not run) reads "captrace: the
 * command: 1: exec: ./prog: Permission denied", the command's failure, not captrace's.
 */
const SHELL_NAME = "captrace: the command";

/** A new directory of captrace's own under TMPDIR; a usable error when TMPDIR is not a writable directory. */
export async function privateTempDir(prefix: string): Promise<string> {
  try {
    _sweep ??= _sweepStale();
    await _sweep;
    // Named with captrace's pid: a later run removes it if captrace was killed before it could (SIGKILL).
    return await Deno.makeTempDir({ prefix: `${prefix}${Deno.pid}-` });
  } catch (e) {
    // Deno's "No such file or directory (os error 2): tmpdir": the reason, and the directory it was to go in.
    throw new CaptraceError(
      `Cannot make a temporary directory in '${Deno.env.get("TMPDIR") || "/tmp"}': ${reason(e)}`,
      "Check that TMPDIR names a writable directory, or unset it",
      ExitCode.CANNOT_TRACE,
    );
  }
}

let _sweep: Promise<void> | null = null;

/**
 * Removes the temporary directories of captrace runs that were killed (their pid, in the name, is no process now):
 * this user's `captrace-PID-…` and `captrace-control-PID-…` in the temporary directory. Once per run, before its own.
 */
async function _sweepStale(): Promise<void> {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  try {
    for await (const e of Deno.readDir(tmp)) {
      const m = /^captrace-(?:control-)?(\d+)-\w+$/.exec(e.name);
      if (!m || !e.isDirectory || Number(m[1]) === Deno.pid) continue;
      if (await pidExists(m[1]!)) continue;
      const st = await Deno.lstat(`${tmp}/${e.name}`).catch(() => null);
      if (st?.uid === Deno.uid()) await Deno.remove(`${tmp}/${e.name}`, { recursive: true }).catch(() => {});
    }
  } catch {
    // An unreadable TMPDIR: making captrace's own there will say so.
  }
}

/** HOME, USER and LOGNAME of `user`, as su sets them, and PATH when given; without `drop`'s variables. */
function _userEnv(
  user: User,
  path: string | undefined,
  drop: readonly string[],
): { env: Record<string, string>; clearEnv?: boolean } {
  const env = { HOME: user.home, USER: user.name, LOGNAME: user.name, ...(path === undefined ? {} : { PATH: path }) };
  if (drop.length === 0) return { env };
  // Deno adds `env` to its own environment: leaving a variable out takes the whole environment, given anew.
  const all = Deno.env.toObject();
  for (const name of drop) delete all[name];
  return { env: { ...all, ...env }, clearEnv: true };
}

/**
 * Start `argv` (argv[0] already resolved) behind a gate, optionally as another user, with `path` for its PATH (see
 * userPath) and without the variables `drop` names (see unusableVariables).
 */
export async function launchGated(
  argv: readonly string[],
  options: {
    user: User | null;
    path?: string;
    drop?: readonly string[];
    stdin: "inherit" | "null";
    /** Which words of `argv` are escaped for `printf %b` (see raw_args.ts): arguments that are not UTF-8. */
    escaped?: readonly number[];
    /** Signals the command gets ignored, as captrace got them (see SignalRelay.ignored). */
    ignore?: readonly Deno.Signal[];
  },
): Promise<Gated> {
  const dir = await privateTempDir("captrace-");
  const fifo = `${dir}/gate`;
  let mk: Deno.CommandOutput | Error;
  try {
    mk = await new Deno.Command(findTool("mkfifo") ?? "mkfifo", { args: ["-m", "600", fifo], stderr: "piped" })
      .output();
  } catch (e) {
    mk = e as Error;
  }
  if (mk instanceof Error || !mk.success) {
    await Deno.remove(dir, { recursive: true });
    if (mk instanceof Deno.errors.NotFound) {
      throw new CaptraceError(
        "Cannot create the launch gate: mkfifo was not found",
        "Install coreutils, or put mkfifo on PATH",
        ExitCode.CANNOT_TRACE,
      );
    }
    throw new CaptraceError(
      `Could not create the launch gate (mkfifo failed${mk instanceof Error ? `: ${mk.message}` : ""})`,
      null,
      ExitCode.TRACE_FAILED,
    );
  }
  // Held open read-write by captrace for the whole trace: the launcher's open never blocks, a write never
  // blocks, and if captrace dies the launcher reads end-of-file and exits instead of running untraced.
  const gate = await Deno.open(fifo, { read: true, write: true });
  // setpriv execs with root's capabilities still effective (its own exec is checked as root's): a file the user may
  // not run would run. A shell between, which has none left once it runs as the user, makes the user's exec.
  const prefix = options.user
    ? [
      findTool("setpriv") ?? "setpriv",
      `--reuid=${options.user.uid}`,
      `--regid=${options.user.gid}`,
      "--init-groups",
      "--",
      "/bin/sh",
      "-c",
      'exec "$@"',
      SHELL_NAME,
    ]
    : [];
  const target = [...prefix, ...argv];
  // The escaped words' positions among the gate's "$@", which counts from 1.
  const escaped = (options.escaped ?? []).map((i) => prefix.length + i + 1);
  // An ignored signal stays ignored through exec: set so in the launcher, it is so in the command.
  const ignore = options.ignore?.length
    ? `trap '' ${options.ignore.map((s) => s.replace(/^SIG/, "")).join(" ")}; `
    : "";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("/bin/sh", {
      args: escaped.length > 0
        ? ["-c", ignore + GATE_ESCAPED, SHELL_NAME, fifo, ` ${escaped.join(" ")} `, ...target]
        : ["-c", ignore + GATE, SHELL_NAME, fifo, ...target],
      // The user's HOME, USER and LOGNAME; the rest of the environment is kept, as strace -u keeps it all, but for
      // PATH's directories the user cannot search. A HOME left at root's would make the program's reads of its own
      // files denied DAC checks, recommended for nothing, as would looking programs up in /root/.cargo/bin.
      ...(options.user ? _userEnv(options.user, options.path, options.drop ?? []) : {}),
      stdin: options.stdin,
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (e) {
    gate.close();
    await Deno.remove(dir, { recursive: true });
    // As a shell says it: an argument list too long for the kernel (E2BIG) is the one cause of note.
    throw new CaptraceError(
      `Cannot start the command: ${reason(e)}`,
      /too long/i.test((e as Error).message) ? "Give the command fewer or shorter arguments" : null,
      ExitCode.NOT_EXECUTABLE,
    );
  }
  let released = false;
  return {
    child,
    pid: child.pid,
    launcherExecs: options.user ? 3 : 1,
    async release() {
      released = true;
      await gate.write(new TextEncoder().encode("go\n"));
    },
    abort() {
      if (released) return;
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
    async cleanup() {
      try {
        gate.close();
      } catch {
        // closed already
      }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
