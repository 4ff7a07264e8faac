/** Finds the captrace executable: the setting first, then a copy bundled in the extension, then PATH. */

/** Where the executable was found. */
export type BinarySource = "setting" | "bundled" | "path";

/** A found executable, or what was searched when none was. */
export type LookupResult =
  | { path: string; source: BinarySource }
  | { path: null; message: string; searched: string[] };

/** What the lookup needs from the outside world, so it stays testable. */
export interface LookupInput {
  /** The `captrace.path` setting; empty means unset. */
  setting: string;
  /** Candidate paths of a bundled copy (e.g. `<extension>/bin/captrace`). */
  bundled: readonly string[];
  /** The PATH environment variable. */
  pathEnv: string;
  /** Whether a path is an executable file. */
  isExecutable: (path: string) => boolean;
  /** Name to look for on PATH. */
  name?: string;
}

/**
 * Looks in order and stops at the first executable; a set but wrong setting is an error, not a silent fallback.
 *
 * @example
 * ```ts
 * import { findBinary } from "./binary_lookup.ts";
 * const r = findBinary({ setting: "", bundled: [], pathEnv: "/a:/b", isExecutable: (p) => p === "/b/captrace" });
 * if (r.path !== "/b/captrace") throw new Error("unexpected");
 * ```
 */
export function findBinary(input: LookupInput): LookupResult {
  const setting = input.setting.trim();
  if (setting !== "") {
    if (input.isExecutable(setting)) {
      return { path: setting, source: "setting" };
    }
    return {
      path: null,
      message: `The captrace.path setting points to ${setting}, which is not an executable file.`,
      searched: [setting],
    };
  }
  const searched: string[] = [];
  for (const candidate of input.bundled) {
    searched.push(candidate);
    if (input.isExecutable(candidate)) {
      return { path: candidate, source: "bundled" };
    }
  }
  const name = input.name ?? "captrace";
  for (const dir of input.pathEnv.split(":")) {
    if (dir === "" || !dir.startsWith("/")) continue; // relative PATH entries would depend on the cwd
    const candidate = `${dir.replace(/\/$/, "")}/${name}`;
    searched.push(candidate);
    if (input.isExecutable(candidate)) {
      return { path: candidate, source: "path" };
    }
  }
  return {
    path: null,
    message: "captrace was not found: set captrace.path (in a remote window, in the Remote settings), or put " +
      "captrace on PATH.",
    searched,
  };
}
