import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
import { AttributeType, Billing, TableV2 } from "aws-cdk-lib/aws-dynamodb";
import { SecurityGroup, Subnet, Vpc } from "aws-cdk-lib/aws-ec2";
import { EventBus, Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { ManagedPolicy, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Key } from "aws-cdk-lib/aws-kms";
import { type ISecret, Secret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { BackfillStateMachine } from "./backfill-state-machine.ts";
import { PaysyncFunction } from "./paysync-function.ts";
import { RunMonitoring } from "./run-monitoring.ts";
import { DEEP_RUN_LOOKBACK_SECONDS, type StackSettings } from "./stack-settings.ts";

export interface PaysyncStackProps extends StackProps {
  readonly settings: StackSettings;
}

/**
 * How often EventBridge retries delivering one event, and for how long. A late scheduled event
 * still reads the window of its own slot, so an hour of retries loses nothing.
 */
const DELIVERY_RETRIES = 2;
const MAX_EVENT_AGE = Duration.hours(1);
/**
 * Lambda's own retry of a FAILED run (it throws). One retry rides out a blip; after that the
 * next scheduled run covers the same window anyway, and the alarms call a person.
 */
const FAILED_RUN_RETRIES = 1;

/**
 * paysync in one stack: the function, its two schedules, the DynamoDB ledger, the secrets, a
 * dead-letter queue, an event bus for the shop, alarms to an SNS topic, and a dashboard.
 */
export class PaysyncStack extends Stack {
  readonly function: PaysyncFunction;
  readonly ledger: TableV2;
  readonly deadLetterQueue: Queue;
  readonly monitoring: RunMonitoring;
  /** Where the shop hears of refunds, findings and runs (contracts §8). */
  readonly eventBus: EventBus;
  /** Long windows, cut into slices (contracts §6). */
  readonly backfill: BackfillStateMachine;

  constructor(scope: Construct, id: string, props: PaysyncStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.ledger = new TableV2(this, "Ledger", {
      partitionKey: { name: "pk", type: AttributeType.STRING },
      sortKey: { name: "sk", type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only run records carry expires_at; cancel and finding records are the audit trail.
      timeToLiveAttribute: "expires_at",
      // The ledger is what makes every cancel happen at most once: it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });

    const pgApiKey = this.secret(
      "PgApiKey",
      settings.pgApiKeySecretArn,
      'paysync: the PG gateway API key, as plain text or {"apiKey": "..."}. Replace the generated placeholder.',
    );
    const storeDatabase = this.secret(
      "StoreDatabase",
      settings.storeDatabaseSecretArn,
      'paysync: the store database, as a postgres:// URL, {"url": "..."} or RDS-style {"username","password","host","port","dbname"}. Replace the generated placeholder.',
    );

    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // A bus of paysync's own: the shop's rules subscribe to it, and paysync may put events on
    // nothing else.
    this.eventBus = new EventBus(this, "EventBus", {
      description: "paysync: Payment Cancelled, Finding Raised and Run Finished",
    });

    const runEnvironment = {
      ...settings.syncEnvironment,
      PG_PROVIDER: settings.pgProvider,
      PG_BASE_URL: settings.pgBaseUrl,
      PG_API_KEY_SECRET_ARN: pgApiKey.secretArn,
      STORE_DATABASE_SECRET_ARN: storeDatabase.secretArn,
      LEDGER_TABLE: this.ledger.tableName,
      EVENT_BUS_NAME: this.eventBus.eventBusName,
    };
    this.function = new PaysyncFunction(this, "Function", {
      description: "paysync: cancels gateway payments that have no paid order, exactly once",
      environment: runEnvironment,
      retryAttempts: FAILED_RUN_RETRIES,
      maxEventAge: MAX_EVENT_AGE,
      deadLetterQueue: this.deadLetterQueue,
      ...this.vpcPlacement(settings),
    });
    if (settings.vpc !== undefined) this.allowNetworkInterfaces(this.function);
    this.grantRun(this.function, pgApiKey, storeDatabase);

    this.backfill = this.backfillStateMachine(settings, runEnvironment, pgApiKey, storeDatabase);

    const target = (input?: RuleTargetInput) =>
      new LambdaFunction(this.function, {
        retryAttempts: DELIVERY_RETRIES,
        maxEventAge: MAX_EVENT_AGE,
        deadLetterQueue: this.deadLetterQueue,
        ...(input === undefined ? {} : { event: input }),
      });
    const syncSchedule = new Rule(this, "SyncSchedule", {
      description: `paysync: the frequent sync, every ${settings.syncRateMinutes} min, over [time - LOOKBACK_SECONDS, time - GRACE_SECONDS)`,
      schedule: Schedule.rate(Duration.minutes(settings.syncRateMinutes)),
      targets: [target()],
    });
    const deepRunSchedule = new Rule(this, "DeepRunSchedule", {
      description: "paysync: the nightly deep run over the last 48 hours",
      schedule: Schedule.expression(settings.deepRunCron),
      targets: [target(RuleTargetInput.fromObject({ lookbackSeconds: DEEP_RUN_LOOKBACK_SECONDS }))],
    });

    const alarmTopic = this.alarmTopic(settings.alarmEmail);
    this.monitoring = new RunMonitoring(this, "Monitoring", {
      function: this.function,
      deadLetterQueue: this.deadLetterQueue,
      alarmTopic,
      syncRateMinutes: settings.syncRateMinutes,
      backfill: this.backfill.stateMachine,
    });

    new CfnOutput(this, "FunctionName", { value: this.function.functionName });
    // Disabling these two stops paysync without touching anything else.
    new CfnOutput(this, "SyncScheduleRuleName", { value: syncSchedule.ruleName });
    new CfnOutput(this, "DeepRunScheduleRuleName", { value: deepRunSchedule.ruleName });
    new CfnOutput(this, "LedgerTableName", { value: this.ledger.tableName });
    new CfnOutput(this, "PgApiKeySecretArn", { value: pgApiKey.secretArn });
    new CfnOutput(this, "StoreDatabaseSecretArn", { value: storeDatabase.secretArn });
    new CfnOutput(this, "DeadLetterQueueUrl", { value: this.deadLetterQueue.queueUrl });
    new CfnOutput(this, "AlarmTopicArn", { value: alarmTopic.topicArn });
    new CfnOutput(this, "DashboardName", { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, "EventBusName", { value: this.eventBus.eventBusName });
    new CfnOutput(this, "EventBusArn", { value: this.eventBus.eventBusArn });
    new CfnOutput(this, "BackfillStateMachineArn", {
      value: this.backfill.stateMachine.stateMachineArn,
    });
  }

  /** What a run needs: the ledger, both secrets, and the bus. */
  private grantRun(fn: PaysyncFunction, pgApiKey: ISecret, storeDatabase: ISecret): void {
    this.ledger.grantReadWriteData(fn);
    pgApiKey.grantRead(fn);
    storeDatabase.grantRead(fn);
    this.eventBus.grantPutEventsTo(fn);
  }

  /**
   * The backfill: four functions, one per Task state, each granted only what its step does.
   * Plan and Guard read nothing but their input; a slice is a run; Report reads the slices'
   * records and writes the backfill's, and announces it on the bus.
   */
  private backfillStateMachine(
    settings: StackSettings,
    runEnvironment: Record<string, string>,
    pgApiKey: ISecret,
    storeDatabase: ISecret,
  ): BackfillStateMachine {
    const step = (id: string, entry: string, description: string, environment = {}) =>
      new PaysyncFunction(this, id, {
        entry,
        description,
        // The provider too: the variables are read as a run reads them (PG_PAGE_SIZE's ceiling).
        environment: {
          ...settings.syncEnvironment,
          PG_PROVIDER: settings.pgProvider,
          ...environment,
        },
        timeout: Duration.minutes(1),
      });
    const plan = step(
      "BackfillPlan",
      "lambda/backfill/plan-handler.ts",
      "paysync backfill: checks the input and cuts the window into slices",
    );
    const guard = step(
      "BackfillGuard",
      "lambda/backfill/guard-handler.ts",
      "paysync backfill: the blast-radius guard on the judge pass's sums",
    );
    const report = step(
      "BackfillReport",
      "lambda/backfill/report-handler.ts",
      "paysync backfill: sums the slices into one report",
      { LEDGER_TABLE: this.ledger.tableName, EVENT_BUS_NAME: this.eventBus.eventBusName },
    );
    // It reads one backfill's partition and writes one run record: no scan, no delete.
    this.ledger.grant(report, "dynamodb:Query", "dynamodb:PutItem");
    this.eventBus.grantPutEventsTo(report);
    const slice = new PaysyncFunction(this, "BackfillSlice", {
      entry: "lambda/backfill/slice-handler.ts",
      description: "paysync backfill: one slice, judged dry or applied, as a run",
      environment: runEnvironment,
      // Lambda's most: the handler stops starting new work 30 s before it (the slice ends
      // PARTIAL), and a slice is cut to need a fraction of it.
      timeout: Duration.minutes(15),
      ...this.vpcPlacement(settings),
    });
    if (settings.vpc !== undefined) this.allowNetworkInterfaces(slice);
    this.grantRun(slice, pgApiKey, storeDatabase);
    return new BackfillStateMachine(this, "Backfill", {
      functions: { plan, slice, guard, report },
      concurrency: settings.backfillConcurrency,
    });
  }

  /**
   * A function in a VPC needs to create and delete its network interfaces. Lambda checks for
   * that when the function is created, so it goes on the role itself.
   */
  private allowNetworkInterfaces(fn: PaysyncFunction): void {
    const role = fn.role;
    if (role === undefined) return;
    role.addManagedPolicy(
      ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaVPCAccessExecutionRole"),
    );
    Validations.of(role).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
      reason:
        "Only with vpcId set: the AWS-maintained policy Lambda documents for a function's ENIs. Its ec2 network-interface actions cannot be narrowed to resources known at synth, so a hand-written copy would be no tighter.",
    });
  }

  /** An existing secret by ARN, or a placeholder to fill in after the first deploy. */
  private secret(id: string, arn: string | undefined, description: string): ISecret {
    if (arn !== undefined) return Secret.fromSecretCompleteArn(this, id, arn);
    const secret = new Secret(this, id, { description });
    Validations.of(secret).acknowledge({
      id: "AwsSolutions::AwsSolutions-SMG4",
      reason:
        "The value is issued outside AWS (the gateway's console, the store's database owner); a rotation Lambda cannot mint a new one. It is replaced by hand, and a failed run re-reads it.",
    });
    return secret;
  }

  /** Only CloudWatch publishes here; the key is ours so its policy can let CloudWatch in. */
  private alarmTopic(email: string | undefined): Topic {
    const key = new Key(this, "AlarmTopicKey", {
      description: "paysync: encrypts the alarm topic",
      enableKeyRotation: true,
    });
    key.grant(
      new ServicePrincipal("cloudwatch.amazonaws.com"),
      "kms:Decrypt",
      "kms:GenerateDataKey*",
    );
    const topic = new Topic(this, "AlarmTopic", {
      displayName: "paysync alarms",
      masterKey: key,
      enforceSSL: true,
    });
    if (email !== undefined) topic.addSubscription(new EmailSubscription(email));
    return topic;
  }

  /**
   * Into the store database's private subnets, when asked. Ids only, never a lookup, so synth
   * needs no AWS access. The subnets need a route to the gateway, DynamoDB, Secrets Manager and
   * CloudWatch (a NAT gateway or VPC endpoints).
   */
  private vpcPlacement(settings: StackSettings) {
    // Both run functions share one placement (and one security group).
    this.placement ??= this.makeVpcPlacement(settings);
    return this.placement;
  }

  private placement?: ReturnType<PaysyncStack["makeVpcPlacement"]>;

  private makeVpcPlacement(settings: StackSettings) {
    const placement = settings.vpc;
    if (placement === undefined) return {};
    const vpc = Vpc.fromVpcAttributes(this, "Vpc", {
      vpcId: placement.vpcId,
      availabilityZones: Stack.of(this).availabilityZones,
    });
    const securityGroups =
      placement.securityGroupIds.length > 0
        ? placement.securityGroupIds.map((sg) => SecurityGroup.fromSecurityGroupId(this, sg, sg))
        : [
            new SecurityGroup(this, "FunctionSecurityGroup", {
              vpc,
              description: "paysync: outbound only (gateway, store database, AWS APIs)",
              allowAllOutbound: true,
            }),
          ];
    const subnets = placement.subnetIds.map((id) => {
      const subnet = Subnet.fromSubnetId(this, id, id);
      Validations.of(subnet).acknowledge({
        id: "@aws-cdk/aws-ec2:noSubnetRouteTableId",
        reason:
          "The function needs only the subnet ids for its network interfaces; nothing in this stack reads or changes the subnets' route tables.",
      });
      return subnet;
    });
    return { vpc, vpcSubnets: { subnets }, securityGroups };
  }
}
