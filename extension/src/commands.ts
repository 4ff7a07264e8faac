/** The command handlers: pick what to run, debug or attach to, and hand it to the trace manager. */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { DebugTracing } from "./debug_tracing.ts";
import { debugUserNote } from "./debug_user_note.ts";
import {
  askedVariables,
  commandFromLaunchConfig,
  commandLabel,
  effectiveConfig,
  isPythonConfig,
  type LaunchConfig,
  splitCommandLine,
  type TracedCommand,
  type VariableContext,
} from "./launch_argv.ts";
import { runPreLaunchTask } from "./pre_launch_task.ts";
import { readSettings } from "./settings.ts";
import { interpreterName, scriptFromArgv } from "../../shared/interpreter.ts";
import { parentsOf, processLabel, rootAbove } from "./process_match.ts";
import { processArgv, processCwd, processExe, readProcessTable } from "./proc_table.ts";
import type { TraceManager } from "./trace_manager.ts";
import type { SessionNode, TraceModel } from "./trace_model.ts";

interface ConfigPick extends vscode.QuickPickItem {
  what: "config" | "file" | "command";
  config?: LaunchConfig;
  folder?: vscode.WorkspaceFolder | undefined;
}

/** A launch configuration and where it is written. */
export interface LaunchEntry {
  config: LaunchConfig;
  /** The folder of its launch.json; undefined for the workspace file's or the user's settings'. */
  folder: vscode.WorkspaceFolder | undefined;
  /** Where it is written, to show beside it: "launch.json · NAME", "workspace" or "user settings". */
  where: string;
}

/**
 * Every launch configuration once, as F5's list has them: each folder's launch.json, then a multi-root workspace
 * file's, then the user's settings'. (A folder's merged `launch` setting would give the workspace file's again for
 * each folder without a launch.json of its own.)
 */
export function launchConfigs(): LaunchEntry[] {
  const out: LaunchEntry[] = [];
  const add = (list: unknown, folder: vscode.WorkspaceFolder | undefined, where: string) => {
    if (!Array.isArray(list)) return;
    for (const config of list) {
      if (config && typeof config === "object") out.push({ config: config as LaunchConfig, folder, where });
    }
  };
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const set = vscode.workspace.getConfiguration("launch", folder.uri).inspect<unknown>("configurations");
    add(set?.workspaceFolderValue, folder, `launch.json · ${folder.name}`);
  }
  const set = vscode.workspace.getConfiguration("launch").inspect<unknown>("configurations");
  if (vscode.workspace.workspaceFile !== undefined) add(set?.workspaceValue, undefined, "workspace");
  add(set?.globalValue, undefined, "user settings");
  return out;
}

/** The folder `${workspaceFolder}` names in a configuration of no folder: the only one, as F5 takes it. */
function _soleFolder(): vscode.WorkspaceFolder | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders.length === 1 ? folders[0] : undefined;
}

function _variables(
  folder: vscode.WorkspaceFolder | undefined,
): VariableContext {
  const editor = vscode.window.activeTextEditor;
  const active = editor?.document.uri.scheme === "file" ? editor.document.uri : null;
  return {
    workspaceFolder: folder?.uri.fsPath ?? null,
    file: active?.fsPath ?? null,
    env: process.env,
    userHome: os.homedir(),
    folders: Object.fromEntries((vscode.workspace.workspaceFolders ?? []).map((f) => [f.name, f.uri.fsPath])),
    fileWorkspaceFolder: active === null ? null : vscode.workspace.getWorkspaceFolder(active)?.uri.fsPath ?? null,
    cwd: process.cwd(),
    lineNumber: editor ? editor.selection.active.line + 1 : null,
    selectedText: editor ? editor.document.getText(editor.selection) : null,
    execPath: process.execPath,
    readFile: (file) => {
      try {
        return fs.readFileSync(file, "utf8");
      } catch {
        return null;
      }
    },
  };
}

/**
 * The command of a launch configuration, its `command:`, `input:` and `config:` variables resolved first as F5
 * resolves them (running the command, asking the input); undefined when the user cancels an input.
 */
async function _launchCommand(
  config: LaunchConfig,
  written: vscode.WorkspaceFolder | undefined,
): Promise<TracedCommand | undefined> {
  const resolved: Record<string, string> = {};
  const inputs = vscode.workspace.getConfiguration("launch", written?.uri).get<unknown[]>("inputs") ?? [];
  const folder = written ?? _soleFolder();
  for (const name of askedVariables(config)) {
    const colon = name.indexOf(":");
    const [kind, id] = [name.slice(0, colon), name.slice(colon + 1)];
    const value = kind === "config"
      ? vscode.workspace.getConfiguration(undefined, folder?.uri).get<unknown>(id)
      : kind === "command"
      ? await vscode.commands.executeCommand<unknown>(id, config)
      : await _askInput(inputs, id);
    if (value === undefined && kind !== "config") return undefined;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new TypeError(`\${${name}} gave no text to put in the launch configuration`);
    }
    resolved[name] = String(value);
  }
  // A Python configuration without its own interpreter runs with the one chosen in the editor, as F5 does (the
  // Python extension's, when it is there), else python3.
  let launch = config;
  if (isPythonConfig(config) && effectiveConfig(config).python === undefined) {
    const chosen = await Promise.resolve(
      vscode.commands.executeCommand<unknown>("python.interpreterPath", { workspaceFolder: folder?.uri.fsPath }),
    ).catch(() => undefined);
    if (typeof chosen === "string" && chosen !== "") launch = { ...config, python: chosen };
  }
  return commandFromLaunchConfig(launch, { ..._variables(folder), resolved });
}

/** The answer to the launch.json input `id` (a promptString, a pickString or a command), undefined if cancelled. */
async function _askInput(inputs: unknown[], id: string): Promise<unknown> {
  const input = inputs.find((i) => (i as { id?: unknown })?.id === id) as Record<string, unknown> | undefined;
  if (input === undefined) throw new TypeError(`No input with the id ${JSON.stringify(id)} in launch.json's inputs`);
  const description = typeof input.description === "string" ? input.description : undefined;
  const given = typeof input.default === "string" ? input.default : undefined;
  switch (input.type) {
    case "promptString":
      return await vscode.window.showInputBox({
        title: "Run with Capability Trace",
        ...(description === undefined ? {} : { prompt: description }),
        ...(given === undefined ? {} : { value: given }),
        password: input.password === true,
      });
    case "pickString": {
      const options = Array.isArray(input.options) ? input.options : [];
      const items = options.map((o) =>
        typeof o === "string" ? { label: o, value: o } : { label: String(o?.label ?? o?.value), value: o?.value }
      ).map((o) => ({ ...o, ...(o.value === given ? { description: "default" } : {}) }));
      const pick = await vscode.window.showQuickPick(items, {
        title: "Run with Capability Trace",
        ...(description === undefined ? {} : { placeHolder: description }),
      });
      return pick?.value;
    }
    case "command":
      return await vscode.commands.executeCommand<unknown>(
        String(input.command),
        ...(input.args === undefined ? [] : [input.args]),
      );
    default:
      throw new TypeError(`The launch.json input ${JSON.stringify(id)} has a type captrace cannot ask for`);
  }
}

/** The program process `pid` runs, as a run's is named: its executable, or for an interpreter its script. */
function _attachedProgram(pid: number): string | null {
  const exe = processExe(pid);
  if (exe === null || interpreterName(exe) === null) return exe;
  const argv = processArgv(pid);
  const script = argv === null ? null : scriptFromArgv(argv);
  const cwd = _attachedCwd(pid);
  if (script !== null && (script.startsWith("/") || cwd !== null)) return path.resolve(cwd ?? "/", script);
  return exe;
}

/** The working directory of process `pid` (a deleted one's path without " (deleted)"), or null. */
function _attachedCwd(pid: number): string | null {
  return processCwd(pid)?.replace(/ \(deleted\)$/, "") ?? null;
}

function _isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Asks what to run: a launch configuration with a program, the active file if executable, or a typed command. */
async function _pickCommand(name: unknown): Promise<TracedCommand | undefined> {
  // In Restricted Mode a workspace's launch configurations and files are its code, which VS Code runs none of (no
  // task, no debugging): only a command the user types is run.
  const trusted = vscode.workspace.isTrusted;
  // Those with a program on Linux (perhaps in their `linux` section).
  const configs = trusted
    ? launchConfigs().filter(({ config }) => typeof effectiveConfig(config).program === "string")
    : [];
  if (typeof name === "string" && !trusted) {
    throw new TypeError(
      "This workspace is not trusted, so its launch configurations are not run; trust it (Manage Workspace Trust) " +
        "or enter a command",
    );
  }
  if (typeof name === "string") {
    const found = configs.find(({ config }) => config.name === name);
    if (!found) {
      throw new TypeError(
        `No launch configuration named ${JSON.stringify(name)} has a program`,
      );
    }
    return await _launchCommand(found.config, found.folder);
  }
  const items: ConfigPick[] = configs.map(({ config, folder, where }) => ({
    what: "config",
    config,
    folder,
    label: config.name ?? String(effectiveConfig(config).program),
    description: String(effectiveConfig(config).program),
    detail: where,
  }));
  const active = vscode.window.activeTextEditor?.document.uri;
  if (trusted && active?.scheme === "file" && _isExecutableFile(active.fsPath)) {
    items.push({
      what: "file",
      label: "Active file",
      description: active.fsPath,
    });
  }
  items.push({
    what: "command",
    label: "Enter a command…",
    description: "program and arguments, no shell",
  });
  const pick = await vscode.window.showQuickPick(items, {
    title: "Run with Capability Trace",
    placeHolder: trusted
      ? "Launch configuration or command to run"
      : "Command to run (this workspace is not trusted: its launch configurations and files are not run)",
  });
  if (!pick) return undefined;
  if (pick.what === "config") {
    return await _launchCommand(pick.config!, pick.folder);
  }
  if (pick.what === "file") {
    return {
      argv: [active!.fsPath],
      cwd: path.dirname(active!.fsPath),
      env: {},
      program: active!.fsPath,
    };
  }
  const line = await vscode.window.showInputBox({
    title: "Run with Capability Trace",
    prompt: "Command and arguments (quotes group words; nothing is expanded)",
    validateInput: (v) => {
      try {
        return splitCommandLine(v).length === 0 ? "Enter a command" : undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  if (line === undefined) return undefined;
  const cwd = await _typedCommandFolder();
  if (cwd === undefined) return undefined;
  const argv = splitCommandLine(line);
  const first = argv[0]!;
  const program = first.includes("/") && cwd !== null ? path.resolve(cwd, first) : first;
  return { argv, cwd, env: {}, program };
}

/**
 * The folder a typed command runs in: the workspace's folder, or in a multi-root workspace the one the user picks, as
 * a new terminal asks there; null with no folder open, undefined when the pick was dismissed.
 */
async function _typedCommandFolder(): Promise<string | null | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0]?.uri.fsPath ?? null;
  const folder = await vscode.window.showWorkspaceFolderPick({
    placeHolder: "Folder to run the command in",
  });
  return folder?.uri.fsPath;
}

/** "Run with Capability Trace": launches the program under captrace. */
export async function runCommand(
  manager: TraceManager,
  onStart: (s: SessionNode) => void,
  name?: unknown,
): Promise<SessionNode | undefined> {
  let command: TracedCommand | undefined;
  try {
    command = await _pickCommand(name);
  } catch (e) {
    void vscode.window.showErrorMessage(`Captrace: ${(e as Error).message}`);
    return undefined;
  }
  if (!command) return undefined;
  if (command.preLaunchTask !== undefined) {
    const failed = await runPreLaunchTask(command.preLaunchTask, command.folder).catch((e) =>
      `The preLaunchTask ${JSON.stringify(command!.preLaunchTask)} could not run: ${(e as Error).message}`
    );
    if (failed !== null) {
      void vscode.window.showErrorMessage(`Captrace: ${failed}; nothing was run.`);
      return undefined;
    }
  }
  const session = manager.start({
    label: commandLabel(command.argv),
    // The label shortens paths: two programs of one name in different directories are different commands.
    key: `run ${JSON.stringify([command.cwd, command.argv])}`,
    target: { command },
    cwd: command.cwd,
    program: command.program,
  });
  if (session) onStart(session);
  return session;
}

/** "Debug with Capability Trace": starts a launch configuration with a trace attached to its process. */
export async function debugCommand(
  debug: DebugTracing,
  name?: unknown,
): Promise<boolean> {
  const configs = launchConfigs();
  let chosen = typeof name === "string" ? configs.find(({ config }) => config.name === name) : undefined;
  if (typeof name === "string" && !chosen) {
    void vscode.window.showErrorMessage(
      `Captrace: no launch configuration named ${JSON.stringify(name)}`,
    );
    return false;
  }
  if (!chosen) {
    if (configs.length === 0) {
      void vscode.window.showErrorMessage(
        "Captrace: add a launch configuration (launch.json) to debug with a trace",
      );
      return false;
    }
    const types = _debugTypes();
    const pick = await vscode.window.showQuickPick(
      configs.map((c) => ({
        ...c,
        label: c.config.name ?? "(unnamed)",
        description: `${c.config.type} · ${c.config.request}${
          typeof c.config.type !== "string" || types.has(c.config.type) ? "" : " · no debugger installed for it"
        }`,
        detail: c.where,
      })),
      {
        title: "Debug with Capability Trace",
        placeHolder: "Launch configuration to debug",
      },
    );
    if (!pick) return false;
    chosen = pick;
  }
  // VS Code would say only that the type is not supported.
  const type = chosen.config.type;
  if (typeof type === "string" && !_debugTypes().has(type)) {
    const from = DEBUGGER_EXTENSIONS[type];
    void vscode.window.showErrorMessage(
      `Captrace: no installed extension debugs "${type}" configurations such as ${
        JSON.stringify(chosen.config.name ?? "(unnamed)")
      }; install one${from ? ` (${from})` : ""}, or use Run with Capability Trace, which needs no debugger.`,
    );
    return false;
  }
  const me = os.userInfo();
  const note = debugUserNote(
    readSettings().user,
    { name: me.username, uid: me.uid },
    chosen.config.name ?? "(unnamed)",
  );
  if (note !== null) void vscode.window.showInformationMessage(note);
  return await debug.startDebugging(
    chosen.folder,
    chosen.config as vscode.DebugConfiguration,
  );
}

/** Where the debuggers of common launch configuration types come from, for the message when none is installed. */
const DEBUGGER_EXTENSIONS: Record<string, string> = {
  cppdbg: "the C/C++ extension, ms-vscode.cpptools",
  lldb: "CodeLLDB, vadimcn.vscode-lldb",
  debugpy: "the Python Debugger, ms-python.debugpy",
  python: "the Python Debugger, ms-python.debugpy",
  go: "Go, golang.go",
  java: "the Debugger for Java, vscjava.vscode-java-debug",
};

/** The launch configuration types the installed extensions, built-in ones included, have a debugger for. */
function _debugTypes(): Set<string> {
  const types = new Set<string>();
  for (const e of vscode.extensions.all) {
    const debuggers: unknown = e.packageJSON?.contributes?.debuggers;
    if (!Array.isArray(debuggers)) continue;
    for (const d of debuggers) if (typeof d?.type === "string") types.add(d.type);
  }
  return types;
}

/** "Attach to Process…": picks a running process and traces it and its children. */
export async function attachCommand(
  manager: TraceManager,
  onStart: (s: SessionNode) => void,
  pidArg?: unknown,
): Promise<SessionNode | undefined> {
  let pid = typeof pidArg === "number" ? pidArg : undefined;
  if (pid === undefined) {
    const me = process.pid;
    const table = readProcessTable();
    const parents = parentsOf(table);
    const roots = manager.roots();
    const items = table
      // Not the editor's own, nor what a trace covers already (its captrace and bpftrace too).
      .filter((p) => p.pid !== me && p.argv.length > 0 && rootAbove(parents, p.pid, roots) === undefined)
      // Newest first, by start time: pids wrap.
      .sort((a, b) => (b.start ?? 0) - (a.start ?? 0) || b.pid - a.pid)
      .map((p) => ({ ...processLabel(p), pid: p.pid }));
    const pick = await vscode.window.showQuickPick(items, {
      title: "Attach Capability Trace to Process",
      placeHolder: "Process to trace (its children are followed)",
      matchOnDescription: true,
    });
    if (!pick) return undefined;
    pid = pick.pid;
  }
  const already = manager.tracing(pid);
  if (already) {
    void vscode.window.showInformationMessage(`Captrace is already tracing pid ${pid} (trace ${already.id}).`);
    return already;
  }
  // Its program and directory, as /proc gives them (not another user's, without root): a site denied in two
  // attaches to one program is one problem, and a relative source path is the process's.
  const session = manager.start({
    label: `pid ${pid}`,
    target: { pid },
    cwd: _attachedCwd(pid),
    program: _attachedProgram(pid),
    note: "Attached to a running process: checks made before the attach are not shown.",
  });
  if (session) onStart(session);
  return session;
}

const FORMATS = [
  "setcap",
  "systemd",
  "docker",
  "compose",
  "kubernetes",
] as const;

/** "Copy Recommendation": copies one format of the latest (or given) session's recommendation. */
export async function copyRecommendation(
  model: TraceModel,
  node?: unknown,
  format?: unknown,
): Promise<string | undefined> {
  const given = node && typeof node === "object" && (node as SessionNode).kind === "session"
    ? node as SessionNode
    : undefined;
  const session = given ??
    [...model.sessions].reverse().find((s) => s.summary !== null);
  const rec = session?.summary?.recommendation;
  if (!rec) {
    void vscode.window.showInformationMessage(
      "Captrace: no recommendation yet; it arrives when a trace ends.",
    );
    return undefined;
  }
  let chosen = FORMATS.find((f) => f === format);
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(
      FORMATS.map((f) => ({
        label: f,
        detail: rec[f].split("\n")[0] ?? "",
        format: f,
      })),
      {
        // Which trace's: the latest finished one is not always the one in view.
        title: `Copy Recommendation for ${session!.label} (${rec.capabilities.join(", ") || "no capabilities needed"})`,
      },
    );
    if (!pick) return undefined;
    chosen = pick.format;
  }
  await vscode.env.clipboard.writeText(rec[chosen]);
  void vscode.window.setStatusBarMessage(
    `Captrace: ${chosen} recommendation copied`,
    3000,
  );
  return rec[chosen];
}

/**
 * "Stop": the trace of the tree row it was given; else the only one running; else the one picked (or all of them):
 * the palette's Stop must not end traces the user meant to keep.
 */
export async function stopCommand(manager: TraceManager, model: TraceModel, node?: unknown): Promise<void> {
  if (node && typeof node === "object" && (node as SessionNode).kind === "session") {
    return manager.stop((node as SessionNode).id);
  }
  const running = model.sessions.filter((s) => s.state === "running" || s.state === "starting");
  if (running.length <= 1) return manager.stop();
  const all = { label: "All traces", description: `${running.length} running`, id: undefined };
  const pick = await vscode.window.showQuickPick(
    [...running.map((s) => ({ label: s.label, description: `trace ${s.id}`, id: s.id as number | undefined })), all],
    { title: "Stop which trace?" },
  );
  if (pick) manager.stop(pick.id);
}
