import { afterEach, describe, expect, it } from "vitest";
import { discardContainerPorts } from "../../lambda/aws/ports.ts";
import { localStateMachine } from "../../local/backfill/run-backfill.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import { effectiveCancels, type Services, startServices } from "../support/embedded.ts";
import { captureOutput, fakeContext, scopedEnv } from "./lambda-harness.ts";

/**
 * The four Lambda handlers, each bound to its Task state of the synthesized definition, as
 * Step Functions would call them: the thin files themselves, over real services.
 */

const env = scopedEnv();
let services: Services | undefined;
let output: ReturnType<typeof captureOutput> | undefined;
afterEach(async () => {
  output?.stop();
  output = undefined;
  await discardContainerPorts();
  await services?.close();
  services = undefined;
  env.restore();
});

async function handlers() {
  const [plan, slice, guard, report] = await Promise.all([
    import("../../lambda/backfill/plan-handler.ts"),
    import("../../lambda/backfill/slice-handler.ts"),
    import("../../lambda/backfill/guard-handler.ts"),
    import("../../lambda/backfill/report-handler.ts"),
  ]);
  type Json = Parameters<ReturnType<typeof localStateMachine>["run"]>[0];
  const bind =
    <T>(fn: (event: unknown) => Promise<T>) =>
    async (input: Json) =>
      (await fn(input)) as unknown as Json;
  return {
    Plan: bind(plan.handler),
    JudgeSlice: bind((event) => slice.handler(event, fakeContext())),
    Guard: bind(guard.handler),
    ApplySlice: bind((event) => slice.handler(event, fakeContext())),
    Report: bind(report.handler),
  };
}

describe("the backfill's Lambda handlers under the state machine", () => {
  it("plan, judge, guard, apply and report: each orphan cancelled once", async () => {
    services = await startServices();
    env.set({ ...services.env, POWERTOOLS_DEV: "false", LOG_LEVEL: "ERROR" });
    const to = Math.floor((Date.now() - 31 * 60_000) / 60_000) * 60_000;
    const input = {
      from: new Date(to - 86_400_000).toISOString(),
      to: new Date(to).toISOString(),
      sliceMinutes: 480,
    };
    output = captureOutput();
    const execution = localStateMachine(2).run(input, {
      overrides: { taskResourceLocalHandlers: await handlers() },
    });
    const report = (await execution.result) as Record<string, unknown>;
    const metrics = output.lines().filter((line) => "_aws" in line);
    output.stop();

    expect(report.status).toBe("SUCCEEDED");
    expect(report.slices).toHaveLength(3);
    expect([...(report.cancelled as string[])].sort()).toEqual([...SEED_EXPECTED.cancelled]);
    expect(effectiveCancels(services)).toEqual(
      Object.fromEntries(SEED_EXPECTED.cancelled.map((uid) => [uid, 1])),
    );
    // The apply pass's three slices count as runs in the run metrics; the judge pass's dry
    // runs do not. The Report step adds one record for the backfill itself.
    const runs = metrics.filter((m) => "Succeeded" in m);
    expect(runs).toHaveLength(3);
    expect(runs.reduce((sum, m) => sum + Number(m.Cancelled), 0)).toBe(
      SEED_EXPECTED.cancelled.length,
    );
    expect(metrics.filter((m) => "BackfillHalted" in m)).toEqual([
      expect.objectContaining({ BackfillHalted: 0, BackfillFailed: 0, runId: report.runId }),
    ]);
  });

  it("fails the execution at Plan, naming the problem, before any request", async () => {
    services = await startServices();
    env.set({ ...services.env, LOG_LEVEL: "ERROR" });
    const execution = localStateMachine(2).run(
      { from: "2026-11-01T00:00:00Z", to: "2026-11-02T00:00:00Z", slices: 3 },
      { overrides: { taskResourceLocalHandlers: await handlers() } },
    );
    const error = (await execution.result.then(
      () => undefined,
      (e: unknown) => e,
    )) as (Error & { cause?: Error }) | undefined;
    expect(error).toBeInstanceOf(Error);
    expect(error?.cause?.name).toBe("BackfillInputError");
    expect(error?.cause?.message).toMatch(/unknown key\(s\) slices/);
    expect(services.simulator.requests).toHaveLength(0);
  });
});
