/**
 * Integration tests inside a real extension host. The workspace is test/extension/workspace (copied and built by
 * the e2e script), and captrace.path points at the real CLI, so these run against the real kernel.
 */

import * as assert from "node:assert/strict";
import * as cp from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { CaptraceApi } from "../../src/extension.ts";
import type { TraceManager } from "../../src/trace_manager.ts";
import type { SessionNode } from "../../src/trace_model.ts";
import { TraceProcess } from "../../src/trace_process.ts";
import { errorsShown } from "./window_stubs.ts";

const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? "";

async function api(): Promise<CaptraceApi> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON.name === "captrace");
  assert.ok(ext, "the captrace extension is installed");
  return (await ext.activate()) as CaptraceApi;
}

async function until<T>(
  what: string,
  f: () => T | undefined | null | false,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a trace of `argv` (its program argv[0]) in the workspace, labelled `label`. */
function startCommand(manager: TraceManager, label: string, argv: string[]): SessionNode | undefined {
  const program = argv[0]!;
  return manager.start({ label, target: { command: { argv, cwd: ws, env: {}, program } }, cwd: ws, program });
}

/** The program terminal of the run labelled `label`, once it is open. */
function programTerminal(label: string): Promise<vscode.Terminal> {
  return until(`${label}'s terminal`, () => vscode.window.terminals.find((t) => t.name === `Captrace: ${label}`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `script` as captrace (`$1` the control FIFO); resolves with its exit code, or "hung" after `ms`. */
function runAsCaptrace(script: string, act: (p: TraceProcess) => void, ms: number): Promise<number | null | "hung"> {
  const p = new TraceProcess(["/bin/sh", "-c", script, "sh", TraceProcess.CONTROL], {
    onEvent: () => {},
    onOutput: () => {},
    onProblem: () => {},
    onExit: () => {},
  });
  p.start();
  act(p);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) => timer = setTimeout(() => resolve("hung"), ms));
  return Promise.race([p.done, hung]).finally(() => {
    clearTimeout(timer);
    // Whatever happened, nothing is left running.
    try {
      if (p.pid !== undefined) process.kill(-p.pid, "SIGKILL");
    } catch {
      // gone
    }
  });
}

suite("captrace extension", () => {
  test("registers its commands", async () => {
    await api();
    const commands = await vscode.commands.getCommands(true);
    for (
      const c of [
        "run",
        "debug",
        "attach",
        "stop",
        "clear",
        "copyRecommendation",
      ]
    ) assert.ok(commands.includes(`captrace.${c}`), c);
  });

  test("run traces the C program: denied cap_chown at deny.c line 6, a problem there, a recommendation", async () => {
    const { model, manager } = await api();
    const session = (await vscode.commands.executeCommand("captrace.run", "deny (C)")) as
      | SessionNode
      | undefined;
    assert.ok(session, "a session started");
    await manager.done(session.id);
    assert.equal(session.state, "exited", JSON.stringify(session.errors));
    assert.equal(session.exitCode, 1);
    const proc = [...session.processes.values()].find((p) => p.comm === "deny");
    assert.ok(proc, "process deny seen");
    const cap = proc.capabilities.get(0);
    assert.ok(cap && cap.denied >= 1, "cap_chown denied");
    const site = [...cap.sites.values()][0]!;
    assert.equal(site.file, path.join(ws, "deny.c"));
    assert.equal(site.line, 6);
    assert.equal(site.function, "give_away");
    const diags = await until("diagnostics", () => {
      const d = vscode.languages.getDiagnostics(
        vscode.Uri.file(path.join(ws, "deny.c")),
      );
      return d.length > 0 ? d : undefined;
    }, 5000);
    assert.equal(diags[0]!.range.start.line, 5);
    assert.equal((diags[0]!.code as { value: string }).value, "CAP_CHOWN");
    assert.match(diags[0]!.message, /CAP_CHOWN denied in chown/);
    const copied = await vscode.commands.executeCommand(
      "captrace.copyRecommendation",
      undefined,
      "setcap",
    );
    assert.match(String(copied), /^setcap cap_chown\+ep /);
    assert.equal(await vscode.env.clipboard.readText(), copied);
    assert.equal(model.sessions.includes(session), true);
  });

  test("a problem moves with lines typed above it, and back to the traced line when the file is reverted", async () => {
    const { manager, problems } = await api();
    const session = (await vscode.commands.executeCommand("captrace.run", "deny (C)")) as SessionNode | undefined;
    assert.ok(session, "a session started");
    await manager.done(session.id);
    const file = path.join(ws, "deny.c");
    const uri = vscode.Uri.file(file);
    const lineOf = () =>
      vscode.languages.getDiagnostics(uri).find((d) => (d.code as { value: string }).value === "CAP_CHOWN")?.range
        .start.line;
    await until("the problem at line 6", () => lineOf() === 5, 5000);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    try {
      const edit = new vscode.WorkspaceEdit();
      edit.insert(uri, new vscode.Position(1, 0), "// one\n// two\n");
      assert.ok(await vscode.workspace.applyEdit(edit), "the edit applied");
      await until("the problem at line 8", () => lineOf() === 7, 5000);
      // Recomputed from the trace, as each new event of a running trace has it, it stays with its text.
      problems.update();
      assert.equal(lineOf(), 7);
      // The tree's call site opens there too.
      assert.equal(problems.lineNow(file, 6, session.id), 8);
      await vscode.commands.executeCommand("workbench.action.files.revert");
      await until("the problem back at line 6", () => lineOf() === 5, 5000);
      assert.equal(problems.lineNow(file, 6, session.id), 6);
    } finally {
      if (doc.isDirty) await vscode.commands.executeCommand("workbench.action.files.revert");
      await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
    }
  });

  test("attach traces a running process and its later checks", async () => {
    const { manager } = await api();
    const child = cp.spawn("setpriv", [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "--",
      "node",
      path.join(ws, "chown.js"),
      path.join(ws, "owned.txt"),
    ], { stdio: "ignore" });
    try {
      // Once it runs node (not setpriv yet), an interpreter: the program named is its script.
      await until("node running", () => /node/.test(fs.readlinkSync(`/proc/${child.pid}/exe`)));
      const session = (await vscode.commands.executeCommand(
        "captrace.attach",
        child.pid,
      )) as SessionNode;
      assert.ok(session);
      await until(
        "a denied cap_chown",
        () => session.processes.get(child.pid!)?.capabilities.get(0)?.denied,
      );
      assert.match(session.note ?? "", /before the attach are not shown/);
      // Its program and directory come from /proc: node's script, as a run names it.
      assert.equal(session.program, path.join(ws, "chown.js"));
      assert.equal(session.cwd, process.cwd());
      // A second attach to it is the same trace, not a second captrace showing every check twice.
      const again = await vscode.commands.executeCommand("captrace.attach", child.pid);
      assert.equal(again, session);
      assert.equal(manager.runningCount, 1);
      child.kill();
      await manager.done(session.id);
      assert.equal(session.state, "exited");
    } finally {
      child.kill();
    }
  });

  test("stop ends a running trace and its program, leaving no process behind", async () => {
    const { manager } = await api();
    const before = manager.runningCount;
    await vscode.commands.executeCommand("captrace.clear");
    const session = startCommand(manager, "sleep 60", ["/usr/bin/sleep", "60"]);
    assert.ok(session);
    await until("ready", () => session.ready);
    const pid = session.ready!.pid!;
    assert.ok(alive(pid));
    // Its program, and its captrace, are covered by this trace: an attach to either is this one, not a second.
    const ours = [...manager.roots()].filter(([, s]) => s === session).map(([p]) => p);
    assert.equal(ours.length, 1, "its captrace");
    for (const p of [pid, ...ours]) {
      assert.equal(await vscode.commands.executeCommand("captrace.attach", p), session, `pid ${p}`);
    }
    assert.equal(manager.runningCount, before + 1);
    const t0 = Date.now();
    await vscode.commands.executeCommand("captrace.stop");
    await manager.done(session.id);
    assert.ok(
      Date.now() - t0 < 5000,
      "stopped within 5 s (the control FIFO, not the kill fallback)",
    );
    await until("sleep gone", () => !alive(pid), 3000);
    assert.equal(manager.runningCount, before);
  });

  test("a run of many processes lists those of one program under one row, opened by their denials", async () => {
    const { manager, tree } = await api();
    const label = "many chowns";
    // Run as captrace.user (nobody): each chown is refused cap_chown.
    const script = "for i in $(seq 14); do chown nobody /etc/hostname 2>/dev/null; done; exit 0";
    const session = startCommand(manager, label, ["/bin/sh", "-c", script]);
    assert.ok(session);
    await manager.done(session.id);
    assert.equal(session.state, "exited", JSON.stringify(session.errors));
    const rows = tree.getChildren(session);
    const group = rows.find((r) => r.kind === "program" && r.name === "chown");
    assert.ok(group && group.kind === "program", rows.map((r) => tree.getTreeItem(r).label).join());
    assert.equal(group.processes.length, 14);
    const item = tree.getTreeItem(group);
    assert.equal(item.label, "chown");
    assert.match(String(item.description), /^14 processes · \d+ allowed, (\d+) denied$/);
    assert.ok(Number(/(\d+) denied$/.exec(String(item.description))![1]) >= 14, String(item.description));
    assert.equal(item.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
    assert.equal(item.contextValue, "program");
    const procs = tree.getChildren(group);
    assert.equal(procs.length, 14);
    assert.equal(tree.getParent(procs[0]!), group);
    assert.equal(tree.getParent(group), session);
    assert.match(String(tree.getTreeItem(procs[0]!).label), /^chown \(\d+\)$/);
  });

  test("the program's terminal gives typed lines to its stdin, edited as typed; Ctrl-D ends it", async () => {
    const { manager } = await api();
    const label = "read stdin";
    // Exit 0 only for the line as edited, then the end of input; /dev/null as stdin would give 3, no end a hang.
    const script = 'read a; [ "$a" = "hello there" ] || exit 3; if read b; then exit 4; fi; echo "read: $a"';
    const session = startCommand(manager, label, ["/bin/sh", "-c", script]);
    assert.ok(session);
    await until("ready", () => session.ready);
    const terminal = await programTerminal(label);
    terminal.show(true);
    // Keys as typed: a slip erased with Backspace; sendText ends the line with Enter.
    terminal.sendText("hello therx\x7fe");
    terminal.sendText("\x04", false);
    await manager.done(session.id);
    assert.equal(session.state, "exited", JSON.stringify(session.errors));
    assert.equal(session.exitCode, 0, "the command read the line and then the end of its input");
  });

  test("Ctrl-C in the program's terminal is the program's SIGINT, as in a terminal; the trace follows it to its end", async () => {
    const { manager } = await api();
    const label = "trap INT";
    // Where the program, run as captrace.user (nobody), may write.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "captrace-ctrl-c-"));
    fs.chmodSync(dir, 0o777);
    const got = path.join(dir, "got");
    // The shell and its child both get the SIGINT, as Ctrl-C gives it; its trap's status is the run's.
    const script = `trap 'echo "got INT" > ${got}; exit 7' INT; echo started > ${got}; /usr/bin/sleep 60; exit 3`;
    const session = startCommand(manager, label, ["/bin/sh", "-c", script]);
    assert.ok(session);
    try {
      await until("the command started", () => session.ready && fs.existsSync(got));
      const terminal = await programTerminal(label);
      terminal.show(true);
      terminal.sendText("\x03", false);
      await manager.done(session.id);
      assert.equal(session.state, "exited", JSON.stringify(session.errors));
      assert.equal(session.exitCode, 7, "the program's trap ended it, and the trace followed it to its end");
      assert.equal(session.stopped, false, "one Ctrl-C is not a stop");
      assert.equal(fs.readFileSync(got, "utf8"), "got INT\n");
    } finally {
      manager.stop(session.id);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a program terminal the user closed (which stops its run) takes no place among the finished ones kept", async () => {
    const { manager } = await api();
    await vscode.commands.executeCommand("captrace.clear");
    const run = async (label: string, argv: string[], close = false) => {
      const s = startCommand(manager, label, argv);
      assert.ok(s);
      await until(`${label} ready`, () => s.ready);
      if (close) (await programTerminal(label)).dispose();
      await manager.done(s.id);
      return s;
    };
    await run("kept a", ["/bin/true"]);
    const closed = await run("closed b", ["/usr/bin/sleep", "60"], true);
    assert.ok(closed.stopped, "closing the terminal stopped the run");
    await run("kept c", ["/bin/true"]);
    await run("kept d", ["/bin/true"]);
    // Three finished terminals are kept: a, c and d; b's, closed, is not one of them.
    const names = vscode.window.terminals.map((t) => t.name);
    for (const label of ["kept a", "kept c", "kept d"]) assert.ok(names.includes(`Captrace: ${label}`), names.join());
    await vscode.commands.executeCommand("captrace.clear");
  });

  test("a stop before captrace opened the control FIFO (pkexec still asking) still ends it", async () => {
    // Deaf to the SIGTERM a stop falls back to (as an elevated captrace is): only the FIFO's end can end it.
    const late = "trap '' TERM; sleep 0.3; cat \"$1\" >/dev/null; exit 3";
    assert.equal(await runAsCaptrace(late, (p) => p.stop(), 10_000), 3);
  });

  test("TraceProcess gives the program's input to captrace's stdin, and its end", async () => {
    const echo = 'read line; [ "$line" = "typed here" ] || exit 4; if read more; then exit 5; fi; exit 0';
    const code = await runAsCaptrace(echo, (p) => {
      p.input("typed here\n");
      p.endInput();
    }, 10_000);
    assert.equal(code, 0);
  });

  test("stop given a trace ends that one only", async () => {
    const { manager } = await api();
    const sleep = (label: string) => startCommand(manager, label, ["/usr/bin/sleep", "60"])!;
    const [a, b] = [sleep("sleep a"), sleep("sleep b")];
    await until("both ready", () => a.ready && b.ready);
    await vscode.commands.executeCommand("captrace.stop", a);
    await manager.done(a.id);
    assert.equal(b.state, "running", "the other trace goes on");
    assert.deepEqual([a.stopped, b.stopped], [true, false]);
    assert.ok(alive(b.ready!.pid!));
    await vscode.commands.executeCommand("captrace.stop", b);
    await manager.done(b.id);
  });

  test("elevation sudo: the trace runs through sudo -n and Stop still ends it through the control FIFO", async () => {
    const { manager } = await api();
    const conf = vscode.workspace.getConfiguration("captrace");
    await conf.update("elevation", "sudo", vscode.ConfigurationTarget.Global);
    try {
      const run = (await vscode.commands.executeCommand("captrace.run", "deny (C)")) as SessionNode | undefined;
      assert.ok(run, "a session started");
      await manager.done(run.id);
      assert.equal(run.state, "exited", JSON.stringify(run.errors));
      assert.ok([...run.processes.values()].some((p) => (p.capabilities.get(0)?.denied ?? 0) > 0), "cap_chown denied");
      const sleep = startCommand(manager, "sleep 60", ["/usr/bin/sleep", "60"]);
      assert.ok(sleep);
      await until("ready", () => sleep.ready);
      const pid = sleep.ready!.pid!;
      const t0 = Date.now();
      manager.stop(sleep.id);
      await manager.done(sleep.id);
      assert.ok(Date.now() - t0 < 5000, "stopped within 5 s through sudo");
      await until("sleep gone", () => !alive(pid), 3000);
    } finally {
      await conf.update("elevation", undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test("a wrong captrace.path gives one error and starts nothing", async () => {
    const { manager, model } = await api();
    const conf = vscode.workspace.getConfiguration("captrace");
    const old = conf.inspect<string>("path");
    await conf.update(
      "path",
      "/nonexistent/captrace",
      vscode.ConfigurationTarget.Global,
    );
    try {
      const n = model.sessions.length;
      const s = await vscode.commands.executeCommand(
        "captrace.run",
        "deny (C)",
      );
      assert.equal(s, undefined);
      assert.equal(model.sessions.length, n);
      assert.equal(manager.runningCount, 0);
    } finally {
      await conf.update(
        "path",
        old?.globalValue,
        vscode.ConfigurationTarget.Global,
      );
    }
  });

  test("run resolves a configuration's variables as F5 does: a named folder, ${/}, an input, its linux section", async () => {
    const { manager } = await api();
    const asked = vscode.commands.registerCommand("captraceTest.ownedFile", () => path.join(ws, "owned.txt"));
    try {
      const s = await vscode.commands.executeCommand<SessionNode | undefined>(
        "captrace.run",
        "deny (variables, linux section)",
      );
      assert.ok(s, "the trace started");
      await manager.done(s.id);
      assert.equal(s.state, "exited", JSON.stringify(s.errors));
      assert.equal(s.exitCode, 1);
      assert.ok([...s.processes.values()].some((p) => (p.capabilities.get(0)?.denied ?? 0) > 0), "cap_chown denied");
    } finally {
      asked.dispose();
    }
  });

  test("run gives a Python configuration the editor's interpreter and the folder's .env", async () => {
    const { manager } = await api();
    // The Python extension's command, which is not installed here: its interpreter is a shell.
    const chosen = vscode.commands.registerCommand("python.interpreterPath", () => "/bin/sh");
    try {
      const s = await vscode.commands.executeCommand<SessionNode | undefined>(
        "captrace.run",
        "chown (Python stand-in)",
      );
      assert.ok(s, "the trace started");
      await manager.done(s.id);
      assert.equal(s.state, "exited", JSON.stringify(s.errors));
      const chown = [...s.processes.values()].find((p) => p.comm === "chown");
      assert.ok((chown?.capabilities.get(0)?.denied ?? 0) > 0, "chown of .env's TARGET, as /bin/sh ran it, denied");
    } finally {
      chosen.dispose();
    }
  });

  test("run does a launch configuration's preLaunchTask (or the default build task) first, and runs nothing when it fails", async () => {
    const { model } = await api();
    const marker = path.join(ws, "built.marker");
    fs.rmSync(marker, { force: true });
    const s = await vscode.commands.executeCommand<SessionNode | undefined>("captrace.run", "deny after a build");
    assert.ok(s, "the trace started");
    assert.ok(fs.existsSync(marker), "the task ran before the program");
    await until("the run's end", () => s.state === "exited" || s.state === "failed");
    // `${defaultBuildTask}`, as F5 resolves it: the task of group build marked isDefault.
    const defaultMarker = path.join(ws, "default-built.marker");
    fs.rmSync(defaultMarker, { force: true });
    const d = await vscode.commands.executeCommand<SessionNode | undefined>(
      "captrace.run",
      "deny after the default build task",
    );
    assert.ok(d, "the trace after the default build task started");
    assert.ok(fs.existsSync(defaultMarker), "the default build task ran before the program");
    await until("the run's end", () => d.state === "exited" || d.state === "failed");
    const n = model.sessions.length;
    const failed = await vscode.commands.executeCommand("captrace.run", "deny after a failed build");
    assert.equal(failed, undefined);
    assert.equal(model.sessions.length, n, "nothing was run");
    // A background task never ends: it is not waited for, and nothing is run.
    const watched = await vscode.commands.executeCommand("captrace.run", "deny after a watcher");
    assert.equal(watched, undefined);
    assert.equal(model.sessions.length, n, "nothing was run");
    assert.equal(cp.spawnSync("pgrep", ["-f", "sleep 61.2345"]).status, 1, "the watcher was not started");
  });

  test("debug attaches through the process-table fallback and sees the denied chown", async () => {
    const { model, debug } = await api();
    const n = model.sessions.length;
    const ok = await vscode.commands.executeCommand(
      "captrace.debug",
      "chown (Node.js)",
    );
    assert.equal(ok, true, "debugging started");
    const session = await until(
      "trace session",
      () => model.sessions.slice(n).find((s) => s.label.startsWith("debug")),
    );
    await until(
      "a denied cap_chown from node",
      () => [...session.processes.values()].some((p) => (p.capabilities.get(0)?.denied ?? 0) > 0),
    );
    assert.equal(debug.lastPidSource, "process-table");
    await vscode.debug.stopDebugging();
    await until(
      "trace ended",
      () => session.state === "exited" || session.state === "failed",
      15_000,
    );
  });

  test("debug of a configuration no installed extension debugs (cppdbg here) says so, and starts nothing", async () => {
    const { model } = await api();
    const n = model.sessions.length;
    const started: string[] = [];
    const watch = vscode.debug.onDidStartDebugSession((s) => started.push(s.name));
    const { result, shown } = await errorsShown(() => vscode.commands.executeCommand("captrace.debug", "deny (C)"))
      .finally(() => watch.dispose());
    assert.equal(result, false);
    assert.deepEqual(shown, [
      'Captrace: no installed extension debugs "cppdbg" configurations such as "deny (C)"; install one (the C/C++ ' +
      "extension, ms-vscode.cpptools), or use Run with Capability Trace, which needs no debugger.",
    ]);
    assert.deepEqual(started, [], "no debug session started");
    assert.equal(model.sessions.length, n);
  });

  test("traceDebugSessions attaches to a debug session started the ordinary way", async () => {
    const { model } = await api();
    const conf = vscode.workspace.getConfiguration("captrace");
    await conf.update(
      "traceDebugSessions",
      true,
      vscode.ConfigurationTarget.Global,
    );
    try {
      const n = model.sessions.length;
      const folder = vscode.workspace.workspaceFolders![0];
      assert.equal(
        await vscode.debug.startDebugging(folder, "chown (Node.js)"),
        true,
      );
      const session = await until(
        "trace session",
        () => model.sessions.slice(n).find((s) => s.label.startsWith("debug")),
      );
      await until(
        "a denied cap_chown",
        () => [...session.processes.values()].some((p) => (p.capabilities.get(0)?.denied ?? 0) > 0),
      );
      await vscode.debug.stopDebugging();
      await until(
        "trace ended",
        () => session.state === "exited" || session.state === "failed",
        15_000,
      );
    } finally {
      await conf.update(
        "traceDebugSessions",
        undefined,
        vscode.ConfigurationTarget.Global,
      );
    }
  });

  test("a restarted debug session traces its new debuggee", async () => {
    const { model, debug } = await api();
    const n = model.sessions.length;
    const denied = (s: SessionNode) => [...s.processes.values()].some((p) => (p.capabilities.get(0)?.denied ?? 0) > 0);
    assert.equal(await vscode.commands.executeCommand("captrace.debug", "chown (Node.js)"), true);
    const first = await until("trace session", () => model.sessions.slice(n).find((s) => s.label.startsWith("debug")));
    await until("a denied cap_chown", () => denied(first));
    // The JavaScript debugger ends the debuggee's child session and starts another, with no process event.
    await vscode.commands.executeCommand("workbench.action.debug.restart");
    const second = await until(
      "a trace of the restarted debuggee",
      () => model.sessions.slice(n).find((s) => s !== first && s.label.startsWith("debug")),
    ).catch((e) => {
      throw new Error(`${(e as Error).message}; sessions: ${debug.history.join("; ")}`);
    });
    assert.notEqual(second.label, first.label, "another pid");
    await until("a denied cap_chown after the restart", () => denied(second));
    await vscode.debug.stopDebugging();
    await until(
      "both traces ended",
      () => [first, second].every((s) => s.state === "exited" || s.state === "failed"),
      15_000,
    );
  });

  test("an attach to a local inspector port traces the process listening there", async () => {
    const { model, debug } = await api();
    const n = model.sessions.length;
    // node --inspect on the port the configuration attaches to, at an address of this machine (127.0.0.1).
    const child = cp.spawn(path.join(ws, "node-without-chown"), [
      "--inspect=127.0.0.1:9347",
      path.join(ws, "chown.js"),
      path.join(ws, "owned.txt"),
    ], { cwd: ws, stdio: "ignore" });
    try {
      await until("the inspector listening", () => {
        const tcp = fs.readFileSync("/proc/net/tcp", "utf8");
        return / 0100007F:2483 00000000:0000 0A /.test(tcp);
      }, 15_000);
      assert.equal(await vscode.commands.executeCommand("captrace.debug", "attach chown (Node.js port)"), true);
      const session = await until(
        "trace session",
        () => model.sessions.slice(n).find((s) => s.label.startsWith("debug")),
      );
      assert.equal(debug.lastPidSource, "attach-port");
      assert.ok(session.label.includes(`pid ${child.pid}`), session.label);
      await until(
        "a denied cap_chown",
        () => [...session.processes.values()].some((p) => (p.capabilities.get(0)?.denied ?? 0) > 0),
      );
      await vscode.debug.stopDebugging();
    } finally {
      child.kill("SIGKILL");
    }
    await until(
      "trace ended",
      () => model.sessions.slice(n).every((s) => s.state === "exited" || s.state === "failed"),
      15_000,
    );
  });

  test("no captrace process is left running", async () => {
    const { manager } = await api();
    await until("all traces ended", () => manager.runningCount === 0, 15_000);
    assert.equal(fs.existsSync("/proc"), true);
  });
});
