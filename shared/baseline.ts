/** Baselines for CI: the capabilities a program is known to need, and what a new run needs beyond them. */

import { CAPABILITY_NAMES, capConstant, parseCap } from "./capabilities.ts";
import { capSets, parseCapClause } from "./cap_text.ts";

/**
 * Capability names (upper case) from a baseline file: a `--json` trace (its summary line), a summary object, a
 * text trace with its summary (`-c`: its recommendation line), or a plain list of names separated by spaces, commas or
 * new lines (`#` starts a comment; the capabilities named in the comments of captrace's setcap section count, and its
 * setcap and systemd sections' headings are passed over). A line may also be a setcap line (`setcap
 * cap_chown,cap_net_raw+ep /usr/bin/tool`, as captrace prints them, or with its capabilities quoted; `setcap -r PATH`
 * lists none) or getcap's (`/usr/bin/ping cap_net_raw=ep`, or older libcap's `/usr/bin/ping = cap_net_raw+ep`): the path
 * and the sets after `+` or `=` are passed over; or a systemd unit's `CapabilityBoundingSet=` or `AmbientCapabilities=`
 * line. A line may hold several setcap commands, separated by `;` or `&&`.
 * Throws a SyntaxError naming the first word that is no capability.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBaseline } from "./baseline.ts";
 * assert(parseBaseline("cap_chown, CAP_NET_RAW").join() === "CAP_CHOWN,CAP_NET_RAW");
 * assert(parseBaseline("/usr/bin/ping cap_net_raw=ep").join() === "CAP_NET_RAW");
 * ```
 */
export function parseBaseline(text: string): string[] {
  const trimmed = text.trim();
  // JSON: a trace of --json (with the program's own output before it, as `--json 2> file` gives), or a summary.
  // captrace's own text trace with its summary (-c): what its last recommendation line names. First: the program's
  // own lines in it may be JSON (a service that logs JSON).
  const said = [...trimmed.matchAll(/^Recommendation: (.*)$/gm)].at(-1)?.[1];
  if (said !== undefined && /^capability +checks +allowed +denied/m.test(trimmed)) {
    return said === "no capabilities needed." ? [] : said.split(" ").filter(Boolean);
  }
  if (trimmed.split("\n").some((l) => l.trimStart().startsWith("{"))) {
    // The whole text (a pretty-printed summary object), else the last summary line of an NDJSON trace.
    for (const candidate of [trimmed, ...trimmed.split("\n").reverse()]) {
      const obj = _object(candidate);
      const caps = obj?.recommendation?.capabilities;
      if (obj?.type === "summary" && Array.isArray(caps)) return caps.map(_capName);
    }
    throw new SyntaxError("The baseline JSON has no summary event (make it with --json)");
  }
  // captrace's text trace without its summary: its lines are no list of capabilities.
  if (/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d .* opt=\d+ "[^"]*" -> -?\d+/m.test(trimmed)) {
    throw new SyntaxError("The baseline is a text trace without its summary (make it with -c, or with --json)");
  }
  const out: string[] = [];
  // A line may hold several setcap commands (`setcap A /a; setcap B /b`): split where the next one starts, never in
  // a path (`setcap A '/opt/R&&D/x'`, getcap's `/opt/a;b cap_chown=ep`).
  const commands = (l: string) => _uncomment(l).split(/\s*(?:;|&&)\s*(?=(?:sudo\s+)?setcap\s)/);
  for (const raw of trimmed.split("\n").flatMap(commands)) {
    // The headings of captrace's setcap and systemd sections, pasted with them.
    if (/^(?:setcap|systemd unit \(\[Service\]\)):$/.test(raw.trim())) continue;
    for (const word of _words(raw.trim())) {
      // `cap_net_raw+ep`, `cap_chown,cap_kill=eip`: the capabilities it puts in a set; `=ep` or `all=ep`: every one
      // (setcap's and getcap's text for all of them); older getcap's lone `=` (`PATH = CAPS`) puts none. Else a list,
      // its names separated by commas (`cap_chown,`), or clauses so joined.
      for (const part of parseCapClause(word) !== null ? [word] : word.split(",").map(_unquoteLoose).filter(Boolean)) {
        const clause = parseCapClause(part);
        if (clause !== null) {
          if (clause.ops.some((o) => o.op === "-")) {
            throw new SyntaxError(`'${part}' takes capabilities away: a baseline lists those given`);
          }
          for (const [cap, sets] of capSets([clause])) if (sets.size > 0) out.push(capConstant(cap));
          continue;
        }
        if (/^all$/i.test(part)) {
          out.push(...CAPABILITY_NAMES.map((_, cap) => capConstant(cap)));
          continue;
        }
        const cap = parseCap(part);
        if (cap === null) throw new SyntaxError(`'${part}' is not a capability name`);
        out.push(capConstant(cap));
      }
    }
  }
  return out;
}

/** A capability of a JSON summary's recommendation, as captrace writes them (CAP_CHOWN, CAP_41); else a SyntaxError. */
function _capName(word: unknown): string {
  const number = typeof word === "string" ? /^CAP_(\d+)$/i.exec(word) : null;
  const cap = number ? Number(number[1]) : typeof word === "string" && /^CAP_\w+$/i.test(word) ? parseCap(word) : null;
  if (cap === null) {
    throw new SyntaxError(`${JSON.stringify(word)} in the summary's recommendation is not a capability name`);
  }
  return capConstant(cap);
}

/**
 * The capability words of one line of a list: a setcap line's, a getcap line's, a systemd unit's capability line's,
 * or the line's own.
 */
function _words(line: string): string[] {
  const split = (text: string) => text.split(/\s+/).map(_unquote).filter(Boolean);
  // A unit's CapabilityBoundingSet= or AmbientCapabilities= line, as captrace prints them; `~` lists those taken away.
  const unit = /^(CapabilityBoundingSet|AmbientCapabilities)=(.*)$/.exec(line);
  if (unit) {
    if (unit[2]!.startsWith("~")) throw new SyntaxError(`'${line}' lists the capabilities taken away, not those given`);
    return split(unit[2]!);
  }
  // setcap CAPS PATH (CAPS and the path perhaps quoted, with spaces: `setcap 'cap_chown,cap_kill+ep' /x`, `setcap
  // "cap_chown+ep cap_kill+p" /x`), perhaps run by sudo; setcap -r PATH removes them all.
  const setcap = /^(?:sudo\s+)?setcap\s+(?:-[qv]\s+)*('[^']*'|"[^"]*"|\S+)/.exec(line);
  if (setcap) return setcap[1] === "-r" ? [] : split(_unquote(setcap[1]!));
  // getcap: PATH CAPS, the path as given to getcap (relative too, perhaps with spaces) and the capability clauses,
  // which set something (`+` or `=`; `-` is refused), at the end.
  if (/[+=-]/.test(line)) {
    const words = line.split(/\s+/);
    let first = words.length;
    while (first > 0 && _capWord(words[first - 1]!)) first--;
    if (first < words.length) return split(words.slice(first).join(" "));
  }
  return split(line);
}

/**
 * A line without its comment. The comments of captrace's own setcap section name the capabilities of programs it
 * gives no plain setcap line for (a script, an interpreter, a file of a container's, one it could not find or name):
 * their command or list is kept, so that the section pasted into a file is a baseline of all it recommends. Other
 * comments are only comments.
 */
function _uncomment(line: string): string {
  const hash = line.indexOf("#");
  if (hash < 0) return line;
  const comment = line.slice(hash + 1);
  const there = /\(a container's files, not this system's\), run there: (setcap\s.*)$/.exec(comment);
  const grant =
    /[;:] grant (\S+) to (?:its service or container instead \(below\)|each program's file by its full path|that file by its full path)/
      .exec(comment);
  return `${line.slice(0, hash)} ${there?.[1] ?? grant?.[1] ?? ""}`.trim();
}

/** A list's item without the quotes it may have, whole or in part (`"CAP_CHOWN","CAP_KILL"` unquoted as one word). */
function _unquoteLoose(w: string): string {
  return w.replace(/^['"]+|['"]+$/g, "");
}

/** `w` without the quotes a shell line may have around it: 'cap_chown+ep'. */
function _unquote(w: string): string {
  return w.replace(/^(['"])(.*)\1$/, "$2");
}

/**
 * True for a word of capabilities: names (`cap_chown,cap_sys_nice`) with or without the sets they go in (`=ep`), or
 * the sets alone (`=ep`, `all=ep`); false for a path such as getcap's `cap_tool` (no capability, no sets) or `kill`
 * (`cd /usr/bin; getcap kill`): a name without sets counts only written as getcap writes it, with `cap_`.
 */
function _capWord(word: string): boolean {
  const w = _unquote(word);
  if (parseCapClause(w) !== null) return true;
  const bare = !/[+=-]/.test(w);
  const parts = w.split(",").filter(Boolean);
  return parts.length > 0 &&
    parts.every((part) => parseCapClause(part) !== null || (bare && /^cap_/i.test(part) && parseCap(part) !== null));
}

/** A JSON object, or null for anything else (other text mixed into a trace, a line cut short). */
function _object(text: string): { type?: unknown; recommendation?: { capabilities?: unknown } } | null {
  const t = text.trim();
  if (!t.startsWith("{")) return null;
  try {
    return JSON.parse(t);
  } catch {
    return null;
  }
}

/**
 * Capabilities needed now that the baseline does not list. A narrow capability whose every check the kernel fell
 * back from to a broad one (`narrowed`, `fallback_only`: CAP_PERFMON before CAP_SYS_ADMIN) is within a baseline that
 * lists the broad one, which the kernel would have granted those calls: the program needs no more than before. One
 * also checked on its own (CAP_FOWNER for a chmod, as well as before CAP_DAC_OVERRIDE for a touch) is not.
 */
export function compareBaseline(
  baseline: readonly string[],
  needed: readonly string[],
  narrowed: readonly { cap: string; instead_of: string; fallback_only?: boolean }[] = [],
): string[] {
  const known = new Set(baseline.map((c) => c.toUpperCase()));
  const broad = new Map(
    narrowed.filter((n) => n.fallback_only === true).map((n) => [n.cap.toUpperCase(), n.instead_of.toUpperCase()]),
  );
  return needed.filter((c) => !known.has(c.toUpperCase()) && !known.has(broad.get(c.toUpperCase()) ?? ""));
}
