/**
 * Attaches captrace to debugged processes: the pid comes from the DAP `process` event (systemProcessId), else an
 * attach configuration's processId, else the process table (a new process whose argv names the configured program).
 */

import * as path from "node:path";
import * as vscode from "vscode";
import { findProgramProcess } from "./process_match.ts";
import { currentPids, pidListeningOn, processArgv, processCwd, processEnded, readProcessTable } from "./proc_table.ts";
import { readSettings } from "./settings.ts";
import { NOT_LINUX, type TraceManager } from "./trace_manager.ts";
import type { SessionNode } from "./trace_model.ts";
import {
  inspectorPort,
  isInspectorProcess,
  pidFromAttachConfig,
  pidFromDapMessage,
  remoteSetting,
} from "./debug_pid.ts";

/** Marks a configuration started by "Debug with Capability Trace". */
export const TRACE_MARKER = "__captrace";

const POLL_MS = 100;
const POLL_LIMIT_MS = 30_000;
const NOTE = "Attached to a running process: checks made before the attach are not shown.";

interface Tracked {
  root: vscode.DebugSession;
  before: Set<number>;
  traceSession: number | null;
  /** The pid traced, and its trace. */
  pid?: number;
  node?: SessionNode;
  /** The trace was already running (Attach to Process… on the debuggee): the user's, not stopped with the session. */
  adopted?: boolean;
  poll: ReturnType<typeof setInterval> | null;
  /** A tracker was made for the root session: a second one is its restart, with a new debug adapter. */
  adapter?: boolean;
  /** A child session of the root ended (js-debug's restart ends the debuggee's and makes another). */
  childEnded?: boolean;
  /** The pids when the debuggee was found: a restarted session's debuggee is none of them. */
  seen?: Set<number>;
  /** Looked for again after a possible restart, its last trace kept until a new debuggee is found. */
  restarting?: boolean;
}

/** How the pid was found, for the log and the e2e test. */
export type PidSource = "dap-process-event" | "attach-config" | "attach-port" | "process-table";

/** Registers a tracker factory for every debug type and owns the resulting traces. */
export class DebugTracing implements vscode.Disposable {
  readonly #manager: TraceManager;
  readonly #log: vscode.LogOutputChannel;
  readonly #tracked = new Map<string, Tracked>();
  readonly #disposables: vscode.Disposable[] = [];
  /** Pids that existed before each marked session started, by marker token. */
  readonly #before = new Map<string, Set<number>>();
  #nextToken = 1;
  /** Last way a pid was found; read by the integration tests. */
  lastPidSource: PidSource | null = null;
  /** The latest sessions' starts and ends seen, for the log and the integration tests' failure messages. */
  readonly history: string[] = [];

  #note(text: string): void {
    this.#log.debug(text);
    if (this.history.push(text) > 40) this.history.shift();
  }

  constructor(manager: TraceManager, log: vscode.LogOutputChannel) {
    this.#manager = manager;
    this.#log = log;
    this.#disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory("*", {
        createDebugAdapterTracker: (s) => this.#createTracker(s),
      }),
      vscode.debug.onDidTerminateDebugSession((s) => this.#terminated(s)),
    );
  }

  /** Starts debugging a configuration with a trace attached as soon as its pid is known. */
  async startDebugging(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<boolean> {
    if (process.platform !== "linux") {
      void vscode.window.showErrorMessage(NOT_LINUX);
      return false;
    }
    const token = `t${this.#nextToken++}`;
    this.#before.set(token, currentPids());
    try {
      return await vscode.debug.startDebugging(folder, {
        ...config,
        [TRACE_MARKER]: token,
      });
    } finally {
      setTimeout(() => this.#before.delete(token), POLL_LIMIT_MS);
    }
  }

  #createTracker(
    session: vscode.DebugSession,
  ): vscode.DebugAdapterTracker | undefined {
    const root = _root(session);
    const token = root.configuration[TRACE_MARKER];
    this.#note(`adapter for session ${session.id} (${session.type}) of ${root.id}`);
    const wanted = typeof token === "string" ||
      readSettings().traceDebugSessions;
    if (!wanted || process.platform !== "linux") return undefined;
    const remote = remoteSetting(root.configuration);
    if (remote !== null) {
      if (!this.#tracked.has(root.id)) {
        this.#warn(
          root,
          `Debug session "${root.name}": not traced, its debuggee may not run on this machine (its configuration ` +
            `sets "${remote}"): trace it where it runs, or attach captrace to its process here by pid`,
        );
        this.#tracked.set(root.id, { root, before: new Set(), traceSession: -1, poll: null });
      }
      return undefined;
    }
    let tracked = this.#tracked.get(root.id);
    if (tracked && session.id === root.id && tracked.adapter) this.#restart(tracked);
    else if (tracked?.childEnded && session.id !== root.id) this.#restart(tracked);
    if (tracked && session.id === root.id) tracked.adapter = true;
    if (!tracked) {
      const before = (typeof token === "string" ? this.#before.get(token) : undefined) ??
        currentPids();
      tracked = { root, before, traceSession: null, poll: null, adapter: session.id === root.id };
      this.#tracked.set(root.id, tracked);
      this.#log.info(
        `Debug session "${root.name}" (${root.type}): waiting for the debuggee's pid`,
      );
      this.#find(tracked);
    }
    const t = tracked;
    return {
      onDidSendMessage: (m: unknown) => {
        const pid = pidFromDapMessage(m);
        if (pid !== null) this.#attach(t, pid, "dap-process-event");
      },
    };
  }

  /**
   * The session may have restarted (Debug: Restart): its new debuggee is looked for among the processes that were not
   * there when the last one was found (the new one may start before the last one's session ends), unless its trace
   * could not start (it would not start again either, as without root). It is a restart only once the last debuggee
   * has ended: a child session of its own (a worker it forked, which js-debug attaches to) while it runs is none, and
   * its trace is kept. The last trace ends with its process, as captrace --pid does.
   */
  #restart(t: Tracked): void {
    delete t.childEnded;
    this.#note(`restart of ${t.root.id}? trace ${t.traceSession} ${t.node?.state ?? "unknown"}, last pid ${t.pid}`);
    if (t.traceSession === null || t.traceSession === -1 || t.node?.state === "failed") return;
    t.restarting = true;
    this.#stopPolling(t);
    t.before = t.seen ?? currentPids();
    this.#find(t);
    // Not looked for by polling (a pid in the configuration, a port): settled by now.
    if (t.poll === null) t.restarting = false;
  }

  /** Finds the debuggee: the pid an attach configuration names, the process on its inspector port, or a new one. */
  #find(t: Tracked): void {
    const pid = pidFromAttachConfig(t.root.configuration);
    if (pid !== null) return this.#attach(t, pid, "attach-config");
    const port = inspectorPort(t.root.configuration);
    if (port === null) return this.#startPolling(t);
    const listening = pidListeningOn(port);
    const argv = listening === null ? null : processArgv(listening);
    if (listening !== null && argv !== null && isInspectorProcess(argv)) {
      return this.#attach(t, listening, "attach-port");
    }
    if (listening !== null) {
      return this.#warn(
        t.root,
        `Debug session "${t.root.name}": not traced, port ${port} is ${argv?.[0] ?? `pid ${listening}`}'s, no ` +
          "JavaScript runtime's (a port forwarded from elsewhere?): attach captrace to the debuggee by pid",
      );
    }
    this.#warn(
      t.root,
      `Debug session "${t.root.name}": not traced, no process of this machine listens on port ${port}`,
    );
  }

  /** Logs why a session is not traced; shown too when the user asked for its trace ("Debug with Capability Trace"). */
  #warn(root: vscode.DebugSession, text: string): void {
    this.#log.warn(text);
    if (typeof root.configuration[TRACE_MARKER] === "string") {
      void vscode.window.showWarningMessage(`Captrace: ${text}`);
    }
  }

  #startPolling(t: Tracked): void {
    const config = t.root.configuration;
    if (typeof config.program !== "string" || config.program === "") {
      // Logged only: a debugger that sends the process event (debugpy's) is traced all the same.
      this.#log.warn(
        `Debug session "${t.root.name}": no program in its configuration, so only a DAP process event can tell the pid`,
      );
      return;
    }
    const folder = t.root.workspaceFolder?.uri.fsPath;
    const program = path.isAbsolute(config.program) || !folder ? config.program : path.join(folder, config.program);
    const started = Date.now();
    const exclude = new Set([process.pid]);
    this.#log.info(
      `Debug session "${t.root.name}": looking for a new process running ${program}`,
    );
    t.poll = setInterval(() => {
      try {
        this.#poll(t, program, started, exclude);
      } catch (e) {
        this.#log.error(
          `Debug session "${t.root.name}": reading the process table failed: ${(e as Error).message}`,
        );
        this.#stopPolling(t);
      }
    }, POLL_MS);
  }

  #poll(
    t: Tracked,
    program: string,
    started: number,
    exclude: Set<number>,
  ): void {
    if ((t.traceSession !== null && !t.restarting) || Date.now() - started > POLL_LIMIT_MS) {
      this.#stopPolling(t);
      // After a possible restart, nothing new is no news (a child session of the debuggee's own): logged only.
      if (t.restarting) this.#log.info(`Debug session "${t.root.name}": no restarted debuggee running ${program}`);
      else if (t.traceSession === null) {
        this.#warn(t.root, `Debug session "${t.root.name}": not traced, no process running ${program} appeared`);
      }
      t.restarting = false;
      return;
    }
    const pid = findProgramProcess(
      readProcessTable(),
      program,
      t.before,
      exclude,
      processCwd,
    );
    if (pid !== null) this.#attach(t, pid, "process-table");
  }

  #stopPolling(t: Tracked): void {
    if (t.poll) clearInterval(t.poll);
    t.poll = null;
  }

  #attach(t: Tracked, pid: number, source: PidSource): void {
    // A restarted session's new debuggee is traced anew: announced once the last one's trace ended, after it ran (one
    // that could not start, as without root, would not start again either), or found after a possible restart (see
    // #restart) once the last debuggee has ended; until then, looked for again at the next poll.
    const ended = t.pid === undefined || processEnded(t.pid);
    if (t.restarting && !ended) return;
    if (t.pid !== pid && (t.node?.state === "exited" || t.restarting)) {
      this.#log.info(`Debug session "${t.root.name}": restarted`);
      t.traceSession = null;
      t.adopted = false;
      t.restarting = false;
    }
    if (t.traceSession !== null) return;
    // A launched debuggee is a new process: one that ran before the session (pid 1, told by a debugger in a container)
    // is not it.
    if (pid === 1 || (t.root.configuration.request === "launch" && t.before.has(pid))) {
      this.#log.warn(`Debug session "${t.root.name}": pid ${pid} (from ${source}) is no new process here: not traced`);
      return;
    }
    // Attached already (Attach to Process… on the debuggee): one trace of it is enough.
    const already = this.#manager.tracing(pid);
    t.pid = pid;
    t.seen = currentPids();
    if (already) {
      t.traceSession = already.id;
      t.adopted = true;
      return;
    }
    this.#stopPolling(t);
    this.lastPidSource = source;
    this.#log.info(
      `Debug session "${t.root.name}": debuggee pid ${pid} (from ${source})`,
    );
    const session = this.#manager.start({
      label: `debug ${t.root.name} (pid ${pid})`,
      // Each run of a launch configuration replaces the last one's problems, whatever its pid.
      key: `debug ${JSON.stringify([t.root.workspaceFolder?.uri.fsPath ?? null, t.root.name])}`,
      target: { pid },
      cwd: t.root.workspaceFolder?.uri.fsPath ?? null,
      program: typeof t.root.configuration.program === "string" ? t.root.configuration.program : null,
      note: NOTE,
      automatic: true,
    });
    t.traceSession = session?.id ?? -1;
    if (session) t.node = session;
  }

  #terminated(s: vscode.DebugSession): void {
    this.#note(`session ${s.id} ended`);
    const t = this.#tracked.get(s.id);
    if (!t) {
      // A child session of a traced one ended: a restart may follow (see #createTracker).
      const parent = this.#tracked.get(_root(s).id);
      if (parent && s.id !== parent.root.id) parent.childEnded = true;
      return;
    }
    // Still looking for its debuggee when it ended (a short program): nothing was traced.
    const looking = t.poll !== null && t.traceSession === null && !t.restarting;
    this.#stopPolling(t);
    this.#tracked.delete(s.id);
    if (looking) {
      this.#warn(
        t.root,
        `Debug session "${t.root.name}": not traced, it ended before its debuggee's pid was known (Run with ` +
          "Capability Trace traces a program from its start)",
      );
    }
    // captrace --pid ends by itself when the tree exits; this covers a debuggee that outlives its session.
    // Not once the debuggee has ended: its trace ends by itself then, and is not one the user stopped.
    if (t.traceSession !== null && t.traceSession > 0 && !t.adopted && (t.pid === undefined || !processEnded(t.pid))) {
      this.#manager.stop(t.traceSession);
    }
  }

  dispose(): void {
    for (const t of this.#tracked.values()) this.#stopPolling(t);
    this.#tracked.clear();
    for (const d of this.#disposables) d.dispose();
  }
}

function _root(s: vscode.DebugSession): vscode.DebugSession {
  let r = s;
  while (r.parentSession) r = r.parentSession;
  return r;
}
