/** Starts and stops captrace runs and feeds their events to the model, the output channel and the views. */

import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import { findBinary } from "./binary_lookup.ts";
import { endNotice, howEnded } from "./end_notice.ts";
import { captraceArgv, type TraceTarget } from "./launch_argv.ts";
import { formatEvent, tagged } from "./output_lines.ts";
import { parentsOf, type ProcessEntry, rootAbove } from "./process_match.ts";
import { readProcessTable } from "./proc_table.ts";
import { ProgramTerminal } from "./program_terminal.ts";
import { openSetting, readSettings } from "./settings.ts";
import type { SessionNode, TraceModel } from "./trace_model.ts";
import { TraceProcess } from "./trace_process.ts";

/** What to trace and how to show it. */
export interface StartRequest {
  /** Session label in the tree, e.g. the command line. */
  label: string;
  /** Which command this runs, when the label does not tell (see SessionNode.key). */
  key?: string;
  target: TraceTarget;
  /** Working directory for captrace (the command's cwd). */
  cwd: string | null;
  /** The program file, for problems without a known line. */
  program: string | null;
  /** A note for the view (e.g. that checks before an attach are not shown). */
  note?: string | null;
  /** Started on its own (a debug session's), not by a command: a missing captrace is reported once, not each time. */
  automatic?: boolean;
}

interface Run {
  session: SessionNode;
  process: TraceProcess;
  terminal: ProgramTerminal | null;
  /** The process attached to (--pid), for a trace of a running process. */
  pid: number | null;
}

/** Program terminals of ended runs kept open at most; older ones are closed. */
const FINISHED_TERMINALS = 3;

/** Owns every running captrace process; `dispose()` and `stopAll()` leave none behind. */
export class TraceManager implements vscode.Disposable {
  readonly #model: TraceModel;
  readonly #output: vscode.OutputChannel;
  readonly #log: vscode.LogOutputChannel;
  readonly #extensionPath: string;
  readonly #runs = new Map<number, Run>();
  /** Program terminals of finished runs, oldest first: kept to read, closed by Clear or beyond the limit. */
  readonly #finishedTerminals: ProgramTerminal[] = [];
  readonly #changed = new vscode.EventEmitter<SessionNode>();
  readonly #pending: string[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | null = null;
  #notFoundShown = false;
  /** The window is closing: runs that end from now on have no channel, terminal or view to report to. */
  #disposed = false;

  /** Fires (unthrottled) whenever a session changed; views throttle themselves. */
  readonly onDidChange = this.#changed.event;

  constructor(
    model: TraceModel,
    output: vscode.OutputChannel,
    log: vscode.LogOutputChannel,
    extensionPath: string,
  ) {
    this.#model = model;
    this.#output = output;
    this.#log = log;
    this.#extensionPath = extensionPath;
  }

  /** Number of captrace processes still running. */
  get runningCount(): number {
    return this.#runs.size;
  }

  /**
   * The running trace that covers `pid`, if any: attached to it or to a process above it, or running it under its
   * captrace (bpftrace, captrace itself, the command and its children). A second would show every check twice.
   */
  tracing(pid: number, table: readonly ProcessEntry[] = readProcessTable()): SessionNode | undefined {
    return rootAbove(parentsOf(table), pid, this.roots());
  }

  /**
   * The processes each running trace covers from: its captrace (or the sudo or pkexec before it), under which run
   * its bpftrace and its command, and a process attached to, whose children it follows.
   */
  roots(): Map<number, SessionNode> {
    const roots = new Map<number, SessionNode>();
    for (const run of this.#runs.values()) {
      if (run.process.pid !== undefined) roots.set(run.process.pid, run.session);
      if (run.pid !== null) roots.set(run.pid, run.session);
    }
    return roots;
  }

  /** Resolves the binary, starts captrace and returns the new session, or undefined when it could not start. */
  start(req: StartRequest): SessionNode | undefined {
    if (process.platform !== "linux") {
      if (!req.automatic || !this.#notFoundShown) {
        this.#notFoundShown = true;
        void vscode.window.showErrorMessage(NOT_LINUX);
      }
      return undefined;
    }
    const settings = readSettings();
    const found = findBinary({
      setting: settings.path,
      bundled: [`${this.#extensionPath}/bin/captrace`],
      pathEnv: process.env.PATH ?? "",
      isExecutable: _isExecutable,
    });
    if (found.path === null) {
      this.#log.error(
        `${found.message} Searched: ${found.searched.join(", ")}`,
      );
      // Each command that fails says why; traces started on their own (every debug session's) say it once.
      if (!req.automatic || !this.#notFoundShown) {
        this.#notFoundShown = true;
        void vscode.window.showErrorMessage(found.message, "Open Setting").then(
          (choice) => {
            if (choice) void openSetting("captrace.path");
          },
        );
      }
      return undefined;
    }
    this.#notFoundShown = false;
    const user = settings.user !== "" ? settings.user : settings.elevation !== "none" ? _userName() : null;
    const argv = captraceArgv({
      binary: found.path,
      elevation: settings.elevation,
      user,
      output: TraceProcess.OUTPUT,
      control: TraceProcess.CONTROL,
      stopWith: process.pid,
      sites: settings.sites,
      target: req.target,
      ...(process.env.PATH ? { path: process.env.PATH } : {}),
    });
    const session = this.#model.startSession({
      label: req.label,
      ...(req.key === undefined ? {} : { key: req.key }),
      program: req.program,
      cwd: req.cwd,
      note: req.note ?? null,
    });
    const fifo = (a: string) => a === TraceProcess.OUTPUT || a === TraceProcess.CONTROL;
    this.#log.info(`Session ${session.id}: ${argv.map((a) => fifo(a) ? "FIFO" : a).join(" ")}`);
    const terminal = "command" in req.target
      ? new ProgramTerminal(`Captrace: ${req.label}`.slice(0, 60), {
        // Each Ctrl-C is the program's (captrace kills one that does not catch it at the second within 3 s); before
        // it runs, there is nothing to interrupt but the start.
        interrupt: () => session.state === "running" ? run.process.interrupt() : this.stop(session.id),
        hangup: () => this.stop(session.id),
        input: (text) => run.process.input(text),
        endInput: () => run.process.endInput(),
      })
      : null;
    // The program's output is not in this channel: say where it is, and where it takes input.
    const where = terminal ? ` (its output and input: terminal "${terminal.name}")` : "";
    this.#line(`[${session.id}] Starting: ${req.label}${where}`);
    if (req.note) this.#line(`[${session.id}] ${req.note}`);
    const run: Run = {
      session,
      terminal,
      process: null as unknown as TraceProcess,
      pid: "pid" in req.target ? req.target.pid : null,
    };
    let tail = ""; // last output, to explain a failed start (e.g. sudo wanting a password)
    run.process = new TraceProcess(argv, {
      onEvent: (event) => {
        // Disposed (the window closes): the channels are gone, and the run is being stopped.
        if (this.#disposed) return;
        this.#model.apply(session.id, event);
        // Stopped by the user before it started, the trace's error says only that (nothing was traced): logged.
        if (event.type === "error" && session.stopped && !session.ready) {
          this.#log.info(`Session ${session.id}: stopped before it started: ${event.message}`);
          this.#changed.fire(session);
          return;
        }
        // Several traces at once: each line says whose it is.
        const text = formatEvent(event);
        this.#line(this.#runs.size > 1 ? tagged(session.id, text) : text);
        if (event.type === "error") {
          this.#log.warn(`Session ${session.id}: ${event.message}`);
        }
        this.#changed.fire(session);
      },
      onOutput: (text) => {
        tail = (tail + text).slice(-2000);
        if (this.#disposed) return;
        if (terminal) terminal.write(text);
        else this.#log.info(`Session ${session.id}: ${text.trimEnd()}`);
      },
      onProblem: (message) => {
        if (!this.#disposed) this.#log.warn(`Session ${session.id}: ${message}`);
      },
      onExit: (code, signal) => {
        this.#runs.delete(session.id);
        this.#model.endSession(session.id, code, signal);
        if (this.#disposed) {
          terminal?.dispose();
          return;
        }
        const how = howEnded(code, signal, session.stopped);
        this.#line(`[${session.id}] captrace ${how}`);
        this.#log.info(`Session ${session.id}: captrace ${how}`);
        terminal?.closeInput();
        terminal?.note(`[captrace ${how}]`);
        // One the user closed (which stopped the run) keeps no place among the finished ones.
        if (terminal?.closed) terminal.dispose();
        else if (terminal) this.#keepFinished(terminal);
        const notice = endNotice({ session, how, tail, automatic: req.automatic === true });
        // Why it never started (a working directory gone, pkexec missing) belongs next to its Starting line too.
        if (notice !== null && code === null && signal === null) this.#line(`[${session.id}] ${notice.message}`);
        if (notice !== null) {
          const actions = notice.setting === null ? ["Show Log"] : ["Open Setting", "Show Log"];
          void vscode.window.showErrorMessage(notice.message, ...actions).then((choice) => {
            if (choice === "Show Log") this.#log.show();
            else if (choice && notice.setting !== null) void openSetting(notice.setting);
          });
        }
        this.#changed.fire(session);
      },
    }, req.cwd ?? undefined);
    this.#runs.set(session.id, run);
    try {
      run.process.start();
    } catch (e) {
      this.#runs.delete(session.id);
      terminal?.dispose();
      this.#model.endSession(session.id, null);
      this.#log.error(`Session ${session.id}: ${(e as Error).message}`);
      void vscode.window.showErrorMessage(`Captrace: ${(e as Error).message}`);
    }
    this.#changed.fire(session);
    return session;
  }

  #keepFinished(terminal: ProgramTerminal): void {
    this.#finishedTerminals.push(terminal);
    while (this.#finishedTerminals.length > FINISHED_TERMINALS) this.#finishedTerminals.shift()!.dispose();
  }

  /** Closes the program terminals of runs that have ended. */
  closeFinishedTerminals(): void {
    for (const t of this.#finishedTerminals.splice(0)) t.dispose();
  }

  /** Stops one session, or all when no id is given. */
  stop(sessionId?: number): void {
    for (const [id, run] of this.#runs) {
      if (sessionId === undefined || id === sessionId) {
        this.#log.info(`Session ${id}: stopping`);
        run.session.stopped = true;
        run.process.stop();
      }
    }
  }

  /** The promise of a running session's end, if it is running. */
  done(sessionId: number): Promise<number | null> | undefined {
    return this.#runs.get(sessionId)?.process.done;
  }

  /** Stops every run and waits (up to `timeoutMs`) until they ended. */
  async stopAll(timeoutMs = 8000): Promise<void> {
    const all = [...this.#runs.values()].map((r) => r.process.done);
    this.stop();
    await Promise.race([
      Promise.all(all),
      new Promise((r) => setTimeout(r, timeoutMs)),
    ]);
  }

  // Output lines are batched: appending per event would flood the channel on busy traces.
  #line(text: string): void {
    // Disposed, the channel is too (the window closes): runs still ending have no one to tell.
    if (this.#disposed) return;
    this.#pending.push(text);
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => this.flushOutput(), 100);
  }

  /** Writes the batched output lines now. */
  flushOutput(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#pending.length === 0) return;
    this.#output.append(this.#pending.join("\n") + "\n");
    this.#pending.length = 0;
  }

  dispose(): void {
    this.#disposed = true;
    this.stop();
    this.closeFinishedTerminals();
    this.flushOutput();
    this.#changed.dispose();
  }
}

function _isExecutable(path: string): boolean {
  try {
    return fs.statSync(path).isFile() &&
      (fs.accessSync(path, fs.constants.X_OK), true);
  } catch {
    return false;
  }
}

/** What a trace asked for where it cannot run. */
export const NOT_LINUX =
  "Captrace traces the Linux kernel only: run VS Code, or its remote server (Remote - SSH, WSL, Dev Containers), on Linux";

/** The editor's user, by name, or by uid where it has no name (a container's uid missing from its passwd). */
function _userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? "");
  }
}
