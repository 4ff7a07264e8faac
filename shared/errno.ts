/** Errno names and texts for the values cap_capable can return. */

// Texts as Go's syscall.Errno prints them, which the original captrace's lines carry.
const ERRNOS: Record<number, [string, string]> = {
  1: ["EPERM", "operation not permitted"],
  2: ["ENOENT", "no such file or directory"],
  12: ["ENOMEM", "cannot allocate memory"],
  13: ["EACCES", "permission denied"],
  14: ["EFAULT", "bad address"],
  22: ["EINVAL", "invalid argument"],
};

/** Symbolic name of a positive errno, e.g. "EPERM"; "E<n>" when unknown. */
export function errnoName(errno: number): string {
  return ERRNOS[errno]?.[0] ?? `E${errno}`;
}

/** Lower-case text of a positive errno as the original captrace printed it; "errno <n>" when unknown. */
export function errnoText(errno: number): string {
  return ERRNOS[errno]?.[1] ?? `errno ${errno}`;
}
