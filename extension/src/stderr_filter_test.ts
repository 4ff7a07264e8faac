/** Tests of the stderr filter: the program's text goes on unchanged and at once, captrace's early errors do not. */

import assert from "node:assert/strict";
import { StderrFilter } from "./stderr_filter.ts";

const ERROR = '{"v":1,"type":"error","message":"No process with pid 9","hint":null,"exit_code":4}';

function filter(early = true): { f: StderrFilter; taken: string[] } {
  const taken: string[] = [];
  const f = new StderrFilter((line) => {
    if (!line.startsWith('{"v":1,"type":"error"')) return false;
    taken.push(line);
    return true;
  }, () => early);
  return { f, taken };
}

Deno.test("the program's text passes at once and unchanged: partial lines, carriage returns, blank lines", () => {
  const { f } = filter();
  assert.equal(f.push("Password: "), "Password: ");
  assert.equal(f.push("\r 10%\r 20%"), "\r 10%\r 20%");
  assert.equal(f.push("\n\n\nend\r\n"), "\n\n\nend\r\n");
  assert.equal(f.end(), "");
});

Deno.test("an error event of captrace's, split across chunks, is held and taken; other JSON is passed on", () => {
  const { f, taken } = filter();
  assert.equal(f.push("before\n" + ERROR.slice(0, 20)), "before\n");
  assert.equal(
    f.push(ERROR.slice(20) + '\n{"not":1}\nafter'),
    '{"not":1}\nafter',
  );
  assert.deepEqual(taken, [ERROR]);
  // A line that ends with the stream is told at the end.
  const last = filter();
  assert.equal(last.f.push(ERROR), "");
  assert.equal(last.f.end(), "");
  assert.deepEqual(last.taken, [ERROR]);
});

Deno.test("once the trace spoke, a line that starts with '{' is not held", () => {
  const { f, taken } = filter(false);
  assert.equal(f.push('{"partial'), '{"partial');
  assert.equal(f.push(`\n${ERROR}\n`), `\n${ERROR}\n`);
  assert.deepEqual(taken, []);
});

Deno.test("a held line longer than any error event is the program's: passed on", () => {
  const { f } = filter();
  const long = "{" + "x".repeat(70_000);
  assert.equal(f.push(long), long);
  assert.equal(f.push("y\n"), "y\n");
});
