/** Command-line parsing: strace-style flags, the original captrace's Go-style flags, and the help text. */

import { parseArgs } from "node:util";
import { CaptraceError, ExitCode } from "./exit_codes.ts";

/** Everything the command line decides. */
export interface Options {
  mode: "command" | "pid" | "system";
  command: string[];
  pid: number | null;
  /** Whole-system mode: only the processes of this cgroup (v2) and those below it, as given. */
  cgroup: string | null;
  follow: boolean;
  output: string | null;
  user: string | null;
  json: boolean;
  summary: boolean;
  /** No per-check records at all: the kernel only counts (implies summary). */
  summaryOnly: boolean;
  verbose: boolean;
  unique: boolean;
  sites: boolean;
  baseline: string | null;
  /** Entries of each keyed map in the kernel (bpftrace's BPFTRACE_MAP_KEYS_MAX). */
  mapKeys: number;
  probe: "auto" | "tracepoint" | "kprobe";
  bpftrace: string;
  debug: boolean;
  stdinControl: boolean;
  /** A FIFO whose end (its last writer closing it) stops the trace, as --stdin-control's stdin does. */
  control: string | null;
  /** A process whose end stops the trace, and any wait for -o's and --control's FIFOs (an editor running captrace). */
  stopWith: number | null;
  help: boolean;
  version: boolean;
}

/**
 * Default size of the kernel's keyed maps (the exact counts, the traced tasks). bpftrace allocates every entry
 * at start: 131,072 costs about 15 ms, 1,048,576 about 0.25 s. A full map is detected and reported.
 */
export const DEFAULT_MAP_KEYS = 131072;

/** The largest --map-keys accepted. */
export const MAX_MAP_KEYS = 1 << 26;

/** captrace's version. */
export const VERSION = "0.1.0";

/** The --help text. */
export const HELP = `Usage: captrace [options] [--] command [args...]
       captrace [options] -p PID
       captrace [options] --cgroup PATH
       captrace [options]                 (the whole system)

Reports every kernel capability check (cap_capable) the traced processes make:
capability, process and thread, syscall, audit flags, and the verdict
(-> 0 allowed, -> -1 denied). Needs root (bpftrace loads BPF programs).

Modes:
  command               launch it and trace it and all its children; the command
                        starts only once the probes are attached
  -p, --pid PID         trace a running process, its threads and children
      --cgroup PATH     trace the processes of a cgroup (v2) and of the cgroups
                        below it, made before or during the trace, until
                        Ctrl-C; PATH as /proc/PID/cgroup's 0:: line shows it
                        (system.slice/nginx.service) or its directory
  (neither)             trace the whole system until Ctrl-C (captrace and its
                        bpftrace left out)

Output:
  -o, --output FILE     write the trace to FILE instead of stderr (- for stdout;
                        a FIFO or a pipe works; the trace stops if its reader
                        goes away, but for a stream the command shares)
      --json            NDJSON events (schema v1, see shared/NDJSON.md)
  -c, --summary         at exit: exact per-capability counts and the minimal
                        capability set, ready to paste (setcap, systemd, docker,
                        compose, Kubernetes)
      --summary-only    only the summary: the kernel counts every check but
                        prints none, so the traced program runs several
                        times faster than with per-check output
  -v, --verbose         also show no-audit checks (memory accounting, probing),
                        hidden by default but always counted, and exec lines
                        (system-wide, exit lines too)
      --unique          show each distinct (process, program it runs,
                        capability, result, syscall, audit flags, user
                        namespace; with --sites, call site) once; the kernel
                        counts repeats
      --sites           find the source line of each check in the program
                        (needs debug info: build with -g)

Tracing:
  -u, --user USER       run the command as USER (uid, gid and supplementary
                        groups; HOME, USER and LOGNAME set for USER, PATH
                        without the directories USER cannot search, no TMPDIR
                        USER cannot write, no XDG_RUNTIME_DIR not USER's)
                        while captrace itself stays root
  -f, --follow          follow children (the default, as strace -f)
      --no-follow       trace only the root process and its threads (the
                        summary's note says its children are not covered)
      --probe KIND      auto (default), tracepoint or kprobe
      --map-keys N      room for N distinct keys in the kernel's maps (default
                        131072); raise it when captrace says the summary map
                        was full (bigger maps take longer to set up)
      --baseline FILE   exit 5 when a capability outside FILE is needed; FILE
                        is a --json trace, a -c text trace, or a list of
                        capability names (setcap and getcap lines too); - is
                        standard input, read to its end before the command runs
      --stdin-control   the command gets /dev/null as stdin; captrace stops the
                        trace when its own stdin closes (SIGTERM to the
                        command and its children, SIGKILL 3 s later; for IDEs);
                        a byte 0x03 read there is a Ctrl-C: SIGINT to the
                        command's process group, a second within 3 s kills it
                        unless it catches SIGINT
      --control FIFO    as --stdin-control, with the FIFO's end (its last
                        writer closing it) in place of stdin's; the command
                        keeps captrace's stdin (captrace waits for a writer)
      --stop-with PID   stop the trace as those do when process PID ends, and
                        give up waiting for -o's or --control's FIFO then (for
                        IDEs: their end leaves no captrace behind)
      --bpftrace PATH   bpftrace to run (default: the one on PATH, else in
                        /usr/local/sbin to /bin)
      --debug           show the bpftrace program, its stderr and odd lines

  -h, --help            this help;   -V, --version  print the version

Single-dash long flags of the original captrace work too: -pid N,
-bpftrace PATH, -debug.

Environment: CAPTRACE_BTF_OFFSETS=0 names kernel structs in the program
instead of reading fields at offsets from /sys/kernel/btf/vmlinux (and
bpftrace 0.17 then reads that BTF, not captrace's BTF without types).

Files: /run/captrace/ keeps those offsets, and bpftrace's version by its
file, for the boot (private to root).

Signals: SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGALRM and SIGVTALRM go on to
the command (with -p or system-wide, they end the trace), and a second one
kills it and its tree; sent to captrace's whole process group (timeout
without --foreground, kill %1), the command gets it twice. A Ctrl-C typed
at captrace's terminal already reaches the command: captrace traces it
until it exits; another Ctrl-C within 3 s kills it, unless the command
catches SIGINT (a REPL: each one is its own). A signal a second or more
after bpftrace was interrupted kills bpftrace too, giving its summary up.
SIGUSR2 goes on to the command alone. SIGUSR1 does nothing to captrace: on
it, Deno would open a debugger that any local user could reach, in
captrace, which runs as root (the command's own SIGUSR1 is untouched).

Exit status: the command's own (128+N if killed by signal N), but 5 when
--baseline is exceeded and 1 when the trace failed; otherwise 0 ok, 1 the
trace failed, 2 usage error, 3 cannot trace here (privileges, bpftrace,
probes, mkfifo, not the host's PID namespace, no cgroup v2), 4 no such
process or cgroup, 5 baseline exceeded, 126 command not executable, 127
command (or its #! interpreter) not found.

Examples:
  sudo captrace -u nobody -- chown nobody /tmp/file
  sudo captrace -c -u "$USER" -- ./myserver --port 80
  sudo captrace --json -o trace.ndjson -p 1234
  sudo captrace -c --cgroup system.slice/nginx.service
`;

/** captrace's options, for node:util's parseArgs. */
const OPTIONS = {
  pid: { type: "string", short: "p", multiple: true },
  cgroup: { type: "string", multiple: true },
  output: { type: "string", short: "o", multiple: true },
  user: { type: "string", short: "u", multiple: true },
  json: { type: "boolean" },
  summary: { type: "boolean", short: "c" },
  "summary-only": { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  unique: { type: "boolean" },
  sites: { type: "boolean" },
  "no-follow": { type: "boolean" },
  follow: { type: "boolean", short: "f" },
  probe: { type: "string", multiple: true },
  baseline: { type: "string", multiple: true },
  "map-keys": { type: "string", multiple: true },
  bpftrace: { type: "string", multiple: true },
  debug: { type: "boolean" },
  "stdin-control": { type: "boolean" },
  control: { type: "string", multiple: true },
  "stop-with": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/** captrace's long options, without their dashes. */
const LONG_OPTIONS: readonly string[] = Object.keys(OPTIONS);
/** The flags that take a value (the next word, or after `=`): every spelling of a string option. */
const VALUE_FLAGS = new Set(
  Object.entries(OPTIONS).filter(([, o]) => o.type === "string").flatMap(([name, o]) =>
    "short" in o ? [`--${name}`, `-${o.short}`] : [`--${name}`]
  ),
);
const GO_FLAGS: Record<string, string> = { "-pid": "--pid", "-bpftrace": "--bpftrace", "-debug": "--debug" };

function _usage(message: string): CaptraceError {
  return new CaptraceError(message, "Run 'captrace --help' for usage", ExitCode.USAGE);
}

/** Split argv into captrace's own flags and the command: at `--`, or at the first word that is no flag. */
function _split(argv: readonly string[]): { flags: string[]; command: string[] } {
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i]!;
    if (a === "--") return { flags, command: argv.slice(i + 1) };
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (GO_FLAGS[name]) a = GO_FLAGS[name] + (eq > 0 ? a.slice(eq) : "");
    if (!a.startsWith("-") || a === "-") return { flags, command: argv.slice(i) };
    flags.push(a);
    if (_takesNext(a) && i + 1 < argv.length) flags.push(argv[++i]!);
  }
  return { flags, command: [] };
}

/** True when flag `a` takes the next word for its value: `-p`, `--pid`, or a group of short ones ending in one (-fp). */
function _takesNext(a: string): boolean {
  if (VALUE_FLAGS.has(a)) return true;
  if (!/^-[a-zA-Z]{2,}$/.test(a)) return false;
  // In a group, a short flag that takes a value takes the rest of it (-cunobody), or when last, the next word.
  const at = [...a.slice(1)].findIndex((c) => VALUE_FLAGS.has(`-${c}`));
  return at === a.length - 2;
}

/** True when captrace's own flags (not the command's arguments) ask for --json: then errors are reported as JSON. */
export function wantsJson(argv: readonly string[]): boolean {
  return _split(argv).flags.includes("--json");
}

/** The highest pid Linux can give (PID_MAX_LIMIT on 64-bit is 2^22; pids stay below it). */
const PID_MAX = 4_194_303;

/** True for a process id as a word: digits, from 1 to PID_MAX. */
function _isPid(word: string): boolean {
  return /^\d+$/.test(word) && Number(word) > 0 && Number(word) <= PID_MAX;
}

/**
 * Parse captrace's arguments. Throws a CaptraceError with exit code 2 on a usage error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOptions } from "./args.ts";
 * const o = parseOptions(["-c", "--", "ls", "-l"]);
 * assert(o.summary && o.command.join(" ") === "ls -l");
 * ```
 */
export function parseOptions(argv: readonly string[]): Options {
  const { flags, command } = _split(argv);
  // A long option written with one dash (`-output f`) would be read as a group of short ones (`-o utput`): a
  // mistake, not what its writer meant. (The original's -pid, -bpftrace and -debug are read as theirs.)
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    const name = /^-([a-z][a-z-]+)(?:=|$)/.exec(f)?.[1];
    if (name !== undefined && LONG_OPTIONS.includes(name)) {
      throw _usage(`Unknown option '-${name}' (one dash): did you mean --${name}?`);
    }
    if (_takesNext(f)) i++;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: flags,
      strict: true,
      allowPositionals: false,
      options: OPTIONS,
    }));
  } catch (e) {
    // A value that starts with a dash (`-p -5`) is taken for an option: say which value is wrong, as for any other.
    const ambiguous = /^Option '([^' ]+)(?: <value>)?' argument is ambiguous/.exec((e as Error).message);
    if (ambiguous) {
      const name = ambiguous[1]!;
      const long = ({ "-p": "--pid", "-o": "--output", "-u": "--user" } as Record<string, string>)[name] ?? name;
      // The first spelling of the option (alone, or last in a group of short ones: -cp) whose value starts with '-'.
      const spelled = (f: string) =>
        f === name || (name.length === 2 && /^-[a-zA-Z]+$/.test(f) && f.endsWith(name[1]!));
      const at = flags.findIndex((f, i) => spelled(f) && /^-./.test(flags[i + 1] ?? ""));
      const value = flags[at + 1] ?? "";
      // Numbers never start with '-': only a string option's value may, given with '='.
      const numeric = long === "--pid" || long === "--map-keys" || long === "--stop-with";
      throw new CaptraceError(
        `Invalid value '${value}' for ${long}`,
        numeric ? `Give ${long} a number` : `Give ${long} its value (one that starts with '-' as ${long}=${value})`,
        ExitCode.USAGE,
      );
    }
    // node's messages run to several sentences, some on lines of their own: the first says what is wrong.
    throw _usage((e as Error).message.split("\n")[0]!.replace(/\. To specify.*$/, "").replace(/\.$/, ""));
  }
  // The last of a repeated option must not silently win over the others.
  const once = (name: string, given: string[] | undefined): string | undefined => {
    if (given !== undefined && given.length > 1) throw _usage(`Give --${name} once`);
    return given?.[0];
  };
  const opt = {
    cgroup: once("cgroup", values.cgroup),
    output: once("output", values.output),
    user: once("user", values.user),
    probe: once("probe", values.probe),
    baseline: once("baseline", values.baseline),
    mapKeys: once("map-keys", values["map-keys"]),
    bpftrace: once("bpftrace", values.bpftrace),
    control: once("control", values.control),
    stopWith: once("stop-with", values["stop-with"]),
  };
  if (values.follow && values["no-follow"]) throw _usage("Give --follow or --no-follow, not both");
  let pid: number | null = null;
  if (values.pid !== undefined) {
    const given = values.pid.at(-1)!;
    if (!_isPid(given)) {
      throw _usage(`Invalid pid '${given}'`);
    }
    // One tree: the last -p must not silently win over the others.
    if (values.pid.length > 1) throw _usage("Give --pid once: captrace traces one process and its children");
    pid = Number(given);
  }
  if (pid !== null && command.length > 0) throw _usage("Give either a command or --pid, not both");
  const stopWith = opt.stopWith ?? null;
  if (stopWith !== null && !_isPid(stopWith)) {
    throw _usage(`Invalid pid '${stopWith}' for --stop-with`);
  }
  const cgroup = opt.cgroup ?? null;
  if (cgroup !== null && (pid !== null || command.length > 0)) {
    throw _usage(
      `Give --cgroup alone: it traces every process of the cgroup, not a ${pid !== null ? "pid" : "command"}`,
    );
  }
  if (cgroup === "") throw _usage("Invalid cgroup ''");
  const probe = opt.probe ?? "auto";
  if (probe !== "auto" && probe !== "tracepoint" && probe !== "kprobe") {
    throw _usage(`Unknown probe '${probe}' (use auto, tracepoint or kprobe)`);
  }
  let mapKeys = DEFAULT_MAP_KEYS;
  if (opt.mapKeys !== undefined) {
    const n = opt.mapKeys;
    if (!/^\d+$/.test(n) || Number(n) < 1024 || Number(n) > MAX_MAP_KEYS) {
      throw _usage(`Invalid --map-keys '${n}' (a number from 1024 to ${MAX_MAP_KEYS})`);
    }
    mapKeys = Number(n);
  }
  const summaryOnly = values["summary-only"] ?? false;
  if (summaryOnly && values.sites) throw _usage("--sites needs per-check records: leave out --summary-only");
  if (opt.user !== undefined && command.length === 0) throw _usage("--user needs a command to launch");
  // An empty value (an unset $USER in `-u "$USER"`) must not mean "no user": the command would run as root.
  if (opt.user === "") throw _usage("Invalid user '' (a user name or uid)");
  if (opt.output === "") throw _usage("Invalid output file ''");
  // Nor an empty baseline (`--baseline "$UNSET"` in CI) "no baseline": the check would pass whatever is needed.
  if (opt.baseline === "") throw _usage("Invalid baseline file ''");
  if (opt.control === "") throw _usage("Invalid control FIFO ''");
  if (opt.bpftrace === "") throw _usage("Invalid bpftrace path ''");
  if (opt.control !== undefined && values["stdin-control"]) throw _usage("Give --stdin-control or --control, not both");
  if (opt.baseline === "-" && values["stdin-control"]) {
    throw _usage("--baseline - reads standard input, which --stdin-control watches for the trace's end");
  }
  if (command.length === 0 && argv.includes("--") && pid === null) {
    throw _usage("No command after '--' (leave out '--' to trace the whole system)");
  }
  const mode = command.length > 0 ? "command" : pid !== null ? "pid" : "system";
  if (mode === "system" && values["no-follow"]) throw _usage("--no-follow needs a command or --pid");
  return {
    mode,
    command,
    pid,
    cgroup,
    follow: !values["no-follow"],
    output: opt.output ?? null,
    user: opt.user ?? null,
    json: values.json ?? false,
    summary: (values.summary ?? false) || summaryOnly,
    summaryOnly,
    verbose: values.verbose ?? false,
    unique: values.unique ?? false,
    sites: values.sites ?? false,
    baseline: opt.baseline ?? null,
    mapKeys,
    probe,
    bpftrace: opt.bpftrace ?? "bpftrace",
    debug: values.debug ?? false,
    stdinControl: values["stdin-control"] ?? false,
    control: opt.control ?? null,
    stopWith: stopWith === null ? null : Number(stopWith),
    help: values.help ?? false,
    version: values.version ?? false,
  };
}
