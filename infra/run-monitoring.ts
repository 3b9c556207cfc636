import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import type { IStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import {
  BACKFILL_METRICS,
  METRICS_NAMESPACE,
  RUN_METRICS,
  type RunMetricName,
  SERVICE_NAME,
} from "../lambda/aws/metric-names.ts";

export interface RunMonitoringProps {
  readonly function: IFunction;
  readonly deadLetterQueue: IQueue;
  readonly alarmTopic: ITopic;
  readonly syncRateMinutes: number;
  /** The backfill state machine, whose failed or halted executions call a person too. */
  readonly backfill?: IStateMachine;
}

/** Alarms are judged per five minutes: a run's metrics land within one such period. */
const ALARM_PERIOD = Duration.minutes(5);

/** The alarms, each sent to the alarm topic, and a dashboard of the run metrics. */
export class RunMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: RunMonitoringProps) {
    super(scope, id);
    const runMetric = (name: RunMetricName, statistic = "Sum", period = ALARM_PERIOD) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { service: SERVICE_NAME },
        statistic,
        period,
      });
    const atLeastOnce = (
      alarmId: string,
      metric: IMetric,
      description: string,
      treatMissingData = TreatMissingData.NOT_BREACHING,
    ) =>
      this.alarm(alarmId, props.alarmTopic, {
        metric,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData,
        alarmDescription: description,
      });

    atLeastOnce(
      "FunctionErrors",
      props.function.metricErrors({ period: ALARM_PERIOD, statistic: "Sum" }),
      "paysync threw: a FAILED run (see its errors in the log, by runId), a refused event, or a setup failure (configuration, secrets, connections).",
    );
    atLeastOnce(
      "DeadLetters",
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: ALARM_PERIOD,
        statistic: "Maximum",
      }),
      "An event could not be delivered, or a run failed after its retries: the event is in the dead-letter queue. The next scheduled run covers the same window again.",
    );
    atLeastOnce(
      "Halted",
      runMetric(RUN_METRICS.halted),
      "The blast-radius guard halted a run: nothing was cancelled. Read the report's WOULD_CANCEL findings, fix the store or re-run with maxCancels.",
    );
    atLeastOnce(
      "CancelFailed",
      runMetric(RUN_METRICS.cancelFailed),
      "A cancel failed for good (CANCEL_FAILED): paysync will not retry it. A person has to look at the payment (query the ledger by pk = PAY#<pg_uid>).",
    );
    atLeastOnce(
      "MismatchesOrDuplicates",
      new MathExpression({
        expression: "mismatches + duplicates",
        usingMetrics: {
          mismatches: runMetric(RUN_METRICS.mismatches),
          duplicates: runMetric(RUN_METRICS.duplicates),
        },
        label: "Mismatches + Duplicates",
        period: ALARM_PERIOD,
      }),
      "A run found an amount mismatch or a duplicate payment: paysync never cancels those, a person decides.",
    );
    const schedulePeriod = Duration.minutes(props.syncRateMinutes);
    this.alarm("NoSuccessfulRun", props.alarmTopic, {
      metric: runMetric(RUN_METRICS.succeeded, "Sum", schedulePeriod),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      // No data means no run reported at all, which is the worst case, not a quiet one.
      treatMissingData: TreatMissingData.BREACHING,
      alarmDescription: `No SUCCEEDED run within 3 schedule periods (${3 * props.syncRateMinutes} minutes): runs fail, halt, end PARTIAL, skip on a stuck lock, or do not run.`,
    });

    if (props.backfill !== undefined) {
      const backfill = props.backfill;
      const reported = (name: string) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: name,
          dimensionsMap: { service: SERVICE_NAME },
          statistic: "Sum",
          period: ALARM_PERIOD,
        });
      const sum = { statistic: "Sum", period: ALARM_PERIOD };
      atLeastOnce(
        "BackfillFailedOrHalted",
        new MathExpression({
          expression: "failed + timedOut + aborted + halted + failedReports",
          usingMetrics: {
            failed: backfill.metricFailed(sum),
            timedOut: backfill.metricTimedOut(sum),
            aborted: backfill.metricAborted(sum),
            halted: reported(BACKFILL_METRICS.halted),
            failedReports: reported(BACKFILL_METRICS.failed),
          },
          label: "Backfills failed or halted",
          period: ALARM_PERIOD,
        }),
        "A backfill execution failed, timed out, was aborted, or reported HALTED (the guard tripped on its sums: nothing cancelled) or FAILED (a slice failed after its retries). Read the execution's output, or `paysync ledger runs`.",
      );
    }

    this.dashboard = this.buildDashboard(runMetric, props);
  }

  private alarm(id: string, topic: ITopic, props: ConstructorParameters<typeof Alarm>[2]): Alarm {
    const alarm = new Alarm(this, id, props);
    alarm.addAlarmAction(new SnsAction(topic));
    this.alarms.push(alarm);
    return alarm;
  }

  private buildDashboard(
    runMetric: (name: RunMetricName, statistic?: string) => Metric,
    props: RunMonitoringProps,
  ): Dashboard {
    const graph = (title: string, metrics: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left: metrics, right, width: 12, height: 6 });
    const runs = (name: RunMetricName) => runMetric(name).with({ label: name });
    const dashboard = new Dashboard(this, "Dashboard", {
      defaultInterval: Duration.days(1),
    });
    dashboard.addWidgets(
      new TextWidget({
        markdown:
          "## paysync\nOne EMF record per run, namespace `paysync`. Counts are sums per 5 minutes. A run's report is in the log (search its `runId`) and in the ledger (`pk = RUN#<YYYY-MM-DD>`).",
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      graph(
        "Payments per run",
        [RUN_METRICS.scanned, RUN_METRICS.orphans, RUN_METRICS.cancelled].map(runs),
      ),
      graph(
        "Needs a person",
        [
          RUN_METRICS.cancelFailed,
          RUN_METRICS.mismatches,
          RUN_METRICS.duplicates,
          RUN_METRICS.halted,
        ].map(runs),
      ),
    );
    dashboard.addWidgets(
      graph(
        "Run outcomes",
        [
          RUN_METRICS.succeeded,
          RUN_METRICS.partial,
          RUN_METRICS.failed,
          RUN_METRICS.halted,
          RUN_METRICS.skippedLocked,
        ].map(runs),
      ),
      graph("Run duration (ms)", [
        runMetric(RUN_METRICS.durationMs, "Average").with({ label: "average" }),
        runMetric(RUN_METRICS.durationMs, "Maximum").with({ label: "maximum" }),
      ]),
    );
    dashboard.addWidgets(
      graph(
        "Lambda",
        [
          props.function.metricInvocations({ label: "Invocations" }),
          props.function.metricErrors({ label: "Errors" }),
          props.function.metricThrottles({ label: "Throttles" }),
        ],
        [props.function.metricDuration({ statistic: "Maximum", label: "Duration max (ms)" })],
      ),
      graph("Dead-letter queue", [
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: "Maximum",
          label: "Messages waiting",
        }),
      ]),
    );
    dashboard.addWidgets(
      new AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24, height: 4 }),
    );
    return dashboard;
  }
}
