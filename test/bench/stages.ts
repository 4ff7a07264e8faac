/**
 * The pipeline benchmark's stages, in one process, without captrace's start or its reads: the recorded stream is read
 * into memory first, then handed over in 64 KB chunks, as the CLI reads bpftrace's pipe, and taken as far as STAGE:
 * `lines` (split into lines, nothing done with them: the do-nothing reader of the CLI's own kind), `parse` (lines
 * into records), `correlate` (records into events) or `format` (checks written as text lines into a buffer, cleared
 * each chunk). Prints the milliseconds the stage took and how many lines, records or events it made, so that the
 * whole CLI's time can be told apart by stage.
 */

import { ByteBuffer } from "../../shared/byte_buffer.ts";
import { ByteLines } from "../../shared/byte_lines.ts";
import { Correlator, type Output } from "../../shared/correlator.ts";
import { writeCheck } from "../../shared/format_text.ts";
import { LineParser, MAX_LINE, type TraceRecord } from "../../shared/parse_line.ts";

/** How far a run takes the stream, each stage including those before it. */
export const STAGES = ["lines", "parse", "correlate", "format"] as const;
export type Stage = typeof STAGES[number];
/** The size of a full read of bpftrace's pipe. */
const CHUNK = 1 << 16;

/** Runs `stage` over the stream in `path`; returns its time in ms and the count of what it made. */
export async function runStage(path: string, stage: Stage): Promise<{ ms: number; count: number }> {
  const data = await Deno.readFile(path);
  const lines = new ByteLines(MAX_LINE);
  const parser = new LineParser();
  const correlator = new Correlator({ probe: "tracepoint", arch: "x86_64" });
  const out = new ByteBuffer();
  const recs: TraceRecord[] = [];
  const outs: Output[] = [];
  let count = 0;
  const countLine = () => count++;
  const t0 = performance.now();
  for (let at = 0; at < data.length; at += CHUNK) {
    const chunk = data.subarray(at, at + CHUNK);
    if (stage === "lines") {
      lines.push(chunk, countLine);
      continue;
    }
    recs.length = 0;
    parser.pushChunk(chunk, recs);
    if (stage === "parse") {
      count += recs.length;
      continue;
    }
    outs.length = 0;
    for (const rec of recs) correlator.push(rec, outs);
    count += outs.length;
    if (stage === "format") {
      out.clear();
      for (const { event } of outs) {
        if (event.type !== "check") continue;
        writeCheck(out, event);
        out.byte(10);
      }
    }
  }
  return { ms: performance.now() - t0, count };
}

if (import.meta.main) {
  const [path, stage] = Deno.args;
  if (!path || !STAGES.includes(stage as Stage)) {
    console.error(`usage: stages.ts FILE ${STAGES.join("|")}`);
    Deno.exit(2);
  }
  const { ms, count } = await runStage(path, stage as Stage);
  console.log(`${ms.toFixed(1)} ${count}`);
}
