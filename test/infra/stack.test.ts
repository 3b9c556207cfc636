import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Validations } from "aws-cdk-lib";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { createPaysyncApp } from "../../infra/paysync-app.ts";
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

describe("the function", () => {
  it("runs Node.js 24 on ARM64 with a deliberate timeout and memory", () => {
    template.resourceCountIs("AWS::Lambda::Function", 1);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Timeout: 300,
      MemorySize: 512,
    });
  });

  it("gets the gateway, the table and the secrets' ARNs, never a secret value", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
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
          NODE_OPTIONS: "--enable-source-maps --max-old-space-size=256 --max-semi-space-size=4",
          NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
        },
      },
    });
    const variables = Object.keys(
      Object.values(template.findResources("AWS::Lambda::Function"))[0]?.Properties.Environment
        .Variables,
    );
    expect(variables).not.toContain("PG_API_KEY");
    expect(variables).not.toContain("STORE_DATABASE_URL");
  });

  it("sends a run that still fails after one retry to the dead-letter queue", () => {
    const queue = logicalId("AWS::SQS::Queue");
    template.hasResourceProperties("AWS::Lambda::Function", {
      DeadLetterConfig: { TargetArn: arnOf(queue) },
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 1,
      MaximumEventAgeInSeconds: 3600,
    });
  });

  it("is bundled locally by esbuild into ESM with a source map, without the local tools", () => {
    const fn = Object.values(template.findResources("AWS::Lambda::Function"))[0];
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

  it("writes to its own log group, kept three months", () => {
    template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 90 });
    template.hasResourceProperties("AWS::Lambda::Function", {
      LoggingConfig: { LogGroup: ref(logicalId("AWS::Logs::LogGroup")) },
    });
  });
});

describe("the bundle Lambda runs", () => {
  it("handles a scheduled event on the embedded stack, loaded by plain Node as ESM", async () => {
    const fn = Object.values(template.findResources("AWS::Lambda::Function"))[0];
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
    Arn: arnOf(logicalId("AWS::Lambda::Function")),
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
      { Action: "lambda:InvokeFunction", Principal: "events.amazonaws.com" },
      2,
    );
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

function statements(from: Template): Statement[] {
  return Object.values(from.findResources("AWS::IAM::Policy")).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

const actionsOf = (statement: Statement) =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const resourcesOf = (statement: Statement) =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

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
    const all = statements(template);
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
  });

  it("attaches no managed policy outside a VPC", () => {
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: "lambda.amazonaws.com" } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it("scopes reads of existing secrets to exactly their ARNs, and makes no placeholders", () => {
    const withArns = synth(
      { pgApiKeySecretArn: API_KEY_ARN, storeDatabaseSecretArn: STORE_ARN },
      { bundle: false },
    ).template;
    withArns.resourceCountIs("AWS::SecretsManager::Secret", 0);
    const secretsmanager = statements(withArns).filter((s) =>
      actionsOf(s).includes("secretsmanager:GetSecretValue"),
    );
    expect(secretsmanager.flatMap(resourcesOf).sort()).toEqual([API_KEY_ARN, STORE_ARN].sort());
    withArns.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          PG_API_KEY_SECRET_ARN: API_KEY_ARN,
          STORE_DATABASE_SECRET_ARN: STORE_ARN,
        }),
      },
    });
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

  it("has the six alarms, each acting on the alarm topic", () => {
    template.resourceCountIs("AWS::CloudWatch::Alarm", 6);
    template.allResourcesProperties("AWS::CloudWatch::Alarm", {
      AlarmActions: [topicRef()],
      AlarmDescription: Match.anyValue(),
    });
  });

  it("alarms on function errors", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [{ Name: "FunctionName", Value: ref(logicalId("AWS::Lambda::Function")) }],
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

  it("puts the function in the given subnets with its own outbound-only security group", () => {
    const synthesized = synth(placement, { bundle: false });
    expect(validationViolations(synthesized.assemblyDirectory)).toEqual([]);
    const inVpc = synthesized.template;
    const securityGroup = inVpc.getResourceId("AWS::EC2::SecurityGroup");
    inVpc.hasResourceProperties("AWS::EC2::SecurityGroup", {
      VpcId: placement.vpcId,
      SecurityGroupEgress: [Match.objectLike({ CidrIp: "0.0.0.0/0" })],
      SecurityGroupIngress: Match.absent(),
    });
    inVpc.hasResourceProperties("AWS::Lambda::Function", {
      VpcConfig: {
        SubnetIds: placement.subnetIds,
        SecurityGroupIds: [{ "Fn::GetAtt": [securityGroup, "GroupId"] }],
      },
    });
    inVpc.hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: [
        {
          "Fn::Join": [
            "",
            [
              "arn:",
              { Ref: "AWS::Partition" },
              ":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            ],
          ],
        },
      ],
    });
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
    inVpc.template.hasResourceProperties("AWS::Lambda::Function", {
      VpcConfig: { SubnetIds: placement.subnetIds, SecurityGroupIds: ["sg-0123456789abcdef0"] },
    });
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
    const { app } = createPaysyncApp({
      context: { ...CDK_JSON_CONTEXT, "aws:cdk:bundling-stacks": [] },
    });
    const acknowledged = app.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id).sort()).toEqual([
      "AwsSolutions::AwsSolutions-SMG4",
      "AwsSolutions::AwsSolutions-SMG4",
    ]);
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(80);
  });
});

describe("context", () => {
  const rejects = (context: Record<string, unknown>, message: RegExp) =>
    expect(() =>
      createPaysyncApp({
        context: { ...CDK_JSON_CONTEXT, ...context, "aws:cdk:bundling-stacks": [] },
      }),
    ).toThrow(message);

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
