// Asks for CAP_CHOWN every half second for a while, so a trace attached after the start still sees the checks.
const fs = require("node:fs");
const file = process.argv[2];
let n = 0;
const timer = setInterval(() => {
  try {
    fs.chownSync(file, 65534, 65534); // CAP_CHOWN checked here
    console.log("chown succeeded");
  } catch (e) {
    console.log(`chown: ${e.code}`);
  }
  if (++n >= 24) clearInterval(timer);
}, 500);
