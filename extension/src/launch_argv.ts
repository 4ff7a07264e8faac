/** Turns a launch configuration into the argv of a traced command, and that into captrace's argv (never a shell string). */

import { basename } from "node:path";

/** The subset of a launch.json configuration that matters here. */
export interface LaunchConfig {
  type?: string;
  name?: string;
  request?: string;
  program?: unknown;
  args?: unknown;
  cwd?: unknown;
  env?: unknown;
  environment?: unknown;
  runtimeExecutable?: unknown;
  runtimeArgs?: unknown;
  python?: unknown;
  processId?: unknown;
  [key: string]: unknown;
}

/** Values for `${…}` variables in launch configurations. */
export interface VariableContext {
  workspaceFolder: string | null;
  /** The active editor's file, for `${file}`. */
  file: string | null;
  env: Readonly<Record<string, string | undefined>>;
  userHome: string;
  /** Every workspace folder by name, for `${workspaceFolder:Name}`. */
  folders?: Readonly<Record<string, string>>;
  /** The workspace folder of the active editor's file, for `${fileWorkspaceFolder}`. */
  fileWorkspaceFolder?: string | null;
  /** The editor's working directory when it started, for `${cwd}`. */
  cwd?: string;
  /** The active editor's line (1-based) and selected text, for `${lineNumber}` and `${selectedText}`. */
  lineNumber?: number | null;
  selectedText?: string | null;
  /** The editor's executable, for `${execPath}`. */
  execPath?: string;
  /** `command:`, `input:` and `config:` variables resolved beforehand (see askedVariables), by their name. */
  resolved?: Readonly<Record<string, string>>;
  /** Reads a configuration's envFile: its text, or null when there is no such file. */
  readFile?: (path: string) => string | null;
}

/** A command to trace: argv, working directory and extra environment. */
export interface TracedCommand {
  argv: string[];
  cwd: string | null;
  env: Record<string, string>;
  /** Variables to take out of the environment the command would get (a launch configuration's `env` set to null). */
  unset?: string[];
  /** The file shown as "the program" in the views (the script for interpreters). */
  program: string;
  /** The launch configuration's task to run first (a build), as F5 runs it, and the configuration's folder. */
  preLaunchTask?: string;
  folder?: string;
}

/**
 * Replaces VS Code's variables; an unknown variable is a TypeError rather than a silently wrong path. `command:`,
 * `input:` and `config:` ones must be in `ctx.resolved` (their values come from the editor: see askedVariables).
 *
 * @example
 * ```ts
 * import { substituteVariables } from "./launch_argv.ts";
 * const ctx = { workspaceFolder: "/ws", file: null, env: {}, userHome: "/home/u" };
 * if (substituteVariables("${workspaceFolder}/a.out", ctx) !== "/ws/a.out") throw new Error("unexpected");
 * ```
 */
export function substituteVariables(
  value: string,
  ctx: VariableContext,
): string {
  return value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => {
    if (name.startsWith("env:")) return ctx.env[name.slice(4)] ?? "";
    if (ASKED.test(name)) {
      const v = ctx.resolved?.[name];
      if (v === undefined) throw new TypeError(`Cannot resolve ${whole} here`);
      return v;
    }
    if (name.startsWith("workspaceFolder:")) {
      const folder = ctx.folders?.[name.slice(16)];
      if (folder === undefined) throw new TypeError(`No workspace folder is named ${JSON.stringify(name.slice(16))}`);
      return folder;
    }
    const file = () => _need(ctx.file, whole);
    const base = () => file().split("/").pop() ?? "";
    const dir = () => file().replace(/\/[^/]*$/, "") || "/";
    const relative = (p: string) => {
      const root = _need(ctx.fileWorkspaceFolder ?? ctx.workspaceFolder, whole).replace(/\/$/, "");
      return p.startsWith(root + "/") ? p.slice(root.length + 1) : p === root ? "" : p;
    };
    const folder = () => {
      // A configuration of the workspace file or the user's settings has no folder of its own when there are several.
      if (ctx.workspaceFolder === null && Object.keys(ctx.folders ?? {}).length > 1) {
        throw new TypeError(
          `Cannot resolve ${whole} in a workspace of several folders; name the folder, as \${workspaceFolder:NAME}`,
        );
      }
      return _need(ctx.workspaceFolder, whole);
    };
    switch (name) {
      case "workspaceFolder":
      case "workspaceRoot":
        return folder();
      case "workspaceFolderBasename":
        return folder().split("/").pop() ?? "";
      case "file":
        return file();
      case "fileBasename":
        return base();
      case "fileDirname":
        return dir();
      case "fileBasenameNoExtension":
        return base().replace(/(?<=.)\.[^.]*$/, "");
      case "fileExtname":
        return /(?<=.)\.[^.]*$/.exec(base())?.[0] ?? "";
      case "fileDirnameBasename":
        return dir().split("/").pop() ?? "";
      case "fileWorkspaceFolder":
        return _need(ctx.fileWorkspaceFolder ?? null, whole);
      case "fileWorkspaceFolderBasename":
        return _need(ctx.fileWorkspaceFolder ?? null, whole).split("/").pop() ?? "";
      case "relativeFile":
        return relative(file());
      case "relativeFileDirname":
        return relative(dir()) || ".";
      case "lineNumber":
        return String(_need(ctx.lineNumber ?? null, whole));
      case "selectedText":
        return _need(ctx.selectedText ?? null, whole);
      case "cwd":
        return _need(ctx.cwd ?? null, whole);
      case "execPath":
        return _need(ctx.execPath ?? null, whole);
      case "userHome":
        return ctx.userHome;
      case "pathSeparator":
      case "/":
        return "/";
      default:
        throw new TypeError(
          `Unsupported variable ${whole} in launch configuration`,
        );
    }
  });
}

/** Variables whose values the editor gives: a command's result, the user's answer to an input, a setting. */
const ASKED = /^(?:command|input|config):/;

/**
 * The `command:`, `input:` and `config:` variables a launch configuration uses (`input:port`, `command:x.pick`), each
 * once, in the order they appear: the editor resolves them before the configuration runs, as F5 does.
 *
 * @example
 * ```ts
 * import { askedVariables } from "./launch_argv.ts";
 * const names = askedVariables({ program: "${command:cmake.launchTargetPath}", args: ["${input:n}", "${input:n}"] });
 * if (names.join() !== "command:cmake.launchTargetPath,input:n") throw new Error(names.join());
 * ```
 */
export function askedVariables(launch: LaunchConfig): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      for (const m of value.matchAll(/\$\{([^}]+)\}/g)) if (ASKED.test(m[1]!)) found.add(m[1]!);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(visit);
  };
  const config = effectiveConfig(launch);
  for (
    const key of [
      "program",
      "args",
      "cwd",
      "env",
      "envFile",
      "environment",
      "runtimeExecutable",
      "runtimeArgs",
      "python",
    ]
  ) {
    visit(config[key]);
  }
  return [...found];
}

/** The configuration as it applies on Linux: its `linux` section overrides its other properties, as VS Code does. */
export function effectiveConfig(launch: LaunchConfig): LaunchConfig {
  const linux = launch.linux;
  return typeof linux === "object" && linux !== null && !Array.isArray(linux)
    ? { ...launch, ...linux as LaunchConfig }
    : launch;
}

function _need<T>(value: T | null, variable: string): T {
  if (value === null) throw new TypeError(`Cannot resolve ${variable} here`);
  return value;
}

function _strings(
  value: unknown,
  what: string,
  ctx: VariableContext,
): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new TypeError(`${what} must be an array of strings`);
  }
  return value.map((v) => substituteVariables(v, ctx));
}

const NODE_TYPES = new Set(["node", "pwa-node", "node2"]);
const PYTHON_TYPES = new Set(["python", "debugpy"]);

/** True for a Python launch configuration (its script run by an interpreter the editor may have chosen). */
export function isPythonConfig(launch: LaunchConfig): boolean {
  return PYTHON_TYPES.has(effectiveConfig(launch).type ?? "");
}

/**
 * The variables of an env file (`.env`): `NAME=value` lines, perhaps after `export`, values perhaps quoted ('as is',
 * or "with \n escapes"); blank lines and `#` comments are passed over.
 *
 * @example
 * ```ts
 * import { parseEnvFile } from "./launch_argv.ts";
 * const env = parseEnvFile("# db\nexport HOST=db.local\nGREETING=\"hi there\"  # comment\n");
 * if (env.HOST !== "db.local" || env.GREETING !== "hi there") throw new Error(JSON.stringify(env));
 * ```
 */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const raw = m[2]!;
    const quoted = /^(['"])(.*)\1(?:\s+#.*)?$/.exec(raw);
    env[m[1]!] = quoted === null
      ? raw.replace(/\s+#.*$/, "")
      : quoted[1] === '"'
      ? quoted[2]!.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c)
      : quoted[2]!;
  }
  return env;
}

/**
 * The command a launch configuration runs: native programs directly, Node.js and Python scripts through their runtime.
 *
 * @example
 * ```ts
 * import { commandFromLaunchConfig } from "./launch_argv.ts";
 * const ctx = { workspaceFolder: "/ws", file: null, env: {}, userHome: "/root" };
 * const c = commandFromLaunchConfig({ type: "node", program: "${workspaceFolder}/a.js", args: ["x"] }, ctx);
 * if (c.argv.join(" ") !== "node /ws/a.js x") throw new Error(c.argv.join(" "));
 * ```
 */
export function commandFromLaunchConfig(
  launch: LaunchConfig,
  ctx: VariableContext,
): TracedCommand {
  const config = effectiveConfig(launch);
  if (typeof config.program !== "string" || config.program.trim() === "") {
    throw new TypeError(
      `Launch configuration ${JSON.stringify(config.name ?? "")} has no program to run`,
    );
  }
  const program = _absolute(
    substituteVariables(config.program, ctx),
    ctx.workspaceFolder,
  );
  if (typeof config.args === "string") {
    throw new TypeError(
      "args given as one string cannot be split safely; use an array",
    );
  }
  const args = _strings(config.args, "args", ctx);
  const cwd = typeof config.cwd === "string"
    ? _absolute(substituteVariables(config.cwd, ctx), ctx.workspaceFolder)
    : ctx.workspaceFolder;
  // An envFile's variables first, then env's over them; a Python configuration's is the folder's .env unless given.
  const envFile = typeof config.envFile === "string"
    ? _absolute(substituteVariables(config.envFile, ctx), ctx.workspaceFolder)
    : PYTHON_TYPES.has(config.type ?? "") && ctx.workspaceFolder !== null
    ? `${ctx.workspaceFolder.replace(/\/$/, "")}/.env`
    : null;
  const envText = envFile === null ? null : ctx.readFile?.(envFile) ?? null;
  if (envText === null && typeof config.envFile === "string" && ctx.readFile) {
    throw new TypeError(`The envFile ${envFile} cannot be read`);
  }
  const env: Record<string, string> = envText === null ? {} : parseEnvFile(envText);
  const unset: string[] = [];
  if (config.env !== undefined && config.env !== null) {
    if (typeof config.env !== "object" || Array.isArray(config.env)) {
      throw new TypeError("env must be an object");
    }
    for (
      const [k, v] of Object.entries(config.env as Record<string, unknown>)
    ) {
      // null takes the variable away, as the debuggers do.
      if (v === null) {
        unset.push(k);
        delete env[k];
      }
      if (v === null || v === undefined) continue;
      env[k] = substituteVariables(String(v), ctx);
    }
  }
  // C/C++ (cppdbg, lldb's) configurations give it as a list of {name, value}.
  if (Array.isArray(config.environment)) {
    for (const item of config.environment as unknown[]) {
      const { name, value } = (item ?? {}) as { name?: unknown; value?: unknown };
      if (typeof name !== "string" || name === "") throw new TypeError("environment entries need a name");
      env[name] = substituteVariables(String(value ?? ""), ctx);
    }
  } else if (config.environment !== undefined && config.environment !== null) {
    throw new TypeError("environment must be a list of {name, value}");
  }
  let argv: string[];
  const type = config.type ?? "";
  if (NODE_TYPES.has(type)) {
    const runtime = typeof config.runtimeExecutable === "string"
      ? substituteVariables(config.runtimeExecutable, ctx)
      : "node";
    argv = [
      runtime,
      ..._strings(config.runtimeArgs, "runtimeArgs", ctx),
      program,
      ...args,
    ];
  } else if (PYTHON_TYPES.has(type)) {
    const python = typeof config.python === "string" ? substituteVariables(config.python, ctx) : "python3";
    argv = [python, program, ...args];
  } else {
    argv = [program, ...args];
  }
  const task = typeof config.preLaunchTask === "string" && config.preLaunchTask !== "" ? config.preLaunchTask : null;
  const folder = ctx.workspaceFolder === null ? {} : { folder: ctx.workspaceFolder };
  return {
    argv,
    cwd,
    env,
    ...(unset.length > 0 ? { unset } : {}),
    program,
    ...(task === null ? {} : { preLaunchTask: task, ...folder }),
  };
}

function _absolute(path: string, base: string | null): string {
  if (path.startsWith("/") || base === null) return path;
  return `${base.replace(/\/$/, "")}/${path.replace(/^\.\//, "")}`;
}

/** How captrace gets root: not at all (it has it), through `sudo -n`, or through `pkexec`. */
export type Elevation = "none" | "sudo" | "pkexec";

/** What to trace: a command captrace launches, or a running process tree. */
export type TraceTarget = { command: TracedCommand } | { pid: number };

/** Everything needed to build captrace's argv. */
export interface CaptraceOptions {
  binary: string;
  elevation: Elevation;
  /** Run the command as this user (`-u`); null keeps captrace's own user. */
  user: string | null;
  /** Where captrace writes NDJSON (a FIFO the extension reads). */
  output: string;
  /** The FIFO whose end stops captrace (`--control`), held open for writing by the extension. */
  control: string;
  /**
   * The extension host's pid (`--stop-with`): its end stops captrace even before captrace opened the FIFOs (the
   * window closed while pkexec asked), which would otherwise wait for them for good, as root.
   */
  stopWith?: number;
  /** Ask for source locations (`--sites`). */
  sites: boolean;
  target: TraceTarget;
  /** The editor's PATH: sudo and pkexec reset it, so under them the command gets it (unless its env sets one). */
  path?: string;
}

/**
 * The argv to spawn: elevation prefix, captrace with `--json --summary --control FIFO -o FIFO`, then the target.
 * Environment and working directory travel through `env` when they would otherwise be lost to sudo/pkexec.
 *
 * @example
 * ```ts
 * import { captraceArgv } from "./launch_argv.ts";
 * const argv = captraceArgv({ binary: "/usr/bin/captrace", elevation: "sudo", user: "me", output: "/tmp/f",
 *   control: "/tmp/c", sites: false, target: { pid: 42 } });
 * if (argv.join(" ") !== "sudo -n -- /usr/bin/captrace --json --summary --control /tmp/c -o /tmp/f --pid 42") {
 *   throw new Error(argv.join(" "));
 * }
 * ```
 */
export function captraceArgv(o: CaptraceOptions): string[] {
  const prefix = o.elevation === "sudo" ? ["sudo", "-n", "--"] : o.elevation === "pkexec" ? ["pkexec"] : [];
  const argv = [
    ...prefix,
    o.binary,
    "--json",
    "--summary",
    "--control",
    o.control,
    ...(o.stopWith === undefined ? [] : ["--stop-with", String(o.stopWith)]),
    "-o",
    o.output,
  ];
  if (o.sites) argv.push("--sites");
  if ("pid" in o.target) {
    if (!Number.isInteger(o.target.pid) || o.target.pid <= 0) {
      throw new RangeError(`Invalid process id ${o.target.pid}`);
    }
    argv.push("--pid", String(o.target.pid));
    return argv;
  }
  if (o.user !== null) argv.push("-u", o.user);
  argv.push("--");
  const { command } = o.target;
  // A bare `node` or `python3` is found on the editor's PATH, as F5 finds it, not on root's.
  const env = o.elevation !== "none" && o.path && !("PATH" in command.env)
    ? { PATH: o.path, ...command.env }
    : command.env;
  const valid = (k: string) => {
    if (k === "" || k.includes("=")) {
      throw new TypeError(
        `Invalid environment variable name ${JSON.stringify(k)}`,
      );
    }
    return k;
  };
  const vars = [
    ...(command.unset ?? []).filter((k) => !(k in env)).map((k) => `--unset=${valid(k)}`),
    ...Object.entries(env).map(([k, v]) => `${valid(k)}=${v}`),
  ];
  // pkexec starts in another directory and both sudo and pkexec reset the environment: carry them in env's argv.
  const chdir = o.elevation === "pkexec" && command.cwd !== null ? [`--chdir=${command.cwd}`] : [];
  if (vars.length > 0 || chdir.length > 0) {
    argv.push("env", ...chdir, ...vars);
    // env takes any word with '=' for a variable (a program in /ws/build=debug/): a shell's exec runs it instead.
    if (command.argv[0]?.includes("=")) argv.push("/bin/sh", "-c", 'exec "$@"', "sh");
  }
  argv.push(...command.argv);
  return argv;
}

/**
 * Splits a typed command line into argv the way a user expects from a shell, but without any expansion:
 * whitespace separates words, single quotes keep text as is, double quotes allow `\"` and `\\`, a backslash escapes outside quotes.
 *
 * @example
 * ```ts
 * import { splitCommandLine } from "./launch_argv.ts";
 * const argv = splitCommandLine(`./a.out 'x y' "\\"z\\"" $HOME`);
 * if (JSON.stringify(argv) !== JSON.stringify(["./a.out", "x y", '"z"', "$HOME"])) throw new Error(String(argv));
 * ```
 */
export function splitCommandLine(line: string): string[] {
  const argv: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) {
        word += line[++i];
      } else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) argv.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== null) throw new SyntaxError(`Unterminated ${quote} quote`);
  if (inWord) argv.push(word);
  return argv;
}

/**
 * The label of a traced command in the views: its words as splitCommandLine would read them back (a word with white
 * space, quotes or a shell's special characters in single quotes), the program's directory left out, and a long
 * absolute path among the arguments shortened to its file name (the full command is in the log).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandLabel } from "./launch_argv.ts";
 * assert.equal(commandLabel(["/ws/build/tool", "a b", "it's", "", "-v"]), `tool 'a b' 'it'\\''s' '' -v`);
 * ```
 */
export function commandLabel(argv: readonly string[]): string {
  const words = [basename(argv[0] ?? ""), ...argv.slice(1).map(_shortPath)];
  // A first word with `=` would be read as a variable's assignment.
  return words.map((w, i) => i === 0 && w.includes("=") ? _quoted(w) : _shellWord(w)).join(" ");
}

function _shortPath(arg: string): string {
  return arg.startsWith("/") && arg.length > 24 ? basename(arg) : arg;
}

/** `word` as a shell reads it back: as it is when it holds nothing special, else single-quoted. */
function _shellWord(word: string): string {
  return /^[\p{L}\p{N}_@%+=:,./-]+$/u.test(word) ? word : _quoted(word);
}

/** `word` in single quotes, a quote in it closed, escaped and opened again. */
function _quoted(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
