/** Reading processes from /proc: existence, and the descendants of a process with all their threads. */

/** True when a process with this pid exists. */
export async function processExists(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Parent pid from the text of /proc/PID/stat (the comm field may hold spaces and parentheses). */
export function ppidFromStat(stat: string): number | null {
  const close = stat.lastIndexOf(")");
  const f = stat.slice(close + 2).split(" ");
  const ppid = Number(f[1]);
  return close < 0 || !Number.isInteger(ppid) ? null : ppid;
}

/** Thread ids of every process below `root` (not root itself, whose threads the program matches by pid). */
export async function descendantsOf(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${e.name}/stat`).catch(() => null);
    const ppid = stat ? ppidFromStat(stat) : null;
    if (ppid === null) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(e.name));
    children.set(ppid, list);
  }
  const tids: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  while (todo.length) {
    const pid = todo.pop()!;
    todo.push(...(children.get(pid) ?? []));
    try {
      for await (const t of Deno.readDir(`/proc/${pid}/task`)) tids.push(Number(t.name));
    } catch {
      // exited meanwhile
    }
  }
  return tids;
}
