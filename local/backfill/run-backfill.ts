import { ExecutionError, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { BACKFILL_TASKS } from "../../infra/backfill-state-machine.ts";
import {
  guardBackfill,
  planBackfill,
  readSliceTask,
  reportBackfill,
  runSlice,
} from "../../lambda/backfill/backfill-steps.ts";
import type { BackfillReport } from "../../lambda/backfill/sum-reports.ts";
import type { SyncConfig } from "../../lambda/core/config.ts";
import type { SyncPorts } from "../../lambda/core/run-sync.ts";
import { backfillDefinition } from "./definition.ts";

// aws-local-stepfunctions 3 calls Promise.withResolvers, which Node 20 lacks (Node 22 has it).
if (!("withResolvers" in Promise)) {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: <T>() => {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

type Json = Parameters<StateMachine["run"]>[0];
const json = (value: unknown): Json => value as Json;

export interface LocalBackfillOptions {
  /** The run settings: the same `SyncConfig` a run gets. */
  readonly sync: SyncConfig;
  readonly ports: SyncPorts;
  /** Slices in flight at once, as the stack's `backfillConcurrency`. */
  readonly concurrency: number;
  /** Milliseconds to wait before each retry of a Task, instead of the definition's interval. */
  readonly retryDelayMs?: number;
  readonly now?: () => number;
}

/** The execution failed outside any slice (a bad input, a broken ledger): no report. */
export class BackfillExecutionError extends Error {
  override readonly name = "BackfillExecutionError";
}

/** The stack's backfill definition, ready for aws-local-stepfunctions to run. */
export function localStateMachine(concurrency: number): StateMachine {
  return new StateMachine(
    backfillDefinition(concurrency) as unknown as StateMachineDefinition,
    // The definition is CDK's: its ARNs are the stand-ins of `definition.ts`.
    { validationOptions: { checkArn: false } },
  );
}

/**
 * Runs the stack's backfill definition in this process, on aws-local-stepfunctions, with each
 * Task bound to the step the Lambda handler calls. What only AWS shows is not shown here: this
 * interpreter runs a distributed map as an inline one, in this process, and ignores
 * `ToleratedFailure*` and `ItemBatcher` (the definition uses neither).
 */
export async function runLocalBackfill(
  input: unknown,
  options: LocalBackfillOptions,
): Promise<BackfillReport> {
  const { sync, ports } = options;
  const now = options.now ?? Date.now;
  const slice = async (state: unknown) =>
    json((await runSlice(readSliceTask(state), sync, ports)).outcome);
  const machine = localStateMachine(options.concurrency);
  const execution = machine.run(json(input), {
    overrides: {
      taskResourceLocalHandlers: {
        [BACKFILL_TASKS.plan]: (state) => json(planBackfill(state, sync, now())),
        [BACKFILL_TASKS.judgeSlice]: slice,
        [BACKFILL_TASKS.guard]: (state) => json(guardBackfill(state, sync)),
        [BACKFILL_TASKS.applySlice]: slice,
        [BACKFILL_TASKS.report]: async (state) =>
          json(
            await reportBackfill(
              state,
              { ledger: ports.ledger, ...(ports.events ? { events: ports.events } : {}), now },
              sync.runRecordTtlDays,
            ),
          ),
      },
      ...(options.retryDelayMs === undefined
        ? {}
        : {
            retryIntervalOverrides: Object.fromEntries(
              Object.values(BACKFILL_TASKS).map((name) => [name, options.retryDelayMs as number]),
            ),
          }),
    },
  });
  try {
    return (await execution.result) as unknown as BackfillReport;
  } catch (error) {
    if (error instanceof ExecutionError) {
      const cause = (error as Error & { cause?: unknown }).cause;
      throw new BackfillExecutionError(
        `the backfill execution failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : error.message}`,
      );
    }
    throw error;
  }
}
