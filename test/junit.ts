/** Reads what the suite needs from the JUnit report `deno test --junit-path` writes: counts, and which tests failed. */

/** One failed test: where it is, and the first lines of why. */
export interface JunitFailure {
  name: string;
  file: string;
  line: string;
  message: string;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** The text of an XML attribute or element, its entities replaced. */
function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) => {
    if (e[0] !== "#") return ENTITIES[e.toLowerCase()] ?? "";
    return String.fromCodePoint(e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
  });
}

function attribute(tag: string, name: string): string {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? unescapeXml(m[1]!) : "";
}

/** Each test case: its opening tag and what it holds. */
function testCases(xml: string): { tag: string; body: string }[] {
  return [...xml.matchAll(/<testcase\b[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map((m) => ({
    tag: m[0].slice(0, m[0].indexOf(">") + 1),
    body: m[1] ?? "",
  }));
}

/**
 * Tests passed, failed (errors, as a test cancelled, count as failures) and skipped (ignored: never counted as
 * passed). A report that cannot be read counts as one failure.
 */
export function junitCounts(xml: string): { passed: number; failed: number; skipped: number } {
  const m = /<testsuites[^>]*>/.exec(xml);
  const tests = m ? attribute(m[0], "tests") : "";
  if (!m || !/^\d+$/.test(tests)) return { passed: 0, failed: 1, skipped: 0 };
  const failed = Number(attribute(m[0], "failures") || 0) + Number(attribute(m[0], "errors") || 0);
  const skipped = junitSkipped(xml).length;
  return { passed: Number(tests) - failed - skipped, failed, skipped };
}

/**
 * The failed test cases, in the report's order. A test whose only failure is its failed steps is left out: its
 * steps are listed themselves.
 */
export function junitFailures(xml: string): JunitFailure[] {
  const failures: JunitFailure[] = [];
  for (const { tag, body } of testCases(xml)) {
    const failure = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body);
    if (!failure) continue;
    const message = unescapeXml(failure[3] ?? "") || attribute(failure[0], "message");
    if (/^\d+ test steps? failed\.?$/.test(message.trim())) continue;
    failures.push({
      name: attribute(tag, "name"),
      file: attribute(tag, "classname"),
      line: attribute(tag, "line"),
      message,
    });
  }
  return failures;
}

/** The skipped (ignored) tests, by name, file and line. */
export function junitSkipped(xml: string): string[] {
  return testCases(xml).filter((c) => /<skipped\b/.test(c.body))
    .map((c) => `${attribute(c.tag, "name")} (${attribute(c.tag, "classname")}:${attribute(c.tag, "line")})`);
}
