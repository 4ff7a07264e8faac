/**
 * Where a traced line is now: the edits made to a source file since a trace began, to move its problems with the
 * text they point at (pure data; the Problems adapter feeds it the editor's changes).
 */

/** One change of a document, as the editor reports it: the range replaced (0-based) and the new text's newlines. */
export interface LineChange {
  startLine: number;
  startColumn: number;
  endLine: number;
  newLines: number;
}

/** A change that moves lines, with the clock reading it was made at. */
interface Edit extends LineChange {
  at: number;
}

interface FileEdits {
  edits: Edit[];
  /** The clock reading at the file's last save: later edits are gone when it is closed unsaved. */
  saved: number;
  /** Traces begun before this clock reading are not followed: edits made until then were dropped (too many). */
  dropped: number;
}

/**
 * Edits kept per file; beyond, they are dropped, and the lines of the traces begun before are no longer moved (their
 * problems go back to the trace's lines).
 */
const MAX_EDITS = 10_000;

/**
 * The line-moving edits of each file, in order, stamped with a clock. A trace's lines are mapped through the edits
 * made since it began (`now` then): the program it ran was built from the text as it was. Edits within a line are not
 * kept, nor those older than every trace still shown (see forgetBefore).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineShifts } from "./line_shifts.ts";
 * const shifts = new LineShifts();
 * const since = shifts.now;
 * // Two lines typed at the start of line 3 (1-based) of a 20-line file.
 * shifts.change("/src/a.c", [{ startLine: 2, startColumn: 0, endLine: 2, newLines: 2 }], 22);
 * assert.equal(shifts.line("/src/a.c", 6, since), 8);
 * assert.equal(shifts.line("/src/a.c", 2, since), 2);
 * assert.equal(shifts.line("/src/a.c", 6, shifts.now), 6);
 * ```
 */
export class LineShifts {
  #clock = 0;
  readonly #files = new Map<string, FileEdits>();

  /** The clock's reading: a trace that begins now is mapped through later edits only. */
  get now(): number {
    return this.#clock;
  }

  /**
   * Records the changes of one edit of `file`, applied in order as the editor applies them; `lineCount` is the
   * document's line count after them. A change that replaces the whole text at once (select all and paste; VS Code's
   * own revert and reload send the lines that changed, which are followed) leaves no way to follow a line: the file's
   * edits are dropped as past the bound of kept edits (the lines of traces begun before are theirs again, for good).
   */
  change(
    file: string,
    changes: readonly LineChange[],
    lineCount: number,
  ): void {
    this.#clock++;
    const delta = changes.reduce(
      (n, c) => n + c.newLines - (c.endLine - c.startLine),
      0,
    );
    const before = lineCount - delta;
    const whole = changes.some((c) =>
      c.startLine === 0 && c.startColumn === 0 && c.endLine >= before - 1 && before > 1
    );
    const moving = changes.filter((c) => c.newLines > 0 || c.endLine > c.startLine);
    if (moving.length === 0) return;
    const f = this.#files.get(file) ?? { edits: [], saved: 0, dropped: 0 };
    this.#files.set(file, f);
    if (whole || f.edits.length + moving.length > MAX_EDITS) {
      f.edits = [];
      f.dropped = this.#clock;
      return;
    }
    for (const c of moving) f.edits.push({ ...c, at: this.#clock });
  }

  /** `file` was saved: its edits so far stay when it is closed. */
  saved(file: string): void {
    const f = this.#files.get(file);
    if (f) f.saved = this.#clock;
  }

  /** `file` was closed: the edits made since its last save are gone with its unsaved text. */
  closed(file: string): void {
    const f = this.#files.get(file);
    if (!f) return;
    f.edits = f.edits.filter((e) => e.at <= f.saved);
    if (f.edits.length === 0 && f.dropped === 0) this.#files.delete(file);
  }

  /** Forgets edits made before `since`: no trace that began before it is shown any more. */
  forgetBefore(since: number): void {
    for (const [file, f] of this.#files) {
      f.edits = f.edits.filter((e) => e.at > since);
      if (f.edits.length === 0 && f.dropped <= since) this.#files.delete(file);
    }
  }

  /**
   * Where 1-based `line` of `file`, as it was at clock reading `since`, is now. A line whose start an edit replaced
   * goes to where the edit's text ends; line 0 (the file, no line known) stays.
   */
  line(file: string, line: number, since: number): number {
    const f = this.#files.get(file);
    if (!f || line <= 0 || since < f.dropped) return line;
    let at = line - 1;
    for (const e of f.edits) {
      if (
        e.at <= since || at < e.startLine ||
        (at === e.startLine && e.startColumn > 0)
      ) continue;
      at = at > e.endLine ? at + e.newLines - (e.endLine - e.startLine) : e.startLine + e.newLines;
    }
    return at + 1;
  }
}
