/** Helpers of the benchmarks: run a process and time it, read its peak RSS, keep medians, print the table. */

const dec = new TextDecoder();

/** Median, minimum and maximum of a set of runs. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** Median, minimum and maximum of `xs` (at least one value). */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new RangeError("No values to summarize");
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

/** What one timed run produced. */
export interface Timed {
  ms: number;
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in MB, when asked for. */
  rssMb: number | null;
  /** CPU time (user and system) it and its descendants used, in ms, when `rss` was asked for. */
  cpuMs: number | null;
}

/** Run `argv` to completion and time it; with `rss`, under GNU time to read its peak RSS and CPU time. */
export async function timed(
  argv: string[],
  options: { env?: Record<string, string>; rss?: boolean; stderr?: "piped" | "null" } = {},
): Promise<Timed> {
  const rssFile = options.rss ? await Deno.makeTempFile({ prefix: "captrace-bench-rss-" }) : null;
  const full = rssFile ? ["/usr/bin/time", "-f", "%M %U %S", "-o", rssFile, ...argv] : argv;
  const t0 = performance.now();
  const out = await new Deno.Command(full[0]!, {
    args: full.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: options.stderr ?? "piped",
    env: options.env ?? {},
  }).output();
  const ms = performance.now() - t0;
  let rssMb: number | null = null;
  let cpuMs: number | null = null;
  if (rssFile) {
    const [kb, user, sys] = ((await Deno.readTextFile(rssFile)).trim().split("\n").at(-1) ?? "").split(" ").map(Number);
    await Deno.remove(rssFile);
    rssMb = Number.isFinite(kb) ? kb! / 1024 : null;
    cpuMs = Number.isFinite(user) && Number.isFinite(sys) ? (user! + sys!) * 1000 : null;
  }
  return {
    ms,
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: options.stderr === "null" ? "" : dec.decode(out.stderr),
    rssMb,
    cpuMs,
  };
}

/** A process started in the background whose output is read until a line matches. */
export interface Background {
  child: Deno.ChildProcess;
  /** Everything read from the watched stream so far. */
  text(): string;
  /** Resolves when a line of the watched stream matches `re` (rejects on end of stream). */
  until(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Wait for it to end by itself. */
  wait(): Promise<Deno.CommandStatus>;
  /** Stop it with `signal` (if still running, repeated each second until it ends) and wait for its exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Start `argv`, reading `watch` (stdout or stderr) in the background; the other stream is discarded. */
export function background(argv: string[], watch: "stdout" | "stderr", env: Record<string, string> = {}): Background {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "null",
    stdout: watch === "stdout" ? "piped" : "null",
    stderr: watch === "stderr" ? "piped" : "null",
    env,
  }).spawn();
  let text = "";
  let ended = false;
  const waiters: (() => void)[] = [];
  const pump = (async () => {
    for await (const chunk of child[watch]) {
      text += dec.decode(chunk, { stream: true });
      waiters.splice(0).forEach((w) => w());
    }
    ended = true;
    waiters.splice(0).forEach((w) => w());
  })();
  return {
    child,
    text: () => text,
    async until(re, timeoutMs = 60_000) {
      const deadline = performance.now() + timeoutMs;
      while (!text.split("\n").some((l) => re.test(l))) {
        if (ended) throw new Error(`${argv[0]} ended before printing ${re}: ${text.slice(-500)}`);
        if (performance.now() > deadline) throw new Error(`${argv[0]} did not print ${re} in time`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async wait() {
      const status = await child.status;
      await pump;
      return status;
    },
    async stop(signal = "SIGINT") {
      const send = () => {
        try {
          child.kill(signal);
        } catch {
          // already gone
        }
      };
      // Repeated every second until it ends: bpftrace 0.17 does not always act on a SIGINT (in one bench run it
      // stayed in its epoll wait, idle, until a second one came; captrace repeats its own SIGINT likewise).
      send();
      const repeat = setInterval(send, 1000);
      try {
        const status = await child.status;
        await pump;
        return status;
      } finally {
        clearInterval(repeat);
      }
    },
  };
}

/** One row of the results table. */
export interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true pass, false fail, null informational. */
  pass: boolean | null;
}

/** `median [min–max]` with `digits` decimals and a unit. */
export function show(s: Spread, unit = "", digits = 0): string {
  const f = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return s.min === s.max ? `${f(s.median)}${unit}` : `${f(s.median)}${unit} [${f(s.min)}–${f(s.max)}]`;
}

/** The table as Markdown (readable as plain text too). */
export function table(rows: readonly Row[]): string {
  const head = ["figure", "value (median [min–max])", "baseline", "ratio", "target", "result"];
  const body = rows.map((r) => [
    r.figure,
    r.value,
    r.baseline,
    r.ratio,
    r.target,
    r.pass === null ? "info" : r.pass ? "pass" : "FAIL",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
  return [line(head), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
}
