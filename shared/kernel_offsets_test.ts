/** Tests of saved kernel offsets: what is written reads back, and nothing else does. */

import assert from "node:assert/strict";
import { type KernelOffsets, readSavedOffsets, savedOffsets } from "./kernel_offsets.ts";

const BASE: KernelOffsets = {
  taskRealParent: 1280,
  taskTgid: 1268,
  taskMm: 1136,
  taskStack: 32,
  taskSignal: 1848,
  taskExitCode: 1164,
  taskGroupLeader: 1360,
  taskStartTime: 1720,
  taskFlags: 44,
  signalLive: 4,
  signalGroupExitCode: 88,
  mmStartCode: 472,
  mmEndCode: 480,
  mmEnvEnd: 504,
  mmExeFile: 920,
  fileInode: 32,
  credUid: 8,
  credGid: 12,
  credSuid: 16,
  credSgid: 20,
  credEuid: 24,
  credCapInheritable: 40,
  credCapPermitted: 48,
  credUserNs: 144,
  nsInum: 240,
  nsParent: 168,
  nsOwner: 184,
  ptRegsSize: 168,
  ptRegsOrigAx: 120,
  ptRegsSp: 152,
  ptRegsDi: 112,
  ptRegsSi: 104,
  ptRegsBx: 40,
  ptRegsCx: 88,
  taskThreadInfoStatus: 16,
  taskNsproxy: 1840,
  nsproxyMntNs: 24,
  mntNsInum: 24,
  taskFs: 1816,
  fsRootDentry: 32,
  fsRootMnt: 24,
  dentryInode: 48,
  inodeIno: 64,
};
const WITH_TP: KernelOffsets = {
  ...BASE,
  capTracepoint: { cred: 8, targetNs: 16, cap: 32, ret: 36 },
  newTaskTracepoint: { pid: 8, cloneFlags: 32 },
  cgroupTracepoint: { root: 8, id: 16, path: 24 },
};

Deno.test("saved offsets read back the same, with and without the tracepoints'", () => {
  assert.deepEqual(readSavedOffsets(savedOffsets(BASE)), BASE);
  assert.deepEqual(readSavedOffsets(savedOffsets(WITH_TP)), WITH_TP);
  const newTaskOnly = { ...BASE, newTaskTracepoint: { pid: 8, cloneFlags: 32 } };
  assert.deepEqual(readSavedOffsets(savedOffsets(newTaskOnly)), newTaskOnly);
});

Deno.test("saved offsets are refused when made for other fields, incomplete, or not offsets", () => {
  const good = JSON.parse(savedOffsets(WITH_TP));
  const variants: unknown[] = [
    { ...good, spec: good.spec.replace("env_end", "arg_end") },
    { spec: good.spec },
    { ...good, offsets: { ...good.offsets, taskMm: undefined } },
    { ...good, offsets: { ...good.offsets, taskMm: -8 } },
    { ...good, offsets: { ...good.offsets, taskMm: 11.5 } },
    { ...good, offsets: { ...good.offsets, taskMm: "1136" } },
    { ...good, offsets: { ...good.offsets, taskMm: 1e21 } },
    { ...good, offsets: { ...good.offsets, taskMm: 1 << 20 } },
    { ...good, offsets: { ...good.offsets, capTracepoint: { cred: 8, targetNs: 16, cap: 32 } } },
    { ...good, offsets: { ...good.offsets, newTaskTracepoint: { pid: 8 } } },
    { ...good, offsets: { ...good.offsets, newTaskTracepoint: { pid: 8, cloneFlags: -1 } } },
    { ...good, offsets: { ...good.offsets, newTaskTracepoint: null } },
    { ...good, offsets: { ...good.offsets, cgroupTracepoint: { root: 8, id: 16 } } },
    { ...good, offsets: null },
  ];
  for (const v of variants) assert.equal(readSavedOffsets(JSON.stringify(v)), null, JSON.stringify(v).slice(-120));
  for (const text of ["", "{", "null", "[]", "42"]) assert.equal(readSavedOffsets(text), null, text);
});

Deno.test("saved offsets keep only the known fields", () => {
  const good = JSON.parse(savedOffsets(BASE));
  const read = readSavedOffsets(JSON.stringify({ ...good, offsets: { ...good.offsets, extra: 1 } }));
  assert.deepEqual(read, BASE);
  const tp = JSON.parse(savedOffsets(WITH_TP));
  tp.offsets.newTaskTracepoint.comm = 12;
  assert.deepEqual(readSavedOffsets(JSON.stringify(tp)), WITH_TP);
});
