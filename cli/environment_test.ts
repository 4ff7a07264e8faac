/** Tests of the kernel offsets kept for the boot: read back instead of parsing BTF, and never a wrong save. */

import assert from "node:assert/strict";
import { kernelOffsetsFromBtf } from "./environment.ts";
import { kernelOffsets, readSavedOffsets, savedOffsets } from "../shared/kernel_offsets.ts";
import { parseBtf } from "../shared/btf.ts";

const BTF = "/sys/kernel/btf/vmlinux";
const BOOT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/** A cache in a fresh directory, for a boot id written to a file of its own. */
async function cacheFor(boot = BOOT) {
  const root = await Deno.makeTempDir({ prefix: "captrace-offsets-" });
  await Deno.writeTextFile(`${root}/boot_id`, boot + "\n");
  return {
    root,
    cache: { dir: `${root}/run`, bootId: `${root}/boot_id` },
    file: `${root}/run/kernel-offsets-${boot}.json`,
  };
}

Deno.test("offsets parsed from BTF are kept for the boot, private, and read back the same", async () => {
  const { root, cache, file } = await cacheFor();
  try {
    const parsed = await kernelOffsetsFromBtf(BTF, cache);
    assert.ok(parsed, "this kernel has BTF with every offset captrace needs");
    assert.deepEqual(parsed, kernelOffsets(parseBtf(await Deno.readFile(BTF))));
    assert.deepEqual(readSavedOffsets(await Deno.readTextFile(file)), parsed);
    assert.equal((await Deno.stat(cache.dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.deepEqual([...Deno.readDirSync(cache.dir)].map((e) => e.name), [`kernel-offsets-${BOOT}.json`]);
    // Read back without BTF: the save alone answers.
    assert.deepEqual(await kernelOffsetsFromBtf(`${root}/no-such-btf`, cache), parsed);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("offsets saved in another boot, or saved wrong, are not used", async () => {
  const { root, cache, file } = await cacheFor();
  try {
    const real = await kernelOffsetsFromBtf(BTF, { dir: null, bootId: "" });
    assert.ok(real);
    const wrong = savedOffsets({ ...real, taskMm: real.taskMm + 8 });
    await Deno.mkdir(cache.dir);
    // Another boot's save is not read: the offsets come from BTF.
    await Deno.writeTextFile(`${cache.dir}/kernel-offsets-00000000-0000-0000-0000-000000000000.json`, wrong);
    assert.deepEqual(await kernelOffsetsFromBtf(BTF, cache), real);
    // A damaged save of this boot is replaced.
    await Deno.writeTextFile(file, wrong.slice(0, 40));
    assert.deepEqual(await kernelOffsetsFromBtf(BTF, cache), real);
    assert.deepEqual(readSavedOffsets(await Deno.readTextFile(file)), real);
    // No BTF and no usable save: none.
    await Deno.writeTextFile(file, "{}");
    assert.equal(await kernelOffsetsFromBtf(`${root}/no-such-btf`, cache), null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("offsets are not kept when the boot is unknown or keeping is off, nor when the directory is unusable", async () => {
  const { root, cache } = await cacheFor("not a boot id");
  try {
    assert.ok(await kernelOffsetsFromBtf(BTF, cache));
    assert.ok(await kernelOffsetsFromBtf(BTF, { dir: null, bootId: cache.bootId }));
    await Deno.writeTextFile(`${root}/boot_id`, BOOT);
    await Deno.writeTextFile(`${root}/file`, "");
    assert.ok(await kernelOffsetsFromBtf(BTF, { dir: `${root}/file/run`, bootId: cache.bootId }));
    assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name).sort(), ["boot_id", "file"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
