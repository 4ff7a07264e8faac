/** The do-nothing baseline of the pipeline benchmark: read a file line by line, as the CLI reads bpftrace, and count. */

import { LineSplitter } from "../../shared/line_splitter.ts";
import { MAX_LINE } from "../../shared/parse_line.ts";

const file = await Deno.open(Deno.args[0]!);
const dec = new TextDecoder();
const splitter = new LineSplitter(MAX_LINE);
let lines = 0;
for await (const chunk of file.readable) lines += splitter.push(dec.decode(chunk, { stream: true })).length;
lines += splitter.end().length;
console.log(lines);
