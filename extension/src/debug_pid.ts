/** Where a debug session's process id comes from: the DAP `process` event, or an attach configuration. */

/** The pid a DAP message announces (`process` event with `systemProcessId`), or null for any other message. */
export function pidFromDapMessage(m: unknown): number | null {
  if (typeof m !== "object" || m === null) return null;
  const msg = m as {
    type?: unknown;
    event?: unknown;
    body?: { systemProcessId?: unknown };
  };
  if (msg.type !== "event" || msg.event !== "process") return null;
  const pid = msg.body?.systemProcessId;
  return typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** The pid an `attach` configuration names in `processId` (a number or a numeric string), else null. */
export function pidFromAttachConfig(
  config: { request?: unknown; processId?: unknown },
): number | null {
  if (config.request !== "attach") return null;
  const raw = config.processId;
  const pid = typeof raw === "string" && /^\d+$/.test(raw) ? Number(raw) : raw;
  return typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : null;
}
