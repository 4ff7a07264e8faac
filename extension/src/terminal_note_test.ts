import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { noteText } from "./terminal_note.ts";

Deno.test("a note starts a line of its own only where the program's output left one unfinished, colours reset", () => {
  assertEquals(noteText("", "[captrace exited with 0]"), "\x1b[0m[captrace exited with 0]\n");
  assertEquals(noteText("\n", "[captrace exited with 0]"), "\x1b[0m[captrace exited with 0]\n");
  // `printf '\033[1;32mgreen'`: no newline, bold green left on.
  assertEquals(noteText("n", "[captrace exited with 0]"), "\x1b[0m\n[captrace exited with 0]\n");
  // A progress line ended by a carriage return: the note goes below it, not over it.
  assertEquals(noteText("\r", "[captrace killed by SIGTERM]"), "\x1b[0m\n[captrace killed by SIGTERM]\n");
});
