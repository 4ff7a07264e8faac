/** Where a debug session's process id comes from: the DAP `process` event, or an attach configuration. */

import { basename } from "node:path";

/** The pid a DAP message announces (`process` event with `systemProcessId`), or null for any other message. */
export function pidFromDapMessage(m: unknown): number | null {
  if (typeof m !== "object" || m === null) return null;
  const msg = m as {
    type?: unknown;
    event?: unknown;
    body?: { systemProcessId?: unknown; isLocalProcess?: unknown };
  };
  if (msg.type !== "event" || msg.event !== "process") return null;
  // A process on another machine: its pid names none here.
  if (msg.body?.isLocalProcess === false) return null;
  const pid = msg.body?.systemProcessId;
  return typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : null;
}

/**
 * Why a debug configuration's debuggee may not be a process of this machine, or null: the setting that says it runs
 * elsewhere (a debug server to connect to, a remote host, a pipe to another machine, a gdbserver). Its pid, told by the
 * debugger, would then be a container's or another machine's, naming an unrelated process here (pid 1 in a container).
 */
export function remoteSetting(config: Record<string, unknown>): string | null {
  // The JavaScript debugger's attach by port to this machine (it fills in "localhost"): see inspectorPort.
  const jsAttach = config.request === "attach" && _isJs(config);
  for (const key of ["connect", "host", "address", "remoteRoot", "pipeTransport", "miDebuggerServerAddress"]) {
    const v = config[key];
    if (jsAttach && key === "address" && typeof v === "string" && isLoopback(v)) continue;
    if (v !== undefined && v !== null && v !== "") return key;
  }
  return null;
}

/** True for a name of this machine's loopback interface: localhost, 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  return /^(?:localhost|127(?:\.\d{1,3}){3}|::1|\[::1\])$/i.test(host);
}

/**
 * The inspector port a JavaScript debugger's `attach` configuration connects to on this machine, else null: the
 * debuggee is the process listening there (`node --inspect=PORT`).
 */
export function inspectorPort(config: Record<string, unknown>): number | null {
  if (config.request !== "attach" || !_isJs(config)) return null;
  if (remoteSetting(config) !== null || config.processId !== undefined) return null;
  const port = _positiveInt(config.port);
  return port !== null && port < 65536 ? port : null;
}

/** The pid an `attach` configuration names in `processId` (a number or a numeric string), else null. */
export function pidFromAttachConfig(
  config: { request?: unknown; processId?: unknown },
): number | null {
  if (config.request !== "attach") return null;
  return _positiveInt(config.processId);
}

/** A configuration's number given as a number or a string of digits, when it is a positive integer; else null. */
function _positiveInt(raw: unknown): number | null {
  const n = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  return typeof n === "number" && Number.isInteger(n) && n > 0 ? n : null;
}

function _isJs(config: Record<string, unknown>): boolean {
  return /^(?:pwa-)?node$/.test(String(config.type));
}

/**
 * True when a process listening on an inspector port is a JavaScript runtime's (node, bun, deno, electron) or was
 * started with --inspect: one that only forwards the port (ssh -L, kubectl port-forward, a container runtime's proxy)
 * is not the debuggee.
 *
 * @example
 * ```ts
 * import { isInspectorProcess } from "./debug_pid.ts";
 * if (!isInspectorProcess(["/usr/bin/node", "--inspect=9229", "app.js"])) throw new Error();
 * if (isInspectorProcess(["ssh", "-L", "9229:localhost:9229", "box"])) throw new Error();
 * ```
 */
export function isInspectorProcess(argv: readonly string[]): boolean {
  const name = basename(argv[0] ?? "");
  return /^(?:node|nodejs|bun|deno|electron)(?:\d[\w.]*)?$/.test(name) ||
    argv.some((a) => /^--inspect(?:-brk)?(?:=|$)/.test(a));
}
