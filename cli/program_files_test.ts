/** Tests of programFile and ProgramFiles against real files and real processes. */

import assert from "node:assert/strict";
import {
  fileGone,
  MAX_PATH,
  programFile,
  ProgramFiles,
  recordedAs,
  resolveIn,
  runningProgram,
} from "./program_files.ts";
import { LineParser } from "../shared/parse_line.ts";

async function _dir(): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "captrace-test-programs-" }));
  await Deno.writeTextFile(`${dir}/tool`, "\x7fELF not really");
  await Deno.writeTextFile(`${dir}/run.sh`, "#!/bin/sh\nexit 0\n");
  await Deno.symlink(`${dir}/tool`, `${dir}/link`);
  await Deno.symlink("/usr/bin/sleep", `${dir}/my-sleep`);
  return dir;
}

/** Kills a shell and the sleep it forked, which would otherwise outlive the test for 30 s. */
async function _killTree(c: Deno.ChildProcess): Promise<void> {
  const children = await Deno.readTextFile(`/proc/${c.pid}/task/${c.pid}/children`).catch(() => "");
  c.kill("SIGKILL");
  for (const pid of children.split(" ").filter((p) => p !== "")) {
    try {
      Deno.kill(Number(pid), "SIGKILL");
    } catch {
      // gone
    }
  }
  await c.status;
}

/** Runs `f` with a directory of files and a `sleep` started there by sh, with fd 3 open on run.sh. */
async function _withSleeper(f: (dir: string, pid: number) => Promise<void>): Promise<void> {
  const dir = await _dir();
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", "exec 3<run.sh; exec sleep 30"],
    cwd: dir,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    // Until sh has exec'd sleep, /proc/PID/exe is sh's.
    while (!(await Deno.readLink(`/proc/${child.pid}/exe`)).endsWith("/sleep")) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await f(dir, child.pid);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdin.close().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("programFile resolves links and tells scripts from binaries, and opens no device", async () => {
  const dir = await _dir();
  try {
    assert.deepEqual(await programFile(`${dir}/link`), { path: `${dir}/tool`, script: false });
    assert.deepEqual(await programFile(`${dir}/run.sh`), { path: `${dir}/run.sh`, script: true });
    assert.deepEqual(await programFile(`${dir}/missing`), { path: `${dir}/missing`, script: false, unplaced: true });
    // A file named with a byte that is not UTF-8 reaches captrace with U+FFFD in its place: no file of that name.
    const touch = await new Deno.Command("sh", { args: ["-c", 'touch "$0/ch$(printf "\\377")own"', dir] }).output();
    assert.ok(touch.success);
    const decoded = `${dir}/ch\ufffdown`;
    assert.deepEqual(await programFile(decoded), { path: decoded, script: false, unplaced: true });
    const fifo = `${dir}/fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    // Opening a FIFO would wait for a writer: it is not a script, and it is not opened.
    assert.deepEqual(await programFile(fifo), { path: fifo, script: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("programFile reads paths that depend on the process through its /proc entry", async () => {
  await _withSleeper(async (dir, pid) => {
    // Relative to its working directory: a script, or a link to the binary it runs.
    assert.deepEqual(await programFile("./run.sh", pid), { path: `${dir}/run.sh`, script: true });
    assert.deepEqual(await programFile("my-sleep", pid), { path: "/usr/bin/sleep", script: false });
    // A relative path that leads elsewhere or nowhere (the process moved, or exec'd again) is not trusted: the
    // binary the process runs is named when it has the path's file name, else the path is kept as given.
    assert.deepEqual(await programFile("./bin/sleep", pid), { path: "/usr/bin/sleep", script: false });
    assert.deepEqual(await programFile("link", pid), { path: "link", script: false });
    // Its own files, not captrace's.
    assert.deepEqual(await programFile("/proc/self/exe", pid), { path: "/usr/bin/sleep", script: false });
    assert.deepEqual(await programFile("/dev/fd/3", pid), { path: `${dir}/run.sh`, script: true });
    // Its stdin is a pipe: nothing to open, and nothing waits for it.
    assert.deepEqual(await programFile("/dev/stdin", pid), { path: "/dev/stdin", script: false });
  });
});

Deno.test("programFile keeps a process's path as given once the process is gone", async () => {
  const child = new Deno.Command("true").spawn();
  await child.status;
  assert.deepEqual(await programFile("./run.sh", child.pid), { path: "./run.sh", script: false });
  assert.deepEqual(await programFile("/proc/self/exe", child.pid), { path: "/proc/self/exe", script: false });
});

Deno.test("programFile finds a gone process's relative path in captrace's directory by its inode, or keeps it", async () => {
  const dir = await _dir();
  const here = { mntNs: 1, root: "r" };
  const place = (exeIno: number) => ({ mntNs: 1, root: "r", rootIno: 0, exeIno });
  const child = new Deno.Command("true").spawn();
  await child.status;
  const ino = (await Deno.stat(`${dir}/tool`)).ino!;
  const was = Deno.cwd();
  try {
    Deno.chdir(dir);
    assert.deepEqual(await programFile("./tool", child.pid, place(ino), 1, here), {
      path: `${dir}/tool`,
      script: false,
    });
    // Another file of that name: not the one executed.
    assert.deepEqual(await programFile("./tool", child.pid, place(ino + 1), 1, here), {
      path: "./tool",
      script: false,
    });
    // captrace's directory removed since: nothing to look in, and no failure.
    await Deno.remove(dir, { recursive: true });
    assert.deepEqual(await programFile("./tool", child.pid, place(ino), 1, here), { path: "./tool", script: false });
  } finally {
    Deno.chdir(was);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("programFile takes a running process's relative path by the inode executed, not by what it runs now", async () => {
  const dir = await _dir();
  const here = { mntNs: 1, root: "r" };
  const place = (exeIno: number) => ({ mntNs: 1, root: "r", rootIno: 0, exeIno });
  const ino = async (p: string) => (await Deno.stat(p)).ino!;
  const spawn = (cwd: string) =>
    new Deno.Command("/usr/bin/sleep", { args: ["30"], cwd, stdout: "null", stderr: "null" }).spawn();
  await Deno.mkdir(`${dir}/d3`);
  await Deno.mkdir(`${dir}/d1`);
  await Deno.mkdir(`${dir}/d4`);
  await Deno.copyFile(`${dir}/tool`, `${dir}/d3/sleep`);
  await Deno.copyFile(`${dir}/tool`, `${dir}/d1/tool`);
  await Deno.writeTextFile(`${dir}/d4/tool`, "#!/bin/sh\nexit 0\n");
  // `env ./d3/sleep /usr/bin/sleep 30`: by the time its exec is looked up, the process runs /usr/bin/sleep, a file of
  // the same name, which is not the one it executed.
  const p = spawn(dir);
  // `cd d1 && ./tool ...`, then the tool changed to d4, which holds a script of that name: the shell that ran it is
  // still in d1.
  const [parent, moved] = [spawn(`${dir}/d1`), spawn(`${dir}/d4`)];
  try {
    const sleep = await ino(`${dir}/d3/sleep`);
    assert.deepEqual(await programFile("./d3/sleep", p.pid, place(sleep), 1, here), {
      path: `${dir}/d3/sleep`,
      script: false,
    });
    assert.deepEqual(await programFile("./tool", moved.pid, place(await ino(`${dir}/d1/tool`)), parent.pid, here), {
      path: `${dir}/d1/tool`,
      script: false,
    });
    // The script is taken when the inode is its interpreter's, as the kernel's record gives for a script.
    assert.deepEqual(await programFile("./tool", moved.pid, place(await ino("/bin/sh")), parent.pid, here), {
      path: `${dir}/d4/tool`,
      script: true,
    });
    // Without the inode (named-struct form), as before: the process's binary of that name.
    assert.deepEqual(await programFile("./d3/sleep", p.pid, place(0), 1, here), {
      path: await Deno.realPath("/usr/bin/sleep"),
      script: false,
    });
  } finally {
    for (const c of [p, parent, moved]) c.kill("SIGKILL");
    await Promise.all([p.status, parent.status, moved.status]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("programFile names a gone script by its interpreter's inode, and no binary the process runs by then", async () => {
  const dir = await _dir();
  const here = { mntNs: 1, root: "r" };
  const place = (exeIno: number) => ({ mntNs: 1, root: "r", rootIno: 0, exeIno });
  const shIno = (await Deno.stat("/bin/sh")).ino!;
  const gone = new Deno.Command("true").spawn();
  await gone.status;
  // A parent in the directory the script was run from.
  const parent = new Deno.Command("/usr/bin/sleep", { args: ["30"], cwd: dir, stdout: "null" }).spawn();
  // A process that exec'd /proc/self/exe (dash, say) and now runs sleep: its binary by that path is not the file.
  const moved = new Deno.Command("/usr/bin/sleep", { args: ["30"], stdout: "null" }).spawn();
  try {
    assert.deepEqual(await programFile("./run.sh", gone.pid, place(shIno), parent.pid, here), {
      path: `${dir}/run.sh`,
      script: true,
    });
    const named = await programFile("/proc/self/exe", moved.pid, place(shIno), 1, here);
    assert.notEqual(named.path, await Deno.realPath("/usr/bin/sleep"));
  } finally {
    for (const c of [parent, moved]) c.kill("SIGKILL");
    await Promise.all([parent.status, moved.status]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("programFile looks a path up at each exec: the file it leads to may change, its inode or not", async () => {
  const dir = await _dir();
  const here = { mntNs: 1, root: "r" };
  const place = (exeIno: number) => ({ mntNs: 1, root: "r", rootIno: 0, exeIno });
  const ino = async (p: string) => (await Deno.stat(p)).ino!;
  const link = `${dir}/link`;
  const relink = async (to: string) => {
    await Deno.remove(link);
    await Deno.symlink(to, link);
  };
  try {
    await Deno.copyFile(`${dir}/tool`, `${dir}/tool2`);
    await Deno.writeTextFile(`${dir}/wrap.sh`, `#!${dir}/tool\n`);
    const [tool, tool2] = [await ino(`${dir}/tool`), await ino(`${dir}/tool2`)];
    assert.deepEqual(await programFile(link, Deno.pid, place(tool), 1, here), { path: `${dir}/tool`, script: false });
    // Now a script whose interpreter is that same binary: the kernel's record names the binary's inode again.
    await relink(`${dir}/wrap.sh`);
    assert.deepEqual(await programFile(link, Deno.pid, place(tool), 1, here), { path: `${dir}/wrap.sh`, script: true });
    // And then another binary.
    await relink(`${dir}/tool2`);
    assert.deepEqual(await programFile(link, Deno.pid, place(tool2), 1, here), { path: `${dir}/tool2`, script: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProgramFiles looks a file up when its record is read and maps it when the record is shown", async () => {
  await _withSleeper(async (dir, pid) => {
    const files = new ProgramFiles({ path: "/bin/sh", script: false });
    files.resolve(pid, 1000, "./run.sh");
    assert.equal(files.map.programOf(pid).path, "/bin/sh", "not mapped before it is shown");
    await files.settled();
    files.exec(pid, 1, 1000, "./run.sh");
    assert.deepEqual(files.map.programOf(pid), { path: `${dir}/run.sh`, script: true });
    // A record shown without having been read first is looked up then.
    files.exec(pid + 1_000_000, pid, 2000, `${dir}/link`);
    assert.equal(files.map.programOf(pid + 1_000_000).path, `${dir}/link`, "as given until looked up");
    await files.settled();
    assert.equal(files.map.programOf(pid + 1_000_000).path, `${dir}/tool`);
  });
});

Deno.test("an exec by the env a #!/usr/bin/env script ran is the script's; not another, nor a new process's", async () => {
  await _withSleeper(async (dir, pid) => {
    await Deno.writeTextFile(`${dir}/env.sh`, "#!/usr/bin/env -S LC_ALL=C sh -e\nexit 0\n");
    const sh = await Deno.realPath("/bin/sh");
    const files = new ProgramFiles({ path: "/bin/sh", script: false });
    const shown = async (records: [number, string][]) => {
      for (const [ts, filename] of records) files.exec(pid, 1, ts, filename);
      await files.settled();
      return files.map.programOf(pid);
    };
    // env then runs the command the #! line gives it: the script's; what the script executes next is that.
    assert.deepEqual(await shown([[1000, `${dir}/env.sh`], [1001, "/bin/sh"]]), {
      path: `${dir}/env.sh`,
      script: true,
    });
    assert.equal((await shown([[1002, `${dir}/my-sleep`]])).path, await Deno.realPath("/usr/bin/sleep"));
    // An exec of another command than the one named (env failed, its record lost) is that command's.
    assert.equal(
      (await shown([[2000, `${dir}/env.sh`], [2001, `${dir}/my-sleep`]])).path,
      await Deno.realPath("/usr/bin/sleep"),
    );
    // A new process with the pid (the script's exited) is another.
    files.exec(pid, 1, 3000, `${dir}/env.sh`);
    files.map.exited(pid);
    assert.deepEqual(await shown([[3001, "/bin/sh"]]), { path: sh, script: false });
  });
});

/** The pid of a process that has ended (and been waited for). */
async function _gonePid(): Promise<number> {
  const child = new Deno.Command("/bin/true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("a gone process's exec of /proc/self/exe or /dev/fd/N is the program it ran before, if its inode", async () => {
  const dir = await _dir();
  try {
    const tool = `${dir}/tool`;
    const ino = (await Deno.stat(tool)).ino!;
    const place = (exeIno: number) => ({ mntNs: 0, root: "0", rootIno: 0, exeIno, ppid: 1 });
    const files = new ProgramFiles({ path: "/bin/sh", script: false });
    const run = async (pid: number, ts: number, filename: string, exeIno: number) => {
      files.resolve(pid, ts, filename, place(exeIno));
      await files.settled();
      files.exec(pid, 1, ts, filename);
      await files.settled();
      return files.map.programOf(pid).path;
    };
    // Re-executed by its own path (Go programs, runc) and gone before that path could be read.
    const pid = await _gonePid();
    assert.equal(await run(pid, 1000, `${dir}/link`, ino), tool);
    assert.equal(await run(pid, 1001, "/proc/self/exe", ino), tool);
    assert.equal(await run(pid, 1002, "/dev/fd/3", ino), tool);
    // Another file's inode: not the program it ran; kept as it was run.
    assert.equal(await run(pid, 1003, "/proc/self/exe", ino + 1), "/proc/self/exe");
    // A forked child that executes its parent's program so: the program it ran before is its parent's.
    const child = await _gonePid();
    files.map.forked(child, pid);
    assert.equal(await run(pid, 1004, tool, ino), tool);
    assert.equal(await run(child, 1005, "/proc/thread-self/exe", ino), tool);
    // Not a path of the process's own: left to the lookup (a file of that name, or none).
    assert.equal(await run(await _gonePid(), 1006, `${dir}/gone`, ino), `${dir}/gone`);
    // Read in one batch, as a busy trace reads them, nothing settled in between: each re-exec waits for the one
    // before, a child's (forked with the program its parent then ran) too.
    const again = await _gonePid();
    const kid = await _gonePid();
    // Times as the kernel's are, past any pid (marks below PID_MAX_LIMIT are taken for pids).
    const t = 1_000_000_000;
    const batch: [number, number, string][] = [[again, t, tool], [again, t + 1, "/proc/self/exe"]];
    batch.push([again, t + 2, "/proc/self/exe"], [kid, t + 3, "/proc/self/exe"]);
    for (const [p, ts, filename] of batch) files.resolve(p, ts, filename, place(ino));
    for (const [p, ts, filename] of batch) {
      if (p === kid) files.map.forked(kid, again, t + 2);
      files.exec(p, 1, ts, filename);
    }
    await files.settled();
    assert.equal(files.map.programOf(again).path, tool);
    assert.equal(files.map.programOf(kid).path, tool);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runningProgram names a binary deleted or replaced since it started as it was, unplaced", async () => {
  const dir = await _dir();
  await Deno.copyFile("/bin/sleep", `${dir}/old-sleep`);
  await Deno.chmod(`${dir}/old-sleep`, 0o755);
  const child = new Deno.Command(`${dir}/old-sleep`, { args: ["30"] }).spawn();
  try {
    assert.deepEqual(await runningProgram(child.pid), { path: `${dir}/old-sleep`, script: false });
    // Replaced, as a package upgrade does: the new file is not what runs.
    await Deno.remove(`${dir}/old-sleep`);
    await Deno.copyFile("/bin/true", `${dir}/old-sleep`);
    assert.deepEqual(await runningProgram(child.pid), { path: `${dir}/old-sleep`, script: false, unplaced: true });
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runningProgram names a running process's binary, or the script file its interpreter was started on", async () => {
  const dir = await _dir();
  await Deno.writeTextFile(`${dir}/wait.sh`, "sleep 30\n"); // no #! line: sh was started on it
  const shell = new Deno.Command("/bin/sh", { args: ["wait.sh"], cwd: dir, stdin: "null" }).spawn();
  const inline = new Deno.Command("/bin/sh", { args: ["-c", "sleep 30; true"], stdin: "null" }).spawn();
  // A script read from its stdin (a pipe here): neither the pipe nor captrace's own stdin is named.
  const piped = new Deno.Command("/bin/sh", { args: ["/dev/stdin"], stdin: "piped" }).spawn();
  try {
    const w = piped.stdin.getWriter();
    await w.write(new TextEncoder().encode("sleep 30\n"));
    const pipedSh = await Deno.readLink(`/proc/${piped.pid}/exe`);
    assert.deepEqual(await runningProgram(piped.pid), { path: pipedSh, script: false });
    await w.close();
    assert.deepEqual(await runningProgram(shell.pid), { path: `${dir}/wait.sh`, script: true });
    const sh = await Deno.readLink(`/proc/${inline.pid}/exe`);
    assert.deepEqual(await runningProgram(inline.pid), { path: sh, script: false }, "inline code: the interpreter");
  } finally {
    for (const c of [shell, inline, piped]) await _killTree(c);
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(await runningProgram(shell.pid), null, "gone");
});

Deno.test("runningProgram names the script an interpreter has open, after a cd and after its deletion", async () => {
  const dir = await _dir();
  await Deno.mkdir(`${dir}/other`);
  await Deno.writeTextFile(`${dir}/other/moves.sh`, "# a decoy of the same name where the script goes\n");
  await Deno.writeTextFile(`${dir}/moves.sh`, "cd other\nsleep 30\n");
  await Deno.writeTextFile(`${dir}/gone.sh`, "sleep 30\n");
  const moves = new Deno.Command("/bin/sh", { args: ["moves.sh"], cwd: dir, stdin: "null" }).spawn();
  const gone = new Deno.Command("/bin/sh", { args: ["./gone.sh"], cwd: dir, stdin: "null" }).spawn();
  try {
    // Until sh has read its `cd`, the answer would be right anyway: wait for the move.
    while (await Deno.readLink(`/proc/${moves.pid}/cwd`) !== `${dir}/other`) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(await runningProgram(moves.pid), { path: `${dir}/moves.sh`, script: true });
    const opened = async () => {
      for (const e of Deno.readDirSync(`/proc/${gone.pid}/fd`)) {
        if ((await Deno.readLink(`/proc/${gone.pid}/fd/${e.name}`).catch(() => "")).endsWith("/gone.sh")) return true;
      }
      return false;
    };
    while (!(await opened())) await new Promise((r) => setTimeout(r, 10));
    await Deno.remove(`${dir}/gone.sh`);
    assert.deepEqual(await runningProgram(gone.pid), { path: `${dir}/gone.sh`, script: true });
  } finally {
    for (const c of [moves, gone]) await _killTree(c);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveIn follows links inside its base: an absolute link starts again there, .. stops there", async () => {
  const base = await Deno.realPath(await Deno.makeTempDir({ prefix: "captrace-test-root-" }));
  try {
    await Deno.mkdir(`${base}/usr/bin`, { recursive: true });
    await Deno.writeTextFile(`${base}/usr/bin/tool`, "");
    await Deno.symlink("usr/bin", `${base}/bin`);
    await Deno.symlink("/usr/bin/tool", `${base}/usr/bin/abs`);
    await Deno.symlink("../../../../../usr/bin/tool", `${base}/usr/bin/up`);
    await Deno.symlink("loop", `${base}/loop`);
    assert.equal(await resolveIn(base, "/bin/tool"), "/usr/bin/tool");
    // Read from captrace's root, this link would name /usr/bin/tool of this system.
    assert.equal(await resolveIn(base, "/bin/abs"), "/usr/bin/tool");
    assert.equal(await resolveIn(`${base}/`, "/bin/up"), "/usr/bin/tool");
    assert.equal(await resolveIn(base, "/../../bin/./tool"), "/usr/bin/tool");
    assert.equal(await resolveIn(base, "/bin/missing"), null);
    assert.equal(await resolveIn(base, "/loop"), null);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("programFile reads a file where its exec looked it up, as the kernel's record says", async () => {
  await _withSleeper(async (dir, pid) => {
    const here = { mntNs: 4026531840, root: "ffff0001:ffff00a0" };
    // Looked up in captrace's own root: read here, its link followed.
    const ours = { mntNs: here.mntNs, root: here.root, rootIno: 2 };
    assert.deepEqual(await programFile(`${dir}/link`, pid, ours, undefined, here), {
      path: `${dir}/tool`,
      script: false,
    });
    // In a chroot of this namespace the process no longer is in, nor its parent: the name it was run by, unplaced.
    const chroot = { mntNs: here.mntNs, root: "ffff0002:ffff00a0", rootIno: 77 };
    assert.deepEqual(await programFile(`${dir}/link`, pid, chroot, 1, here), {
      path: `${dir}/link`,
      script: false,
      unplaced: true,
    });
    // The same directory through another mount (a bind mount of /, where other file systems are not mounted): not
    // captrace's root, whose files under mount points differ.
    const bound = { mntNs: here.mntNs, root: "ffff0001:ffff00c0", rootIno: 2 };
    assert.equal((await programFile(`${dir}/link`, pid, bound, 1, here)).unplaced, true);
    // As long as bpftrace's strings: maybe cut short, never taken for a file.
    const long = `${dir}/${"x".repeat(MAX_PATH)}`.slice(0, MAX_PATH - 1);
    assert.deepEqual(await programFile(long, pid, ours, undefined, here), {
      path: long,
      script: false,
      unplaced: true,
    });
    // Unless it is captrace's own, whole (the command it launched): then it is looked up as any path is.
    const deep = `${dir}/${"d".repeat(120)}/${"e".repeat(120)}`;
    await Deno.mkdir(deep, { recursive: true });
    await Deno.symlink(`${dir}/tool`, `${deep}/tool`);
    assert.deepEqual(await programFile(`${deep}/tool`, pid, { ...ours, whole: true }, undefined, here), {
      path: `${dir}/tool`,
      script: false,
    });
    assert.equal((await programFile(`${deep}/tool`, pid, ours, undefined, here)).unplaced, true);
    // In another namespace, its process gone: the name it was run by, in that namespace.
    const container = { mntNs: 4026532999, root: "ffff0003:ffff00b0", rootIno: 256 };
    assert.deepEqual(await programFile("/usr/bin/ping", 0x7ffffff0, container, undefined, here), {
      path: "/usr/bin/ping",
      script: false,
      mountNs: 4026532999,
    });
    // Unless its namespace's root is captrace's root directory (`unshare -m`, a systemd service's private namespace:
    // the same dentry, another mount) and the file of that path here is the very file executed, by its inode number.
    // Through a link, named by its own path. Another number, or another root (a container's, a chroot's, a clone's
    // with the same numbers): as before.
    const ino = (await Deno.stat(`${dir}/tool`)).ino!;
    const shared = { mntNs: 4026532998, root: "ffff0001:ffff00d0", rootIno: 2 };
    assert.deepEqual(await programFile(`${dir}/link`, 0x7ffffff0, { ...shared, exeIno: ino }, undefined, here), {
      path: `${dir}/tool`,
      script: false,
    });
    assert.deepEqual(await programFile(`${dir}/link`, 0x7ffffff0, { ...shared, exeIno: ino + 1 }, undefined, here), {
      path: `${dir}/link`,
      script: false,
      mountNs: 4026532998,
    });
    assert.deepEqual(await programFile(`${dir}/link`, 0x7ffffff0, { ...container, exeIno: ino }, undefined, here), {
      path: `${dir}/link`,
      script: false,
      mountNs: 4026532999,
    });
    assert.deepEqual(await programFile(`${dir}/link`, 0x7ffffff0, { ...chroot, exeIno: ino }, undefined, here), {
      path: `${dir}/link`,
      script: false,
      unplaced: true,
    });
  });
});

Deno.test("recordedAs matches a name cut short as bpftrace cuts it, a character cut in two included", () => {
  const long = `/opt/${"d".repeat(193)}é/tool`; // "é" takes bytes 198 and 199: cut after its first
  // The exec record of it, cut as bpftrace cuts it, read by the parser.
  const enc = new TextEncoder();
  const line = [...enc.encode("E 1000 7 1 4026531841 0 0 "), ...enc.encode(long).subarray(0, MAX_PATH - 1), 10];
  const [rec] = new LineParser().pushChunk(new Uint8Array(line));
  const cut = rec?.kind === "exec" ? rec.filename : "";
  assert(cut.endsWith("\udcc3"), JSON.stringify(cut.slice(-3)));
  assert(recordedAs(cut, long));
  assert(recordedAs(long, long));
  // Shorter than the cut: the whole name or nothing.
  assert(!recordedAs("/opt/tool", "/opt/tool2"));
  assert(!recordedAs(cut.slice(0, -2), long));
});

Deno.test("fileGone is true for a missing file only, not for one there or one that cannot be looked at", async () => {
  const dir = await _dir();
  try {
    assert.equal(fileGone(`${dir}/tool`), false);
    assert.equal(fileGone(`${dir}/missing`), true);
    assert.equal(fileGone(`${dir}/missing/below`), true);
    // A file below a file: ENOTDIR, not a deletion captrace can tell.
    assert.equal(fileGone(`${dir}/tool/below`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
