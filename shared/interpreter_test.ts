/** Tests of interpreter recognition and finding the script in argv or a #! line. */

import assert from "node:assert/strict";
import { envCommand, interpreterName, parseShebang, scriptFromArgv, shebangInterpreter } from "./interpreter.ts";

Deno.test("interpreters are recognized by base name, versions included", () => {
  for (
    const p of [
      "/usr/bin/python3",
      "python3.11",
      "/bin/sh",
      "/usr/bin/bash",
      "/usr/bin/perl5.36.0",
      "node",
      "deno",
      "java",
    ]
  ) {
    assert.notEqual(interpreterName(p), null, p);
  }
  for (const p of ["/usr/bin/chown", "/tmp/shell", "pythonic", "/usr/bin/nodemon", "/usr/bin/javac", "denon"]) {
    assert.equal(interpreterName(p), null, p);
  }
});

Deno.test("script from argv: first non-option argument, skipping option values", () => {
  assert.equal(scriptFromArgv(["/usr/bin/python3", "-u", "-W", "ignore", "app.py", "x"]), "app.py");
  assert.equal(scriptFromArgv(["node", "--require", "./hook.js", "server.js"]), "server.js");
  assert.equal(scriptFromArgv(["bash", "-e", "-o", "pipefail", "/srv/run.sh"]), "/srv/run.sh");
  assert.equal(scriptFromArgv(["/bin/sh", "/tmp/x.sh"]), "/tmp/x.sh");
  assert.equal(scriptFromArgv(["perl", "--", "-odd-name.pl"]), "-odd-name.pl");
  assert.equal(scriptFromArgv(["awk", "-f", "prog.awk", "data"]), "prog.awk");
  // An option takes a value only in its own family: python's -O and -I are flags, bash's -O and perl's -I are not.
  assert.equal(scriptFromArgv(["/usr/bin/python3", "-O", "app.py"]), "app.py");
  assert.equal(scriptFromArgv(["python3", "-I", "app.py"]), "app.py");
  assert.equal(scriptFromArgv(["bash", "-r", "x.sh"]), "x.sh");
  assert.equal(scriptFromArgv(["bash", "-O", "extglob", "x.sh"]), "x.sh");
  assert.equal(scriptFromArgv(["perl", "-I", "lib", "x.pl"]), "x.pl");
  assert.equal(scriptFromArgv(["ruby", "-r", "json", "x.rb"]), "x.rb");
  assert.equal(scriptFromArgv(["node", "-r", "./hook.js", "x.js"]), "x.js");
});

Deno.test("script from argv: deno's subcommand and java's jar are read past to the script", () => {
  assert.equal(
    scriptFromArgv(["/usr/bin/deno", "run", "-A", "--config", "deno.json", "server.ts", "run"]),
    "server.ts",
  );
  assert.equal(scriptFromArgv(["deno", "-A", "app.ts"]), "app.ts", "deno 2 runs a file given without run");
  assert.equal(scriptFromArgv(["deno", "serve", "--port=80", "main.ts"]), "main.ts");
  assert.equal(scriptFromArgv(["deno", "eval", "Deno.chownSync('f', 0, 0)"]), null);
  assert.equal(scriptFromArgv(["deno", "task", "start"]), null);
  assert.equal(scriptFromArgv(["java", "-Xmx1g", "-jar", "/opt/app.jar", "--port", "80"]), "/opt/app.jar");
  assert.equal(scriptFromArgv(["java", "-cp", "lib/*", "com.example.Main"]), null, "a class, no file");
  assert.equal(scriptFromArgv(["java", "Hello.java"]), "Hello.java");
  assert.equal(scriptFromArgv(["java", "--module", "app/com.example.Main"]), null);
  // Options that take their value as the next word; subcommands that run nothing of the user's.
  assert.equal(scriptFromArgv(["deno", "serve", "--port", "8000", "main.ts"]), "main.ts");
  assert.equal(scriptFromArgv(["deno", "run", "--preload", "setup.ts", "main.ts"]), "main.ts");
  for (const sub of ["fmt", "compile", "install", "lint", "check", "x"]) {
    assert.equal(scriptFromArgv(["deno", sub, "-o", "x", "main.ts"]), null, sub);
  }
  assert.equal(scriptFromArgv(["java", "--add-exports", "java.base/x=ALL-UNNAMED", "-jar", "app.jar"]), "app.jar");
  assert.equal(scriptFromArgv(["java", "--source", "21", "Hello.java"]), "Hello.java");
  assert.equal(scriptFromArgv(["java", "--source", "21", "hello"]), "hello");
  assert.equal(scriptFromArgv(["deno", "test", "--filter", "foo", "--reporter", "dot", "a_test.ts"]), "a_test.ts");
  assert.equal(scriptFromArgv(["java", "@opts", "-jar", "app.jar"]), "app.jar");
  assert.equal(scriptFromArgv(["java", "-Dfoo=bar", "-XX:+UseG1GC", "-jar", "x.jar"]), "x.jar");
});

Deno.test("script from argv: inline code, modules and stdin have no script", () => {
  assert.equal(scriptFromArgv(["sh", "-c", "chown 0 f"]), null);
  assert.equal(scriptFromArgv(["bash", "-ec", "true"]), null);
  assert.equal(scriptFromArgv(["python3", "-m", "http.server"]), null);
  assert.equal(scriptFromArgv(["node", "-e", "1"]), null);
  assert.equal(scriptFromArgv(["python3"]), null);
  assert.equal(scriptFromArgv(["awk", "{print}", "file"]), null);
});

Deno.test("shebang lines split into words; other text is no shebang", () => {
  assert.deepEqual(parseShebang("#!/bin/sh -e\necho"), ["/bin/sh", "-e"]);
  assert.deepEqual(parseShebang("#! /usr/bin/env  python3\n"), ["/usr/bin/env", "python3"]);
  assert.equal(parseShebang("\x7fELF"), null);
  assert.equal(parseShebang("#!\n"), null);
});

Deno.test("the kernel's interpreter is the #! line's first word, carriage return and all", () => {
  assert.equal(shebangInterpreter("#!/bin/sh -e\necho"), "/bin/sh");
  assert.equal(shebangInterpreter("#!\t/usr/bin/env python3\n"), "/usr/bin/env");
  assert.equal(shebangInterpreter("#!/bin/bash\r\n"), "/bin/bash\r", "a file with Windows line endings");
  assert.equal(shebangInterpreter("#!./relative"), "./relative");
  assert.equal(shebangInterpreter("#!/bin/sh\0junk\n"), "/bin/sh", "a NUL ends it");
  assert.equal(shebangInterpreter("#! \n"), null);
  assert.equal(shebangInterpreter("\x7fELF"), null);
});

Deno.test("envCommand skips env's options, their values and variable settings, and takes a word after --", () => {
  assert.equal(envCommand(["python3"]), "python3");
  assert.equal(envCommand(["-S", "-i", "A=1", "B=", "ruby", "-w"]), "ruby");
  assert.equal(envCommand(["-C", "/tmp", "--unset", "X", "--chdir=/srv", "node"]), "node");
  assert.equal(envCommand(["-i", "--", "-weird"]), "-weird");
  assert.equal(envCommand(["-u", "X"]), null);
  assert.equal(envCommand([]), null);
});
