/** The Linux capability table: numbers, names and documentation links. */

/** Capability names indexed by number, as in linux/capability.h (lower case, as libcap prints them). */
export const CAPABILITY_NAMES: readonly string[] = [
  "cap_chown",
  "cap_dac_override",
  "cap_dac_read_search",
  "cap_fowner",
  "cap_fsetid",
  "cap_kill",
  "cap_setgid",
  "cap_setuid",
  "cap_setpcap",
  "cap_linux_immutable",
  "cap_net_bind_service",
  "cap_net_broadcast",
  "cap_net_admin",
  "cap_net_raw",
  "cap_ipc_lock",
  "cap_ipc_owner",
  "cap_sys_module",
  "cap_sys_rawio",
  "cap_sys_chroot",
  "cap_sys_ptrace",
  "cap_sys_pacct",
  "cap_sys_admin",
  "cap_sys_boot",
  "cap_sys_nice",
  "cap_sys_resource",
  "cap_sys_time",
  "cap_sys_tty_config",
  "cap_mknod",
  "cap_lease",
  "cap_audit_write",
  "cap_audit_control",
  "cap_setfcap",
  "cap_mac_override",
  "cap_mac_admin",
  "cap_syslog",
  "cap_wake_alarm",
  "cap_block_suspend",
  "cap_audit_read",
  "cap_perfmon",
  "cap_bpf",
  "cap_checkpoint_restore",
];

// The capabilities captrace's rules name, by number (capabilities_test.ts checks them against CAPABILITY_NAMES).
export const CAP_DAC_OVERRIDE = 1;
export const CAP_DAC_READ_SEARCH = 2;
export const CAP_FOWNER = 3;
export const CAP_FSETID = 4;
export const CAP_KILL = 5;
export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
/** CAP_SYS_ADMIN, the catch-all that narrow capabilities were split from. */
export const CAP_SYS_ADMIN = 21;
export const CAP_PERFMON = 38;
export const CAP_BPF = 39;
export const CAP_CHECKPOINT_RESTORE = 40;
/**
 * Narrow capabilities the kernel tries first, and the broad one it falls back to when they are refused, in the same
 * syscall with no check between: CAP_PERFMON, CAP_BPF and CAP_CHECKPOINT_RESTORE before CAP_SYS_ADMIN; for a read or
 * a search, which either allows, CAP_DAC_READ_SEARCH before CAP_DAC_OVERRIDE (generic_permission); and for a file's
 * times set to now (touch), CAP_FOWNER, as if the owner, before CAP_DAC_OVERRIDE, as if writable (may_setattr), in
 * the calls of FALLBACK_CALLS only. Granting the narrow one is enough.
 *
 * Nothing marks where a syscall ends: a refused narrow check and the thread's next check, of the broad capability,
 * in a later call of the same syscall are taken for a pair too. The first four end a call refused without their
 * fallback only in rare calls (CAP_DAC_READ_SEARCH alone refuses open_by_handle_at, and linkat of an open file, whose
 * next call could ask for CAP_DAC_OVERRIDE first); CAP_FOWNER does in common ones (chmod, O_NOATIME), so only calls
 * where a CAP_DAC_OVERRIDE check never comes first pair it. CAP_NET_RAW before CAP_NET_ADMIN (SO_MARK) is left out
 * for the same reason: setsockopt refuses SO_BINDTODEVICE on CAP_NET_RAW alone, and SO_RCVBUFFORCE asks for
 * CAP_NET_ADMIN first.
 */
export const FALLBACK_OF: ReadonlyMap<number, number> = new Map([
  [CAP_PERFMON, CAP_SYS_ADMIN],
  [CAP_BPF, CAP_SYS_ADMIN],
  [CAP_CHECKPOINT_RESTORE, CAP_SYS_ADMIN],
  [CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE],
  [CAP_FOWNER, CAP_DAC_OVERRIDE],
]);
/**
 * The syscalls (by name, of the x86_64 and i386 tables) to which a pair of FALLBACK_OF is limited, by its narrow
 * capability: the utime calls, in which a path's directories ask for CAP_DAC_READ_SEARCH before CAP_DAC_OVERRIDE and
 * the file itself for CAP_FOWNER before it. Where the syscall is not known (another architecture), no pair is made.
 */
export const FALLBACK_CALLS: ReadonlyMap<number, readonly string[]> = new Map([
  [CAP_FOWNER, ["utime", "utimes", "futimesat", "utimensat", "utimensat_time64"]],
]);
/**
 * The syscalls (by name, of the x86_64 and i386 tables) in which CAP_DAC_READ_SEARCH may be asked for on its own:
 * opening a file by handle, linking an open file, and ioctl (btrfs's INO_PATHS). Elsewhere it is a file's read or a
 * directory's search permission (generic_permission), which CAP_DAC_OVERRIDE grants too.
 */
export const READ_SEARCH_OWN_CALLS: readonly string[] = ["open_by_handle_at", "linkat", "ioctl"];
/**
 * The chmod calls, which ask for CAP_FSETID of every caller outside the file's group, whatever mode it asks for
 * (setattr_prepare): refused, the kernel only clears the set-group-ID bit of the mode, and the call succeeds.
 */
export const FSETID_CHMOD_CALLS: readonly string[] = ["chmod", "fchmod", "fchmodat", "fchmodat2"];
/** The capabilities FALLBACK_OF falls back to. */
export const BROAD: ReadonlySet<number> = new Set(FALLBACK_OF.values());

/**
 * The lower-case name of a capability number, or null for a number this table does not know.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capName } from "./capabilities.ts";
 * assert(capName(13) === "cap_net_raw");
 * assert(capName(99) === null);
 * ```
 */
export function capName(cap: number): string | null {
  return CAPABILITY_NAMES[cap] ?? null;
}

/** The name to print: the known name, or the number itself for a capability from a newer kernel. */
export function capLabel(cap: number): string {
  return capName(cap) ?? String(cap);
}

/** Upper-case name as systemd, docker and capabilities(7) spell it, e.g. "CAP_CHOWN"; "CAP_<n>" when unknown. */
export function capConstant(cap: number): string {
  return (capName(cap) ?? `cap_${cap}`).toUpperCase();
}

/** Parse a capability given by name ("cap_chown", "CAP_CHOWN", "chown") or number; null when unknown. */
export function parseCap(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t);
  const name = t.startsWith("cap_") ? t : `cap_${t}`;
  const i = CAPABILITY_NAMES.indexOf(name);
  return i < 0 ? null : i;
}

/** The man page that documents every capability. */
export const CAPABILITIES_DOC_URL = "https://man7.org/linux/man-pages/man7/capabilities.7.html";
