/**
 * captrace's pure core: the bpftrace program, parsing its output, correlating records into v1 events, and turning
 * events into text, summaries and recommendations. No I/O; the CLI and the VS Code extension build on it.
 *
 * @module
 */

export * from "./event.ts";
export * from "./exit_code.ts";
export * from "./capabilities.ts";
export * from "./syscalls.ts";
export * from "./errno.ts";
export * from "./signals.ts";
export * from "./audit.ts";
export * from "./btf.ts";
export * from "./kernel_offsets.ts";
export * from "./probe_choice.ts";
export * from "./program.ts";
export * from "./line_splitter.ts";
export * from "./parse_line.ts";
export * from "./correlator.ts";
export * from "./format_text.ts";
export * from "./summary.ts";
export * from "./recommend.ts";
export * from "./baseline.ts";
export * from "./validate_event.ts";
export * from "./elf_layout.ts";
export * from "./site_address.ts";
export * from "./addr2line.ts";
export * from "./interpreter.ts";
