import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discardContainerPorts } from "../../lambda/aws/ports.ts";
import { apiKeyFromSecret, loadSecrets, storeUrlFromSecret } from "../../lambda/aws/secrets.ts";
import { readEnvConfig } from "../../lambda/config/env-config.ts";
import { handler } from "../../lambda/handler.ts";
import { SEED_EXPECTED } from "../../local/seed-data.ts";
import { type Services, startServices } from "../support/embedded.ts";
import {
  captureOutput,
  type FakeSecretsManager,
  fakeContext,
  readFixture,
  scopedEnv,
  startFakeSecretsManager,
} from "./lambda-harness.ts";

const ARN_PREFIX = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:";

describe("the PG API key secret", () => {
  it("is the plain text, or the apiKey of a key/value secret", () => {
    expect(apiKeyFromSecret("  live_key_123\n")).toBe("live_key_123");
    expect(apiKeyFromSecret('{"apiKey": "live_key_123"}')).toBe("live_key_123");
  });

  it("must not be empty, and never shows up in the error", () => {
    expect(() => apiKeyFromSecret("   ")).toThrow("PG_API_KEY_SECRET_ARN: the secret is empty");
    expect(() => apiKeyFromSecret('{"key": "hunter2"}')).toThrow(/without a non-empty "apiKey"/);
    expect(() => apiKeyFromSecret('{"key": "hunter2"}')).not.toThrow(/hunter2/);
  });
});

describe("the store database secret", () => {
  it("is a plain postgres:// URL", () => {
    expect(storeUrlFromSecret("postgres://u:p@db.internal:5432/shop")).toBe(
      "postgres://u:p@db.internal:5432/shop",
    );
  });

  it("is JSON with a url field", () => {
    expect(storeUrlFromSecret('{"url": "postgresql://u:p@db/shop?sslmode=verify-full"}')).toBe(
      "postgresql://u:p@db/shop?sslmode=verify-full",
    );
  });

  it("is an RDS-style secret, verified TLS unless it says otherwise, with credentials escaped", () => {
    const rds = {
      username: "paysync",
      password: "p@ss:w/rd?#",
      engine: "postgres",
      host: "shop.cluster-abc.ap-northeast-2.rds.amazonaws.com",
      port: 5432,
      dbname: "shop",
    };
    const url = storeUrlFromSecret(JSON.stringify(rds));
    expect(url).toBe(
      "postgres://paysync:p%40ss%3Aw%2Frd%3F%23@shop.cluster-abc.ap-northeast-2.rds.amazonaws.com:5432/shop?sslmode=verify-full",
    );
    expect(decodeURIComponent(new URL(url).password)).toBe(rds.password);
    expect(storeUrlFromSecret(JSON.stringify({ ...rds, sslmode: "disable" }))).toMatch(
      /\?sslmode=disable$/,
    );
    expect(storeUrlFromSecret(JSON.stringify({ username: "u", password: "p", host: "db" }))).toBe(
      "postgres://u:p@db/postgres?sslmode=verify-full",
    );
  });

  it("refuses other shapes without echoing the secret", () => {
    const refusals: Array<[string, RegExp]> = [
      ["mysql://u:hunter2@db/shop", /must start with postgres:\/\/ or postgresql:\/\//],
      ["hunter2", /is not a valid URL/],
      ['{"url": "https://hunter2.example"}', /must start with postgres:\/\//],
      ['{"username": "u", "password": "hunter2"}', /missing: host/],
      ['{"password": "hunter2", "host": "db", "port": "x"}', /missing: username/],
      ['{"username": "u", "password": "hunter2", "host": "db", "port": "x"}', /"port"/],
      ["", /the secret is empty/],
    ];
    for (const [secret, problem] of refusals) {
      expect(() => storeUrlFromSecret(secret)).toThrow(problem);
      expect(() => storeUrlFromSecret(secret)).toThrow(/^STORE_DATABASE_SECRET_ARN: /);
      expect(() => storeUrlFromSecret(secret)).not.toThrow(/hunter2/);
    }
  });
});

describe("loadSecrets", () => {
  const config = readEnvConfig({ PG_API_KEY: "env_key", STORE_DATABASE_URL: "postgres://db/x" });

  it("falls back to PG_API_KEY and STORE_DATABASE_URL without the ARN variables", async () => {
    const fetch = async () => {
      throw new Error("must not be called");
    };
    await expect(loadSecrets({}, config, { fetch })).resolves.toEqual({
      pgApiKey: "env_key",
      storeDatabaseUrl: "postgres://db/x",
    });
  });

  it("names the variable when neither the ARN nor the plain value is set", async () => {
    await expect(loadSecrets({}, readEnvConfig({}))).rejects.toThrow(
      "PG_API_KEY_SECRET_ARN: is not set, and neither is PG_API_KEY",
    );
    await expect(loadSecrets({}, readEnvConfig({ PG_API_KEY: "k" }))).rejects.toThrow(
      "STORE_DATABASE_SECRET_ARN: is not set, and neither is STORE_DATABASE_URL",
    );
  });

  it("refuses an ARN variable that is not a secret ARN", async () => {
    await expect(
      loadSecrets({ PG_API_KEY_SECRET_ARN: "paysync/pg-api-key" }, config),
    ).rejects.toThrow("PG_API_KEY_SECRET_ARN: is not a Secrets Manager secret ARN");
  });

  it("prefers the secrets, passing forceFetch through", async () => {
    const asked: Array<[string, boolean]> = [];
    const fetch = async (arn: string, forceFetch: boolean) => {
      asked.push([arn, forceFetch]);
      return arn.endsWith("key-AbCdEf") ? "sm_key" : new TextEncoder().encode("postgres://sm/db");
    };
    const env = {
      PG_API_KEY_SECRET_ARN: `${ARN_PREFIX}paysync/key-AbCdEf`,
      STORE_DATABASE_SECRET_ARN: `${ARN_PREFIX}paysync/store-GhIjKl`,
    };
    await expect(loadSecrets(env, config, { fetch, forceFetch: true })).resolves.toEqual({
      pgApiKey: "sm_key",
      storeDatabaseUrl: "postgres://sm/db",
    });
    expect(asked.sort()).toEqual([
      [env.PG_API_KEY_SECRET_ARN, true],
      [env.STORE_DATABASE_SECRET_ARN, true],
    ]);
  });
});

describe("the handler with its credentials in Secrets Manager (Powertools Parameters)", () => {
  const apiKey = "pg_live_3f9c1e7a_never_logged";
  const oldApiKey = "pg_live_0ld0ld_never_logged";
  const password = "store-pw-8d2b4c_never_logged";
  const apiKeyArn = `${ARN_PREFIX}paysync/pg-api-key-AbCdEf`;
  const storeArn = `${ARN_PREFIX}paysync/store-database-GhIjKl`;
  /** What the fake Secrets Manager holds; a test changes it to rotate a secret. */
  const stored: Record<string, string> = {};
  let services: Services;
  let secretsManager: FakeSecretsManager;
  let env: ReturnType<typeof scopedEnv>;

  beforeAll(async () => {
    services = await startServices({ simulator: { apiKey } });
    const store = new URL(services.postgres.url);
    stored[apiKeyArn] = oldApiKey;
    // RDS-style: the handler builds the URL. PGlite takes any password and has no TLS.
    stored[storeArn] = JSON.stringify({
      username: "postgres",
      password,
      host: store.hostname,
      port: Number(store.port),
      dbname: "postgres",
      sslmode: "disable",
    });
    secretsManager = await startFakeSecretsManager(stored);
    env = scopedEnv();
    env.set({
      ...services.env,
      PG_API_KEY: undefined,
      STORE_DATABASE_URL: undefined,
      PG_API_KEY_SECRET_ARN: apiKeyArn,
      STORE_DATABASE_SECRET_ARN: storeArn,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
      AWS_REGION: "ap-northeast-2",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
  });

  afterAll(async () => {
    await discardContainerPorts();
    env.restore();
    await secretsManager.close();
    await services.close();
  });

  it("fetches each secret once per container, afresh after a failed run, and never logs them", async () => {
    const output = captureOutput();
    const event = () => ({
      ...readFixture("scheduled-event.json"),
      time: new Date().toISOString(),
    });
    try {
      // The gateway's key was rotated, and Secrets Manager does not have the new one yet.
      await expect(handler(event(), fakeContext())).rejects.toThrow(/FAILED: gateway: .*401/);
      expect(Object.fromEntries(secretsManager.calls)).toEqual({ [apiKeyArn]: 1, [storeArn]: 1 });

      stored[apiKeyArn] = apiKey;
      const first = await handler(event(), fakeContext());
      expect(first.status).toBe("SUCCEEDED");
      expect(first.cancelled).toEqual(SEED_EXPECTED.cancelled);
      expect(Object.fromEntries(secretsManager.calls)).toEqual({ [apiKeyArn]: 2, [storeArn]: 2 });

      const second = await handler(event(), fakeContext());
      expect(second.status).toBe("SUCCEEDED");
      expect(Object.fromEntries(secretsManager.calls)).toEqual({ [apiKeyArn]: 2, [storeArn]: 2 });

      expect(output.lines().length).toBeGreaterThan(0);
      for (const secret of [apiKey, oldApiKey, password]) {
        expect(output.text()).not.toContain(secret);
      }
    } finally {
      output.stop();
    }
  });
});
