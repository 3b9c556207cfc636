// Runnable PG simulator for manual and end-to-end runs:
//   tsx local/simulator/main.ts [--port N] [--dataset file.json] [--latency-ms N]
//                               [--per-page N] [--no-page-count] [--api-key KEY]
//                               [--dialect reference|toss|portone]
//                               [--consecutive-cancel-ms N] [--requested-finish-ms N]
//                               [--store-id ID]
import { parseArgs } from "node:util";
import { loadDataset, seedPayments } from "./dataset.ts";
import { type DialectName, type PgSimulatorOptions, startPgSimulator } from "./pg-simulator.ts";

const DIALECT_NAMES: readonly DialectName[] = ["reference", "toss", "portone"];

interface CliOptions {
  simulator: PgSimulatorOptions;
  source: string;
}

function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      port: { type: "string" },
      dataset: { type: "string" },
      "latency-ms": { type: "string" },
      "per-page": { type: "string" },
      "no-page-count": { type: "boolean" },
      "api-key": { type: "string" },
      dialect: { type: "string" },
      "consecutive-cancel-ms": { type: "string" },
      "requested-finish-ms": { type: "string" },
      "store-id": { type: "string" },
    },
  });
  const dialect = DIALECT_NAMES.find((name) => name === (values.dialect ?? "reference"));
  if (dialect === undefined)
    throw new Error(`--dialect must be one of ${DIALECT_NAMES.join(", ")}`);
  const simulator: PgSimulatorOptions = {
    payments: values.dataset ? loadDataset(values.dataset) : seedPayments(new Date()),
    pageCountEndpoint: !values["no-page-count"],
    dialect,
  };
  if (values.port !== undefined) simulator.port = cliNumber("--port", values.port);
  if (values["latency-ms"] !== undefined) {
    simulator.latencyMs = cliNumber("--latency-ms", values["latency-ms"]);
  }
  if (values["per-page"] !== undefined) {
    simulator.defaultPerPage = cliNumber("--per-page", values["per-page"]);
  }
  if (values["api-key"] !== undefined) simulator.apiKey = values["api-key"];
  if (values["consecutive-cancel-ms"] !== undefined) {
    simulator.consecutiveCancelMs = cliNumber(
      "--consecutive-cancel-ms",
      values["consecutive-cancel-ms"],
    );
  }
  if (values["requested-finish-ms"] !== undefined) {
    simulator.requestedFinishMs = cliNumber("--requested-finish-ms", values["requested-finish-ms"]);
  }
  if (values["store-id"] !== undefined) simulator.storeId = values["store-id"];
  return { simulator, source: values.dataset ?? "seed" };
}

function cliNumber(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value)) {
    throw new Error(`${flag} expects a number, got ${raw}`);
  }
  return value;
}

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  const simulator = await startPgSimulator(cli.simulator);
  console.log(`pg-simulator listening on ${simulator.url}`);
  console.log(`api key: ${simulator.apiKey}`);
  console.log(`payments: ${simulator.payments().length} (${cli.source})`);
  const stop = () => {
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
