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

interface _Type {
  kind: number;
  name: string;
  /** Size for INT/STRUCT/UNION/ENUM, else the referenced type id. */
  sizeOrType: number;
  /** Struct and union members, read when first needed (a few of ~100,000 types ever are). */
  members: (() => _Member[]) | null;
}

/** The parsed type section: enough to find struct sizes and member offsets. */
export class Btf {
  readonly #types: _Type[];
  readonly #structs = new Map<string, number>();

  constructor(types: _Type[]) {
    this.#types = types;
    types.forEach((t, id) => {
      if (t.kind === KIND.STRUCT && t.name && !this.#structs.has(t.name)) this.#structs.set(t.name, id);
    });
  }

  /** The size in bytes of `struct name`, or null when there is no such struct. */
  sizeOf(struct: string): number | null {
    const id = this.#structs.get(struct);
    return id === undefined ? null : this.#types[id]!.sizeOrType;
  }

  /**
   * The byte offset of a member path inside `struct name`, e.g. `offsetOf("cred", "uid.val")`; members of
   * anonymous structs and unions are found as the kernel's C code finds them. Null when any step is missing.
   */
  offsetOf(struct: string, path: string): number | null {
    let id = this.#structs.get(struct);
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

  /** Follow typedefs and qualifiers to the underlying type id. */
  #resolve(id: number): number {
    for (let i = 0; i < 32; i++) {
      const t = this.#types[id];
      if (!t) return id;
      if (
        t.kind !== KIND.TYPEDEF && t.kind !== KIND.VOLATILE && t.kind !== KIND.CONST &&
        t.kind !== KIND.RESTRICT && t.kind !== KIND.TYPE_TAG
      ) return id;
      id = t.sizeOrType;
    }
    return id;
  }

  /** A named member, looking inside anonymous struct/union members too; offsets in bits from `id`'s start. */
  #find(id: number, name: string, depth = 0): _Member | null {
    const t = this.#types[id];
    if (!t?.members || depth > 8) return null;
    const members = t.members();
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
 * Parse raw BTF (the contents of /sys/kernel/btf/vmlinux). Throws a SyntaxError when it is not BTF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseBtf } from "./btf.ts";
 * assert.throws(() => parseBtf(new Uint8Array(8)), SyntaxError);
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
  const dec = new TextDecoder();
  const names = new Map<number, string>();
  const str = (off: number): string => {
    if (off === 0) return "";
    let s = names.get(off);
    if (s === undefined) {
      const start = strOff + off;
      const end = data.indexOf(0, start);
      s = dec.decode(data.subarray(start, end < 0 ? strOff + strLen : end));
      names.set(off, s);
    }
    return s;
  };
  // Type ids start at 1; id 0 is void.
  const types: _Type[] = [{ kind: 0, name: "", sizeOrType: 0, members: null }];
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p + 12 <= end) {
    const nameOff = view.getUint32(p, true);
    const info = view.getUint32(p + 4, true);
    const sizeOrType = view.getUint32(p + 8, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = (info >>> 31) === 1;
    p += 12;
    let members: (() => _Member[]) | null = null;
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
      case KIND.UNION: {
        members = _members(view, p, vlen, kindFlag, str);
        p += vlen * 12;
        break;
      }
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
    // Names are only needed for structs and their members; skip decoding the rest.
    types.push({ kind, name: kind === KIND.STRUCT ? str(nameOff) : "", sizeOrType, members });
  }
  return new Btf(types);
}

/** Reads the `vlen` members at `at` on first call, then returns the same array. */
function _members(
  view: DataView,
  at: number,
  vlen: number,
  kindFlag: boolean,
  str: (off: number) => string,
): () => _Member[] {
  let members: _Member[] | null = null;
  return () => {
    if (members) return members;
    members = [];
    for (let i = 0, p = at; i < vlen; i++, p += 12) {
      const off = view.getUint32(p + 8, true);
      members.push({
        name: str(view.getUint32(p, true)),
        type: view.getUint32(p + 4, true),
        // With kind_flag set, the top 8 bits hold a bitfield size.
        bits: kindFlag ? off & 0xffffff : off,
      });
    }
    return members;
  };
}
