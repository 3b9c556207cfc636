#!/usr/bin/env -S node --max-old-space-size=256 --max-semi-space-size=16 --single-threaded --min-semi-space-size=16
// The `paysync` command: runs the TypeScript CLI through tsx, so there is no build step. The
// shebang carries NODE_FLAGS of lambda/config/heap-flags.ts (env -S splits them).
import { register } from "tsx/esm/api";

// Local runs are on Node 20; the deployed Lambda runs Node 22+, where the SDK has nothing to say.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
const { main } = await import("../cli.ts");
process.exitCode = await main(process.argv.slice(2));
// Every connection is closed by now; this only guards against a stray handle keeping a
// finished run alive. unref: it never delays a normal exit.
setTimeout(() => process.exit(), 2000).unref();
