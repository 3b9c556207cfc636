import { createPaysyncApp } from "./paysync-app.ts";
import { ContextError } from "./stack-settings.ts";

try {
  createPaysyncApp().app.synth();
} catch (error) {
  if (!(error instanceof ContextError)) throw error;
  // A missing or bad context value: the message names the key; a stack trace adds nothing.
  process.stderr.write(`paysync: ${error.message}\n`);
  process.exit(1);
}
