import { spawn, spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { type CfnElement, Validations } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { createPaysyncApp } from "../../infra/paysync-app.ts";
import { backfillDefinition } from "../../local/backfill/definition.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import { effectiveCancels, startServices } from "../support/embedded.ts";
import {
  CDK_JSON_CONTEXT,
  normalised,
  type Synthesized,
  synth,
  validationViolations,
} from "./synth.ts";

const API_KEY_ARN =
  "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:paysync/pg-api-key-AbCdEf";
const STORE_ARN =
  "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:shop/rds-credentials-GhIjKl";

/** Runs an ES module snippet in a fresh Node process; the embedded services stay in this one. */
function runNode(
  source: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", source], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  // One synth with real bundling (local esbuild, no Docker) for the whole file.
  synthesized = synth();
  template = synthesized.template;
});

const logicalId = (type: string, props: Record<string, unknown> = {}) =>
  template.getResourceId(type, props);
const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });

type PaysyncStack = Synthesized["stack"];

/** The logical id CloudFormation knows a construct's resource by, in its stack. */
const idOf = (stack: PaysyncStack, construct: IConstruct) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** The backfill's four functions, by construct id (one per Task state's handler). */
const BACKFILL_FUNCTIONS = ["BackfillPlan", "BackfillGuard", "BackfillReport", "BackfillSlice"];

/** The run function: the one the schedules invoke, not a backfill step. */
const mainFunction = (from: Pick<Synthesized, "stack"> = synthesized) =>
  idOf(from.stack, from.stack.function);
const backfillFunction = (name: string, from: Pick<Synthesized, "stack"> = synthesized) =>
  idOf(from.stack, from.stack.node.findChild(name));
/** The log group a PaysyncFunction made for itself, next to it: `${id}Logs`. */
const ownLogGroup = (name: string, from: Pick<Synthesized, "stack"> = synthesized) =>
  idOf(from.stack, from.stack.node.findChild(`${name}Logs`));
const stateMachineId = (from: Pick<Synthesized, "stack"> = synthesized) =>
  idOf(from.stack, from.stack.backfill.stateMachine);

/** Partial match (as `hasResourceProperties`) on one resource, picked by its logical id. */
function expectResource(
  from: Template,
  id: string,
  type: string,
  properties: Record<string, unknown>,
): void {
  from.templateMatches({ Resources: { [id]: { Type: type, Properties: properties } } });
}

/** One resource as the template has it (`toJSON()` types it `any`, as the other finders do). */
const resourceOf = (from: Template, id: string) => from.toJSON().Resources[id];

/** The app refuses this context with this message (the key's name, as `-c` users see it). */
const rejects = (context: Record<string, unknown>, message: RegExp) =>
  expect(() =>
    createPaysyncApp({
      context: { ...CDK_JSON_CONTEXT, ...context, "aws:cdk:bundling-stacks": [] },
    }),
  ).toThrow(message);

describe("the function", () => {
  it("runs Node.js 24 on ARM64 with a deliberate timeout and memory", () => {
    // The run function and the backfill's four steps, nothing else.
    template.resourceCountIs("AWS::Lambda::Function", 5);
    expect(Object.keys(template.findResources("AWS::Lambda::Function")).sort()).toEqual(
      [mainFunction(), ...BACKFILL_FUNCTIONS.map((name) => backfillFunction(name))].sort(),
    );
    expectResource(template, mainFunction(), "AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Timeout: 300,
      MemorySize: 768,
    });
  });

  it("gets the gateway, the table and the secrets' ARNs, never a secret value", () => {
    expectResource(template, mainFunction(), "AWS::Lambda::Function", {
      Environment: {
        Variables: {
          PG_PROVIDER: "reference",
          PG_BASE_URL: "https://pg.example.com",
          LEDGER_TABLE: ref(logicalId("AWS::DynamoDB::GlobalTable")),
          EVENT_BUS_NAME: ref(logicalId("AWS::Events::EventBus")),
          PG_API_KEY_SECRET_ARN: ref(
            logicalId("AWS::SecretsManager::Secret", {
              Properties: { Description: Match.stringLikeRegexp("PG gateway API key") },
            }),
          ),
          STORE_DATABASE_SECRET_ARN: ref(
            logicalId("AWS::SecretsManager::Secret", {
              Properties: { Description: Match.stringLikeRegexp("store database") },
            }),
          ),
          NODE_OPTIONS: "--enable-source-maps --max-old-space-size=256 --max-semi-space-size=16",
          AWS_LAMBDA_EXEC_WRAPPER: "/var/task/node-wrapper.sh",
          NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
        },
      },
    });
    const variables = Object.keys(
      resourceOf(template, mainFunction()).Properties.Environment.Variables,
    );
    expect(variables).not.toContain("PG_API_KEY");
    expect(variables).not.toContain("STORE_DATABASE_URL");
  });

  it("sends a run that still fails after one retry to the dead-letter queue", () => {
    const queue = logicalId("AWS::SQS::Queue");
    expectResource(template, mainFunction(), "AWS::Lambda::Function", {
      DeadLetterConfig: { TargetArn: arnOf(queue) },
    });
    template.resourceCountIs("AWS::Lambda::EventInvokeConfig", 1);
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: ref(mainFunction()),
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it("is bundled locally by esbuild into ESM with a source map, without the local tools", () => {
    const fn = resourceOf(template, mainFunction());
    const assetPath: string = fn?.Metadata["aws:asset:path"];
    const dir = join(synthesized.assemblyDirectory, assetPath);
    const code = readFileSync(join(dir, "index.mjs"), "utf8");
    expect(code.startsWith("import { createRequire")).toBe(true);
    expect(code).toContain("//# sourceMappingURL=index.mjs.map");
    const sources: string[] = JSON.parse(readFileSync(join(dir, "index.mjs.map"), "utf8")).sources;
    expect(sources.some((source) => source.endsWith("/lambda/handler.ts"))).toBe(true);
    // The embedded stack and the simulator stay out of the Lambda.
    expect(sources.filter((source) => /\/local\/|dynalite|pglite/.test(source))).toEqual([]);
  });

  it("ships its exec wrapper beside the bundle, executable, as AWS_LAMBDA_EXEC_WRAPPER names it", () => {
    for (const fn of [
      mainFunction(),
      ...BACKFILL_FUNCTIONS.map((name) => backfillFunction(name)),
    ]) {
      const resource = resourceOf(template, fn);
      const wrapper = join(
        synthesized.assemblyDirectory,
        resource.Metadata["aws:asset:path"],
        "node-wrapper.sh",
      );
      expect(readFileSync(wrapper, "utf8")).toBe(
        readFileSync(new URL("../../lambda/config/node-wrapper.sh", import.meta.url), "utf8"),
      );
      // The CLI zips each file with its own mode: Lambda can only run an executable wrapper.
      expect(statSync(wrapper).mode & 0o111).toBe(0o111);
      expect(resource.Properties.Environment.Variables.AWS_LAMBDA_EXEC_WRAPPER).toBe(
        "/var/task/node-wrapper.sh",
      );
    }
  });

  it("writes to its own log group, kept three months", () => {
    const logs = ownLogGroup("Function");
    expectResource(template, logs, "AWS::Logs::LogGroup", { RetentionInDays: 90 });
    expectResource(template, mainFunction(), "AWS::Lambda::Function", {
      LoggingConfig: { LogGroup: ref(logs) },
    });
  });
});

describe("the backfill's functions", () => {
  const handlers: Record<string, string> = {
    BackfillPlan: "plan-handler.ts",
    BackfillGuard: "guard-handler.ts",
    BackfillReport: "report-handler.ts",
    BackfillSlice: "slice-handler.ts",
  };

  it("are each bundled from their own handler, without the local tools", () => {
    for (const name of BACKFILL_FUNCTIONS) {
      const fn = resourceOf(template, backfillFunction(name));
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
      });
      const dir = join(synthesized.assemblyDirectory, fn.Metadata["aws:asset:path"]);
      const sources: string[] = JSON.parse(
        readFileSync(join(dir, "index.mjs.map"), "utf8"),
      ).sources;
      expect(
        sources.filter(
          (source) => source.endsWith("-handler.ts") || source.endsWith("/lambda/handler.ts"),
        ),
        name,
      ).toEqual([expect.stringMatching(new RegExp(`/lambda/backfill/${handlers[name]}$`))]);
      expect(sources.filter((source) => /\/local\/|dynalite|pglite/.test(source))).toEqual([]);
    }
  });

  it("each write to a log group of their own, kept three months", () => {
    const groups = BACKFILL_FUNCTIONS.map((name) => ownLogGroup(name));
    expect(new Set([ownLogGroup("Function"), ...groups]).size).toBe(5);
    BACKFILL_FUNCTIONS.forEach((name, i) => {
      expectResource(template, groups[i] as string, "AWS::Logs::LogGroup", { RetentionInDays: 90 });
      expectResource(template, backfillFunction(name), "AWS::Lambda::Function", {
        LoggingConfig: { LogGroup: ref(groups[i] as string) },
      });
    });
    // Five functions' groups and the state machine's.
    template.resourceCountIs("AWS::Logs::LogGroup", 6);
  });

  it("give the slice what a run gets, and Plan, Guard and Report no secret", () => {
    const run = resourceOf(template, mainFunction()).Properties.Environment.Variables;
    const variables = (name: string) =>
      resourceOf(template, backfillFunction(name)).Properties.Environment.Variables;
    expect(variables("BackfillSlice")).toEqual(run);
    for (const name of ["BackfillPlan", "BackfillGuard"]) {
      expect(variables(name)).toEqual({
        NODE_OPTIONS: run.NODE_OPTIONS,
        AWS_LAMBDA_EXEC_WRAPPER: run.AWS_LAMBDA_EXEC_WRAPPER,
        NODE_EXTRA_CA_CERTS: run.NODE_EXTRA_CA_CERTS,
        PG_PROVIDER: run.PG_PROVIDER,
      });
    }
    expect(variables("BackfillReport")).toEqual({
      NODE_OPTIONS: run.NODE_OPTIONS,
      AWS_LAMBDA_EXEC_WRAPPER: run.AWS_LAMBDA_EXEC_WRAPPER,
      NODE_EXTRA_CA_CERTS: run.NODE_EXTRA_CA_CERTS,
      PG_PROVIDER: run.PG_PROVIDER,
      LEDGER_TABLE: run.LEDGER_TABLE,
      EVENT_BUS_NAME: run.EVENT_BUS_NAME,
    });
  });

  it("are invoked only by the state machine (no schedule, no DLQ); a slice gets 15 minutes", () => {
    for (const name of BACKFILL_FUNCTIONS) {
      const fn = resourceOf(template, backfillFunction(name));
      expect(fn.Properties.DeadLetterConfig).toBeUndefined();
      expect(JSON.stringify(template.findResources("AWS::Lambda::Permission"))).not.toContain(
        `"${backfillFunction(name)}"`,
      );
    }
    expect(resourceOf(template, backfillFunction("BackfillSlice")).Properties.Timeout).toBe(900);
  });
});

describe("the bundle Lambda runs", () => {
  it("handles a scheduled event on the embedded stack, loaded by plain Node as ESM", async () => {
    const fn = resourceOf(template, mainFunction());
    const bundle = join(synthesized.assemblyDirectory, fn?.Metadata["aws:asset:path"], "index.mjs");
    const services = await startServices();
    try {
      // A separate process: Node's own ESM loader, as in Lambda, not the test runner's.
      const invoke = `
        const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
        const event = { "detail-type": "Scheduled Event", source: "aws.events", time: new Date().toISOString() };
        const report = await handler(event, { getRemainingTimeInMillis: () => 60000, awsRequestId: "bundle-test", functionName: "paysync" });
        process.stderr.write("REPORT " + JSON.stringify(report) + "\\n");
        process.exit(0);`;
      const result = await runNode(invoke, { ...process.env, ...services.env });
      const line = result.stderr.split("\n").find((l) => l.startsWith("REPORT "));
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(line?.slice("REPORT ".length) ?? "{}");
      expect(report).toMatchObject({ status: "SUCCEEDED", cancelled: SEED_EXPECTED.cancelled });
      expect(effectiveCancels(services)).toEqual(
        Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1])),
      );
      expect(result.stdout).toContain('"Namespace":"paysync"');
    } finally {
      await services.close();
    }
  });
});

describe("the schedules", () => {
  const targetOptions = () => ({
    RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
    DeadLetterConfig: { Arn: arnOf(logicalId("AWS::SQS::Queue")) },
    Arn: arnOf(mainFunction()),
  });

  it("runs the frequent sync every 5 minutes with the scheduled event itself", () => {
    template.resourceCountIs("AWS::Events::Rule", 2);
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(5 minutes)",
      State: "ENABLED",
      Targets: [{ ...targetOptions(), Input: Match.absent() }],
    });
  });

  it("runs the nightly deep run at 03:00 KST with a 48-hour lookback as constant input", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(0 18 * * ? *)",
      State: "ENABLED",
      Targets: [{ ...targetOptions(), Input: JSON.stringify({ lookbackSeconds: 172_800 }) }],
    });
  });

  it("lets EventBridge invoke the function and write to the DLQ, over TLS only", () => {
    template.resourcePropertiesCountIs(
      "AWS::Lambda::Permission",
      {
        Action: "lambda:InvokeFunction",
        Principal: "events.amazonaws.com",
        FunctionName: arnOf(mainFunction()),
      },
      2,
    );
    template.resourceCountIs("AWS::Lambda::Permission", 2);
    template.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
          Match.objectLike({
            Effect: "Allow",
            Action: "sqs:SendMessage",
            Principal: { Service: "events.amazonaws.com" },
          }),
        ]),
      },
    });
  });

  it("takes the rate and the cron from context", () => {
    const custom = synth(
      { syncRateMinutes: "10", deepRunCron: "cron(30 17 * * ? *)" },
      { bundle: false },
    ).template;
    custom.hasResourceProperties("AWS::Events::Rule", { ScheduleExpression: "rate(10 minutes)" });
    custom.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "cron(30 17 * * ? *)",
    });
    custom.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "Succeeded",
      Period: 600,
      EvaluationPeriods: 3,
    });
  });
});

describe("the ledger table", () => {
  it("is on-demand, keyed pk/sk, with PITR, TTL on expires_at, deletion protection, retained", () => {
    template.resourceCountIs("AWS::DynamoDB::GlobalTable", 1);
    template.hasResource("AWS::DynamoDB::GlobalTable", {
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
      Properties: {
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        TimeToLiveSpecification: { AttributeName: "expires_at", Enabled: true },
        Replicas: [
          {
            Region: { Ref: "AWS::Region" },
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          },
        ],
      },
    });
  });
});

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

/** Every statement of the policies that name this role, and of its inline policies. */
function roleStatements(from: Template, roleId: string): Statement[] {
  const attached = ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"]
    .flatMap((type) => Object.values(from.findResources(type)))
    .filter((policy) =>
      ((policy.Properties.Roles ?? []) as unknown[]).some((role) =>
        isDeepStrictEqual(role, ref(roleId)),
      ),
    )
    .map((policy) => policy.Properties.PolicyDocument);
  const inline = ((resourceOf(from, roleId).Properties.Policies ?? []) as unknown[]).map(
    (policy) => (policy as { PolicyDocument: unknown }).PolicyDocument,
  );
  return [...attached, ...inline].flatMap(
    (document) => (document as { Statement: Statement[] }).Statement,
  );
}

/** The role a function runs as, from its `Role: { "Fn::GetAtt": [role, "Arn"] }`. */
const roleOf = (from: Template, functionId: string): string =>
  resourceOf(from, functionId).Properties.Role["Fn::GetAtt"][0];
const functionStatements = (from: Template, functionId: string) =>
  roleStatements(from, roleOf(from, functionId));

const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const resourcesOf = (statement: Statement) =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

/**
 * Every (action, resource) pair the statements allow, sorted: two roles compare exactly,
 * however CDK happens to group the statements. Any Deny or condition is kept visible.
 */
const grantsOf = (all: Statement[]) =>
  all
    .flatMap((statement) => {
      const { Action, Resource, Effect, ...rest } = statement as Statement &
        Record<string, unknown>;
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
      return actionsOf(statement).flatMap((action) =>
        resourcesOf(statement).map(
          (resource) => `${Effect} ${action} ${JSON.stringify(resource)}${extra}`,
        ),
      );
    })
    .sort();
const grant = (action: string, resource: unknown) => `Allow ${action} ${JSON.stringify(resource)}`;
const logGrants = (logGroup: string) =>
  ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => grant(action, arnOf(logGroup)));

describe("the event bus (contracts §8)", () => {
  it("is paysync's own, named in the function's EVENT_BUS_NAME and in the stack's outputs", () => {
    template.resourceCountIs("AWS::Events::EventBus", 1);
    const bus = logicalId("AWS::Events::EventBus");
    template.hasOutput("EventBusName", { Value: ref(bus) });
    template.hasOutput("EventBusArn", { Value: { "Fn::GetAtt": [bus, "Arn"] } });
  });
});

describe("least privilege", () => {
  it("lets the function touch only its table, its secrets, its bus, its log group and its DLQ", () => {
    const all = functionStatements(template, mainFunction());
    const byService = (service: string) =>
      all.filter((s) => actionsOf(s).some((a) => a.startsWith(`${service}:`)));

    const table = logicalId("AWS::DynamoDB::GlobalTable");
    const dynamodb = byService("dynamodb");
    expect(dynamodb.length).toBeGreaterThan(0);
    for (const statement of dynamodb) expect(resourcesOf(statement)).toEqual([arnOf(table)]);

    const secrets = Object.keys(template.findResources("AWS::SecretsManager::Secret")).map(ref);
    const secretsmanager = byService("secretsmanager");
    expect(secretsmanager.length).toBeGreaterThan(0);
    for (const statement of secretsmanager) {
      expect(actionsOf(statement).sort()).toEqual([
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
      ]);
      expect(resourcesOf(statement)).toEqual(expect.arrayContaining(secrets));
      expect(resourcesOf(statement)).toHaveLength(2);
    }

    const bus = logicalId("AWS::Events::EventBus");
    const events = byService("events");
    expect(events.map(actionsOf)).toEqual([["events:PutEvents"]]);
    for (const statement of events) {
      expect(resourcesOf(statement)).toEqual([{ "Fn::GetAtt": [bus, "Arn"] }]);
    }

    const services = new Set(all.flatMap((s) => actionsOf(s).map((a) => a.split(":")[0])));
    expect([...services].sort()).toEqual(["dynamodb", "events", "logs", "secretsmanager", "sqs"]);
    expect(all.every((s) => s.Effect === "Allow")).toBe(true);
    expect(all.flatMap(resourcesOf)).not.toContain("*");
    expect(JSON.stringify(all)).not.toMatch(/"Action":"[a-z0-9]+:\*"/);

    for (const statement of byService("logs")) {
      expect(resourcesOf(statement)).toEqual([arnOf(ownLogGroup("Function"))]);
    }
    for (const statement of byService("sqs")) {
      expect(actionsOf(statement)).toEqual(["sqs:SendMessage"]);
      expect(resourcesOf(statement)).toEqual([arnOf(logicalId("AWS::SQS::Queue"))]);
    }
  });

  it("lets the backfill's Plan and Guard write their own log group and nothing else", () => {
    for (const name of ["BackfillPlan", "BackfillGuard"]) {
      expect(grantsOf(functionStatements(template, backfillFunction(name))), name).toEqual(
        logGrants(ownLogGroup(name)).sort(),
      );
    }
  });

  it("lets the backfill's Report query and put on the ledger and put events on the bus", () => {
    const table = logicalId("AWS::DynamoDB::GlobalTable");
    const bus = logicalId("AWS::Events::EventBus");
    expect(grantsOf(functionStatements(template, backfillFunction("BackfillReport")))).toEqual(
      [
        grant("dynamodb:PutItem", arnOf(table)),
        grant("dynamodb:Query", arnOf(table)),
        grant("events:PutEvents", arnOf(bus)),
        ...logGrants(ownLogGroup("BackfillReport")),
      ].sort(),
    );
  });

  it("lets a backfill slice do what a run does (table, both secrets, bus), with its own log group", () => {
    const mainLogs = JSON.stringify(arnOf(ownLogGroup("Function")));
    const sliceLogs = JSON.stringify(arnOf(ownLogGroup("BackfillSlice")));
    const run = grantsOf(functionStatements(template, mainFunction()));
    const slice = grantsOf(functionStatements(template, backfillFunction("BackfillSlice")));
    // The same grants as the run function, except its dead-letter queue (the state machine
    // invokes a slice synchronously): no more, no less.
    expect(slice).toEqual(
      run
        .filter((g) => !g.startsWith("Allow sqs:"))
        .map((g) => g.replace(mainLogs, sliceLogs))
        .sort(),
    );
    for (const service of ["dynamodb", "secretsmanager", "events", "logs"]) {
      expect(
        slice.some((g) => g.startsWith(`Allow ${service}:`)),
        service,
      ).toBe(true);
    }
    expect(slice.some((g) => g.includes(mainLogs))).toBe(false);
  });

  it("attaches no managed policy outside a VPC", () => {
    const functions = [mainFunction(), ...BACKFILL_FUNCTIONS.map((name) => backfillFunction(name))];
    const roles = functions.map((fn) => roleOf(template, fn));
    expect(new Set(roles).size).toBe(5);
    for (const role of roles) {
      expectResource(template, role, "AWS::IAM::Role", {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: "lambda.amazonaws.com" } })],
        },
        ManagedPolicyArns: Match.absent(),
      });
    }
  });

  it("scopes reads of existing secrets to exactly their ARNs, and makes no placeholders", () => {
    const withArns = synth(
      { pgApiKeySecretArn: API_KEY_ARN, storeDatabaseSecretArn: STORE_ARN },
      { bundle: false },
    );
    withArns.template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    const secretReads = (functionId: string) =>
      functionStatements(withArns.template, functionId)
        .filter((s) => actionsOf(s).some((a) => a.startsWith("secretsmanager:")))
        .flatMap(resourcesOf)
        .sort();
    for (const fn of [mainFunction(withArns), backfillFunction("BackfillSlice", withArns)]) {
      expect(secretReads(fn)).toEqual([API_KEY_ARN, STORE_ARN].sort());
      expectResource(withArns.template, fn, "AWS::Lambda::Function", {
        Environment: {
          Variables: Match.objectLike({
            PG_API_KEY_SECRET_ARN: API_KEY_ARN,
            STORE_DATABASE_SECRET_ARN: STORE_ARN,
          }),
        },
      });
    }
    for (const name of ["BackfillPlan", "BackfillGuard", "BackfillReport"]) {
      expect(secretReads(backfillFunction(name, withArns)), name).toEqual([]);
    }
  });
});

describe("alarms", () => {
  const topicRef = () => ref(logicalId("AWS::SNS::Topic"));
  const runAlarm = (metricName: string) => ({
    Namespace: "paysync",
    MetricName: metricName,
    Dimensions: [{ Name: "service", Value: "paysync" }],
    Statistic: "Sum",
    Period: 300,
    Threshold: 1,
    ComparisonOperator: "GreaterThanOrEqualToThreshold",
    EvaluationPeriods: 1,
    TreatMissingData: "notBreaching",
  });

  it("has the seven alarms, each acting on the alarm topic", () => {
    template.resourceCountIs("AWS::CloudWatch::Alarm", 7);
    template.allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [topicRef()],
      AlarmDescription: Match.anyValue(),
    });
  });

  it("alarms on function errors", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: ref(mainFunction()) }],
      Statistic: "Sum",
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
  });

  it("alarms on the DLQ's depth", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [
        { Name: "QueueName", Value: { "Fn::GetAtt": [logicalId("AWS::SQS::Queue"), "QueueName"] } },
      ],
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
    });
  });

  it("alarms on a halted run and on a cancel that failed for good", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", runAlarm("Halted"));
    template.hasResourceProperties("AWS::CloudWatch::Alarm", runAlarm("CancelFailed"));
  });

  it("alarms on mismatches or duplicates, as one expression", () => {
    const metric = (name: string) =>
      Match.objectLike({
        Id: name.toLowerCase(),
        ReturnData: false,
        MetricStat: Match.objectLike({
          Metric: {
            Namespace: "paysync",
            MetricName: name,
            Dimensions: [{ Name: "service", Value: "paysync" }],
          },
          Stat: "Sum",
        }),
      });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: "mismatches + duplicates", ReturnData: true }),
        metric("Mismatches"),
        metric("Duplicates"),
      ]),
      Threshold: 1,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      TreatMissingData: "notBreaching",
    });
  });

  it("alarms when no run succeeded within 3 schedule periods, missing data counting as none", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "paysync",
      MetricName: "Succeeded",
      Statistic: "Sum",
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
    });
  });

  it("publishes to an encrypted, TLS-only topic that CloudWatch can use", () => {
    const key = logicalId("AWS::KMS::Key");
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: arnOf(key) });
    template.hasResourceProperties("AWS::KMS::Key", {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
    template.resourceCountIs("AWS::SNS::Subscription", 0);
  });

  it("subscribes the alarm e-mail from context", () => {
    synth(
      { alarmEmail: "payments-oncall@example.com" },
      { bundle: false },
    ).template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "payments-oncall@example.com",
    });
  });
});

/** Amazon States Language, as much of it as these tests read. */
interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Resource?: string;
  readonly Retry?: ReadonlyArray<{ readonly ErrorEquals: readonly string[] }>;
  readonly Catch?: ReadonlyArray<{
    readonly ErrorEquals: readonly string[];
    readonly Next: string;
  }>;
  readonly Choices?: ReadonlyArray<Record<string, unknown> & { readonly Next: string }>;
  readonly ItemProcessor?: AslMachine & { readonly ProcessorConfig?: { readonly Mode?: string } };
  readonly Branches?: readonly AslMachine[];
  readonly MaxConcurrency?: number;
}
interface AslMachine {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/** What `asl-validator` 4 exports (CommonJS, untyped): a function of the definition. */
type AslValidator = (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const require = createRequire(import.meta.url);
const aslValidator = require("asl-validator") as AslValidator;

/** A Lambda ARN standing for a `{ "Fn::GetAtt": [id, "Arn"] }` in the definition. */
const placeholderArn = (logicalId: string) =>
  `arn:aws:lambda:us-east-1:123456789012:function:${logicalId}`;

/**
 * The state machine's definition, parsed: the `Fn::Join`'s strings joined, each function ARN
 * (`Fn::GetAtt`) replaced by a placeholder ARN that names its logical id. Any other token
 * fails, so nothing in the definition goes unread.
 */
function definitionOf(from: Template): AslMachine {
  const machines = Object.values(from.findResources("AWS::StepFunctions::StateMachine"));
  expect(machines).toHaveLength(1);
  const body: unknown = machines[0]?.Properties.DefinitionString;
  let parts: unknown[];
  if (typeof body === "string") parts = [body];
  else {
    const [separator, joined] = (body as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
    expect(separator).toBe("");
    parts = joined;
  }
  const text = parts
    .map((part) => {
      if (typeof part === "string") return part;
      const getAtt = (part as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"];
      if (getAtt === undefined || getAtt[1] !== "Arn" || Object.keys(part as object).length !== 1) {
        throw new Error(`unexpected token in the definition: ${JSON.stringify(part)}`);
      }
      return placeholderArn(getAtt[0]);
    })
    .join("");
  return JSON.parse(text) as AslMachine;
}

/** Every state by name, those of the maps' item processors (and any branches) included. */
function statesOf(machine: AslMachine): Map<string, AslState> {
  const all = new Map<string, AslState>();
  const visit = (states: AslMachine["States"]) => {
    for (const [name, state] of Object.entries(states)) {
      expect(all.has(name), `state names are unique: ${name}`).toBe(false);
      all.set(name, state);
      if (state.ItemProcessor !== undefined) visit(state.ItemProcessor.States);
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(machine.States);
  return all;
}

/** Every value of a key, however deep. */
function valuesOf(value: unknown, key: string): unknown[] {
  if (Array.isArray(value)) return value.flatMap((item) => valuesOf(item, key));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === key ? [v] : []),
    ...valuesOf(v, key),
  ]);
}

describe("the backfill state machine", () => {
  let definition: AslMachine;
  let states: Map<string, AslState>;
  const state = (name: string): AslState => {
    const found = states.get(name);
    if (found === undefined) throw new Error(`no state ${name}`);
    return found;
  };
  const TASKS = ["Plan", "JudgeSlice", "Guard", "ApplySlice", "Report"];
  const SLICE_TASKS = ["JudgeSlice", "ApplySlice"];
  const MAPS = ["Judge", "Apply"];

  beforeAll(() => {
    definition = definitionOf(template);
    states = statesOf(definition);
  });

  it("is a STANDARD state machine, traced, logging ALL to its own log group", () => {
    template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
    const logs = idOf(synthesized.stack, synthesized.stack.backfill.node.findChild("Logs"));
    const functionLogs = ["Function", ...BACKFILL_FUNCTIONS].map((name) => ownLogGroup(name));
    expect(functionLogs).not.toContain(logs);
    expectResource(template, logs, "AWS::Logs::LogGroup", { RetentionInDays: 90 });
    expectResource(template, stateMachineId(), "AWS::StepFunctions::StateMachine", {
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: "ALL",
        // Execution data would carry payment ids into the logs.
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(logs) } }],
      },
    });
  });

  it("is named in the stack's outputs", () => {
    template.hasOutput("BackfillStateMachineArn", { Value: ref(stateMachineId()) });
  });

  it("plans, judges every slice, guards, applies only on an 'apply' verdict, and reports", () => {
    expect(definition.StartAt).toBe("Plan");
    expect(state("Plan").Next).toBe("Judge");
    expect(state("Judge").Next).toBe("Guard");
    const choices = [...states].filter(([, s]) => s.Type === "Choice");
    expect(choices).toHaveLength(1);
    const [choiceName, choice] = choices[0] as [string, AslState];
    expect(state("Guard").Next).toBe(choiceName);
    expect(choice.Choices).toEqual([
      { Variable: "$.verdict", StringEquals: "apply", Next: "Apply" },
    ]);
    expect(choice.Default).toBe("Report");
    // Nothing else leads to Apply: only the "apply" verdict does.
    const into = (target: string) =>
      [...states].filter(
        ([, s]) =>
          s.Next === target ||
          s.Default === target ||
          (s.Choices ?? []).some((c) => c.Next === target) ||
          (s.Catch ?? []).some((c) => c.Next === target),
      );
    expect(into("Apply").map(([name]) => name)).toEqual([choiceName]);
    expect(state("Apply").Next).toBe("Report");
    expect(state("Report").End).toBe(true);
  });

  it("runs the slices in two distributed maps, at most 4 at a time by default", () => {
    expect(
      [...states]
        .filter(([, s]) => s.Type === "Map")
        .map(([name]) => name)
        .sort(),
    ).toEqual([...MAPS].sort());
    for (const name of MAPS) {
      const map = state(name);
      expect(map.ItemProcessor?.ProcessorConfig?.Mode, name).toBe("DISTRIBUTED");
      expect(map.MaxConcurrency, name).toBe(4);
      expect(map.ItemProcessor?.StartAt, name).toBe(`${name}Slice`);
    }
  });

  it("takes the maps' concurrency from backfillConcurrency, and refuses a bad one by name", () => {
    // `-c backfillConcurrency=2` gives the string "2".
    const custom = synth({ backfillConcurrency: "2" }, { bundle: false });
    const customStates = statesOf(definitionOf(custom.template));
    for (const name of MAPS) expect(customStates.get(name)?.MaxConcurrency, name).toBe(2);
    expect(validationViolations(custom.assemblyDirectory)).toEqual([]);
    // Unset falls back to 4, as cdk.json has it.
    const unset = statesOf(
      definitionOf(synth({ backfillConcurrency: undefined }, { bundle: false }).template),
    );
    for (const name of MAPS) expect(unset.get(name)?.MaxConcurrency, name).toBe(4);
    for (const bad of [0, "0", "x", 41, 2.5, "-1", true]) {
      rejects({ backfillConcurrency: bad }, /^cdk context "backfillConcurrency": /);
    }
  });

  it("is what `paysync backfill` runs locally: the same definition, only the ARNs differ", () => {
    const withoutResources = (machine: unknown) =>
      JSON.parse(JSON.stringify(machine), (key, value) => (key === "Resource" ? "…" : value));
    const local = backfillDefinition(4);
    expect(withoutResources(local)).toEqual(withoutResources(definition));
    // The stand-ins still tell the Tasks apart, by function.
    expect(JSON.stringify(local)).toContain("function:paysync-backfill-slice");
  });

  it("invokes only the four backfill functions, each from its own Task", () => {
    const tasks = [...states].filter(([, s]) => s.Type === "Task");
    expect(tasks.map(([name]) => name).sort()).toEqual([...TASKS].sort());
    const resources = Object.fromEntries(tasks.map(([name, s]) => [name, s.Resource]));
    const fn = (name: string) => placeholderArn(backfillFunction(name));
    expect(resources).toEqual({
      Plan: fn("BackfillPlan"),
      JudgeSlice: fn("BackfillSlice"),
      Guard: fn("BackfillGuard"),
      ApplySlice: fn("BackfillSlice"),
      Report: fn("BackfillReport"),
    });
    const four = new Set(BACKFILL_FUNCTIONS.map(fn));
    for (const [name, s] of tasks) expect(four.has(s.Resource as string), name).toBe(true);
  });

  it("retries a throttled Lambda in every Task, and a failed slice, then catches it", () => {
    const retried = (name: string) => (state(name).Retry ?? []).flatMap((r) => r.ErrorEquals);
    for (const name of TASKS) {
      expect(retried(name), name).toContain("Lambda.TooManyRequestsException");
    }
    for (const name of SLICE_TASKS) {
      expect(retried(name), name).toContain("SliceRunFailed");
      // A slice that gives up is reported FAILED by a state of its own map: the map goes on.
      const catches = state(name).Catch ?? [];
      const all = catches.filter((c) => c.ErrorEquals.includes("States.ALL"));
      expect(all, name).toHaveLength(1);
      const map = state(name.replace(/Slice$/, ""));
      const gaveUp = all[0]?.Next as string;
      expect(Object.keys(map.ItemProcessor?.States ?? {}), name).toContain(gaveUp);
      expect(state(gaveUp).End, name).toBe(true);
    }
    for (const name of ["Plan", "Guard", "Report"]) {
      expect(state(name).Catch, name).toBeUndefined();
    }
  });

  it("is JSONPath only: no JSONata anywhere", () => {
    expect(valuesOf(definition, "QueryLanguage").filter((q) => q !== "JSONPath")).toEqual([]);
    expect(JSON.stringify(definition)).not.toContain("JSONata");
  });

  it("passes asl-validator, which does reject a broken definition", () => {
    const checks = { checkPaths: true, checkArn: true };
    // The validator writes QueryLanguage into the states it reads: it gets a copy.
    const result = aslValidator(structuredClone(definition), checks);
    expect(result.errorsText("\n")).toBe("");
    expect(result.isValid).toBe(true);
    const broken = structuredClone(definition) as { States: Record<string, { Next?: string }> };
    (broken.States.Judge as { Next?: string }).Next = "Nowhere";
    expect(aslValidator(broken, checks).isValid).toBe(false);
  });

  it("has a role with no wildcard action, invoking only the four backfill functions", () => {
    const role = resourceOf(template, stateMachineId()).Properties.RoleArn["Fn::GetAtt"][0];
    expectResource(template, role, "AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: "states.amazonaws.com" } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
    const all = roleStatements(template, role);
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((s) => s.Effect === "Allow" && !("NotAction" in s))).toBe(true);
    const actions = all.flatMap(actionsOf);
    // No "*", no "service:*", no "service:Prefix*" either.
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);

    const lambda = all.filter((s) => actionsOf(s).some((a) => a.startsWith("lambda:")));
    expect(lambda.flatMap(actionsOf).every((a) => a === "lambda:InvokeFunction")).toBe(true);
    const functions = BACKFILL_FUNCTIONS.map((name) => backfillFunction(name));
    const invocable = [
      ...functions.map(arnOf),
      ...functions.map((fn) => ({ "Fn::Join": ["", [arnOf(fn), ":*"]] })),
    ];
    const invoked = lambda.flatMap(resourcesOf);
    expect(invoked).toHaveLength(invocable.length);
    expect(invoked).toEqual(expect.arrayContaining(invocable));

    // The one resource-less statement holds only what AWS documents as resource-less.
    const anywhere = all.filter((s) => resourcesOf(s).includes("*"));
    expect(anywhere.flatMap(actionsOf).sort()).toEqual([
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
    // The maps start, describe and stop executions of this state machine only.
    const machineStatements = all.filter((s) => actionsOf(s).some((a) => a.startsWith("states:")));
    expect(machineStatements.length).toBeGreaterThan(0);
    for (const statement of machineStatements) {
      for (const resource of resourcesOf(statement)) {
        expect(JSON.stringify(resource)).toContain(JSON.stringify(ref(stateMachineId())));
      }
    }
    const services = new Set(actions.map((a) => a.split(":")[0]));
    expect([...services].sort()).toEqual(["lambda", "logs", "states", "xray"]);
  });

  it("alarms on a failed, timed-out, aborted, halted or FAILED-reporting backfill", () => {
    const execution = (id: string, metricName: string) =>
      Match.objectLike({
        Id: id,
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: "AWS/States",
            MetricName: metricName,
            Dimensions: [{ Name: "StateMachineArn", Value: ref(stateMachineId()) }],
          },
          Stat: "Sum",
          Period: 300,
        },
      });
    const reported = (id: string, metricName: string) =>
      Match.objectLike({
        Id: id,
        ReturnData: false,
        MetricStat: {
          Metric: {
            Namespace: "paysync",
            MetricName: metricName,
            Dimensions: [{ Name: "service", Value: "paysync" }],
          },
          Stat: "Sum",
          Period: 300,
        },
      });
    template.resourcePropertiesCountIs(
      "AWS::CloudWatch::Alarm",
      {
        AlarmActions: [ref(logicalId("AWS::SNS::Topic"))],
        Metrics: [
          Match.objectLike({
            Expression: "failed + timedOut + aborted + halted + failedReports",
            ReturnData: true,
          }),
          execution("failed", "ExecutionsFailed"),
          execution("timedOut", "ExecutionsTimedOut"),
          execution("aborted", "ExecutionsAborted"),
          reported("halted", "BackfillHalted"),
          reported("failedReports", "BackfillFailed"),
        ],
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        EvaluationPeriods: 1,
        TreatMissingData: "notBreaching",
      },
      1,
    );
  });
});

describe("the dashboard", () => {
  it("graphs every run metric and the function and queue metrics", () => {
    const dashboards = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);
    for (const name of [
      "Scanned",
      "Orphans",
      "Cancelled",
      "CancelFailed",
      "Mismatches",
      "Duplicates",
      "Halted",
      "Partial",
      "Failed",
      "Succeeded",
      "SkippedLocked",
      "DurationMs",
      "Invocations",
      "Errors",
      "ApproximateNumberOfMessagesVisible",
    ]) {
      expect(body).toContain(`\\"${name}\\"`);
    }
  });
});

describe("VPC placement", () => {
  const placement = {
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: ["subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"],
  };

  const vpcAccess = {
    "Fn::Join": [
      "",
      [
        "arn:",
        { Ref: "AWS::Partition" },
        ":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
      ],
    ],
  };
  /** The run function and the slice run against the gateway and the store; the rest don't. */
  const inVpcAndOut = (from: Synthesized) => ({
    runs: [mainFunction(from), backfillFunction("BackfillSlice", from)],
    others: ["BackfillPlan", "BackfillGuard", "BackfillReport"].map((name) =>
      backfillFunction(name, from),
    ),
  });

  it("puts the function in the given subnets with its own outbound-only security group", () => {
    const inVpc = synth(placement, { bundle: false });
    expect(validationViolations(inVpc.assemblyDirectory)).toEqual([]);
    const securityGroup = inVpc.template.getResourceId("AWS::EC2::SecurityGroup");
    inVpc.template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      VpcId: placement.vpcId,
      SecurityGroupEgress: [Match.objectLike({ CidrIp: "0.0.0.0/0" })],
      SecurityGroupIngress: Match.absent(),
    });
    const { runs, others } = inVpcAndOut(inVpc);
    for (const fn of runs) {
      expectResource(inVpc.template, fn, "AWS::Lambda::Function", {
        VpcConfig: {
          SubnetIds: placement.subnetIds,
          SecurityGroupIds: [{ "Fn::GetAtt": [securityGroup, "GroupId"] }],
        },
      });
      expectResource(inVpc.template, roleOf(inVpc.template, fn), "AWS::IAM::Role", {
        ManagedPolicyArns: [vpcAccess],
      });
    }
    for (const fn of others) {
      expectResource(inVpc.template, fn, "AWS::Lambda::Function", { VpcConfig: Match.absent() });
      expectResource(inVpc.template, roleOf(inVpc.template, fn), "AWS::IAM::Role", {
        ManagedPolicyArns: Match.absent(),
      });
    }
  });

  it("uses the given security groups, from -c strings too", () => {
    const inVpc = synth(
      {
        vpcId: placement.vpcId,
        subnetIds: placement.subnetIds.join(","),
        securityGroupIds: "sg-0123456789abcdef0",
      },
      { bundle: false },
    );
    inVpc.template.resourceCountIs("AWS::EC2::SecurityGroup", 0);
    for (const fn of inVpcAndOut(inVpc).runs) {
      expectResource(inVpc.template, fn, "AWS::Lambda::Function", {
        VpcConfig: { SubnetIds: placement.subnetIds, SecurityGroupIds: ["sg-0123456789abcdef0"] },
      });
    }
    expect(validationViolations(inVpc.assemblyDirectory)).toEqual([]);
  });
});

describe("cdk-nag AwsSolutionsChecks", () => {
  it("reports no violation on the default stack", () => {
    expect(validationViolations(synthesized.assemblyDirectory)).toEqual([]);
  });

  it("is really run at synth: a non-compliant resource fails the synth", () => {
    const { app, stack } = createPaysyncApp({
      context: { ...CDK_JSON_CONTEXT, "aws:cdk:bundling-stacks": [] },
    });
    new Queue(stack, "PlainQueue");
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
  });

  it("accepts only acknowledgements with a reason of substance", () => {
    const { app, stack } = createPaysyncApp({
      context: { ...CDK_JSON_CONTEXT, "aws:cdk:bundling-stacks": [] },
    });
    const acknowledged = app.node.findAll().flatMap((construct) =>
      construct.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
        .map(([id, reason]) => ({ id, reason, path: construct.node.path })),
    );
    // The backfill's role: lambda:InvokeFunction on each of its four functions' versions,
    // the resource-less log-delivery and X-Ray actions, and its own child executions.
    const machine = stack.backfill.stateMachine;
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${idOf(stack, machine)}"}]}]}`;
    const iam5 = [
      ...BACKFILL_FUNCTIONS.map((name) => `<${idOf(stack, stack.node.findChild(name))}.Arn>:*`),
      "*",
      `${executions}:*`,
      `${executions}/*:*`,
    ].map((resource) => `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`);
    expect(acknowledged.map(({ id }) => id).sort()).toEqual(
      ["AwsSolutions::AwsSolutions-SMG4", "AwsSolutions::AwsSolutions-SMG4", ...iam5].sort(),
    );
    for (const { id, path } of acknowledged) {
      if (id.includes("IAM5")) expect(path).toBe(machine.node.path);
    }
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(80);
  });
});

describe("context", () => {
  it("requires pgBaseUrl, naming the key", () => {
    rejects({ pgBaseUrl: undefined }, /^cdk context "pgBaseUrl": is required/);
    rejects({ pgBaseUrl: "  " }, /^cdk context "pgBaseUrl": is required/);
    rejects(
      { pgBaseUrl: "ftp://pg.example.com" },
      /^cdk context "pgBaseUrl": must start with https:\/\//,
    );
  });

  it("checks every value's format, naming the key", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ pgProvider: "stripe" }, "pgProvider"],
      [{ pgApiKeySecretArn: "paysync/pg-api-key" }, "pgApiKeySecretArn"],
      [
        {
          storeDatabaseSecretArn:
            "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:shopdb",
        },
        "storeDatabaseSecretArn",
      ],
      [{ syncRateMinutes: 0 }, "syncRateMinutes"],
      [{ syncRateMinutes: "five" }, "syncRateMinutes"],
      [{ syncRateMinutes: 481 }, "syncRateMinutes"],
      [{ syncRateMinutes: 2.5 }, "syncRateMinutes"],
      [{ deepRunCron: "0 18 * * *" }, "deepRunCron"],
      [{ deepRunCron: "rate(1 day)" }, "deepRunCron"],
      [{ alarmEmail: "oncall" }, "alarmEmail"],
      [{ vpcId: "vpc-123" }, "vpcId"],
      [{ vpcId: "vpc-0a1b2c3d4e5f60718" }, "subnetIds"],
      [{ subnetIds: ["subnet-0aaa1111bbbb2222c"] }, "vpcId"],
      [{ vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: ["sn-1"] }, "subnetIds"],
      [
        {
          vpcId: "vpc-0a1b2c3d4e5f60718",
          subnetIds: "subnet-0aaa1111bbbb2222c",
          securityGroupIds: ["default"],
        },
        "securityGroupIds",
      ],
      [{ syncEnvironment: { PG_API_KEY: "live_key" } }, "syncEnvironment.PG_API_KEY"],
      [{ syncEnvironment: { GRACE_SECONDS: "soon" } }, "syncEnvironment.GRACE_SECONDS"],
      [{ syncEnvironment: { LOOKBACK_SECONDS: 600 } }, "syncEnvironment.LOOKBACK_SECONDS"],
      [
        { syncEnvironment: { GRACE_SECONDS: 172_800, LOOKBACK_SECONDS: 200_000 } },
        "syncEnvironment.GRACE_SECONDS",
      ],
      [{ syncEnvironment: "DRY_RUN=true" }, "syncEnvironment"],
      [{ syncEnvironment: ["DRY_RUN"] }, "syncEnvironment"],
    ];
    for (const [context, key] of cases) {
      rejects(context, new RegExp(`^cdk context "${key.replace(".", "\\.")}": `));
    }
  });

  it("passes syncEnvironment to the function, from cdk.json or as JSON from -c", () => {
    for (const syncEnvironment of [
      { DRY_RUN: true, MAX_CANCELS_PER_RUN: 20 },
      '{"DRY_RUN": "true", "MAX_CANCELS_PER_RUN": "20"}',
    ]) {
      synth({ syncEnvironment }, { bundle: false }).template.hasResourceProperties(
        "AWS::Lambda::Function",
        {
          Environment: {
            Variables: Match.objectLike({ DRY_RUN: "true", MAX_CANCELS_PER_RUN: "20" }),
          },
        },
      );
    }
  });

  it("checks syncEnvironment against the chosen gateway, and gives every function the provider", () => {
    // Toss allows pages of 5,000; the reference API only 100.
    const toss = synth(
      { pgProvider: "toss", syncEnvironment: { PG_PAGE_SIZE: 5000 } },
      { bundle: false },
    ).template;
    const functions = Object.values(toss.findResources("AWS::Lambda::Function"));
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        PG_PROVIDER: "toss",
        PG_PAGE_SIZE: "5000",
      });
    }
    expect(() => synth({ syncEnvironment: { PG_PAGE_SIZE: 5000 } }, { bundle: false })).toThrow(
      /syncEnvironment\.PG_PAGE_SIZE/,
    );
  });

  it("makes the app exit 1 with the key's name and no stack trace", () => {
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", "infra/app.ts"], {
      cwd: root,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ syncRateMinutes: 5 }) },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'paysync: cdk context "pgBaseUrl": is required: the payment gateway\'s base URL (set "pgBaseUrl" in cdk.json or with -c pgBaseUrl=...)',
    );
  });
});

describe("the template", () => {
  it("matches the snapshot, asset hashes aside", () => {
    expect(normalised(template)).toMatchSnapshot();
  });
});
