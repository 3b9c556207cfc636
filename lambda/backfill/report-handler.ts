import { createDynamoDbLedger } from "../adapters/dynamodb-ledger.ts";
import { eventsForBus } from "../adapters/eventbridge-events.ts";
import { createDocumentClient } from "../adapters/ledger-table.ts";
import { logger, publishBackfillMetrics } from "../aws/observability.ts";
import { readEnvConfig } from "../config/env-config.ts";
import { reportBackfill } from "./backfill-steps.ts";
import type { BackfillReport } from "./sum-reports.ts";

const env = readEnvConfig(process.env);
// Only the ledger and the bus: the report reads the slices' records, never the gateway or
// the store, so this function holds neither secret.
const clients = createDocumentClient(
  env.dynamodbEndpoint === undefined ? {} : { endpoint: env.dynamodbEndpoint },
);
const ledger = createDynamoDbLedger({ clients, tableName: env.ledgerTable });
const events = eventsForBus(env.eventBusName);

/** The backfill's Report state: the slices summed into the execution's output (contracts §7). */
export async function handler(event: unknown): Promise<BackfillReport> {
  const report = await reportBackfill(
    event,
    { ledger, ...(events === undefined ? {} : { events }) },
    env.sync.runRecordTtlDays,
  );
  publishBackfillMetrics(report);
  logger[report.status === "SUCCEEDED" ? "info" : "error"]("backfill finished", {
    runId: report.runId,
    status: report.status,
    counts: report.counts,
    errors: report.errors.slice(0, 5),
  });
  return report;
}
