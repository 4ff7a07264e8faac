/**
 * Measures what --sites costs: checks per second that captrace delivers without and with source lookup, as
 * ratios against the untraced workload in the same run. The trace goes to a FIFO read here, so the rate is
 * taken between the first and the last check line and bpftrace's start-up does not count.
 * Run as root: `deno run -A test/bench/sites_bench.ts [checks] [rounds]`.
 */

const ROOT = new URL("../..", import.meta.url).pathname;
const n = Number(Deno.args[0] ?? 100_000);
const rounds = Number(Deno.args[1] ?? 3);

async function sh(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  return performance.now() - t0;
}

/** One traced run: checks delivered per second between the first and last check line, and how many arrived. */
async function traced(dir: string, extra: string[]): Promise<{ rate: number; lines: number; sample: string }> {
  const fifo = `${dir}/fifo`;
  await Deno.remove(fifo).catch(() => {});
  await sh("mkfifo", [fifo]);
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", `${ROOT}cli/main.ts`, ...extra, "-o", fifo, "-u", "nobody", "--"]
      .concat([`${dir}/loop`, `${dir}/file`, String(n)]),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const file = await Deno.open(fifo, { read: true });
  const dec = new TextDecoder();
  let first = 0, last = 0, lines = 0, rest = "", sample = "";
  for await (const chunk of file.readable) {
    const now = performance.now();
    const parts = (rest + dec.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop()!;
    for (const l of parts) {
      if (!l.includes('"cap_chown"')) continue;
      if (lines++ === 0) {
        first = now;
        sample = l;
      }
      last = now;
    }
  }
  const status = await child.status;
  if (!status.success) throw new Error(`captrace ${extra.join(" ")} exited with ${status.code}`);
  return { rate: (lines - 1) / ((last - first) / 1000), lines, sample };
}

const dir = await Deno.makeTempDir({ prefix: "captrace-bench-" });
try {
  await Deno.chmod(dir, 0o755);
  await sh("gcc", ["-g", "-O2", "-o", `${dir}/loop`, `${ROOT}test/bench/sites_loop.c`]);
  await Deno.writeTextFile(`${dir}/file`, "");
  let plain = 0;
  const without = { rate: 0, lines: 0, sample: "" };
  const withSites = { rate: 0, lines: 0, sample: "" };
  for (let r = 0; r < rounds; r++) {
    const ms = await sh(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", "--"].concat(
        [`${dir}/loop`, `${dir}/file`, String(n)],
      ),
    );
    plain = Math.max(plain, n / (ms / 1000));
    // Alternate the order so drift in the machine's load does not favour one side.
    for (const sites of r % 2 === 0 ? [false, true] : [true, false]) {
      const t = await traced(dir, sites ? ["--sites"] : []);
      const best = sites ? withSites : without;
      if (t.rate > best.rate) Object.assign(best, t);
    }
  }
  const f = (x: number) => String(Math.round(x)).padStart(8);
  console.log(`${n} denied cap_chown checks from 2 call sites, best of ${rounds} rounds`);
  console.log(`untraced workload   ${f(plain)} checks/s  1.00`);
  console.log(
    `captrace            ${f(without.rate)} checks/s  ${(without.rate / plain).toFixed(3)}  (${without.lines} shown)`,
  );
  console.log(
    `captrace --sites    ${f(withSites.rate)} checks/s  ${
      (withSites.rate / plain).toFixed(3)
    }  (${withSites.lines} shown; ` +
      `${(withSites.rate / without.rate).toFixed(2)} of captrace without --sites)`,
  );
  console.log(`sample: ${withSites.sample}`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
