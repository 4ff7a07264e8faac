/** Shared helpers of the end-to-end tests: run the real CLI, build C fixtures, insist on root and bpftrace. */

const ROOT = new URL("..", import.meta.url).pathname;
/** The CLI entry point. */
export const MAIN = `${ROOT}cli/main.ts`;

/** The `captrace` task of deno.json: it goes back to the directory it was run from, then runs `deno run …`. */
export const TASK = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks.captrace as string;

/** Deno's arguments that run the CLI exactly as the `captrace` task in deno.json does, V8 flags included. */
export const CLI: string[] = TASK.slice(TASK.indexOf("deno run ") + "deno ".length)
  .split(" ").map((w) => w === '"$CAPTRACE_REPO/cli/main.ts"' ? MAIN : w);
if (CLI[0] !== "run" || CLI.at(-1) !== MAIN) throw new Error(`The captrace task is not as the tests expect: ${TASK}`);

/** What a CLI run produced. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI with explicit arguments (no shell), as the compiled binary would be run. */
export async function runCli(
  args: string[],
  options: {
    stdin?: "null" | "piped";
    env?: Record<string, string>;
    wrapper?: string[];
    killAfterMs?: number;
    /** Called once captrace's banner says the trace runs ("Hit Ctrl-C"). */
    onTracing?: () => void;
  } = {},
): Promise<Run> {
  const argv = [...(options.wrapper ?? []), Deno.execPath(), ...CLI, ...args];
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
    env: { TZ: "UTC", NO_COLOR: "1", ...options.env },
  }).spawn();
  // A deadline for runs that must end on their own: past it the CLI is killed, and its exit code says so (137).
  const deadline = options.killAfterMs === undefined ? undefined : setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // ended meanwhile
    }
  }, options.killAfterMs);
  const [stdout, stderr, status] = await Promise.all([
    new Response(child.stdout).text(),
    options.onTracing ? readWatching(child.stderr, "Hit Ctrl-C", options.onTracing) : new Response(child.stderr).text(),
    child.status,
  ]);
  clearTimeout(deadline);
  return { code: status.code, stdout, stderr };
}

/** All of `stream`'s text; `then` is called once `needle` has come. */
export async function readWatching(
  stream: ReadableStream<Uint8Array>,
  needle: string,
  then: () => void,
): Promise<string> {
  let text = "";
  let seen = false;
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    if (!seen && text.includes(needle)) {
      seen = true;
      then();
    }
  }
  return text;
}

/**
 * Runs `run` with a command prefix that puts what follows in a mount namespace of its own, where a stand-in covers
 * /sys/kernel/tracing: with or without the capability:cap_capable tracepoint. captrace looks the tracepoint up in
 * tracefs, so this is how tests of the stand-in tracer choose the kernel they run on, whatever kernel runs them.
 */
export async function onKernel<T>(tracepoint: boolean, run: (wrapper: string[]) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "captrace-tracefs-" });
  await Deno.mkdir(`${dir}/events/${tracepoint ? "capability/cap_capable" : "sched"}`, { recursive: true });
  const cover = 'mount --bind "$0" /sys/kernel/tracing && exec "$@"';
  try {
    return await run(["unshare", "--mount", "--propagation", "private", "sh", "-c", cover, dir]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Processes other than this one whose environment holds `needle` (the stand-in tracer's settings, say). */
export async function processesWithEnv(needle: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    const env = await Deno.readTextFile(`/proc/${e.name}/environ`).catch(() => "");
    if (env.includes(needle)) out.push(e.name);
  }
  return out;
}

/** Fail loudly (never skip) when this machine cannot run real traces. */
export async function requireTracing(): Promise<void> {
  if (Deno.uid() !== 0) throw new Error("These tests need root: run the suite with sudo");
  const which = await new Deno.Command("sh", { args: ["-c", "command -v bpftrace"], stdout: "null" }).output();
  if (!which.success) throw new Error("These tests need bpftrace: apt-get install -y bpftrace");
}

const built = new Map<string, string>();

/** Compile test/fixtures/NAME.c (once per run) and return the binary's path. */
export async function fixture(name: string, flags: string[] = ["-O0", "-g"]): Promise<string> {
  const key = `${name} ${flags.join(" ")}`;
  const have = built.get(key);
  if (have) return have;
  const dir = `${ROOT}test/fixtures/bin`;
  await Deno.mkdir(dir, { recursive: true });
  const suffix = key === `${name} -O0 -g` ? "" : "-" + flags.join("").replace(/[^\w]/g, "");
  const out = `${dir}/${name}${suffix}`;
  const cc = await new Deno.Command("gcc", {
    args: [...flags, "-pthread", "-o", out, `${ROOT}test/fixtures/${name}.c`],
    stderr: "piped",
  }).output();
  if (!cc.success) throw new Error(`gcc failed for ${name}: ${new TextDecoder().decode(cc.stderr)}`);
  await Deno.chmod(out, 0o755);
  await Deno.chmod(dir, 0o755);
  built.set(key, out);
  return out;
}

// Directories made for the tests of this module, removed when it unloads.
const _made: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const dir of _made) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  }
});

/** Runs `f` with a new temporary directory (its real path), of mode `mode`; removes it afterwards. */
export async function inTempDir<T>(mode: number, f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "captrace-test-" }));
  try {
    await Deno.chmod(dir, mode);
    return await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A copy of the program at `path` (its file, links followed) as `to`, which any user may run; returns `to`. */
export async function copyProgram(path: string, to: string): Promise<string> {
  await Deno.copyFile(await Deno.realPath(path), to);
  await Deno.chmod(to, 0o755);
  return to;
}

/** A root-owned file in a temporary directory that nobody can reach (removed when the test module unloads). */
export async function rootOwnedFile(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  _made.push(dir);
  await Deno.chmod(dir, 0o755);
  const file = `${dir}/owned-by-root`;
  await Deno.writeTextFile(file, "x");
  return file;
}

/** Run the CLI with `--json -o FILE` prepended and return the events from FILE along with the run. */
export async function runJson(
  args: string[],
  options: { env?: Record<string, string>; wrapper?: string[] } = {},
): Promise<Run & { events: Record<string, unknown>[] }> {
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  try {
    const r = await runCli(["--json", "-o", out, ...args], options);
    return { ...r, events: ndjson(await Deno.readTextFile(out)) };
  } finally {
    await Deno.remove(out);
  }
}

/** Parse NDJSON text into objects, failing on any line that is not JSON. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/** Processes whose command line mentions `needle` (excluding this test runner). */
export async function processesMatching(needle: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    if (cmd.includes(needle)) out.push(`${e.name}: ${cmd.replaceAll("\0", " ")}`);
  }
  return out;
}

/** Waits until a process other than this one has `needle` in its command line; fails after 10 s, saying `what`. */
export async function waitForProcess(needle: string, what: string): Promise<void> {
  for (let i = 0; (await processesMatching(needle)).length === 0; i++) {
    if (i === 200) throw new Error(`${what} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The ready event of a --json trace being written to `file`, once it is there. */
export async function waitForReady(file: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const ready = ndjson(await Deno.readTextFile(file)).find((e) => e.type === "ready");
    if (ready) return ready;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the trace never became ready");
}

/** A `--json` trace running in the background, ready, written to a file of its own (removed when it ends). */
export interface BackgroundTrace {
  /** captrace's pid. */
  pid: number;
  ready: Record<string, unknown>;
  /** The events written so far. */
  events: () => Promise<Record<string, unknown>[]>;
  /** Ends it with Ctrl-C; it must exit 0. Its events. */
  stop: () => Promise<Record<string, unknown>[]>;
  /** Waits for it to end by itself (its command or process gone); it must exit 0. Its events. */
  end: () => Promise<Record<string, unknown>[]>;
}

/** Starts captrace `--json` with `args`, and waits for its ready event; ended before that, it fails with its stderr. */
export async function traceInBackground(args: string[]): Promise<BackgroundTrace> {
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const p = new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [...CLI, "--json", "-o", out, ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const output = p.output();
  const events = async () => ndjson(await Deno.readTextFile(out));
  const end = async () => {
    const status = await output;
    try {
      if (status.code !== 0) {
        throw new Error(`captrace exited ${status.code}: ${new TextDecoder().decode(status.stderr)}`);
      }
      return await events();
    } finally {
      await Deno.remove(out);
    }
  };
  try {
    const first = await Promise.race([
      waitForReady(out).then((ready) => ({ ready })),
      output.then((o) => ({ ended: o })),
    ]);
    if ("ended" in first) {
      throw new Error(`captrace ended before its trace was ready: ${new TextDecoder().decode(first.ended.stderr)}`);
    }
    return { pid: p.pid, ready: first.ready, events, end, stop: () => (p.kill("SIGINT"), end()) };
  } catch (e) {
    try {
      p.kill("SIGKILL");
    } catch {
      // ended
    }
    await output;
    await Deno.remove(out);
    throw e;
  }
}

/** The pid of the bpftrace a captrace of pid `captrace` runs, or null when it runs none. */
export async function tracerOf(captrace: number): Promise<number | null> {
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${e.name}/stat`).catch(() => "");
    const m = /^\d+ \((.*)\) \S (\d+) /.exec(stat);
    if (m?.[1] === "bpftrace" && Number(m[2]) === captrace) return Number(e.name);
  }
  return null;
}

/**
 * True while process `pid` runs its program: once killed, it has none (an empty /proc/PID/cmdline), even while the
 * kernel still tears its BPF probes down, which captrace does not wait for (README).
 */
export async function isRunning(pid: number): Promise<boolean> {
  return (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")) !== "";
}

/**
 * Whether `pid` has stopped running within 10 s. captrace does not wait for the bpftrace it SIGKILLs, which, on a
 * loaded machine, may not have begun to exit when captrace has.
 */
export async function endsSoon(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!(await isRunning(pid))) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
