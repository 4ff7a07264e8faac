/** Reads the live process table from /proc (the parsing is in process_match.ts). */

import * as fs from "node:fs";
import { parseProcEntry, type ProcessEntry } from "./process_match.ts";

/** Every process readable now; processes that vanish while reading are skipped. */
export function readProcessTable(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, "utf8");
      const entry = parseProcEntry(stat, cmdline);
      if (entry) out.push(entry);
    } catch {
      // gone already
    }
  }
  return out;
}

/** The pids that exist now. */
export function currentPids(): Set<number> {
  return new Set(
    fs.readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number),
  );
}

/** The working directory of a process, or null when it is gone or not readable. */
export function processCwd(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}
