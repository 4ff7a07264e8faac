/** The label and description of each tree row, from the model (pure, so it is unit-tested without VS Code). */

import { basename } from "node:path";
import { endedByStop } from "./end_notice.ts";
import { printable } from "../../shared/format_text.ts";
import { signalName } from "../../shared/signals.ts";
import { programCounts } from "./process_groups.ts";
import type { SessionNode, TreeNode } from "./trace_model.ts";

/**
 * What the tree shows for a node; pure, so the mocha suite can compare labels. `session`, the node's, tells a process
 * whose exit was not seen in an ended trace (it outlived the trace's root) from one still running.
 */
export function nodeLabel(
  node: TreeNode,
  session?: SessionNode,
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
    case "program": {
      const { allowed, denied } = programCounts(node);
      return {
        label: printable(node.name),
        description: `${node.processes.length} processes · ${allowed} allowed, ${denied} denied`,
      };
    }
    case "process": {
      // As the CLI's `+++ 42 killed by SIGSEGV (core dumped) +++`.
      const ended = session !== undefined && (session.state === "exited" || session.state === "failed");
      const description = node.exit === null
        ? (ended ? "running at the trace's end" : "")
        : node.exit.signal !== null
        ? `killed by ${signalName(node.exit.signal)}${node.exit.coreDumped ? " (core dumped)" : ""}`
        : `exited ${node.exit.code}`;
      // A comm is the process's bytes: control characters and bytes that were not UTF-8 as the CLI shows them.
      return { label: `${printable(node.comm)} (${node.pid})`, description };
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
        ? `${node.function ?? "?"} ${basename(node.file)}:${node.line ?? "?"}`
        : node.function !== null
        ? `${node.function} (${basename(node.binary ?? "?")})`
        : node.script !== null
        ? basename(node.script)
        : "unknown site";
      const count = node.allowed + node.denied;
      return {
        label: where,
        description: `${node.syscall ?? "no syscall"} ×${count}`,
      };
    }
  }
}
