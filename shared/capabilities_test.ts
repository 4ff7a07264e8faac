/** Tests of the capability table and its name conversions. */

import assert from "node:assert/strict";
import * as capabilities from "./capabilities.ts";
import {
  BROAD,
  CAP_SYS_ADMIN,
  CAPABILITIES_DOC_URL,
  CAPABILITY_NAMES,
  capConstant,
  capLabel,
  capName,
  FALLBACK_CALLS,
  FALLBACK_OF,
  parseCap,
} from "./capabilities.ts";
import { X86_64_SYSCALLS } from "./syscalls_x86_64.ts";
import { I386_SYSCALLS } from "./syscalls_i386.ts";

Deno.test("each exported CAP_ constant is the number of the capability it names", () => {
  const constants = Object.entries(capabilities).filter(([name]) => /^CAP_[A-Z_]+$/.test(name));
  assert.equal(constants.length, 12);
  for (const [name, value] of constants) assert.equal(CAPABILITY_NAMES[value as number], name.toLowerCase(), name);
});

Deno.test("capability table follows linux/capability.h up to cap_checkpoint_restore", () => {
  assert.equal(CAPABILITY_NAMES.length, 41);
  const spots: [number, string][] = [
    [0, "cap_chown"],
    [7, "cap_setuid"],
    [12, "cap_net_admin"],
    [13, "cap_net_raw"],
    [21, "cap_sys_admin"],
    [31, "cap_setfcap"],
    [37, "cap_audit_read"],
    [38, "cap_perfmon"],
    [39, "cap_bpf"],
    [40, "cap_checkpoint_restore"],
  ];
  for (const [n, name] of spots) assert.equal(CAPABILITY_NAMES[n], name);
  assert.equal(new Set(CAPABILITY_NAMES).size, CAPABILITY_NAMES.length);
  for (const n of CAPABILITY_NAMES) assert.match(n, /^cap_[a-z_]+$/);
});

Deno.test("narrow capabilities fall back to the broad ones the kernel checks after them", () => {
  assert.equal(CAP_SYS_ADMIN, 21);
  const names = [...FALLBACK_OF].map(([narrow, broad]) => `${capName(narrow)}>${capName(broad)}`).sort();
  assert.deepEqual(names, [
    "cap_bpf>cap_sys_admin",
    "cap_checkpoint_restore>cap_sys_admin",
    "cap_dac_read_search>cap_dac_override",
    "cap_fowner>cap_dac_override",
    "cap_perfmon>cap_sys_admin",
  ]);
  assert.deepEqual([...BROAD].sort((a, b) => a - b), [1, 21]);
  // CAP_FOWNER ends calls refused on its own (chmod): it pairs in the utime calls only, all of them known by name.
  assert.deepEqual([...FALLBACK_CALLS.keys()], [3]);
  for (const name of FALLBACK_CALLS.get(3)!) {
    assert.ok(X86_64_SYSCALLS.includes(name) || I386_SYSCALLS.includes(name), name);
  }
});

Deno.test("capName gives null for a capability number it does not know", () => {
  assert.equal(capName(0), "cap_chown");
  assert.equal(capName(41), null);
  assert.equal(capName(-1), null);
});

Deno.test("capLabel shows an unknown capability as its number", () => {
  assert.equal(capLabel(13), "cap_net_raw");
  assert.equal(capLabel(63), "63");
});

Deno.test("capConstant gives the upper-case name, CAP_<n> when unknown", () => {
  assert.equal(capConstant(0), "CAP_CHOWN");
  assert.equal(capConstant(40), "CAP_CHECKPOINT_RESTORE");
  assert.equal(capConstant(41), "CAP_41");
});

Deno.test("parseCap reads names in any case, with or without the cap_ prefix, and numbers", () => {
  assert.equal(parseCap("cap_chown"), 0);
  assert.equal(parseCap("CAP_NET_RAW"), 13);
  assert.equal(parseCap("sys_admin"), 21);
  assert.equal(parseCap("  Bpf "), 39);
  assert.equal(parseCap("7"), 7);
  assert.equal(parseCap("41"), 41);
});

Deno.test("parseCap gives null for what is no capability", () => {
  for (const t of ["", "cap_", "cap_fly", "-1", "1.5", "chown2"]) assert.equal(parseCap(t), null, t);
});

Deno.test("capability names round-trip through capConstant and parseCap", () => {
  for (let n = 0; n < CAPABILITY_NAMES.length; n++) assert.equal(parseCap(capConstant(n)), n);
});

Deno.test("the capabilities documentation link is the man page", () => {
  assert.equal(CAPABILITIES_DOC_URL, "https://man7.org/linux/man-pages/man7/capabilities.7.html");
});
