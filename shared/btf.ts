/** Reads struct member offsets from the kernel's BTF (/sys/kernel/btf/vmlinux), so the program can read fields raw. */

// Why: bpftrace turns every kernel struct a program names into C and parses it with clang; naming task_struct,
// cred and pt_regs together costs it about a second at each start. Reading the same fields at offsets taken
// from the same BTF gives the same values without that cost.

const MAGIC = 0xeb9f;

// BTF kinds (include/uapi/linux/btf.h).
const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

interface _Member {
  name: string;
  type: number;
  /** Offset in bits. */
  bits: number;
}

/** Each type's fields, one typed array per field, indexed by type id: ~130,000 kernel types, no object each. */
interface _Table {
  kind: Uint8Array;
  /** Size for INT/STRUCT/UNION/ENUM, else the referenced type id. */
  sizeOrType: Uint32Array;
  nameOff: Uint32Array;
  /** Byte offset of a struct's or union's members in the data. */
  membersAt: Uint32Array;
  /** Member count, with bit 16 set when kind_flag is (bitfield-encoded offsets). */
  vlen: Uint32Array;
}

/** Struct member offsets of one BTF blob. Members and names are decoded only when asked for. */
export class Btf {
  readonly #data: Uint8Array;
  readonly #view: DataView;
  readonly #strOff: number;
  readonly #strEnd: number;
  readonly #t: _Table;
  readonly #count: number;
  /** Struct ids by name, -1 for none, as looked up. */
  readonly #structs = new Map<string, number>();
  readonly #members = new Map<number, _Member[]>();
  readonly #dec = new TextDecoder();

  constructor(data: Uint8Array, strOff: number, strLen: number, table: _Table, count: number) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.#strOff = strOff;
    this.#strEnd = strOff + strLen;
    this.#t = table;
    this.#count = count;
  }

  /** The size in bytes of `struct name`, or null when there is no such struct. */
  sizeOf(struct: string): number | null {
    const id = this.#struct(struct);
    return id === undefined ? null : this.#t.sizeOrType[id]!;
  }

  /**
   * The byte offset of a member path inside `struct name`, e.g. `offsetOf("cred", "uid.val")`; members of
   * anonymous structs and unions are found as the kernel's C code finds them. Null when any step is missing.
   */
  offsetOf(struct: string, path: string): number | null {
    let id = this.#struct(struct);
    if (id === undefined) return null;
    let bits = 0;
    for (const name of path.split(".")) {
      const found = this.#find(this.#resolve(id), name);
      if (!found) return null;
      bits += found.bits;
      id = found.type;
    }
    return bits % 8 === 0 ? bits / 8 : null;
  }

  /** The first struct of that name (the kernel's BTF can hold several). Names are compared as bytes. */
  #struct(name: string): number | undefined {
    let id = this.#structs.get(name);
    if (id !== undefined) return id < 0 ? undefined : id;
    const want = new TextEncoder().encode(name);
    id = -1;
    for (let i = 1; i < this.#count; i++) {
      if (this.#t.kind[i] === KIND.STRUCT && this.#nameIs(this.#t.nameOff[i]!, want)) {
        id = i;
        break;
      }
    }
    this.#structs.set(name, id);
    return id < 0 ? undefined : id;
  }

  #nameIs(off: number, want: Uint8Array): boolean {
    const at = this.#strOff + off;
    if (off === 0 || at + want.length >= this.#strEnd) return false;
    for (let i = 0; i < want.length; i++) if (this.#data[at + i] !== want[i]) return false;
    return this.#data[at + want.length] === 0;
  }

  #name(off: number): string {
    if (off === 0) return "";
    const start = this.#strOff + off;
    const end = this.#data.indexOf(0, start);
    return this.#dec.decode(this.#data.subarray(start, end < 0 || end > this.#strEnd ? this.#strEnd : end));
  }

  /** Follow typedefs and qualifiers to the underlying type id. */
  #resolve(id: number): number {
    for (let i = 0; i < 32; i++) {
      if (id <= 0 || id >= this.#count) return id;
      const k = this.#t.kind[id];
      if (
        k !== KIND.TYPEDEF && k !== KIND.VOLATILE && k !== KIND.CONST && k !== KIND.RESTRICT && k !== KIND.TYPE_TAG
      ) return id;
      id = this.#t.sizeOrType[id]!;
    }
    return id;
  }

  /** A struct's or union's members, or null for other kinds. */
  #membersOf(id: number): _Member[] | null {
    if (id <= 0 || id >= this.#count) return null;
    const k = this.#t.kind[id];
    if (k !== KIND.STRUCT && k !== KIND.UNION) return null;
    let members = this.#members.get(id);
    if (!members) {
      members = [];
      const vlen = this.#t.vlen[id]! & 0xffff;
      // With kind_flag set, the top 8 bits of an offset hold a bitfield size.
      const mask = this.#t.vlen[id]! >>> 16 ? 0xffffff : 0xffffffff;
      for (let i = 0, p = this.#t.membersAt[id]!; i < vlen; i++, p += 12) {
        members.push({
          name: this.#name(this.#view.getUint32(p, true)),
          type: this.#view.getUint32(p + 4, true),
          bits: (this.#view.getUint32(p + 8, true) & mask) >>> 0,
        });
      }
      this.#members.set(id, members);
    }
    return members;
  }

  /** A named member, looking inside anonymous struct/union members too; offsets in bits from `id`'s start. */
  #find(id: number, name: string, depth = 0): _Member | null {
    const members = depth > 8 ? null : this.#membersOf(id);
    if (!members) return null;
    for (const m of members) if (m.name === name) return m;
    for (const m of members) {
      if (m.name !== "") continue;
      const inner = this.#find(this.#resolve(m.type), name, depth + 1);
      if (inner) return { name, type: inner.type, bits: m.bits + inner.bits };
    }
    return null;
  }
}

/**
 * Parse a raw BTF blob (as in /sys/kernel/btf/vmlinux). Throws SyntaxError when it is not BTF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBtf } from "./btf.ts";
 * assert.throws(() => parseBtf(new Uint8Array(24)), SyntaxError);
 * ```
 */
export function parseBtf(data: Uint8Array): Btf {
  if (data.length < 24) throw new SyntaxError("Not BTF: too short");
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint16(0, true) !== MAGIC) throw new SyntaxError("Not BTF: bad magic");
  const hdrLen = view.getUint32(4, true);
  const typeOff = hdrLen + view.getUint32(8, true);
  const typeLen = view.getUint32(12, true);
  const strOff = hdrLen + view.getUint32(16, true);
  const strLen = view.getUint32(20, true);
  if (typeOff + typeLen > data.length || strOff + strLen > data.length) {
    throw new SyntaxError("Not BTF: sections out of bounds");
  }
  // At most one type per 12 bytes; type ids start at 1 (0 is void).
  const cap = Math.floor(typeLen / 12) + 1;
  const t: _Table = {
    kind: new Uint8Array(cap),
    sizeOrType: new Uint32Array(cap),
    nameOff: new Uint32Array(cap),
    membersAt: new Uint32Array(cap),
    vlen: new Uint32Array(cap),
  };
  let id = 1;
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p + 12 <= end) {
    const info = view.getUint32(p + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    t.kind[id] = kind;
    t.nameOff[id] = view.getUint32(p, true);
    t.sizeOrType[id] = view.getUint32(p + 8, true);
    t.vlen[id] = vlen | (info >>> 31 ? 0x10000 : 0);
    p += 12;
    switch (kind) {
      case KIND.INT:
      case KIND.VAR:
      case KIND.DECL_TAG:
        p += 4;
        break;
      case KIND.ARRAY:
        p += 12;
        break;
      case KIND.STRUCT:
      case KIND.UNION:
        t.membersAt[id] = p;
        p += vlen * 12;
        break;
      case KIND.ENUM:
      case KIND.FUNC_PROTO:
        p += vlen * 8;
        break;
      case KIND.DATASEC:
      case KIND.ENUM64:
        p += vlen * 12;
        break;
      case KIND.PTR:
      case KIND.FWD:
      case KIND.TYPEDEF:
      case KIND.VOLATILE:
      case KIND.CONST:
      case KIND.RESTRICT:
      case KIND.FUNC:
      case KIND.FLOAT:
      case KIND.TYPE_TAG:
        break;
      default:
        throw new SyntaxError(`Unknown BTF kind ${kind}`);
    }
    id++;
  }
  return new Btf(data, strOff, strLen, t, id);
}

/**
 * A BTF blob that holds no type: a header and an empty string section. captrace hands it to bpftrace 0.17 in place of
 * the kernel's when the program reads every kernel field at offsets (see KernelOffsets): bpftrace looks the type of
 * every cast up in its BTF, one scan of ~130,000 kernel types per `(uint64)`, and a program of about seventy casts
 * spent about 100 ms of its start on those lookups. Tracepoint records are read from tracefs formats, not BTF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBtf, typelessBtf } from "./btf.ts";
 * assert.equal(parseBtf(typelessBtf()).offsetOf("task_struct", "pid"), null);
 * ```
 */
export function typelessBtf(): Uint8Array {
  const hdrLen = 24;
  const out = new Uint8Array(hdrLen + 1); // the string section is the empty name alone
  const view = new DataView(out.buffer);
  view.setUint16(0, MAGIC, true);
  out[2] = 1; // version
  view.setUint32(4, hdrLen, true);
  // type_off 0, type_len 0, str_off 0
  view.setUint32(20, 1, true); // str_len
  return out;
}
