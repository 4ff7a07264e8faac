/** The tree the extension shows, built from NDJSON v1 events: trace session → process → capability → call site. */

import type { CheckEvent, ErrorEvent, Event, ReadyEvent, SummaryEvent } from "../../shared/event.ts";
import { syscallLabel } from "../../shared/syscalls.ts";
import { initialOrUnknown } from "../../shared/user_namespace.ts";

/** One call site of a capability within a process: a source location, or the syscall when none is known. */
export interface SiteNode {
  readonly kind: "site";
  /** Stable key within its capability. */
  readonly key: string;
  readonly function: string | null;
  /** Source path when its line is known (absolute, or resolved against the session's cwd). */
  readonly file: string | null;
  readonly line: number | null;
  readonly binary: string | null;
  readonly syscall: string | null;
  /** Why the location is unknown, from the check's site_reason. */
  readonly reason: string | null;
  /** Script path for interpreters, when known. */
  readonly script: string | null;
  allowed: number;
  denied: number;
}

/** One capability checked by one process. */
export interface CapabilityNode {
  readonly kind: "capability";
  readonly cap: number;
  /** Lower-case name, or `cap_<number>` for a capability this version does not know. */
  readonly name: string;
  allowed: number;
  denied: number;
  readonly sites: Map<string, SiteNode>;
  /**
   * The user namespaces other than the initial one its checks were made against (a program in `unshare -Ur`): what
   * is allowed or denied there is that namespace's capability, not the host's.
   */
  readonly namespaces: Set<number>;
}

/** One process (tgid) of a traced tree. */
export interface ProcessNode {
  readonly kind: "process";
  readonly pid: number;
  comm: string;
  /** Last executable it exec'd, when seen. */
  filename: string | null;
  /** Exit status, or the signal that killed it (and whether it dumped core); null while running, or not seen. */
  exit: { code: number | null; signal: number | null; coreDumped: boolean } | null;
  readonly capabilities: Map<number, CapabilityNode>;
}

/** The state of a trace session. */
export type SessionState = "starting" | "running" | "exited" | "failed";

/** One run of captrace. */
export interface SessionNode {
  readonly kind: "session";
  readonly id: number;
  /** What was traced, for the label: the command line, or "pid N". */
  readonly label: string;
  /** Which command this is a run of, whatever its label: a later run of it replaces this one's problems. */
  readonly key: string;
  /** The program (or script) file of a launched command, for diagnostics without a known line. */
  readonly program: string | null;
  /** Working directory, to resolve relative source paths. */
  readonly cwd: string | null;
  /** A note shown with the session, e.g. that checks before an attach are not shown. */
  readonly note: string | null;
  state: SessionState;
  /** Exit status of captrace (the command's status) once it ended. */
  exitCode: number | null;
  /** The signal that killed captrace itself ("SIGTERM"), when one did: it then has no exit status. */
  signal: string | null;
  /** The user asked for its end (Stop): its exit status is the stop's SIGTERM, not the program's own. */
  stopped: boolean;
  ready: ReadyEvent | null;
  summary: SummaryEvent | null;
  errors: ErrorEvent[];
  lost: number;
  allowed: number;
  denied: number;
  readonly processes: Map<number, ProcessNode>;
}

/**
 * The processes of a session that ran one program, shown under one row once a session has many (see
 * process_groups.ts); made by the view from the model's processes, never kept in the model.
 */
export interface ProgramNode {
  readonly kind: "program";
  /** Stable key within its session: the program's file, or its comm when no exec was seen. */
  readonly key: string;
  /** The file's base name, or the comm. */
  readonly name: string;
  /** The file executed, when an exec was seen. */
  readonly file: string | null;
  readonly processes: ProcessNode[];
}

/** Any node of the tree. */
export type TreeNode = SessionNode | ProgramNode | ProcessNode | CapabilityNode | SiteNode;

/** What a new session is started with. */
export interface SessionStart {
  label: string;
  /** Which command this runs (see SessionNode.key); the label when not given. */
  key?: string;
  program?: string | null;
  cwd?: string | null;
  note?: string | null;
}

/**
 * All trace sessions of this window, updated event by event; the view layer reads it, it never reads the view.
 *
 * @example
 * ```ts
 * import { TraceModel } from "./trace_model.ts";
 * const m = new TraceModel();
 * const s = m.startSession({ label: "./a.out" });
 * m.apply(s.id, { v: 1, type: "lost", count: 2 });
 * if (s.lost !== 2) throw new Error("unexpected");
 * ```
 */
export class TraceModel {
  #sessions: SessionNode[] = [];
  #nextId = 1;

  /** Sessions, oldest first. */
  get sessions(): readonly SessionNode[] {
    return this.#sessions;
  }

  /** The session with this id, if it was not cleared. */
  session(id: number): SessionNode | undefined {
    return this.#sessions.find((s) => s.id === id);
  }

  /** Adds a session in the "starting" state and returns it. */
  startSession(start: SessionStart): SessionNode {
    const session: SessionNode = {
      kind: "session",
      id: this.#nextId++,
      label: start.label,
      key: start.key ?? start.label,
      program: start.program ?? null,
      cwd: start.cwd ?? null,
      note: start.note ?? null,
      state: "starting",
      exitCode: null,
      signal: null,
      stopped: false,
      ready: null,
      summary: null,
      errors: [],
      lost: 0,
      allowed: 0,
      denied: 0,
      processes: new Map(),
    };
    this.#sessions.push(session);
    return session;
  }

  /**
   * Marks a session as ended with captrace's exit status, or the signal that killed it; "failed" when it never
   * became ready.
   */
  endSession(id: number, exitCode: number | null, signal: string | null = null): void {
    const session = this.session(id);
    if (!session) return;
    session.exitCode = exitCode;
    session.signal = signal;
    session.state = session.ready ? "exited" : "failed";
  }

  /** Removes every session that is no longer running. */
  clearFinished(): void {
    this.#sessions = this.#sessions.filter((s) => s.state === "starting" || s.state === "running");
  }

  /** Applies one event to a session; events for unknown sessions are ignored. */
  apply(id: number, event: Event): void {
    const session = this.session(id);
    if (!session) return;
    switch (event.type) {
      case "ready":
        session.ready = event;
        session.state = "running";
        break;
      case "check":
        _applyCheck(session, event);
        break;
      case "exec": {
        const p = _process(session, event.pid, event.comm);
        p.comm = event.comm;
        p.filename = event.filename;
        break;
      }
      case "exit": {
        const p = session.processes.get(event.pid);
        if (p) p.exit = { code: event.code, signal: event.signal, coreDumped: event.core_dumped === true };
        break;
      }
      case "lost":
        session.lost += event.count;
        break;
      case "summary":
        session.summary = event;
        break;
      case "error":
        session.errors.push(event);
        break;
    }
  }
}

/** The name shown for a capability: the kernel's lower-case name, or `cap_<number>` when unknown. */
export function capabilityName(cap: number, name: string | null): string {
  return name ?? `cap_${cap}`;
}

function _process(
  session: SessionNode,
  pid: number,
  comm: string,
): ProcessNode {
  let p = session.processes.get(pid);
  if (!p) {
    p = {
      kind: "process",
      pid,
      comm,
      filename: null,
      exit: null,
      capabilities: new Map(),
    };
    session.processes.set(pid, p);
  }
  return p;
}

function _applyCheck(session: SessionNode, check: CheckEvent): void {
  const denied = check.verdict === "denied";
  const p = _process(session, check.pid, check.comm);
  let cap = p.capabilities.get(check.cap);
  if (!cap) {
    cap = {
      kind: "capability",
      cap: check.cap,
      name: capabilityName(check.cap, check.cap_name),
      allowed: 0,
      denied: 0,
      sites: new Map(),
      namespaces: new Set(),
    };
    p.capabilities.set(check.cap, cap);
  }
  if (!initialOrUnknown(check.target_userns)) cap.namespaces.add(check.target_userns!);
  const site = check.site;
  // A source file without a line is only the name the symbol table gives (no directory): not a place to go to.
  const line = site?.line ?? null;
  const file = site?.file && line !== null ? _resolve(site.file, session.cwd) : null;
  // One node per source line when known; otherwise one per syscall, so unknown sites still say what was called.
  const key = file !== null
    ? `${file}:${line ?? 0}:${site?.function ?? ""}`
    : site
    ? `${site.binary}@${site.address}`
    : `syscall:${check.syscall === null ? "none" : _syscall(check)}`;
  let node = cap.sites.get(key);
  if (!node) {
    node = {
      kind: "site",
      key,
      function: site?.function ?? null,
      file,
      line,
      binary: site?.binary ?? null,
      syscall: check.syscall_name ?? (check.syscall === null ? null : `syscall ${_syscall(check)}`),
      reason: check.site_reason ?? null,
      script: check.script ?? null,
      allowed: 0,
      denied: 0,
    };
    cap.sites.set(key, node);
  }
  if (denied) {
    node.denied++;
    cap.denied++;
    session.denied++;
  } else {
    node.allowed++;
    cap.allowed++;
    session.allowed++;
  }
}

function _resolve(file: string, cwd: string | null): string {
  if (file.startsWith("/") || cwd === null) return file;
  return `${cwd.replace(/\/$/, "")}/${file.replace(/^\.\//, "")}`;
}

/** A check's syscall as the CLI's text shows it: its name, or its number with its ABI when not x86_64's. */
function _syscall(check: CheckEvent): string {
  // Written before syscall_abi was: x86_64's.
  return syscallLabel(check.syscall_name, check.syscall, check.syscall_abi ?? null);
}
