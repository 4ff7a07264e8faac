/** Reads the extension's settings (the only place that knows their names). */

import * as vscode from "vscode";
import type { Elevation } from "./launch_argv.ts";

/** The settings that shape a trace. */
export interface Settings {
  path: string;
  elevation: Elevation;
  /** Empty: VS Code's own user when elevating, else captrace's user. */
  user: string;
  sites: boolean;
  traceDebugSessions: boolean;
}

/** Current values of the `captrace.*` settings. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration("captrace");
  const elevation = c.get<string>("elevation", "none");
  return {
    path: c.get<string>("path", ""),
    elevation: elevation === "sudo" || elevation === "pkexec" ? elevation : "none",
    user: c.get<string>("user", ""),
    sites: c.get<boolean>("sites", true),
    traceDebugSessions: c.get<boolean>("traceDebugSessions", false),
  };
}

/** Opens the Settings editor at one setting. */
export function openSetting(id: string): Thenable<unknown> {
  return vscode.commands.executeCommand("workbench.action.openSettings", id);
}
