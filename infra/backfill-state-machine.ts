import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  type RetryProps,
  StateMachine,
  StateMachineType,
  type TaskStateBase,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";

/** The four Task states' functions; their handlers are in `lambda/backfill/`. */
export interface BackfillFunctions {
  readonly plan: IFunction;
  readonly slice: IFunction;
  readonly guard: IFunction;
  readonly report: IFunction;
}

export interface BackfillStateMachineProps {
  readonly functions: BackfillFunctions;
  /** Slices in flight at once, in each map: the gateway's rate limit and the store's connections. */
  readonly concurrency: number;
  /** Logs are kept by the stack; the local runner makes the construct only to read its definition. */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Names of the Task states. The local runner binds its in-process handlers by these names, so
 * the definition it runs is the one the stack deploys.
 */
export const BACKFILL_TASKS = {
  plan: "Plan",
  judgeSlice: "JudgeSlice",
  guard: "Guard",
  applySlice: "ApplySlice",
  report: "Report",
} as const;

/**
 * What Lambda itself answers when it is throttled or briefly broken: always worth another try
 * (Step Functions' "Handle Lambda service exceptions" best practice, plus throttling).
 */
const LAMBDA_TRANSIENT_ERRORS = [
  "Lambda.TooManyRequestsException",
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
];
const LAMBDA_RETRY: RetryProps = {
  errors: LAMBDA_TRANSIENT_ERRORS,
  interval: Duration.seconds(2),
  maxAttempts: 6,
  backoffRate: 2,
  maxDelay: Duration.minutes(1),
  jitterStrategy: JitterType.FULL,
};
/**
 * A slice run that ended `FAILED` (a gateway or store outage, say), or a slice's Lambda that
 * died unhandled (`Lambda.Unknown`: a timeout, out of memory): run the slice again. Its claims
 * make a second run safe; its ledger record is replaced.
 */
const SLICE_RETRY: RetryProps = {
  errors: ["SliceRunFailed", "Lambda.Unknown"],
  interval: Duration.seconds(10),
  maxAttempts: 2,
  backoffRate: 3,
};

/**
 * The backfill of contracts §6: Plan → Judge (a dry run per slice) → Guard (on the sums) →
 * Apply (a real run per slice) → Report. JSONPath only, and both maps are distributed maps
 * with a bounded concurrency; a slice that gives up after its retries is caught and reported
 * as FAILED instead of failing the whole map, so the backfill still reports every slice.
 */
export class BackfillStateMachine extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: BackfillStateMachineProps) {
    super(scope, id);
    const { functions, concurrency } = props;
    const invoke = (name: string, fn: IFunction): LambdaInvoke =>
      new LambdaInvoke(this, name, {
        lambdaFunction: fn,
        // The handler's return value is the state's result, and the Resource is the function:
        // small states, and one Task per handler for the local runner to bind.
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
      });
    const withRetries = (task: TaskStateBase, slice: boolean) => {
      task.addRetry(LAMBDA_RETRY);
      if (slice) task.addRetry(SLICE_RETRY);
      return task;
    };

    const plan = withRetries(invoke(BACKFILL_TASKS.plan, functions.plan), false);

    const sliceMap = (name: string, pass: "judge" | "apply", maxCancels: string) => {
      const task = withRetries(invoke(`${name}Slice`, functions.slice), true);
      const gaveUp = new Pass(this, `${name}SliceGaveUp`, {
        parameters: {
          from: JsonPath.stringAt("$.from"),
          to: JsonPath.stringAt("$.to"),
          status: "FAILED",
          scanned: 0,
          orphans: 0,
          judged: 0,
          error: JsonPath.stringAt("$.failure.Error"),
        },
      });
      (task as LambdaInvoke).addCatch(gaveUp, { errors: ["States.ALL"], resultPath: "$.failure" });
      return new DistributedMap(this, name, {
        itemsPath: "$.slices",
        itemSelector: {
          backfillId: JsonPath.stringAt("$.backfillId"),
          pass,
          from: JsonPath.stringAt("$$.Map.Item.Value.from"),
          to: JsonPath.stringAt("$$.Map.Item.Value.to"),
          maxCancels: JsonPath.numberAt(maxCancels),
        },
        maxConcurrency: concurrency,
        resultPath: pass === "judge" ? "$.judged" : "$.applied",
      }).itemProcessor(task);
    };

    const judge = sliceMap("Judge", "judge", "$.maxCancels");
    const guard = withRetries(invoke(BACKFILL_TASKS.guard, functions.guard), false);
    const apply = sliceMap("Apply", "apply", "$$.Map.Item.Value.maxCancels");
    const report = withRetries(invoke(BACKFILL_TASKS.report, functions.report), false);

    const definition = plan
      .next(judge)
      .next(guard)
      .next(
        new Choice(this, "Apply?")
          .when(Condition.stringEquals("$.verdict", "apply"), apply.next(report))
          .otherwise(report),
      );

    const logs = new LogGroup(this, "Logs", {
      retention: RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new StateMachine(this, "StateMachine", {
      definitionBody: DefinitionBody.fromChainable(definition),
      stateMachineType: StateMachineType.STANDARD,
      comment:
        "paysync backfill (contracts §6): plan slices, judge them dry, guard the sums, apply, report",
      // A 366-day backfill of a busy shop, read twice, with room for retries.
      timeout: Duration.days(7),
      tracingEnabled: true,
      // Execution data would carry payment ids into the logs; the ledger holds those.
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
    });
    this.acknowledgeWildcards(functions);
  }

  /**
   * The wildcards CDK writes into the role, each one AWS's own requirement and none an action
   * wildcard: cdk-nag is told why, one resource at a time.
   */
  private acknowledgeWildcards(functions: BackfillFunctions): void {
    const stack = Stack.of(this);
    const logicalId = (construct: Construct) =>
      stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const iam5 = (resource: string, reason: string) =>
      Validations.of(this.stateMachine).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason,
      });
    for (const fn of Object.values(functions)) {
      // An imported function (the local runner's stand-ins) has no resource to name.
      if (fn.node.defaultChild === undefined) continue;
      iam5(
        `<${logicalId(fn)}.Arn>:*`,
        "lambda:InvokeFunction on this one function and its versions or aliases (`:*`), as the Step Functions Lambda integration grants it; no other function.",
      );
    }
    iam5(
      "*",
      "Only the actions AWS documents as resource-less: CloudWatch Logs' log-delivery actions (logs:CreateLogDelivery and its kin, for the state machine's own log group) and X-Ray's PutTraceSegments/PutTelemetryRecords/GetSampling*.",
    );
    const machine = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(this.stateMachine)}"}]}]}`;
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${machine}`;
    const childRuns =
      "The distributed maps describe and stop their own child executions, whose ARNs exist only at run time; the resource is this state machine's executions, never another's.";
    iam5(`${executions}:*`, childRuns);
    iam5(`${executions}/*:*`, childRuns);
  }
}
