/** Tests of errno names and Go-compatible texts. */

import assert from "node:assert/strict";
import { errnoName, errnoText } from "./errno.ts";

Deno.test("errnoName gives the symbolic name, E<n> when unknown", () => {
  assert.equal(errnoName(1), "EPERM");
  assert.equal(errnoName(13), "EACCES");
  assert.equal(errnoName(22), "EINVAL");
  assert.equal(errnoName(95), "E95");
});

Deno.test("errnoText matches Go's syscall.Errno texts, errno <n> when unknown", () => {
  assert.equal(errnoText(1), "operation not permitted");
  assert.equal(errnoText(2), "no such file or directory");
  assert.equal(errnoText(12), "cannot allocate memory");
  assert.equal(errnoText(13), "permission denied");
  assert.equal(errnoText(14), "bad address");
  assert.equal(errnoText(22), "invalid argument");
  assert.equal(errnoText(95), "errno 95");
});
