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

/** Tests run and failed (errors count as failures); a report that cannot be read counts as one failure. */
export function junitCounts(xml: string): { passed: number; failed: number } {
  const m = /<testsuites[^>]*>/.exec(xml);
  const tests = m ? attribute(m[0], "tests") : "";
  if (!m || !/^\d+$/.test(tests)) return { passed: 0, failed: 1 };
  const failed = Number(attribute(m[0], "failures") || 0) + Number(attribute(m[0], "errors") || 0);
  return { passed: Number(tests) - failed, failed };
}

/**
 * The failed test cases, in the report's order. A test whose only failure is its failed steps is left out: its
 * steps are listed themselves.
 */
export function junitFailures(xml: string): JunitFailure[] {
  const failures: JunitFailure[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*)>([\s\S]*?)<\/testcase>/g)) {
    const failure = /<(failure|error)\b([^>]*)>([\s\S]*?)<\/\1>/.exec(m[2]!);
    if (!failure) continue;
    const message = unescapeXml(failure[3]!) || attribute(failure[0], "message");
    if (/^\d+ test steps? failed\.?$/.test(message.trim())) continue;
    failures.push({
      name: attribute(m[0], "name"),
      file: attribute(m[0], "classname"),
      line: attribute(m[0], "line"),
      message,
    });
  }
  return failures;
}
