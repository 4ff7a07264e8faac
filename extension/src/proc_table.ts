/** Reads the live process table from /proc (the parsing is in process_match.ts). */

import * as fs from "node:fs";
import { argvOf, listeningInodes, parseProcEntry, type ProcessEntry } from "./process_match.ts";

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

/** The process listening on TCP `port` of this machine (its lowest pid, if several share the socket), else null. */
export function pidListeningOn(port: number): number | null {
  const inodes = new Set<number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    try {
      for (const i of listeningInodes(fs.readFileSync(table, "utf8"), port)) inodes.add(i);
    } catch {
      // no IPv6
    }
  }
  if (inodes.size === 0) return null;
  const pids = [...currentPids()].sort((a, b) => a - b);
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(Number(m[1]))) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

/** The command line of process `pid`, or null when it is gone. */
export function processArgv(pid: number): string[] | null {
  try {
    return argvOf(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return null;
  }
}

/** True when process `pid` is gone, or a zombie (ended, not yet reaped). */
export function processEnded(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return /^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return true;
  }
}

/** The executable a process runs (a deleted one's path without " (deleted)"), or null when it is gone or not readable. */
export function processExe(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return null;
  }
}

/** The working directory of a process, or null when it is gone or not readable. */
export function processCwd(pid: number): string | null {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return null;
  }
}
