/** Tests of the JUnit report reader. */

import assert from "node:assert/strict";
import { junitCounts, junitFailures, junitSkipped } from "./junit.ts";

// Written by deno test 2.9.6 --junit-path (stacks shortened) for a passing test, an ignored one, a test with a failed
// step, and a test cancelled by an uncaught error of the one before it.
const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="6" failures="2" errors="1" time="5.249">
    <testsuite name="./a_test.ts" tests="4" disabled="1" errors="0" failures="2">
        <testcase name="passes" classname="./a_test.ts" time="0.000" line="1" col="6">
        </testcase>
        <testcase name="ignored" classname="./a_test.ts" time="0.000" line="2" col="6">
            <skipped/>
        </testcase>
        <testcase name="steps" classname="./a_test.ts" time="0.002" line="3" col="6">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="steps &gt; inner &amp; &quot;more&quot;" classname="./a_test.ts" time="0.001" line="3" col="43">
            <failure message="Uncaught Error: inner boom">Error: inner boom &#65;&#x42;
Deno.test(&quot;steps&quot;, async (t) =&gt; { await t.step(&quot;inner&quot;, () =&gt; { throw new Error(&quot;inner boom&quot;); }); });
    at file:///tmp/j2/a_test.ts:3:71</failure>
        </testcase>
    </testsuite>
    <testsuite name="./c_test.ts" tests="2" disabled="0" errors="1" failures="0">
        <testcase name="uncaught later" classname="./c_test.ts" time="0.013" line="1" col="6">
        </testcase>
        <testcase name="after" classname="./c_test.ts" time="0.000" line="2" col="6">
            <error message="Cancelled"/>
        </testcase>
    </testsuite>
</testsuites>`;

Deno.test("junit counts take errors as failures and skipped tests as not passed; an unreadable report is a failure", () => {
  assert.deepEqual(junitCounts(REPORT), { passed: 2, failed: 3, skipped: 1 });
  assert.deepEqual(junitCounts(""), { passed: 0, failed: 1, skipped: 0 });
  assert.deepEqual(junitCounts('<testsuites name="deno test">'), { passed: 0, failed: 1, skipped: 0 });
  assert.deepEqual(junitCounts('<testsuites tests="7" failures="0">'), { passed: 7, failed: 0, skipped: 0 });
});

Deno.test("junit failures name each failed test and step with its file, line and message, a cancelled one too", () => {
  assert.deepEqual(junitFailures(REPORT), [
    {
      name: 'steps > inner & "more"',
      file: "./a_test.ts",
      line: "3",
      message: 'Error: inner boom AB\nDeno.test("steps", async (t) => { await t.step("inner", () => { throw new ' +
        'Error("inner boom"); }); });\n    at file:///tmp/j2/a_test.ts:3:71',
    },
    { name: "after", file: "./c_test.ts", line: "2", message: "Cancelled" },
  ]);
  assert.deepEqual(junitFailures(REPORT.replace(/<failure[\s\S]*?<\/failure>|<error[^>]*\/>/g, "")), []);
});

Deno.test("junit skipped names the ignored tests", () => {
  assert.deepEqual(junitSkipped(REPORT), ["ignored (./a_test.ts:2)"]);
  assert.deepEqual(junitSkipped(REPORT.replace("<skipped/>", "")), []);
});
