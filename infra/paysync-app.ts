import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { PaysyncStack } from "./paysync-stack.ts";
import { readStackSettings } from "./stack-settings.ts";

export const STACK_NAME = "Paysync";

/**
 * The app as `cdk synth` builds it, for `app.ts` and the tests alike: context checked first,
 * then the stack, with cdk-nag's AWS Solutions rules run at synth (a violation fails it).
 */
export function createPaysyncApp(props: AppProps = {}): { app: App; stack: PaysyncStack } {
  const app = new App(props);
  const settings = readStackSettings(app.node);
  // No env: the template is account- and region-agnostic, so synth needs no credentials and
  // makes no lookups; `cdk deploy` picks the target from the caller's AWS profile.
  const stack = new PaysyncStack(app, STACK_NAME, {
    settings,
    description: "paysync: payment reconciliation",
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
