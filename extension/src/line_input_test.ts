import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LineInput } from "./line_input.ts";

/** A LineInput recording what it does, in order: ["echo", text], ["send", text], ["end"], ["interrupt"]. */
function recorded(): { input: LineInput; log: string[][]; sent: () => string[] } {
  const log: string[][] = [];
  const input = new LineInput({
    echo: (t) => log.push(["echo", t]),
    send: (t) => log.push(["send", t]),
    end: () => log.push(["end"]),
    interrupt: () => log.push(["interrupt"]),
  });
  return { input, log, sent: () => log.filter((e) => e[0] === "send").map((e) => e[1]!) };
}

Deno.test("keys typed one by one are echoed, and Enter sends the line with a newline", () => {
  const { input, log } = recorded();
  for (const k of ["h", "i", "\r"]) input.take(k);
  assertEquals(log, [["echo", "h"], ["echo", "i"], ["echo", "\r\n"], [
    "send",
    "hi\n",
  ]]);
});

Deno.test("a paste of several lines sends each; CRLF is one Enter, a lone LF one too", () => {
  const { input, sent } = recorded();
  input.take("one\r\ntwo\rthree\nfour");
  assertEquals(sent(), ["one\n", "two\n", "three\n"]);
  input.take("\r");
  assertEquals(sent().at(-1), "four\n");
  // An empty line is a line: Enter twice sends two.
  input.take("\r\r");
  assertEquals(sent().slice(-2), ["\n", "\n"]);
});

Deno.test("Backspace erases one character (a whole one beyond the BMP), and nothing on an empty line", () => {
  const { input, log, sent } = recorded();
  input.take("a😀\x7f\b\x7fb\r");
  assertEquals(sent(), ["b\n"]);
  assertEquals(
    log.filter((e) => e[0] === "echo" && e[1]!.startsWith("\b")).map((e) => e[1]),
    ["\b\b  \b\b", "\b \b"],
    "two erasures shown (the emoji's two columns, a's one), none for the empty line",
  );
});

Deno.test("Backspace and Ctrl-U erase the columns a character took: a wide one's two, a tab's up to its stop", () => {
  const { input, log, sent } = recorded();
  // After a prompt of 5 columns: a tab takes columns 5 to 7, 漢 two, é (e and a combining accent) one.
  input.shown("Name:");
  input.take("\t漢e\u0301");
  input.take("\x7f");
  assertEquals(log.at(-1), ["echo", "\be"], "the accent: its e shown again without it");
  input.take("\x7f");
  assertEquals(log.at(-1), ["echo", "\b \b"], "e: one column");
  input.take("\x7f");
  assertEquals(log.at(-1), ["echo", "\b\b  \b\b"], "漢: two columns");
  input.take("\x7f");
  assertEquals(log.at(-1), ["echo", "\b\b\b   \b\b\b"], "the tab: from 5 to 8");
  input.take("ab漢\x15");
  assertEquals(log.at(-1), ["echo", "\b".repeat(4) + "    " + "\b".repeat(4)]);
  input.take("x\r");
  assertEquals(sent(), ["x\n"]);
  // A coloured prompt's escape sequences take no column: after "Name: " (6), a tab takes 2.
  input.take("\r");
  input.shown("\x1b[1;32mName:\x1b[0m \x1b]0;title\x07");
  input.take("\t\x7f");
  assertEquals(log.at(-1), ["echo", "\b\b  \b\b"]);
  input.take("\r");
  // A new line starts at column 0: a tab there takes eight.
  input.take("\t\x7f");
  assertEquals(log.at(-1), ["echo", "\b".repeat(8) + " ".repeat(8) + "\b".repeat(8)]);
});

Deno.test("Ctrl-U erases the line typed so far", () => {
  const { input, log, sent } = recorded();
  input.take("abc\x15x\r");
  assertEquals(sent(), ["x\n"]);
  assertEquals(log[3], ["echo", "\b\b\b   \b\b\b"]);
});

Deno.test("Ctrl-D ends the input on an empty line and sends a partial line as it is; nothing is taken after the end", () => {
  const { input, log } = recorded();
  input.take("ab\x04");
  assertEquals(log.at(-1), ["send", "ab"]);
  assertEquals(input.ended, false);
  input.take("\x04");
  assertEquals(log.at(-1), ["end"]);
  assertEquals(input.ended, true);
  const before = log.length;
  input.take("more\r\x04");
  assertEquals(log.length, before, "ignored after the end");
});

Deno.test("Ctrl-C interrupts, dropping the line, after an Escape, and after the end of input", () => {
  const { input, log, sent } = recorded();
  input.take("half\x03");
  assertEquals(log.slice(-2), [["echo", "^C\r\n"], ["interrupt"]]);
  input.take("\r");
  assertEquals(sent(), ["\n"], "the dropped half is not sent");
  input.take("\x1b\x03");
  assertEquals(log.at(-1), ["interrupt"], "not taken for part of an escape sequence");
  input.take("\x1b[\x03x\r");
  assertEquals(log.at(-4), ["interrupt"]);
  assertEquals(sent().at(-1), "x\n", "a sequence cut short by Ctrl-C is given up: the next key is typed");
  input.take("\x04\x03");
  assertEquals(log.at(-1), ["interrupt"]);
});

Deno.test("closed (the program ended), keys are neither sent nor echoed; Ctrl-C still interrupts", () => {
  const { input, log } = recorded();
  input.take("ab");
  input.close();
  const before = log.length;
  input.take("cd\r\x04");
  assertEquals(log.length, before);
  input.take("\x03");
  assertEquals(log.at(-1), ["interrupt"]);
});

Deno.test("arrows and function keys are skipped whole; a lone Escape, other control characters ignored; Tab kept", () => {
  const { input, sent } = recorded();
  input.take("a\x1b[A\x1b[1;5Cb\x1bOPc\x1bxd\x07\t\r");
  assertEquals(sent(), ["abcxd\t\n"]);
  // A sequence split across two takes is skipped all the same.
  input.take("e\x1b[");
  input.take("15~f\r");
  assertEquals(sent().at(-1), "ef\n");
});
