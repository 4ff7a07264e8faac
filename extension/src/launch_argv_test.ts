import { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  askedVariables,
  captraceArgv,
  commandFromLaunchConfig,
  commandLabel,
  splitCommandLine,
  substituteVariables,
  type VariableContext,
} from "./launch_argv.ts";

const ctx: VariableContext = {
  workspaceFolder: "/ws",
  file: "/ws/src/a.c",
  env: { HOME: "/home/u" },
  userHome: "/home/u",
};

Deno.test("variables are substituted, unknown ones refused", () => {
  assertEquals(
    substituteVariables("${fileDirname}/${fileBasenameNoExtension}", ctx),
    "/ws/src/a",
  );
  assertEquals(
    substituteVariables("${env:HOME}/${env:NOPE}x", ctx),
    "/home/u/x",
  );
  assertEquals(substituteVariables("${workspaceFolderBasename}", ctx), "ws");
  throws(() => substituteVariables("${command:pickProcess}", ctx), TypeError);
  throws(
    () => substituteVariables("${file}", { ...ctx, file: null }),
    TypeError,
  );
});

Deno.test("VS Code's variables for a launch configuration are substituted (all but the few about extensions and tasks)", () => {
  const full: VariableContext = {
    ...ctx,
    file: "/ws/app/src/main.test.c",
    folders: { app: "/ws/app", lib: "/ws/lib" },
    fileWorkspaceFolder: "/ws/app",
    cwd: "/home/u",
    lineNumber: 12,
    selectedText: "sel",
    execPath: "/usr/lib/code/code",
    resolved: { "command:cmake.launchTargetPath": "/ws/app/build/t", "input:n": "3", "config:x.y": "z" },
  };
  const cases: [string, string][] = [
    ["${workspaceFolder:lib}/a", "/ws/lib/a"],
    ["${fileWorkspaceFolder}", "/ws/app"],
    ["${fileWorkspaceFolderBasename}", "app"],
    ["${relativeFile}", "src/main.test.c"],
    ["${relativeFileDirname}", "src"],
    ["${fileExtname}", ".c"],
    ["${fileBasenameNoExtension}", "main.test"],
    ["${fileDirnameBasename}", "src"],
    ["${cwd}${/}x", "/home/u/x"],
    ["${lineNumber}:${selectedText}", "12:sel"],
    ["${execPath}", "/usr/lib/code/code"],
    ["${command:cmake.launchTargetPath} ${input:n} ${config:x.y}", "/ws/app/build/t 3 z"],
  ];
  for (const [text, want] of cases) assertEquals(substituteVariables(text, full), want, text);
  assertEquals(
    substituteVariables("${fileBasenameNoExtension}${fileExtname}", { ...ctx, file: "/h/.bashrc" }),
    ".bashrc",
  );
  // A file at its folder's root is in ".".
  assertEquals(substituteVariables("${relativeFileDirname}", { ...full, file: "/ws/app/main.c" }), ".");
  throws(() => substituteVariables("${workspaceFolder:nope}", full), /No workspace folder is named "nope"/);
  throws(() => substituteVariables("${input:other}", full), /Cannot resolve \$\{input:other\} here/);
  throws(() => substituteVariables("${nope}", full), /Unsupported variable/);
});

Deno.test("a configuration of no folder, in a workspace of several, cannot say ${workspaceFolder}: F5 wants it named", () => {
  const several: VariableContext = { ...ctx, workspaceFolder: null, folders: { app: "/ws/app", lib: "/ws/lib" } };
  for (const v of ["${workspaceFolder}", "${workspaceRoot}", "${workspaceFolderBasename}"]) {
    throws(() => substituteVariables(`${v}/a`, several), /workspace of several folders; name the folder, as/, v);
  }
  assertEquals(substituteVariables("${workspaceFolder:lib}/a", several), "/ws/lib/a");
  throws(() => substituteVariables("${workspaceFolder}", { ...ctx, workspaceFolder: null }), /Cannot resolve/);
});

Deno.test("askedVariables lists the variables the editor must resolve, once each, the linux section's too", () => {
  const names = askedVariables({
    type: "cppdbg",
    program: "${command:cmake.launchTargetPath}",
    args: ["${input:port}", "--level=${config:app.level}", "${input:port}"],
    env: { TOKEN: "${input:token}" },
    environment: [{ name: "A", value: "${input:a}" }],
    linux: { cwd: "${input:dir}" },
    envFile: "${workspaceFolder}/${input:stage}.env",
    preLaunchTask: "${input:ignored}",
  });
  assertEquals(names, [
    "command:cmake.launchTargetPath",
    "input:port",
    "config:app.level",
    "input:dir",
    "input:token",
    "input:stage",
    "input:a",
  ]);
});

Deno.test("native launch configuration becomes program and args", () => {
  const c = commandFromLaunchConfig({
    type: "cppdbg",
    program: "${workspaceFolder}/deny",
    args: ["a b", "$HOME"],
    cwd: "build",
    env: { A: "1", B: 2, C: null },
  }, ctx);
  assertEquals(c, {
    argv: ["/ws/deny", "a b", "$HOME"],
    cwd: "/ws/build",
    env: { A: "1", B: "2" },
    unset: ["C"],
    program: "/ws/deny",
  });
  // Taken out of the command's environment by env(1), with or without elevation.
  for (const elevation of ["none", "sudo"] as const) {
    const argv = captraceArgv({
      binary: "c",
      elevation,
      user: null,
      output: "f",
      control: "ctl",
      sites: false,
      target: { command: c },
    });
    assertEquals(argv.slice(argv.lastIndexOf("--")), [
      "--",
      "env",
      "--unset=C",
      "A=1",
      "B=2",
      "/ws/deny",
      "a b",
      "$HOME",
    ]);
  }
});

Deno.test("an envFile's variables come before env's; a Python configuration reads the folder's .env", () => {
  const files: Record<string, string> = {
    "/ws/.env": "# local\nexport DB=db.local\nNAME='a # b'\nMSG=\"x\\ny\" # note\nGONE=1\n\nnot a line\n",
    "/ws/conf/app.env": "PORT=8080\nDB=other\n",
  };
  const read = { ...ctx, readFile: (p: string) => files[p] ?? null };
  const py = commandFromLaunchConfig({
    type: "debugpy",
    program: "app.py",
    env: { DB: "override", GONE: null },
  }, read);
  assertEquals(py.env, { DB: "override", NAME: "a # b", MSG: "x\ny" });
  assertEquals(py.unset, ["GONE"]);
  const node = commandFromLaunchConfig(
    { type: "node", program: "a.js", envFile: "${workspaceFolder}/conf/app.env" },
    read,
  );
  assertEquals(node.env, { PORT: "8080", DB: "other" });
  // No default for others; a missing default is no error, a missing envFile given is.
  assertEquals(commandFromLaunchConfig({ type: "cppdbg", program: "a" }, read).env, {});
  assertEquals(commandFromLaunchConfig({ type: "python", program: "a.py" }, { ...read, readFile: () => null }).env, {});
  throws(
    () => commandFromLaunchConfig({ type: "node", program: "a.js", envFile: "missing.env" }, read),
    /The envFile \/ws\/missing.env cannot be read/,
  );
});

Deno.test("a configuration's linux section overrides its other properties", () => {
  const c = commandFromLaunchConfig({
    type: "cppdbg",
    program: "${workspaceFolder}/app.exe",
    args: ["--windows"],
    linux: { program: "${workspaceFolder}/build/app", args: ["--linux"] },
  }, ctx);
  assertEquals([c.argv, c.program], [["/ws/build/app", "--linux"], "/ws/build/app"]);
});

Deno.test("a C/C++ configuration's environment list is the command's environment", () => {
  const c = commandFromLaunchConfig({
    type: "cppdbg",
    program: "/ws/deny",
    environment: [{ name: "CAPTRACE_TEST", value: "hello" }, { name: "DIR", value: "${workspaceFolder}/x" }],
    env: { A: "1" },
  }, ctx);
  assertEquals(c.env, { A: "1", CAPTRACE_TEST: "hello", DIR: "/ws/x" });
  throws(() => commandFromLaunchConfig({ program: "/ws/deny", environment: [{ value: "x" }] }, ctx), TypeError);
  throws(() => commandFromLaunchConfig({ program: "/ws/deny", environment: { A: "1" } }, ctx), TypeError);
});

Deno.test("a configuration's preLaunchTask comes with its command", () => {
  const c = commandFromLaunchConfig({ program: "/ws/deny", preLaunchTask: "build" }, ctx);
  assertEquals([c.preLaunchTask, c.folder], ["build", "/ws"]);
  assertEquals("preLaunchTask" in commandFromLaunchConfig({ program: "/ws/deny", preLaunchTask: "" }, ctx), false);
});

Deno.test("node and python configurations run through their runtime", () => {
  assertEquals(
    commandFromLaunchConfig({
      type: "pwa-node",
      program: "main.js",
      runtimeExecutable: "/opt/node",
      runtimeArgs: ["--no-warnings"],
    }, ctx).argv,
    ["/opt/node", "--no-warnings", "/ws/main.js"],
  );
  assertEquals(
    commandFromLaunchConfig({
      type: "debugpy",
      program: "${file}",
      args: ["-v"],
    }, ctx).argv,
    ["python3", "/ws/src/a.c", "-v"],
  );
});

Deno.test("configurations without program or with string args are refused", () => {
  throws(
    () =>
      commandFromLaunchConfig(
        { name: "x", type: "node", request: "attach" },
        ctx,
      ),
    TypeError,
  );
  throws(
    () => commandFromLaunchConfig({ program: "/a", args: "-x -y" }, ctx),
    TypeError,
  );
  throws(
    () => commandFromLaunchConfig({ program: "/a", args: [1] }, ctx),
    TypeError,
  );
});

Deno.test("captrace argv for a command: options, user, separator, then the program's argv", () => {
  const command = {
    argv: ["/ws/deny", "x y"],
    cwd: "/ws",
    env: {},
    program: "/ws/deny",
  };
  assertEquals(
    captraceArgv({
      binary: "/opt/captrace",
      elevation: "none",
      user: "nobody",
      output: "/tmp/d/fifo",
      control: "ctl",
      sites: true,
      target: { command },
    }),
    [
      "/opt/captrace",
      "--json",
      "--summary",
      "--control",
      "ctl",
      "-o",
      "/tmp/d/fifo",
      "--sites",
      "-u",
      "nobody",
      "--",
      "/ws/deny",
      "x y",
    ],
  );
});

Deno.test("captrace argv asks captrace to stop with the extension host", () => {
  const argv = captraceArgv({
    binary: "c",
    elevation: "sudo",
    user: null,
    output: "f",
    control: "ctl",
    stopWith: 4242,
    sites: false,
    target: { pid: 7 },
  });
  assertEquals(argv, [
    "sudo",
    "-n",
    "--",
    "c",
    "--json",
    "--summary",
    "--control",
    "ctl",
    "--stop-with",
    "4242",
    "-o",
    "f",
    "--pid",
    "7",
  ]);
});

Deno.test("captrace argv carries env and cwd through env(1) under elevation", () => {
  const command = {
    argv: ["/ws/deny"],
    cwd: "/ws",
    env: { A: "1 2" },
    program: "/ws/deny",
  };
  assertEquals(
    captraceArgv({
      binary: "c",
      elevation: "pkexec",
      user: null,
      output: "f",
      control: "ctl",
      sites: false,
      target: { command },
    }),
    [
      "pkexec",
      "c",
      "--json",
      "--summary",
      "--control",
      "ctl",
      "-o",
      "f",
      "--",
      "env",
      "--chdir=/ws",
      "A=1 2",
      "/ws/deny",
    ],
  );
  throws(() =>
    captraceArgv({
      binary: "c",
      elevation: "none",
      user: null,
      output: "f",
      control: "ctl",
      sites: false,
      target: { command: { ...command, env: { "A=B": "x" } } },
    }), TypeError);
});

Deno.test("under sudo or pkexec the command gets the editor's PATH, unless its configuration sets one", () => {
  const command = { argv: ["node", "/ws/a.js"], cwd: null, env: {}, program: "/ws/a.js" };
  const argv = (elevation: "none" | "sudo", env: Record<string, string> = {}) =>
    captraceArgv({
      binary: "c",
      elevation,
      user: "me",
      output: "f",
      control: "ctl",
      sites: false,
      target: { command: { ...command, env } },
      path: "/home/me/.nvm/bin:/usr/bin",
    }).join(" ").replace(/^.* -o f /, "");
  assertEquals(argv("sudo"), "-u me -- env PATH=/home/me/.nvm/bin:/usr/bin node /ws/a.js");
  assertEquals(argv("sudo", { PATH: "/opt/bin" }), "-u me -- env PATH=/opt/bin node /ws/a.js");
  // Not elevated, captrace and the command inherit the editor's environment as it is.
  assertEquals(argv("none"), "-u me -- node /ws/a.js");
  // A program whose path has '=' is no variable to env: a shell's exec runs it.
  const eq = captraceArgv({
    binary: "c",
    elevation: "sudo",
    user: null,
    output: "f",
    control: "ctl",
    sites: false,
    target: { command: { ...command, argv: ["/ws/build=debug/app", "x=1"] } },
    path: "/usr/bin",
  });
  assertEquals(eq.slice(eq.lastIndexOf("--")), [
    "--",
    "env",
    "PATH=/usr/bin",
    "/bin/sh",
    "-c",
    'exec "$@"',
    "sh",
    "/ws/build=debug/app",
    "x=1",
  ]);
});

Deno.test("captrace argv for a pid refuses a bad pid", () => {
  throws(
    () =>
      captraceArgv({
        binary: "c",
        elevation: "none",
        user: null,
        output: "f",
        control: "ctl",
        sites: false,
        target: { pid: 0 },
      }),
    RangeError,
  );
});

Deno.test("typed command lines split into argv without expansion", () => {
  assertEquals(splitCommandLine("  a  'b c'\td\\ e \"f\\\"g\" ''  "), [
    "a",
    "b c",
    "d e",
    'f"g',
    "",
  ]);
  assertEquals(splitCommandLine("echo $(id) *"), ["echo", "$(id)", "*"]);
  throws(() => splitCommandLine("a 'b"), SyntaxError);
});

Deno.test("a command's label reads back as its words, the program's directory and long paths left out", () => {
  const argv = ["/ws/a.out", "two words", `say "hi"`, "it's", "", "$HOME", "*.c", "a;b", "--x=1", "ünï"];
  const label = commandLabel(argv);
  assertEquals(splitCommandLine(label), ["a.out", ...argv.slice(1)]);
  assertEquals(commandLabel(["./a.out", "/home/user/projects/long/input.txt", "/tmp/x"]), "a.out input.txt /tmp/x");
  assertEquals(commandLabel(["./ünï", "ß"]), "ünï ß");
  assertEquals(commandLabel(["/ws/build=debug/a=b", "x=1"]), "'a=b' x=1");
  assertEquals(splitCommandLine(commandLabel(["/x/it's=1", "a"])), ["it's=1", "a"]);
});
