import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type LineChange, LineShifts } from "./line_shifts.ts";

const F = "/src/deny.c";

/** A change replacing 1-based lines' range `from`–`to` (columns `fromCol`) with text of `newLines` newlines. */
function change(
  from: number,
  fromCol: number,
  to: number,
  newLines: number,
): LineChange {
  return {
    startLine: from - 1,
    startColumn: fromCol,
    endLine: to - 1,
    newLines,
  };
}

Deno.test("lines below inserted lines move down; those above, and the edited line's own start, stay", () => {
  const s = new LineShifts();
  const since = s.now;
  s.change(F, [change(4, 0, 4, 3)], 33); // three lines typed at the start of line 4
  assertEquals([1, 3, 4, 5, 30].map((l) => s.line(F, l, since)), [
    1,
    3,
    7,
    8,
    33,
  ]);
  // Enter in the middle of line 13, the trace's line 10 (a change is given in the text as it is): its start stays.
  s.change(F, [change(13, 5, 13, 1)], 34);
  assertEquals([10, 11].map((l) => s.line(F, l, since)), [13, 15]);
});

Deno.test("deleted lines take the lines below up; a deleted line's problem goes where the deletion ends", () => {
  const s = new LineShifts();
  const since = s.now;
  s.change(F, [change(3, 0, 5, 0)], 28); // lines 3 and 4 deleted whole (to the start of line 5)
  assertEquals([2, 3, 4, 5, 6].map((l) => s.line(F, l, since)), [
    2,
    3,
    3,
    3,
    4,
  ]);
});

Deno.test("edits within a line, and edits of other files, move nothing", () => {
  const s = new LineShifts();
  const since = s.now;
  s.change(F, [change(6, 4, 6, 0)], 30);
  s.change("/src/other.c", [change(1, 0, 1, 5)], 35);
  assertEquals(s.line(F, 6, since), 6);
  assertEquals(s.line(F, 0, since), 0);
});

Deno.test("a trace is moved only by the edits made after it began", () => {
  const s = new LineShifts();
  const early = s.now;
  s.change(F, [change(1, 0, 1, 2)], 32);
  const late = s.now;
  s.change(F, [change(1, 0, 1, 1)], 33);
  assertEquals(s.line(F, 6, early), 9);
  assertEquals(s.line(F, 6, late), 7);
  s.forgetBefore(late);
  assertEquals(s.line(F, 6, late), 7);
});

Deno.test("changes of one edit apply in order, each to the text the one before left", () => {
  const s = new LineShifts();
  const since = s.now;
  // Multi-cursor: a line added after line 20, then one after line 2 (as the editor reports them, last first).
  s.change(F, [change(21, 0, 21, 1), change(3, 0, 3, 1)], 32);
  assertEquals([2, 3, 20, 21].map((l) => s.line(F, l, since)), [2, 4, 21, 23]);
});

Deno.test("the whole text replaced at once (select all, paste) puts the lines back where the trace saw them", () => {
  const s = new LineShifts();
  const since = s.now;
  s.change(F, [change(1, 0, 1, 2)], 32);
  assertEquals(s.line(F, 6, since), 8);
  s.change(F, [change(1, 0, 32, 29)], 30);
  assertEquals(s.line(F, 6, since), 6);
  // For good, as past the bound of kept edits; a trace begun since is followed.
  const later = s.now;
  s.change(F, [change(1, 0, 1, 1)], 31);
  assertEquals([s.line(F, 6, since), s.line(F, 6, later)], [6, 7]);
});

Deno.test("closing a file unsaved drops the edits since its last save, and only those", () => {
  const s = new LineShifts();
  const since = s.now;
  s.change(F, [change(1, 0, 1, 1)], 31);
  s.saved(F);
  s.change(F, [change(1, 0, 1, 2)], 33);
  assertEquals(s.line(F, 6, since), 9);
  s.closed(F);
  assertEquals(s.line(F, 6, since), 7);
  s.closed(F);
  assertEquals(s.line(F, 6, since), 7);
});

Deno.test("a file edited past the bound of kept edits goes back to the trace's lines rather than grow", () => {
  const s = new LineShifts();
  const since = s.now;
  for (let i = 0; i < 10_000; i++) s.change(F, [change(1, 0, 1, 1)], 31 + i);
  assertEquals(s.line(F, 6, since), 10_006);
  s.change(F, [change(1, 0, 1, 1)], 10_031);
  assertEquals(s.line(F, 6, since), 6);
  // Later edits do not move it through a part of its history; a trace begun since is followed again.
  const later = s.now;
  s.change(F, [change(1, 0, 1, 1)], 10_032);
  assertEquals(s.line(F, 6, since), 6);
  assertEquals(s.line(F, 6, later), 7);
  s.forgetBefore(since);
  assertEquals(s.line(F, 6, since), 6);
});
