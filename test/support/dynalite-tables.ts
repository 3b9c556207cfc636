import { afterAll, beforeAll } from "vitest";
import {
  createDocumentClient,
  ensureLedgerTable,
  type LedgerClients,
} from "../../lambda/adapters/ledger-table.ts";
import { type EmbeddedDynalite, startDynalite } from "../../local/embedded/dynalite.ts";

export interface DynaliteTables extends LedgerClients {
  /** A new, empty ledger table of its own. */
  freshTable(): Promise<string>;
}

/** One dynalite per test file, spoken to over the DynamoDB API, and a fresh table per test. */
/** The clients are set once the file's dynalite is up (in beforeAll). */
export function useDynaliteTables(prefix: string): DynaliteTables {
  let dynamo: EmbeddedDynalite | undefined;
  let tables = 0;
  const handle = {
    freshTable: async () => {
      tables += 1;
      const tableName = `${prefix}-${tables}`;
      await ensureLedgerTable(handle.client, tableName);
      return tableName;
    },
  } as DynaliteTables;

  beforeAll(async () => {
    dynamo = await startDynalite();
    Object.assign(handle, createDocumentClient({ endpoint: dynamo.endpoint }));
  });

  afterAll(async () => {
    handle.client?.destroy();
    await dynamo?.close();
  });

  return handle;
}
