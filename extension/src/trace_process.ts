/**
 * Runs one captrace process: NDJSON events from a FIFO, the traced program's own output to a callback and its input
 * from one, stop through a control FIFO.
 */

import * as cp from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { Event } from "../../shared/event.ts";
import { EarlyErrors } from "./early_errors.ts";
import { StderrFilter } from "./stderr_filter.ts";
import { LineSplitter, parseEventLine } from "./ndjson.ts";

/** Where a run reports to. */
export interface TraceProcessHandlers {
  onEvent(event: Event): void;
  /** Output of the traced program and captrace's own messages (stdout and stderr, as they come). */
  onOutput(text: string): void;
  /** A line on the event stream that is not a v1 event. */
  onProblem(message: string): void;
  /** captrace ended: its exit code (the command's status) or the signal that killed it. */
  onExit(code: number | null, signal: string | null): void;
}

/** How long a stop waits after closing the control FIFO before it sends signals (which only work when not elevated). */
const STOP_GRACE_MS = 5000;
/** How often a stop opens the control FIFO for a moment, for a captrace that had not opened it yet (see stop). */
const POKE_MS = 100;
/** The control FIFO's name in the run's directory. */
const CONTROL_FIFO = "control";

/**
 * One captrace child process. The argv is spawned directly, never through a shell. Stopping closes the control FIFO
 * (`--control`), which works even when captrace runs as root through sudo or pkexec; captrace's stdin is the traced
 * program's.
 */
export class TraceProcess {
  readonly #argv: readonly string[];
  readonly #handlers: TraceProcessHandlers;
  readonly #cwd: string | undefined;
  #dir: string | null = null;
  #child: cp.ChildProcess | null = null;
  #events: net.Socket | null = null;
  /** The control FIFO, open for reading and writing (which never waits for captrace): closing it stops the trace. */
  #control: number | null = null;
  #poke: ReturnType<typeof setInterval> | null = null;
  #exited = false;
  #sawEvents = false;
  readonly #earlyErrors = new EarlyErrors();
  /** The problems of skipped lines already reported. */
  readonly #skipped = new Set<string>();
  #killTimer: ReturnType<typeof setTimeout> | null = null;
  #done: Promise<number | null>;
  #resolveDone!: (code: number | null) => void;

  /** `argv` must contain `OUTPUT` and `CONTROL` where the FIFOs' paths go (the values of `-o` and `--control`). */
  constructor(
    argv: readonly string[],
    handlers: TraceProcessHandlers,
    cwd?: string,
  ) {
    this.#argv = argv;
    this.#handlers = handlers;
    this.#cwd = cwd;
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** The FIFO path placeholder to put in the argv given to the constructor. */
  static readonly OUTPUT = "\0captrace-output\0";

  /** The control FIFO path placeholder (see OUTPUT). */
  static readonly CONTROL = "\0captrace-control\0";

  /** Resolves with captrace's exit code once it ended and every event was read. */
  get done(): Promise<number | null> {
    return this.#done;
  }

  /** The process id of the spawned child (sudo or pkexec when elevated). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== null && !this.#exited;
  }

  /**
   * Creates the FIFOs, opens them, then spawns captrace. Throws, leaving nothing behind, if the working
   * directory is missing or the FIFO cannot be made.
   */
  start(): void {
    // Node reports a missing cwd as the program's ENOENT, which would blame captrace.
    if (this.#cwd !== undefined && !_isDirectory(this.#cwd)) {
      throw new Error(`The working directory ${this.#cwd} does not exist; create it or set the configuration's cwd`);
    }
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), "captrace-"));
    try {
      this.#start(this.#dir);
    } catch (e) {
      this.#events?.destroy();
      this.#closeControl();
      this.#cleanup();
      throw e;
    }
  }

  #start(dir: string): void {
    const fifo = path.join(dir, "events.ndjson");
    const control = path.join(dir, CONTROL_FIFO);
    cp.execFileSync("mkfifo", ["-m", "600", fifo, control]);
    // Non-blocking open: a FIFO without writer reads as "not yet" (no EOF) until captrace opens it.
    const fd = fs.openSync(
      fifo,
      fs.constants.O_RDONLY | fs.constants.O_NONBLOCK,
    );
    const events = new net.Socket({ fd, readable: true, writable: false });
    this.#events = events;
    const splitter = new LineSplitter();
    events.setEncoding("utf8");
    events.on("data", (chunk: string) => this.#lines(splitter.push(chunk)));
    const eventsEnded = new Promise<void>((resolve) => {
      events.on("close", () => {
        this.#lines(splitter.flush());
        resolve();
      });
      events.on(
        "error",
        (e) => this.#handlers.onProblem(`Reading events failed: ${e.message}`),
      );
    });

    this.#control = fs.openSync(control, fs.constants.O_RDWR);

    const argv = this.#argv.map((a) => a === TraceProcess.OUTPUT ? fifo : a === TraceProcess.CONTROL ? control : a);
    const [file, ...args] = argv;
    if (file === undefined) throw new TypeError("Empty argv");
    const child = cp.spawn(file, args, {
      cwd: this.#cwd,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true, // own process group, so a last-resort kill reaches the whole tree
    });
    this.#child = child;
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (t: string) => this.#handlers.onOutput(t));
    // The program's text goes on as it comes; captrace's own error before the trace opened is held (EarlyErrors).
    const errors = new StderrFilter((line) => this.#earlyErrors.take(line), () => !this.#earlyErrors.spoke);
    const pass = (text: string) => {
      if (text !== "") this.#handlers.onOutput(text);
    };
    child.stderr?.on("data", (t: string) => pass(errors.push(t)));
    child.stderr?.on("end", () => pass(errors.end()));
    child.stdin?.on("error", () => {}); // EPIPE after captrace exited is expected
    const exited = new Promise<{ code: number | null; signal: string | null }>(
      (resolve) => {
        child.on("error", (e) => {
          this.#handlers.onOutput(`Cannot start ${file}: ${e.message}\n`);
          resolve({ code: null, signal: null });
        });
        child.on("exit", (code, signal) => resolve({ code, signal }));
      },
    );
    void exited.then(async ({ code, signal }) => {
      this.#exited = true;
      if (this.#killTimer) clearTimeout(this.#killTimer);
      if (this.#poke) clearInterval(this.#poke);
      this.#closeControl();
      // captrace may have died before opening the FIFO; then nothing will ever close it for us.
      const grace = this.#sawEvents ? 5000 : 1000;
      const ended = await Promise.race([
        eventsEnded.then(() => true),
        _delay(grace).then(() => false),
      ]);
      if (!ended) events.destroy();
      await eventsEnded;
      for (const e of this.#earlyErrors.end()) this.#handlers.onEvent(e);
      this.#cleanup();
      this.#handlers.onExit(code, signal);
      this.#resolveDone(code);
    });
  }

  #lines(lines: string[]): void {
    if (lines.length > 0) this.#sawEvents = true;
    for (const line of lines) {
      const r = parseEventLine(line);
      this.#earlyErrors.traceLine("event" in r && r.event.type === "error");
      if ("event" in r) this.#handlers.onEvent(r.event);
      else if (r.skip === undefined) this.#handlers.onProblem(r.problem);
      else if (!this.#skipped.has(r.problem)) {
        // Said once: a newer captrace may write many lines of a kind this extension skips.
        this.#skipped.add(r.problem);
        if (r.skip === "version") this.#handlers.onEvent(r.error);
        else this.#handlers.onProblem(`${r.problem}: such lines are skipped`);
      }
    }
  }

  /** Text for the traced program's stdin (captrace's), while it runs. */
  input(text: string): void {
    const stdin = this.#child?.stdin;
    if (!this.#exited && stdin && !stdin.writableEnded) stdin.write(text);
  }

  /**
   * Ctrl-C for the traced program: its byte written to the control FIFO, which captrace passes on as SIGINT to the
   * program and what it started (it runs with no terminal of its own to do that).
   */
  interrupt(): void {
    if (this.#control === null || this.#exited) return;
    try {
      fs.writeSync(this.#control, new Uint8Array([3]));
    } catch {
      // captrace is ending: nothing left to interrupt
    }
  }

  /** Ends the traced program's stdin. */
  endInput(): void {
    this.#child?.stdin?.end();
  }

  /**
   * Asks captrace to stop (closes the control FIFO, and the program's stdin); signals the process group only if it is
   * still there after a grace period.
   */
  stop(): void {
    const child = this.#child;
    if (!child || this.#exited) return;
    this.#closeControl();
    child.stdin?.end();
    if (this.#killTimer) return;
    // A captrace that had not opened the FIFO yet (pkexec still asking for a password) would wait in its open for a
    // writer that is gone: one that comes and goes at once gives it the end it waits for. (No reader yet: ENXIO.)
    const control = this.#dir === null ? null : path.join(this.#dir, CONTROL_FIFO);
    this.#poke = control === null ? null : setInterval(() => {
      try {
        fs.closeSync(fs.openSync(control, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      } catch {
        // no reader yet, or gone
      }
    }, POKE_MS);
    this.#killTimer = setTimeout(() => {
      if (this.#exited || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Elevated children cannot be signalled; closing the control FIFO is what stops them.
      }
    }, STOP_GRACE_MS);
  }

  #closeControl(): void {
    if (this.#control === null) return;
    fs.closeSync(this.#control);
    this.#control = null;
  }

  #cleanup(): void {
    if (this.#dir) {
      fs.rmSync(this.#dir, { recursive: true, force: true });
      this.#dir = null;
    }
  }
}

function _isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function _delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
