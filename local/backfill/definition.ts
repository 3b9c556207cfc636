import { App, Stack } from "aws-cdk-lib";
import { Function as LambdaFunction } from "aws-cdk-lib/aws-lambda";
import type { CfnStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import {
  type BackfillFunctions,
  BackfillStateMachine,
} from "../../infra/backfill-state-machine.ts";

/** Stand-ins for the deployed ARNs; the local runner binds each Task by its state's name. */
const LOCAL_ACCOUNT = "000000000000";
const LOCAL_REGION = "us-east-1";
const PSEUDO: Readonly<Record<string, string>> = {
  "AWS::Partition": "aws",
  "AWS::Region": LOCAL_REGION,
  "AWS::AccountId": LOCAL_ACCOUNT,
  "AWS::URLSuffix": "amazonaws.com",
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Resolves what a template may hold in a definition string: text, pseudo refs and joins. */
function resolve(value: Json): string {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const ref = value.Ref;
    if (typeof ref === "string" && PSEUDO[ref] !== undefined) return PSEUDO[ref];
    const join = value["Fn::Join"];
    if (Array.isArray(join) && typeof join[0] === "string" && Array.isArray(join[1])) {
      return join[1].map(resolve).join(join[0]);
    }
  }
  throw new Error(
    `the backfill definition holds an intrinsic the local runner cannot resolve: ${JSON.stringify(value)}`,
  );
}

/**
 * The backfill's Amazon States Language, synthesized by the same construct the stack deploys
 * (`infra/backfill-state-machine.ts`), over stand-in functions. Nothing is hand-copied: a
 * change to the construct is a change to what `paysync backfill` runs.
 */
export function backfillDefinition(concurrency: number): Record<string, unknown> {
  const app = new App();
  const stack = new Stack(app, "PaysyncLocalBackfill", {
    env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION },
  });
  const standIn = (name: string) =>
    LambdaFunction.fromFunctionArn(
      stack,
      name,
      `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:paysync-backfill-${name}`,
    );
  const functions: BackfillFunctions = {
    plan: standIn("plan"),
    slice: standIn("slice"),
    guard: standIn("guard"),
    report: standIn("report"),
  };
  const { stateMachine } = new BackfillStateMachine(stack, "Backfill", { functions, concurrency });
  // The property the template carries, resolved the way synthesis resolves it, without
  // writing a whole cloud assembly: under the CLI's small heap that costs seconds of GC.
  const resource = stateMachine.node.defaultChild as CfnStateMachine;
  return JSON.parse(resolve(stack.resolve(resource.definitionString) as Json)) as Record<
    string,
    unknown
  >;
}
