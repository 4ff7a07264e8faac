/** The label and description of each tree row, from the model (pure, so it is unit-tested without VS Code). */

import { endedByStop } from "./end_notice.ts";
import type { TreeNode } from "./trace_model.ts";

/** What the tree shows for a node; pure, so the mocha suite can compare labels. */
export function nodeLabel(
  node: TreeNode,
): { label: string; description: string } {
  switch (node.kind) {
    case "session": {
      // Stopped by the user: an end of the stop's, not of the program's own.
      const ended = node.signal !== null ? `killed by ${node.signal}` : `exited ${node.exitCode ?? "?"}`;
      const byStop = endedByStop(node.exitCode, node.signal);
      const state = node.state === "exited" && node.stopped && byStop
        ? "stopped"
        : node.state === "exited" && node.stopped
        ? `stopped, ${ended}`
        : node.state === "exited" && node.errors.length > 0
        ? `error, ${ended}` // the trace failed while running: not the program's status
        : node.state === "exited"
        ? ended
        : node.state === "failed" && node.stopped
        ? "stopped before it started"
        : node.state === "failed"
        ? "failed"
        : node.state;
      const lost = node.lost > 0 ? `, ${node.lost} lost` : "";
      return {
        label: node.label,
        description: `${state} · ${node.allowed} allowed, ${node.denied} denied${lost}`,
      };
    }
    case "process": {
      const exit = node.exit === null
        ? ""
        : node.exit.signal !== null
        ? ` · killed by signal ${node.exit.signal}`
        : ` · exited ${node.exit.code}`;
      return {
        label: `${node.comm} (${node.pid})`,
        description: exit.slice(3),
      };
    }
    case "capability": {
      const ns = node.namespaces.size > 0 ? ` · userns ${[...node.namespaces].join(", ")}` : "";
      return {
        label: node.name,
        description: `${node.allowed} allowed, ${node.denied} denied${ns}`,
      };
    }
    case "site": {
      const where = node.file !== null
        ? `${node.function ?? "?"} ${_basename(node.file)}:${node.line ?? "?"}`
        : node.function !== null
        ? `${node.function} (${_basename(node.binary ?? "?")})`
        : node.script !== null
        ? _basename(node.script)
        : "unknown site";
      const count = node.allowed + node.denied;
      return {
        label: where,
        description: `${node.syscall ?? "no syscall"} ×${count}`,
      };
    }
  }
}

function _basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}
