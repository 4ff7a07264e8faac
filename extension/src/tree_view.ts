/**
 * The "Capability Checks" tree: session → (program, when there are many processes) → process → capability → call
 * site, refreshed at most a few times a second.
 */

import * as vscode from "vscode";
import { hasDenial, sessionRows } from "./process_groups.ts";
import type { SessionNode, TraceModel, TreeNode } from "./trace_model.ts";
import { nodeLabel } from "./tree_labels.ts";

const REFRESH_MS = 250;

/** Tree data provider over the model; parents are tracked so reveal() and ids work. */
export class CaptraceTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  readonly #model: TraceModel;
  readonly #changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly #parents = new WeakMap<object, TreeNode>();
  readonly #ids = new WeakMap<object, string>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly onDidChangeTreeData = this.#changed.event;

  constructor(model: TraceModel) {
    this.#model = model;
  }

  /** Asks for a refresh; many calls within REFRESH_MS become one. */
  scheduleRefresh(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#changed.fire(undefined);
    }, REFRESH_MS);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    let children: TreeNode[];
    let prefix: string;
    if (!node) {
      children = [...this.#model.sessions].reverse();
      prefix = "";
    } else {
      prefix = this.#ids.get(node) ?? "";
      switch (node.kind) {
        case "session":
          // Processes that made no check (a build's many compilers) would only bury those that did; many that did
          // are gathered by program.
          children = sessionRows([...node.processes.values()].filter((p) => p.capabilities.size > 0));
          break;
        case "program":
          children = node.processes;
          break;
        case "process":
          children = [...node.capabilities.values()].sort((a, b) => b.denied - a.denied || a.cap - b.cap);
          break;
        case "capability":
          children = [...node.sites.values()].sort((a, b) => b.denied - a.denied);
          break;
        case "site":
          children = [];
      }
    }
    for (const c of children) {
      if (node) this.#parents.set(c, node);
      const own = c.kind === "session" ? `s${c.id}` : c.kind === "process"
        // VS Code keeps an item's first collapse state by its id: a process's first denial makes it a new item, open.
        ? `p${c.pid}${hasDenial(c) ? "!" : ""}`
        : c.kind === "program"
        // Its key is a path or a comm: encoded, it cannot make an id that reads as a row below another.
        ? `g${encodeURIComponent(c.key)}${c.processes.some(hasDenial) ? "!" : ""}` // opened by its first denial too
        : c.kind === "capability"
        ? `c${c.cap}${c.denied > 0 ? "!" : ""}` // opened by its first denial too (see the process's)
        : c.key;
      this.#ids.set(c, `${prefix}/${own}`);
    }
    return children;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return this.#parents.get(node);
  }

  /** The session `node` is in, once the tree has given it as a child. */
  #sessionOf(node: TreeNode): SessionNode | undefined {
    let at: TreeNode | undefined = node;
    while (at !== undefined && at.kind !== "session") at = this.#parents.get(at);
    return at;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const { label, description } = nodeLabel(node, this.#sessionOf(node));
    const C = vscode.TreeItemCollapsibleState;
    // Open where there is something to see: sessions, and programs and processes with a denial (capabilities decide
    // below).
    const open = node.kind === "session" || (node.kind === "process" && hasDenial(node)) ||
      (node.kind === "program" && node.processes.some(hasDenial));
    const item = new vscode.TreeItem(label, node.kind === "site" ? C.None : open ? C.Expanded : C.Collapsed);
    const id = this.#ids.get(node);
    if (id !== undefined) item.id = id;
    item.description = description;
    switch (node.kind) {
      case "session":
        // "-summary" once it has one: the recommendation to copy (a trace that died mid-way has none).
        item.contextValue = `session-${node.state}${node.summary ? "-summary" : ""}`;
        item.iconPath = node.state === "running" || node.state === "starting"
          ? new vscode.ThemeIcon("sync~spin")
          : node.state === "failed" && !node.stopped
          ? new vscode.ThemeIcon(
            "error",
            new vscode.ThemeColor("errorForeground"),
          )
          : new vscode.ThemeIcon("debug-stop");
        item.tooltip = _sessionTooltip(node);
        break;
      case "program":
        item.contextValue = "program";
        item.iconPath = new vscode.ThemeIcon("layers");
        item.tooltip = `${node.file ?? node.name}: ${node.processes.length} processes`;
        break;
      case "process":
        item.contextValue = "process";
        item.iconPath = new vscode.ThemeIcon("terminal");
        break;
      case "capability":
        item.contextValue = node.denied > 0 ? "capability-denied" : "capability-allowed";
        item.collapsibleState = C.Collapsed;
        if (node.denied > 0) item.collapsibleState = C.Expanded;
        item.iconPath = node.denied > 0
          ? new vscode.ThemeIcon(
            "error",
            new vscode.ThemeColor("errorForeground"),
          )
          : new vscode.ThemeIcon(
            "pass",
            new vscode.ThemeColor("testing.iconPassed"),
          );
        break;
      case "site":
        item.contextValue = "site";
        item.iconPath = new vscode.ThemeIcon(
          node.file ? "symbol-function" : "question",
        );
        item.tooltip = [
          node.file ? `${node.file}:${node.line ?? "?"}` : null,
          node.binary ? `binary: ${node.binary}` : null,
          node.reason ? `no source location: ${node.reason}` : null,
          `${node.allowed} allowed, ${node.denied} denied`,
        ].filter((l) => l !== null).join("\n");
        if (node.file !== null) {
          item.command = {
            command: "captrace.openSite",
            title: "Open Call Site",
            // Its session's: the line is moved with the edits made since that trace began (see Problems.lineNow).
            // Line 0 without one: the file's start, which edits do not move.
            arguments: [node.file, node.line ?? 0, this.#sessionOf(node)?.id],
          };
        }
        break;
    }
    return item;
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#changed.dispose();
  }
}

function _sessionTooltip(s: SessionNode): string {
  const lines = [s.label];
  if (s.note) lines.push(s.note);
  if (s.ready) {
    lines.push(`probe: ${s.ready.probe}, bpftrace ${s.ready.bpftrace}`);
  }
  for (const e of s.errors) {
    lines.push(`error: ${e.message}${e.hint ? ` (${e.hint})` : ""}`);
  }
  if (s.summary?.recommendation.capabilities.length) {
    lines.push(
      `recommendation: ${s.summary.recommendation.capabilities.join(" ")}`,
    );
  }
  return lines.join("\n");
}

/** Opens a file at a 1-based line. */
export async function openSite(file: string, line: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const pos = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(doc, {
    selection: new vscode.Range(pos, pos),
    preview: true,
  });
}
