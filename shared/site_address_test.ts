/** Tests of the run-time to link-time address mapping for PIE and fixed-address programs. */

import assert from "node:assert/strict";
import { parseElfLayout } from "./elf_layout.ts";
import { hexAddress, linkAddress, NO_RETURN_ADDRESS } from "./site_address.ts";

const read = (name: string) => Deno.readTextFileSync(new URL(`./testdata/sites/${name}`, import.meta.url));
const pie = parseElfLayout(read("elf_pie_debug.txt"));
const nopie = parseElfLayout(read("elf_nopie.txt"));

Deno.test("link address of a PIE subtracts the load bias (start_code minus the code segment's p_vaddr)", () => {
  // Seen on this kernel: the return after `call chown@plt` (link 0x116b) in a PIE loaded at 0x5566aa000000.
  assert.deepEqual(linkAddress(0x5566aa00116bn, 0x5566aa001000n, pie), { address: 0x116bn });
});

Deno.test("link address of a fixed-address program is the return address itself", () => {
  assert.deepEqual(linkAddress(0x40116bn, 0x401000n, nopie), { address: 0x40116bn });
});

Deno.test("link address: no return address found on the stack", () => {
  assert.deepEqual(linkAddress(0n, 0x401000n, nopie), { reason: NO_RETURN_ADDRESS });
});

Deno.test("link address: start_code that does not fit the file means another program ran", () => {
  assert.match((linkAddress(0x40216bn, 0x402000n, nopie) as { reason: string }).reason, /does not match/);
  assert.match((linkAddress(0x5566aa00116bn, 0x5566aa001800n, pie) as { reason: string }).reason, /does not match/);
});

Deno.test("link address outside the code segment is not a call site", () => {
  assert.deepEqual(linkAddress(0x5566aa003000n, 0x5566aa001000n, pie), { reason: NO_RETURN_ADDRESS });
});

Deno.test("hex address is lower case with 0x and no padding", () => {
  assert.equal(hexAddress(0x116bn), "0x116b");
});
