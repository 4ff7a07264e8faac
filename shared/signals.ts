/** Linux signal names by number (x86_64 and the generic numbering agree on 1–31). */

const NAMES = [
  "",
  "SIGHUP",
  "SIGINT",
  "SIGQUIT",
  "SIGILL",
  "SIGTRAP",
  "SIGABRT",
  "SIGBUS",
  "SIGFPE",
  "SIGKILL",
  "SIGUSR1",
  "SIGSEGV",
  "SIGUSR2",
  "SIGPIPE",
  "SIGALRM",
  "SIGTERM",
  "SIGSTKFLT",
  "SIGCHLD",
  "SIGCONT",
  "SIGSTOP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGXCPU",
  "SIGXFSZ",
  "SIGVTALRM",
  "SIGPROF",
  "SIGWINCH",
  "SIGIO",
  "SIGPWR",
  "SIGSYS",
];

/** "SIGKILL" for 9; "SIG<n>" for real-time and unknown numbers. */
export function signalName(n: number): string {
  return NAMES[n] || `SIG${n}`;
}

/** The number of a signal name such as "SIGTERM", or null. */
export function signalNumber(name: string): number | null {
  const i = NAMES.indexOf(name);
  return i > 0 ? i : null;
}
