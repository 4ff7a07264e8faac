/**
 * Tests of what is kept for the boot (the kernel's offsets, bpftrace's version): read back instead of parsing BTF or
 * running bpftrace, and never a wrong or unsafe save.
 */

import assert from "node:assert/strict";
import {
  type BootCache,
  bpftraceVersion,
  checkPidNamespace,
  checkPrivileges,
  keptBpftraceVersion,
  kernelOffsetsFromBtf,
  readKeptVersions,
  takesTypelessBtf,
} from "./environment.ts";
import { findTool } from "./system_tools.ts";
import { CaptraceError, ExitCode } from "./exit_codes.ts";
import { VERSION } from "./args.ts";
import { kernelOffsets, readSavedOffsets, savedOffsets } from "../shared/kernel_offsets.ts";
import { parseBtf } from "../shared/btf.ts";

const BTF = "/sys/kernel/btf/vmlinux";
const BOOT = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const NAME = `kernel-offsets-${VERSION}-${BOOT}.json`;

/** Runs `f` with a cache in a fresh directory, for a boot id written to a file of its own. */
async function withCache(f: (c: { root: string; cache: BootCache; file: string }) => Promise<void>, boot = BOOT) {
  const root = await Deno.makeTempDir({ prefix: "captrace-offsets-" });
  try {
    await Deno.writeTextFile(`${root}/boot_id`, boot + "\n");
    const cache = { dir: `${root}/run`, bootId: `${root}/boot_id` };
    await f({ root, cache, file: `${cache.dir}/${NAME}` });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const ls = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("offsets parsed from BTF are kept for the boot, private, and read back the same", async () => {
  await withCache(async ({ root, cache, file }) => {
    const parsed = await kernelOffsetsFromBtf(BTF, cache);
    assert.ok(parsed, "this kernel has BTF with every offset captrace needs");
    assert.deepEqual(parsed, kernelOffsets(parseBtf(await Deno.readFile(BTF))));
    assert.deepEqual(readSavedOffsets(await Deno.readTextFile(file)), parsed);
    assert.equal((await Deno.stat(cache.dir!)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.deepEqual(ls(cache.dir!), [NAME]);
    // Read back without BTF: the save alone answers.
    assert.deepEqual(await kernelOffsetsFromBtf(`${root}/no-such-btf`, cache), parsed);
  });
});

Deno.test("offsets saved in another boot or version, or saved wrong, are not used, and old saves go", async () => {
  await withCache(async ({ root, cache, file }) => {
    const real = await kernelOffsetsFromBtf(BTF, { dir: null, bootId: "" });
    assert.ok(real);
    const wrong = savedOffsets({ ...real, taskMm: real.taskMm + 8 });
    await Deno.mkdir(cache.dir!, { mode: 0o700 });
    const others = [
      `kernel-offsets-${VERSION}-00000000-0000-0000-0000-000000000000.json`,
      `kernel-offsets-0.0.1-${BOOT}.json`,
    ];
    for (const other of others) await Deno.writeTextFile(`${cache.dir}/${other}`, wrong);
    assert.deepEqual(await kernelOffsetsFromBtf(BTF, cache), real);
    assert.deepEqual(ls(cache.dir!), [NAME]);
    // A damaged save of this boot is replaced.
    await Deno.writeTextFile(file, wrong.slice(0, 40));
    assert.deepEqual(await kernelOffsetsFromBtf(BTF, cache), real);
    assert.deepEqual(readSavedOffsets(await Deno.readTextFile(file)), real);
    // No BTF and no usable save: none.
    await Deno.writeTextFile(file, "{}");
    assert.equal(await kernelOffsetsFromBtf(`${root}/no-such-btf`, cache), null);
  });
});

Deno.test("offsets are not kept when the boot is unknown, keeping is off, or the directory is unusable", async () => {
  await withCache(async ({ root, cache }) => {
    assert.ok(await kernelOffsetsFromBtf(BTF, cache));
    assert.ok(await kernelOffsetsFromBtf(BTF, { dir: null, bootId: cache.bootId }));
    await Deno.writeTextFile(`${root}/boot_id`, BOOT);
    await Deno.writeTextFile(`${root}/file`, "");
    assert.ok(await kernelOffsetsFromBtf(BTF, { dir: `${root}/file`, bootId: cache.bootId }));
    assert.ok(await kernelOffsetsFromBtf(BTF, { dir: `${root}/no/such/dir`, bootId: cache.bootId }));
    assert.deepEqual(ls(root), ["boot_id", "file"]);
  }, "not a boot id");
});

Deno.test("offsets are not kept in a directory others may enter, nor through links, nor read from a FIFO", async () => {
  await withCache(async ({ root, cache, file }) => {
    const real = await kernelOffsetsFromBtf(BTF, { dir: null, bootId: "" });
    assert.ok(real);
    // A directory that was there, open to others: not used, not made private behind the owner's back.
    await Deno.mkdir(cache.dir!);
    await Deno.chmod(cache.dir!, 0o777);
    assert.deepEqual(await kernelOffsetsFromBtf(BTF, cache), real);
    assert.deepEqual(ls(cache.dir!), []);
    assert.equal((await Deno.stat(cache.dir!)).mode! & 0o777, 0o777);
    // A link to a private directory: not used either.
    await Deno.remove(cache.dir!);
    await Deno.mkdir(`${root}/elsewhere`, { mode: 0o700 });
    await Deno.symlink(`${root}/elsewhere`, cache.dir!);
    assert.deepEqual(await kernelOffsetsFromBtf(BTF, cache), real);
    assert.deepEqual(ls(`${root}/elsewhere`), []);
    // In a private directory: a side file planted as a link is not written through, a link as the save not read.
    await Deno.remove(cache.dir!);
    await Deno.mkdir(cache.dir!, { mode: 0o700 });
    await Deno.writeTextFile(`${root}/victim`, "untouched");
    await Deno.symlink(`${root}/victim`, `${file}.${Deno.pid}.part`);
    assert.deepEqual(await kernelOffsetsFromBtf(BTF, cache), real);
    assert.equal(await Deno.readTextFile(`${root}/victim`), "untouched");
    await Deno.writeTextFile(`${root}/saved`, savedOffsets({ ...real, taskMm: real.taskMm + 8 }));
    await Deno.remove(file).catch(() => {});
    await Deno.symlink(`${root}/saved`, file);
    assert.deepEqual(await kernelOffsetsFromBtf(`${root}/no-such-btf`, cache), null);
    // A FIFO as the save: not opened (opening it would wait for a writer forever).
    await Deno.remove(file);
    new Deno.Command("mkfifo", { args: [file] }).outputSync();
    assert.ok((await Deno.lstat(file)).isFile === false);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise((_, reject) => timer = setTimeout(() => reject(new Error("opened the FIFO")), 5000));
    assert.equal(await Promise.race([kernelOffsetsFromBtf(`${root}/no-such-btf`, cache), stuck]), null);
    clearTimeout(timer);
  });
});

Deno.test("a save whose writer was killed is removed at the next save; one another run is writing is left", async () => {
  await withCache(async ({ cache, file }) => {
    await Deno.mkdir(cache.dir!, { mode: 0o700 });
    // No process has the first pid (above any pid_max); the second is init's, as if a run were writing it.
    for (const pid of [999999999, 1]) await Deno.writeTextFile(`${file}.${pid}.part`, "{");
    assert.ok(await kernelOffsetsFromBtf(BTF, cache));
    assert.deepEqual(ls(cache.dir!), [NAME, `${NAME}.1.part`]);
  });
});

Deno.test("only bpftrace 0.17 is given the typeless BTF", () => {
  for (const v of ["v0.17.0", "v0.17.1"]) assert.ok(takesTypelessBtf(v), v);
  for (const v of ["v0.16.0", "v0.18.0", "v0.21.2", "v0.170.0", "v1.17.0", ""]) assert.ok(!takesTypelessBtf(v), v);
});

Deno.test("captrace refuses a root without the tracing capabilities, or the root of a user namespace, exit 3", () => {
  // What bpftrace gets at its exec: the bounding set (and the inheritable one), not captrace's effective set.
  const status = (capBnd: string) =>
    `Name:\tcaptrace\nCapInh:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t${capBnd}\n`;
  const host = "user:[4026531837]";
  const refused = (f: () => void, why: RegExp) =>
    assert.throws(f, (e) => e instanceof CaptraceError && e.exitCode === ExitCode.CANNOT_TRACE && why.test(e.message));
  // All of them; CAP_SYS_ADMIN alone (kernels before 5.8); CAP_BPF and CAP_PERFMON without it.
  for (const caps of ["000001ffffffffff", "0000000000200000", "000000c000000000"]) {
    checkPrivileges(0, status(caps), host);
  }
  // A container's default set (no CAP_SYS_ADMIN, CAP_BPF or CAP_PERFMON), CAP_BPF alone.
  for (const caps of ["00000000a80425fb", "0000008000000000"]) {
    refused(() => checkPrivileges(0, status(caps), host), /lacks CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\)/);
  }
  // Given by the inheritable set instead.
  checkPrivileges(
    0,
    status("0000000000000000").replace("CapInh:\t0000000000000000", "CapInh:\t000000c000000000"),
    host,
  );
  refused(() => checkPrivileges(0, status("000001ffffffffff"), "user:[4026532841]"), /user namespace of its own/);
  refused(() => checkPrivileges(1000, status("000001ffffffffff"), host), /^Tracing needs root/);
  // Not known: not checked (the trace then shows whether it works).
  checkPrivileges(0, null, null);
});

Deno.test("captrace refuses to trace from a PID namespace other than the initial one, exit 3", async () => {
  const dir = await Deno.makeTempDir({ prefix: "captrace-pidns-" });
  try {
    const link = (name: string, target: string) => {
      Deno.symlinkSync(target, `${dir}/${name}`);
      return `${dir}/${name}`;
    };
    await checkPidNamespace(link("init", "pid:[4026531836]"));
    await checkPidNamespace(`${dir}/missing`); // no /proc to tell by
    await assert.rejects(
      () => checkPidNamespace(link("other", "pid:[4026532178]")),
      (e: unknown) =>
        e instanceof CaptraceError && e.exitCode === ExitCode.CANNOT_TRACE && /pid:\[4026532178\]/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs `f` with a copy of the system's bpftrace (an ELF file of its own to change) and a cache for it. */
async function withBpftraceCopy(
  f: (c: { root: string; cache: BootCache; bin: string; file: string }) => Promise<void>,
) {
  const system = findTool("bpftrace");
  assert.ok(system, "these tests run bpftrace --version: install bpftrace");
  await withCache(async ({ root, cache }) => {
    const bin = `${root}/bpftrace`;
    await Deno.copyFile(system, bin);
    await Deno.chmod(bin, 0o755);
    await f({ root, cache, bin, file: `${cache.dir}/bpftrace-version-${VERSION}-${BOOT}.json` });
  });
}

Deno.test("bpftrace's version is kept for the boot by its file, and asked again once the file changes", async () => {
  await withBpftraceCopy(async ({ cache, bin, file }) => {
    const real = await bpftraceVersion(bin);
    assert.equal(await keptBpftraceVersion(bin, undefined, cache), real);
    const st = await Deno.stat(bin);
    const kept = readKeptVersions(await Deno.readTextFile(file));
    assert.deepEqual(kept, {
      [`${st.dev}:${st.ino}`]: { size: st.size, mtime: st.mtime!.getTime(), ctime: st.ctime!.getTime(), version: real },
    });
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    // The kept answer is the one given: this one was never bpftrace's.
    const key = `${st.dev}:${st.ino}`;
    await Deno.writeTextFile(file, JSON.stringify({ [key]: { ...kept[key], version: "v0.99.9" } }));
    assert.equal(await keptBpftraceVersion(bin, undefined, cache), "v0.99.9");
    // A file rewritten in place (its times change): asked again, and kept anew.
    await Deno.utime(bin, new Date(), new Date(2001, 1, 1));
    assert.equal(await keptBpftraceVersion(bin, undefined, cache), real);
    assert.equal(readKeptVersions(await Deno.readTextFile(file))[key]?.version, real);
    // Its size changed, its modification time put back, within the second the change time is kept to: asked again.
    const now = await Deno.stat(bin);
    await Deno.writeTextFile(
      file,
      JSON.stringify({ [key]: { ...readKeptVersions(await Deno.readTextFile(file))[key], version: "v0.99.9" } }),
    );
    await Deno.writeFile(bin, new Uint8Array(1), { append: true });
    await Deno.utime(bin, now.atime!, now.mtime!);
    assert.equal(await keptBpftraceVersion(bin, undefined, cache), real);
    // Kept nowhere: still answered.
    assert.equal(await keptBpftraceVersion(bin, undefined, { dir: null, bootId: cache.bootId }), real);
  });
});

Deno.test("a script's bpftrace version is never kept; other files' versions stay, the latest 16", async () => {
  await withBpftraceCopy(async ({ root, cache, bin, file }) => {
    // A script says what whatever it runs says, which can change under it.
    const script = `${root}/bpftrace.sh`;
    await Deno.writeTextFile(script, "#!/bin/sh\necho 'bpftrace v0.17.0'\n");
    await Deno.chmod(script, 0o755);
    assert.equal(await keptBpftraceVersion(script, undefined, cache), "v0.17.0");
    assert.ok(!(await Deno.stat(file).then(() => true, () => false)), "no save for a script");
    const others = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`1:${i}`, { size: 1, mtime: 1, ctime: 1, version: "v0.17.0" }]),
    );
    await Deno.mkdir(cache.dir!, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(file, JSON.stringify(others), { mode: 0o600 });
    await keptBpftraceVersion(bin, undefined, cache);
    const st = await Deno.stat(bin);
    const keys = Object.keys(readKeptVersions(await Deno.readTextFile(file)));
    assert.deepEqual(keys, [...Array.from({ length: 15 }, (_, i) => `1:${i + 5}`), `${st.dev}:${st.ino}`]);
  });
});

Deno.test("a bpftrace that is a link to another program's launcher is never kept by that launcher's file", async () => {
  await withBpftraceCopy(async ({ root, cache, bin, file }) => {
    // As snap's /snap/bin/bpftrace leads to /usr/bin/snap: that file stays the same when snap updates bpftrace.
    const launcher = `${root}/launcher`;
    await Deno.rename(bin, launcher);
    await Deno.symlink(launcher, bin);
    assert.equal(await keptBpftraceVersion(bin, undefined, cache), await bpftraceVersion(launcher));
    assert.ok(!(await Deno.stat(file).then(() => true, () => false)), "no save by the launcher's file");
  });
});

Deno.test("the offsets and bpftrace's version are kept side by side: neither save removes the other", async () => {
  await withBpftraceCopy(async ({ cache, bin, file }) => {
    assert.ok(await kernelOffsetsFromBtf(BTF, cache));
    await keptBpftraceVersion(bin, undefined, cache);
    await Deno.remove(`${cache.dir}/${NAME}`);
    assert.ok(await kernelOffsetsFromBtf(BTF, cache));
    assert.deepEqual(ls(cache.dir!), [file.slice(cache.dir!.length + 1), NAME].sort());
  });
});

Deno.test("kept versions of another shape are left out", () => {
  const good = { size: 9, mtime: 1, ctime: 2, version: "v0.17.0" };
  const text = JSON.stringify({
    "64:1": good,
    "64:2": { ...good, version: "0.17.0" },
    "64:3": { ...good, size: "9" },
    "64:4": { ...good, ctime: null },
    "not a key": good,
    "64:5": "v0.17.0",
  });
  assert.deepEqual(readKeptVersions(text), { "64:1": good });
  for (const t of ["[]", "null", "3", ""]) assert.deepEqual(readKeptVersions(t), {}, t);
});
