import assert from "node:assert/strict";
import { parseBtf, typelessBtf } from "./btf.ts";
import { kernelOffsets } from "./kernel_offsets.ts";

/** Builds a small BTF blob: types are [kind, name, sizeOrType, members?] with members [name, type, bitOffset]. */
function blob(types: [number, string, number, [string, number, number][]?][], kindFlagFor: string[] = []): Uint8Array {
  const strings = [""];
  const strOff = (s: string): number => {
    if (s === "") return 0;
    let off = 0;
    for (const x of strings) {
      if (x === s) return off;
      off += new TextEncoder().encode(x).length + 1;
    }
    strings.push(s);
    return off;
  };
  const words: number[] = [];
  for (const [kind, name, sizeOrType, members] of types) {
    const flag = kindFlagFor.includes(name) ? 1 << 31 : 0;
    words.push(strOff(name), ((kind << 24) | (members?.length ?? 0) | flag) >>> 0, sizeOrType);
    if (kind === 1) words.push(32); // INT encoding
    for (const [mName, mType, bits] of members ?? []) words.push(strOff(mName), mType, bits);
  }
  const str = new TextEncoder().encode(strings.join("\0") + "\0");
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + str.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, str.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w, true));
  out.set(str, 24 + typeLen);
  return out;
}

const INT = 1, PTR = 2, STRUCT = 4, UNION = 5, TYPEDEF = 8, CONST = 10;

Deno.test("btf finds member offsets through typedefs, qualifiers and nested structs", () => {
  const btf = parseBtf(blob([
    [INT, "int", 4], // 1
    [STRUCT, "kuid_t_s", 4, [["val", 1, 0]]], // 2
    [TYPEDEF, "kuid_t", 2], // 3
    [CONST, "", 3], // 4
    [STRUCT, "cred", 64, [["usage", 1, 0], ["uid", 4, 64], ["euid", 3, 192]]], // 5
  ]));
  assert.equal(btf.offsetOf("cred", "uid.val"), 8);
  assert.equal(btf.offsetOf("cred", "euid.val"), 24);
  assert.equal(btf.sizeOf("cred"), 64);
  assert.equal(btf.offsetOf("cred", "gid"), null);
  assert.equal(btf.offsetOf("nosuch", "uid"), null);
});

Deno.test("btf finds members of anonymous structs and unions, as C does", () => {
  const btf = parseBtf(blob([
    [INT, "long", 8], // 1
    [STRUCT, "", 16, [["start_code", 1, 0], ["end_code", 1, 64]]], // 2: anonymous
    [UNION, "", 8, [["x", 1, 0]]], // 3
    [STRUCT, "mm_struct", 64, [["", 3, 0], ["", 2, 3328]]], // 4
    [PTR, "", 4], // 5
  ]));
  assert.equal(btf.offsetOf("mm_struct", "start_code"), 416);
  assert.equal(btf.offsetOf("mm_struct", "end_code"), 424);
  assert.equal(btf.offsetOf("mm_struct", "x"), 0);
});

Deno.test("btf reads bitfield-encoded offsets when kind_flag is set", () => {
  const btf = parseBtf(blob([[INT, "int", 4], [STRUCT, "s", 8, [["a", 1, (3 << 24) | 32]]]], ["s"]));
  assert.equal(btf.offsetOf("s", "a"), 4);
});

Deno.test("btf rejects what is not BTF", () => {
  assert.throws(() => parseBtf(new Uint8Array(30)), /bad magic/);
  const bad = blob([[INT, "int", 4]]);
  new DataView(bad.buffer).setUint32(12, 1 << 20, true);
  assert.throws(() => parseBtf(bad), /out of bounds/);
});

Deno.test("the typeless BTF is a BTF header and the empty name, with no type", () => {
  const b = typelessBtf();
  assert.deepEqual([...b], [0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  const btf = parseBtf(b);
  assert.equal(btf.sizeOf("pt_regs"), null);
  assert.equal(btf.offsetOf("task_struct", "mm"), null);
});

Deno.test("kernel offsets are null when the BTF lacks a needed struct", () => {
  assert.equal(kernelOffsets(parseBtf(blob([[INT, "int", 4]]))), null);
});
