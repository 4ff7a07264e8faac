/** Tests of the JUnit report reader. */

import assert from "node:assert/strict";
import { junitCounts, junitFailures } from "./junit.ts";

// Written by deno test --junit-path for a file with a passing test, a failing one and a failing step.
const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="4" failures="2" errors="1" time="0.008">
    <testsuite name="./a_test.ts" tests="4" disabled="0" errors="1" failures="2">
        <testcase name="passes" classname="./a_test.ts" time="0.000" line="1" col="6">
        </testcase>
        <testcase name="fails &lt;here&gt; &amp; &quot;there&quot;" classname="./a_test.ts" time="0.001" line="2" col="6">
            <failure message="Uncaught Error: boom
second line">Error: boom
second line &#65;&#x42;
    at file:///tmp/j/a_test.ts:2:53</failure>
        </testcase>
        <testcase name="steps" classname="./a_test.ts" time="0.001" line="3" col="6">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="steps &gt; inner" classname="./a_test.ts" time="0.000" line="3" col="43">
            <error message="Uncaught Error: inner boom"></error>
        </testcase>
    </testsuite>
</testsuites>`;

Deno.test("junit counts take errors as failures, and an unreadable report as one failure", () => {
  assert.deepEqual(junitCounts(REPORT), { passed: 1, failed: 3 });
  assert.deepEqual(junitCounts(""), { passed: 0, failed: 1 });
  assert.deepEqual(junitCounts('<testsuites name="deno test">'), { passed: 0, failed: 1 });
  assert.deepEqual(junitCounts('<testsuites tests="7" failures="0">'), { passed: 7, failed: 0 });
});

Deno.test("junit failures name each failed test and step with its file, line and message", () => {
  assert.deepEqual(junitFailures(REPORT), [
    {
      name: 'fails <here> & "there"',
      file: "./a_test.ts",
      line: "2",
      message: "Error: boom\nsecond line AB\n    at file:///tmp/j/a_test.ts:2:53",
    },
    { name: "steps > inner", file: "./a_test.ts", line: "3", message: "Uncaught Error: inner boom" },
  ]);
  assert.deepEqual(junitFailures(REPORT.replace(/<failure[\s\S]*?<\/failure>|<error[^>]*><\/error>/g, "")), []);
});
