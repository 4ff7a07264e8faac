/** Recognizes script interpreters and finds the script a process runs from its argv or a `#!` line. */

import { basename } from "node:path";

const INTERPRETERS =
  /^(?:python|pypy|node|nodejs|bun|deno|java|sh|bash|dash|ash|zsh|ksh|mksh|fish|perl|ruby|php|lua|luajit|tclsh|wish|Rscript|gawk|mawk|awk)(?:[\d.]*)$/;

/** Per interpreter family, options after which there is no script file (inline code, a module, stdin). */
const NO_SCRIPT: [RegExp, Set<string>][] = [
  [/^(?:sh|bash|dash|ash|zsh|ksh|mksh|fish)/, new Set(["-c", "-s", "-"])],
  [/^(?:python|pypy)/, new Set(["-c", "-m", "-"])],
  [/^(?:node|nodejs|bun)/, new Set(["-e", "-p", "--eval", "--print", "-"])],
  [/^(?:perl|ruby|lua|luajit)/, new Set(["-e", "-E", "-"])],
  [/^php/, new Set(["-r", "-"])],
  // Subcommands that run no script of the user's (`deno run` and the like are read past: see SUBCOMMANDS).
  [
    /^deno/,
    new Set([
      ..."add approve-scripts bundle cache check clean compile completions coverage deploy doc eval fmt help info init"
        .split(" "),
      ..."install jupyter lint lsp outdated publish remove repl task types uninstall update upgrade x -".split(" "),
    ]),
  ],
  [/^java/, new Set(["-m", "--module", "-version", "--version", "-h", "--help"])],
];
/** Per interpreter family, options that take the argument after them (which is not the script). */
const TAKES_VALUE: [RegExp, Set<string>][] = [
  // set -o / shopt -O.
  [/^(?:sh|bash|dash|ash|zsh|ksh|mksh|fish)/, new Set(["-o", "+o", "-O", "+O"])],
  // Warnings, implementation options; -O and -I are flags.
  [/^(?:python|pypy)/, new Set(["-W", "-X", "--check-hash-based-pycs"])],
  [/^(?:node|nodejs|bun)/, new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "-C"])],
  // An include directory, a library or a directory to run in, given apart.
  [/^perl/, new Set(["-I"])],
  [/^ruby/, new Set(["-I", "-r", "-C"])],
  [/^(?:lua|luajit)/, new Set(["-l"])],
  [/^php/, new Set(["-c", "-d"])],
  [
    /^deno/,
    new Set([
      ..."-c --config --import-map --location --seed --cert --ext -L --log-level --port --host --preload --require"
        .split(" "),
      ..."--conditions --node-modules-linker --min-dep-age --inspect-publish-uid --filter --reporter --junit-path"
        .split(" "),
    ]),
  ],
  [
    /^java/,
    new Set([
      ..."-cp -classpath --class-path -p --module-path --upgrade-module-path --add-modules --limit-modules".split(" "),
      ..."--add-opens --add-exports --add-reads --patch-module --enable-native-access --source".split(" "),
    ]),
  ],
];
/** Per interpreter family, the option whose value is the script (awk's program file, java's jar). */
const SCRIPT_AFTER: [RegExp, string][] = [[/awk$/, "-f"], [/^java/, "-jar"]];
/** Per interpreter family, subcommands that come before the script (`deno run app.ts`). */
const SUBCOMMANDS: [RegExp, Set<string>][] = [[/^deno/, new Set(["run", "serve", "test", "bench"])]];
/**
 * Per interpreter family, which first operand is a script file: awk's is the program text itself, java's a class name
 * unless it is a source file (`java Hello.java`).
 */
const OPERAND_IS_SCRIPT: [RegExp, (operand: string) => boolean][] = [
  [/awk$/, () => false],
  [/^java/, (a) => a.endsWith(".java")],
];

/**
 * The interpreter's base name when `path` is a known script interpreter (python3.11, node, deno, java, sh, bash,
 * perl…), else null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpreterName } from "./interpreter.ts";
 * assert(interpreterName("/usr/bin/python3.11") === "python3.11");
 * assert(interpreterName("/usr/bin/chown") === null);
 * ```
 */
export function interpreterName(path: string): string | null {
  const base = basename(path);
  return INTERPRETERS.test(base) ? base : null;
}

/**
 * The script an interpreter runs, from its argv (argv[0] is the interpreter): the first argument that is not
 * an option. Null when it runs code given inline (`-c`, `-e`), a module (`-m`) or standard input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scriptFromArgv } from "./interpreter.ts";
 * assert(scriptFromArgv(["python3", "-u", "app.py", "--port", "80"]) === "app.py");
 * assert(scriptFromArgv(["sh", "-c", "chown 0 f"]) === null);
 * ```
 */
export function scriptFromArgv(argv: readonly string[]): string | null {
  const name = interpreterName(argv[0] ?? "") ?? "";
  const of = <T>(table: [RegExp, T][]) => table.find(([re]) => re.test(name))?.[1];
  const noScript = of(NO_SCRIPT) ?? new Set(["-"]);
  const takesValue = of(TAKES_VALUE) ?? new Set();
  const scriptAfter = of(SCRIPT_AFTER);
  let subcommands = of(SUBCOMMANDS);
  // java --source N runs a source file, whatever its name.
  const isScript = /^java/.test(name) && argv.includes("--source") ? () => true : of(OPERAND_IS_SCRIPT) ?? (() => true);
  const shell = NO_SCRIPT[0]![0].test(name);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return argv[i + 1] ?? null;
    if (a === scriptAfter) return argv[i + 1] ?? null;
    if (noScript.has(a)) return null;
    if (takesValue.has(a)) {
      i++;
      continue;
    }
    // java's @argfile holds options (read from the file: a -jar in it is not seen).
    if (a.startsWith("-") || a.startsWith("+") || (a.startsWith("@") && /^java/.test(name))) {
      // A shell's bundled short options such as `-ec` end in the inline-code flag too.
      if (shell && /^-[a-zA-Z]*c$/.test(a)) return null;
      continue;
    }
    // Only the first operand may be a subcommand.
    if (subcommands?.has(a)) {
      subcommands = undefined;
      continue;
    }
    return isScript(a) ? a : null;
  }
  return null;
}

/**
 * The interpreter command of a `#!` line (the file's first line), as words; null when it is no `#!` line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShebang } from "./interpreter.ts";
 * assert(parseShebang("#!/usr/bin/env python3\n")?.join(" ") === "/usr/bin/env python3");
 * ```
 */
export function parseShebang(firstLine: string): string[] | null {
  if (!firstLine.startsWith("#!")) return null;
  const words = firstLine.slice(2).split("\n")[0]!.trim().split(/[ \t]+/).filter((w) => w !== "");
  return words.length > 0 ? words : null;
}

/** env(1)'s options that take the next word as their value. */
const _ENV_VALUED = new Set(["-u", "--unset", "-C", "--chdir", "-P", "-a", "--argv0"]);

/**
 * The command env(1) runs, given env's words from a `#!` line (`#!/usr/bin/env -S python3 -u`: `-S python3 -u`):
 * the first word that is no option, option's value or variable setting; null when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { envCommand } from "./interpreter.ts";
 * assert(envCommand(["-S", "LC_ALL=C", "python3", "-u"]) === "python3");
 * assert(envCommand(["-u", "HOME", "node"]) === "node");
 * assert(envCommand(["-i"]) === null);
 * ```
 */
export function envCommand(words: readonly string[]): string | null {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") return words[i + 1] ?? null;
    if (_ENV_VALUED.has(w)) i++;
    else if (!w.startsWith("-") && !/^[^=]+=/.test(w)) return w;
  }
  return null;
}

/**
 * The interpreter the kernel runs for a file beginning with `head`, as binfmt_script reads it: the `#!` line's first
 * word, ended by a space, a tab, a NUL or the end of the line only (a carriage return is part of it); null when the
 * file has no `#!` line or it names nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shebangInterpreter } from "./interpreter.ts";
 * assert(shebangInterpreter("#! /bin/sh -e\n") === "/bin/sh");
 * assert(shebangInterpreter("#!/bin/bash\r\necho\r\n") === "/bin/bash\r");
 * ```
 */
export function shebangInterpreter(head: string): string | null {
  if (!head.startsWith("#!")) return null;
  const word = head.slice(2).split("\n")[0]!.replace(/^[ \t]+/, "").split(/[ \t\0]/)[0]!;
  return word === "" ? null : word;
}
