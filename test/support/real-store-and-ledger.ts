import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll } from "vitest";
import { cancelKey, createDynamoDbLedger } from "../../lambda/adapters/dynamodb-ledger.ts";
import {
  createDocumentClient,
  ensureLedgerTable,
  type LedgerClients,
} from "../../lambda/adapters/ledger-table.ts";
import {
  createPostgresOrderStore,
  type PostgresOrderStore,
} from "../../lambda/adapters/postgres-order-store.ts";
import type { Ledger } from "../../lambda/ports/ledger.ts";
import type { OrderStore } from "../../lambda/ports/order-store.ts";
import { type EmbeddedDynalite, startDynalite } from "../../local/embedded/dynalite.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../../local/embedded/postgres.ts";

export interface RealStoreAndLedger {
  readonly orders: OrderStore;
  readonly ledger: Ledger;
  /** The payment's cancel record state in the ledger, as DynamoDB holds it. */
  stateOf(pgUid: string): Promise<string | undefined>;
}

/**
 * The store and the ledger as paysync really talks to them: PGlite over the PostgreSQL wire
 * protocol and dynalite over the DynamoDB API, one of each per test file; `fresh` gives each
 * test its own orders and its own table.
 */
export function useRealStoreAndLedger() {
  let dynalite: EmbeddedDynalite | undefined;
  let postgres: EmbeddedPostgres | undefined;
  let store: PostgresOrderStore | undefined;
  let clients: LedgerClients | undefined;
  let tables = 0;

  beforeAll(async () => {
    dynalite = await startDynalite();
    postgres = await startEmbeddedPostgres([]);
    store = createPostgresOrderStore({ connectionString: postgres.url });
    clients = createDocumentClient({ endpoint: dynalite.endpoint });
  });

  afterAll(async () => {
    clients?.client.destroy();
    await store?.close();
    await postgres?.close();
    await dynalite?.close();
  });

  return {
    async fresh(
      paidOrders: readonly { id: string; amount: number }[] = [],
    ): Promise<RealStoreAndLedger> {
      if (!(postgres && store && clients)) throw new Error("useRealStoreAndLedger: not started");
      await postgres.db.exec("DELETE FROM orders");
      for (const order of paidOrders) {
        await postgres.db.query("INSERT INTO orders (id, amount, is_paid) VALUES ($1, $2, true)", [
          order.id,
          order.amount,
        ]);
      }
      const tableName = `contract-${++tables}`;
      await ensureLedgerTable(clients.client, tableName);
      const { doc } = clients;
      return {
        orders: store,
        ledger: createDynamoDbLedger({ clients, tableName }),
        async stateOf(pgUid) {
          const { Item } = await doc.send(
            new GetCommand({ TableName: tableName, Key: cancelKey(pgUid), ConsistentRead: true }),
          );
          return typeof Item?.state === "string" ? Item.state : undefined;
        },
      };
    },
  };
}
