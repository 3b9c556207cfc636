import { describe, expect, it } from "vitest";
import { ConfigError, readEnvConfig } from "../../lambda/config/env-config.ts";

type Env = Record<string, string | undefined>;

/** Reads `env` expecting a ConfigError that names `variable`, and returns it. */
function configErrorOf(env: Env, variable: string): ConfigError {
  let caught: unknown;
  try {
    readEnvConfig(env);
  } catch (error) {
    caught = error;
  }
  expect(caught, `${JSON.stringify(env)} should be rejected`).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.name).toBe("ConfigError");
  expect(error.variable).toBe(variable);
  expect(error.message).toContain(variable);
  return error;
}

const ALL_VARIABLES = [
  "PG_PROVIDER",
  "PG_BASE_URL",
  "PG_API_KEY",
  "PG_PAGE_SIZE",
  "PG_CONCURRENCY",
  "PG_MAX_RPS",
  "STORE_DATABASE_URL",
  "STORE_ORDERS_SQL",
  "ORDER_CHUNK_SIZE",
  "LEDGER_TABLE",
  "DYNAMODB_ENDPOINT",
  "GRACE_SECONDS",
  "LOOKBACK_SECONDS",
  "MAX_CANCELS_PER_RUN",
  "MAX_ORPHAN_RATIO",
  "DRY_RUN",
  "SYNC_INTERVAL_SECONDS",
  "RUN_DEADLINE_SECONDS",
] as const;

describe("defaults (contracts §4)", () => {
  it("match the contract with an empty environment", () => {
    const config = readEnvConfig({});
    expect(config.provider).toBe("reference");
    expect(config.pgBaseUrl).toBeUndefined();
    expect(config.pgApiKey).toBeUndefined();
    expect(config.storeDatabaseUrl).toBeUndefined();
    expect(config.storeOrdersSql).toBeUndefined();
    expect(config.dynamodbEndpoint).toBeUndefined();
    expect(config.runDeadlineSeconds).toBeUndefined();
    expect(config.pageSizeSet).toBe(false);
    expect(config.maxRps).toBe(20);
    expect(config.ledgerTable).toBe("paysync-ledger");
    expect(config.syncIntervalSeconds).toBe(10);
    expect(config.sync).toMatchObject({
      pageSize: 100,
      concurrency: 8,
      orderChunkSize: 500,
      graceSeconds: 1800,
      lookbackSeconds: 7200,
      maxCancelsPerRun: 100,
      maxOrphanRatio: 0.2,
      dryRun: false,
    });
    expect(config.sync.window).toBeUndefined();
    expect(config.sync.deadlineAt).toBeUndefined();
  });

  it("reads every variable when it is set to a valid value", () => {
    const config = readEnvConfig({
      PG_PROVIDER: "reference",
      PG_BASE_URL: "https://pg.example.com/api",
      PG_API_KEY: "secret",
      PG_PAGE_SIZE: "50",
      PG_CONCURRENCY: "4",
      PG_MAX_RPS: "7",
      STORE_DATABASE_URL: "postgres://user:pw@db.example.com:5432/shop",
      STORE_ORDERS_SQL: "SELECT id, amount FROM orders WHERE id = ANY($1)",
      ORDER_CHUNK_SIZE: "250",
      LEDGER_TABLE: "my-ledger.v2",
      DYNAMODB_ENDPOINT: "http://127.0.0.1:8000",
      GRACE_SECONDS: "600",
      LOOKBACK_SECONDS: "3600",
      MAX_CANCELS_PER_RUN: "5",
      MAX_ORPHAN_RATIO: "0.5",
      DRY_RUN: "true",
      SYNC_INTERVAL_SECONDS: "30",
      RUN_DEADLINE_SECONDS: "120",
    });
    expect(config).toMatchObject({
      provider: "reference",
      pgBaseUrl: "https://pg.example.com/api",
      pgApiKey: "secret",
      pageSizeSet: true,
      maxRps: 7,
      storeDatabaseUrl: "postgres://user:pw@db.example.com:5432/shop",
      storeOrdersSql: "SELECT id, amount FROM orders WHERE id = ANY($1)",
      ledgerTable: "my-ledger.v2",
      dynamodbEndpoint: "http://127.0.0.1:8000",
      syncIntervalSeconds: 30,
      runDeadlineSeconds: 120,
      sync: {
        pageSize: 50,
        concurrency: 4,
        orderChunkSize: 250,
        graceSeconds: 600,
        lookbackSeconds: 3600,
        maxCancelsPerRun: 5,
        maxOrphanRatio: 0.5,
        dryRun: true,
      },
    });
  });

  it("treats blank values as unset", () => {
    const defaults = readEnvConfig({});
    const empty: Env = Object.fromEntries(ALL_VARIABLES.map((name) => [name, ""]));
    const spaces: Env = Object.fromEntries(ALL_VARIABLES.map((name) => [name, "   "]));
    expect(readEnvConfig(empty)).toEqual(defaults);
    expect(readEnvConfig(spaces)).toEqual(defaults);
    expect(readEnvConfig({ PG_PAGE_SIZE: " " }).pageSizeSet).toBe(false);
  });

  it("ignores variables it does not know", () => {
    expect(readEnvConfig({ PATH: "/usr/bin", HOME: "/root" })).toEqual(readEnvConfig({}));
  });
});

describe("whole-number variables", () => {
  // [variable, whether 0 is a valid value]
  const numeric: Array<[string, boolean]> = [
    ["PG_PAGE_SIZE", false],
    ["PG_CONCURRENCY", false],
    ["PG_MAX_RPS", false],
    ["ORDER_CHUNK_SIZE", false],
    ["GRACE_SECONDS", true],
    ["LOOKBACK_SECONDS", false],
    ["MAX_CANCELS_PER_RUN", true],
    ["SYNC_INTERVAL_SECONDS", false],
    ["RUN_DEADLINE_SECONDS", false],
  ];

  for (const [name, zeroIsValid] of numeric) {
    it(`${name} rejects garbage with a ConfigError naming it`, () => {
      for (const garbage of ["abc", "-1", "1.5", "1e3", "0x10", "12abc", "+5"]) {
        configErrorOf({ [name]: garbage }, name);
      }
      if (zeroIsValid) expect(() => readEnvConfig({ [name]: "0" })).not.toThrow();
      else configErrorOf({ [name]: "0" }, name);
    });
  }

  it("accepts surrounding whitespace around a valid number", () => {
    expect(readEnvConfig({ PG_CONCURRENCY: " 12 " }).sync.concurrency).toBe(12);
  });

  it("caps PG_PAGE_SIZE at 100", () => {
    expect(readEnvConfig({ PG_PAGE_SIZE: "100" }).sync.pageSize).toBe(100);
    expect(readEnvConfig({ PG_PAGE_SIZE: "1" }).sync.pageSize).toBe(1);
    const error = configErrorOf({ PG_PAGE_SIZE: "101" }, "PG_PAGE_SIZE");
    expect(error.message).toContain("101");
  });

  it("accepts 0 for GRACE_SECONDS and MAX_CANCELS_PER_RUN", () => {
    expect(readEnvConfig({ GRACE_SECONDS: "0" }).sync.graceSeconds).toBe(0);
    expect(readEnvConfig({ MAX_CANCELS_PER_RUN: "0" }).sync.maxCancelsPerRun).toBe(0);
  });

  it("rejects absurdly large numbers instead of overflowing", () => {
    configErrorOf({ LOOKBACK_SECONDS: "99999999999999999999999" }, "LOOKBACK_SECONDS");
    configErrorOf({ GRACE_SECONDS: String(31 * 86_400 + 1) }, "GRACE_SECONDS");
    configErrorOf({ RUN_DEADLINE_SECONDS: String(86_400 + 1) }, "RUN_DEADLINE_SECONDS");
  });
});

describe("MAX_ORPHAN_RATIO", () => {
  it("accepts a ratio in (0, 1]", () => {
    expect(readEnvConfig({ MAX_ORPHAN_RATIO: "0.5" }).sync.maxOrphanRatio).toBe(0.5);
    expect(readEnvConfig({ MAX_ORPHAN_RATIO: "1" }).sync.maxOrphanRatio).toBe(1);
    expect(readEnvConfig({ MAX_ORPHAN_RATIO: "0.05" }).sync.maxOrphanRatio).toBe(0.05);
  });

  it("rejects 0, more than 1 and garbage", () => {
    for (const bad of ["0", "0.0", "1.5", "2", "abc", "-0.5", "NaN", "Infinity", "1e-1"]) {
      configErrorOf({ MAX_ORPHAN_RATIO: bad }, "MAX_ORPHAN_RATIO");
    }
  });
});

describe("DRY_RUN", () => {
  it("reads true/false/1/0 in any case", () => {
    for (const yes of ["true", "TRUE", "True", "1"]) {
      expect(readEnvConfig({ DRY_RUN: yes }).sync.dryRun).toBe(true);
    }
    for (const no of ["false", "FALSE", "0"]) {
      expect(readEnvConfig({ DRY_RUN: no }).sync.dryRun).toBe(false);
    }
  });

  it("rejects anything else", () => {
    for (const bad of ["maybe", "2", "on?", "tru"]) {
      const error = configErrorOf({ DRY_RUN: bad }, "DRY_RUN");
      expect(error.message).toContain(bad);
    }
  });
});

describe("PG_PROVIDER", () => {
  it("accepts reference and rejects an unknown provider", () => {
    expect(readEnvConfig({ PG_PROVIDER: "reference" }).provider).toBe("reference");
    const error = configErrorOf({ PG_PROVIDER: "acme-pay" }, "PG_PROVIDER");
    expect(error.message).toContain("acme-pay");
    configErrorOf({ PG_PROVIDER: "REFERENCE" }, "PG_PROVIDER");
  });

  it("caps PG_PAGE_SIZE at each gateway's own maximum: Toss 5,000, PortOne 1,000", () => {
    for (const [provider, max] of [
      ["toss", 5_000],
      ["portone", 1_000],
    ] as const) {
      expect(
        readEnvConfig({ PG_PROVIDER: provider, PG_PAGE_SIZE: String(max) }).sync.pageSize,
      ).toBe(max);
      const error = configErrorOf(
        { PG_PROVIDER: provider, PG_PAGE_SIZE: String(max + 1) },
        "PG_PAGE_SIZE",
      );
      expect(error.message).toContain(String(max));
    }
  });

  it("takes PORTONE_STORE_ID as one id, and names it when it is not", () => {
    expect(readEnvConfig({ PORTONE_STORE_ID: "store-4b3c2a" }).portOne.storeId).toBe(
      "store-4b3c2a",
    );
    configErrorOf({ PORTONE_STORE_ID: "store 1&x=2" }, "PORTONE_STORE_ID");
  });
});

describe("URLs", () => {
  it("PG_BASE_URL must be http(s)", () => {
    expect(readEnvConfig({ PG_BASE_URL: "http://127.0.0.1:9999" }).pgBaseUrl).toBe(
      "http://127.0.0.1:9999",
    );
    expect(readEnvConfig({ PG_BASE_URL: "https://pg.example.com" }).pgBaseUrl).toBe(
      "https://pg.example.com",
    );
    for (const bad of ["ftp://pg.example.com", "pg.example.com", "not a url", "file:///etc"]) {
      configErrorOf({ PG_BASE_URL: bad }, "PG_BASE_URL");
    }
  });

  it("STORE_DATABASE_URL must be postgres:// or postgresql://", () => {
    expect(readEnvConfig({ STORE_DATABASE_URL: "postgres://u:p@h:5432/db" }).storeDatabaseUrl).toBe(
      "postgres://u:p@h:5432/db",
    );
    expect(
      readEnvConfig({ STORE_DATABASE_URL: "postgresql://u@h/db" }).storeDatabaseUrl,
    ).toBeDefined();
    for (const bad of ["mysql://u@h/db", "http://h/db", "localhost:5432", "garbage"]) {
      configErrorOf({ STORE_DATABASE_URL: bad }, "STORE_DATABASE_URL");
    }
  });

  it("DYNAMODB_ENDPOINT must be http(s)", () => {
    expect(readEnvConfig({ DYNAMODB_ENDPOINT: "http://localhost:8000" }).dynamodbEndpoint).toBe(
      "http://localhost:8000",
    );
    expect(
      readEnvConfig({ DYNAMODB_ENDPOINT: "https://dynamodb.ap-northeast-2.amazonaws.com" })
        .dynamodbEndpoint,
    ).toBeDefined();
    for (const bad of ["localhost:8000", "tcp://localhost:8000", "nope"]) {
      configErrorOf({ DYNAMODB_ENDPOINT: bad }, "DYNAMODB_ENDPOINT");
    }
  });

  it("does not leak credentials of a bad URL into the message", () => {
    const error = configErrorOf(
      { STORE_DATABASE_URL: "mysql://admin:hunter2@db/shop" },
      "STORE_DATABASE_URL",
    );
    expect(error.message).not.toContain("hunter2");
  });
});

describe("the window variables", () => {
  it("rejects LOOKBACK_SECONDS that is not greater than GRACE_SECONDS", () => {
    configErrorOf({ GRACE_SECONDS: "3600", LOOKBACK_SECONDS: "3600" }, "LOOKBACK_SECONDS");
    configErrorOf({ GRACE_SECONDS: "3600", LOOKBACK_SECONDS: "1200" }, "LOOKBACK_SECONDS");
    // against the default grace of 1800
    configErrorOf({ LOOKBACK_SECONDS: "1800" }, "LOOKBACK_SECONDS");
    const config = readEnvConfig({ GRACE_SECONDS: "3600", LOOKBACK_SECONDS: "3601" });
    expect(config.sync.lookbackSeconds).toBe(3601);
    expect(config.sync.graceSeconds).toBe(3600);
  });
});

describe("STORE_ORDERS_SQL", () => {
  it("must take the id list as $1, and only $1", () => {
    const sql = "SELECT id, amount, pg_uid FROM orders WHERE id = ANY($1) AND is_paid";
    expect(readEnvConfig({ STORE_ORDERS_SQL: sql }).storeOrdersSql).toBe(sql);
    configErrorOf({ STORE_ORDERS_SQL: "SELECT id, amount FROM orders" }, "STORE_ORDERS_SQL");
    configErrorOf({ STORE_ORDERS_SQL: "SELECT id FROM orders WHERE id = $1x" }, "STORE_ORDERS_SQL");
    configErrorOf(
      { STORE_ORDERS_SQL: "SELECT id, amount FROM orders WHERE id = ANY($1) AND shop = $2" },
      "STORE_ORDERS_SQL",
    );
    configErrorOf(
      { STORE_ORDERS_SQL: "SELECT id, amount FROM orders WHERE id = ANY($1) AND shop = $10" },
      "STORE_ORDERS_SQL",
    );
  });
});

describe("LEDGER_TABLE", () => {
  it("must be a valid DynamoDB table name", () => {
    expect(readEnvConfig({ LEDGER_TABLE: "prod_paysync-ledger.1" }).ledgerTable).toBe(
      "prod_paysync-ledger.1",
    );
    for (const bad of ["ab", "my table", "ledger/1", "x".repeat(256)]) {
      configErrorOf({ LEDGER_TABLE: bad }, "LEDGER_TABLE");
    }
  });
});
