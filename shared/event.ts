/** The NDJSON v1 event model: every object captrace emits with `--json`, as TypeScript types. See NDJSON.md. */

/** Version written in every event as `v`. */
export const SCHEMA_VERSION = 1 as const;

/** Which kernel hook produced the checks. */
export type ProbeKind = "tracepoint" | "kprobe";

/** Where the audit flags of a check come from: the kprobe argument, or the kernel caller seen on the tracepoint. */
export type OptsSource = "read" | "inferred";

/** The source location in the traced program that led to a check (issue C); null fields are unknown. */
export interface Site {
  /** Path of the executable the address belongs to. */
  binary: string;
  /** Link-time address (hex string, e.g. "0x1189") of the return address into the program. */
  address: string;
  function: string | null;
  file: string | null;
  line: number | null;
}

/** Emitted once, when the probes are attached and before the command starts. */
export interface ReadyEvent {
  v: 1;
  type: "ready";
  probe: ProbeKind;
  /** `uname -r` of the traced kernel. */
  kernel: string;
  /** bpftrace's own version string, e.g. "v0.17.0". */
  bpftrace: string;
  mode: "command" | "pid" | "system";
  /** Root pid of the traced tree (command and pid modes). */
  pid: number | null;
  /**
   * System mode with --cgroup: the traced cgroup's path from the cgroup v2 hierarchy's root ("/system.slice/x"),
   * else null. Added within v1: absent from earlier ready events.
   */
  cgroup: string | null;
  /** What the chosen probe cannot see, one sentence each. */
  limits: string[];
}

/** One capability check made by a traced task. */
export interface CheckEvent {
  v: 1;
  type: "check";
  /** Kernel monotonic timestamp in nanoseconds (bpftrace `nsecs`). */
  ts: number;
  /** Wall-clock time of the check, ISO 8601 (derived from ts). */
  time: string;
  /** Process id (tgid). */
  pid: number;
  /** Thread id. */
  tid: number;
  /** Parent process id (tgid of the real parent). */
  ppid: number;
  uid: number;
  euid: number;
  comm: string;
  /** Capability number, as the kernel numbers them. */
  cap: number;
  /** Lower-case name such as "cap_chown"; null for a number this version does not know. */
  cap_name: string | null;
  /** Return value of cap_capable: 0 or a negative errno. */
  ret: number;
  verdict: "allowed" | "denied";
  /** Symbolic errno for a denial, e.g. "EPERM"; null when allowed. */
  errno: string | null;
  /** Syscall number in progress; null outside a syscall (page fault, kernel thread). */
  syscall: number | null;
  syscall_name: string | null;
  /**
   * The table `syscall` is a number of: "x86_64", or "i386" for a 32-bit call (a 32-bit program's, or `int 0x80`);
   * null with `syscall`. Added within v1: absent from earlier checks.
   */
  syscall_abi: "x86_64" | "i386" | "x32" | null;
  /** The kernel's CAP_OPT_* bits for this check (2 = NOAUDIT, 4 = INSETID). */
  opts: number;
  /** True when the check would be audited (not a probing CAP_OPT_NOAUDIT check). */
  audit: boolean;
  insetid: boolean;
  opts_source: OptsSource;
  /** User namespace inode of the task's credentials. */
  userns: number | null;
  /** User namespace inode the capability was checked against. */
  target_userns: number | null;
  /** Where in the program the check came from; null when unknown (see site_reason). */
  site: Site | null;
  /** Why `site` is null or has no line (e.g. "no debug info (build with -g)"); null when known or not asked for. */
  site_reason: string | null;
  /** For interpreters (python, node, sh): the script path from argv, when known. */
  script: string | null;
}

/** A process of the traced tree called execve successfully. */
export interface ExecEvent {
  v: 1;
  type: "exec";
  ts: number;
  pid: number;
  ppid: number;
  comm: string;
  filename: string;
}

/** A process of the traced tree exited (its last thread). */
export interface ExitEvent {
  v: 1;
  type: "exit";
  ts: number;
  pid: number;
  /** Exit status when it exited normally, else null. */
  code: number | null;
  /** Signal number that killed it, else null. */
  signal: number | null;
  /** Killed by a signal that dumped a core, which it did. Added within v1: absent from earlier exit events. */
  core_dumped: boolean;
  /** True for the root of the traced tree. */
  root: boolean;
}

/** The tracer reported events it could not deliver. */
export interface LostEvent {
  v: 1;
  type: "lost";
  count: number;
}

/** Per-capability counts, exact (aggregated in the kernel). */
export interface CapabilitySummary {
  cap: number;
  cap_name: string | null;
  checks: number;
  allowed: number;
  denied: number;
  audited: number;
  noaudit: number;
  syscalls: string[];
  pids: number[];
}

/** The minimal capability set, ready to paste in several formats. */
export interface Recommendation {
  /** Capability names, upper case as in capabilities(7), e.g. "CAP_CHOWN". */
  capabilities: string[];
  /**
   * Narrow capabilities recommended instead of a broad one (CAP_SYS_ADMIN, CAP_DAC_OVERRIDE), with the reason.
   * `fallback_only` (added within v1, absent before it): every audited check of `cap` was one the kernel fell back
   * from to `instead_of`, so granting that one instead would do as well (a `--baseline` listing it passes).
   */
  narrowed: { cap: string; instead_of: string; reason: string; fallback_only?: boolean }[];
  /**
   * One line per program whose processes made audited checks (the root program first): `setcap CAPS+ep PATH`, or
   * a `#` comment for a script (the kernel ignores file capabilities on scripts), an interpreter (they would
   * reach every script it runs) or a file of another mount namespace (the line to run there); `setcap -r PATH` when
   * nothing is needed (a comment when the file has no file capabilities to remove).
   */
  setcap: string;
  /**
   * Each program (the file a process executed, or its parent's for a fork) and the capabilities its checks asked for.
   * `mount_ns` is null for a file of captrace's own file system; for one in another mount namespace (a container's),
   * that namespace's inode number, `path` then being the file's path there (absent from summaries before it).
   */
  programs: {
    path: string;
    /**
     * False when `path` is only the name the program was run by (relative, one of its process's own files, or in a
     * root captrace could not look into); absent from summaries before it.
     */
    placed?: boolean;
    /**
     * True when the file no longer existed at the trace's end (deleted, as `go run` deletes the program it built): no
     * setcap line names it. Present only then; added within v1.
     */
    deleted?: true;
    mount_ns?: number | null;
    script: boolean;
    interpreter: boolean;
    capabilities: string[];
  }[];
  systemd: string;
  docker: string;
  compose: string;
  kubernetes: string;
  note: string;
}

/** How complete the trace was. */
export interface Totals {
  /** Checks made by the traced tasks, counted in the kernel. */
  seen: number;
  /** Checks printed live. */
  shown: number;
  /** Checks deliberately not printed (no-audit, --unique repeats); the launcher's, before the command's exec, are in no count. */
  hidden: number;
  /** Events the tracer reported lost. */
  lost: number;
  /** Tracer lines that could not be parsed. */
  malformed: number;
  /** Checks counted but missing from the per-capability counts: the kernel's map of keys was full. */
  unsummarized: number;
}

/** Written once at the end with --summary or --json. */
export interface SummaryEvent {
  v: 1;
  type: "summary";
  capabilities: CapabilitySummary[];
  recommendation: Recommendation;
  totals: Totals;
  probe: ProbeKind;
  limits: string[];
}

/** A fatal or non-fatal problem, one sentence plus a hint. */
export interface ErrorEvent {
  v: 1;
  type: "error";
  message: string;
  hint: string | null;
  /** The exit code captrace ends with when fatal, else null. */
  exit_code: number | null;
}

/** Any event of the v1 schema. */
export type Event =
  | ReadyEvent
  | CheckEvent
  | ExecEvent
  | ExitEvent
  | LostEvent
  | SummaryEvent
  | ErrorEvent;

/**
 * Fields added within v1, per event type, and what their absence means: events written before a field existed have
 * none, and a reader takes this value for it.
 */
export const ADDED_WITHIN_V1: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  ready: { cgroup: null },
  check: { syscall_abi: null },
  exit: { core_dumped: false },
};
