import { fileURLToPath } from "node:url";
import { Duration } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import {
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { HEAP_FLAGS } from "../lambda/config/heap-flags.ts";

/**
 * The exec wrapper, copied next to the bundle: it adds the V8 flags NODE_OPTIONS refuses
 * (LAUNCH_FLAGS). Its mode travels with it: the CLI zips each file with its own mode.
 */
export const EXEC_WRAPPER = "node-wrapper.sh";

const repoFile = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/**
 * A normal run reads a two-hour window in seconds. Five minutes, the default schedule's
 * period, bounds a slow gateway or the nightly 48-hour run; the handler stops starting new
 * work 30 s before it (the run ends `PARTIAL`, the next run goes on), so Lambda never has to
 * kill a run that holds the lock. Overlapping runs are safe anyway: the ledger's run lock makes
 * the later one `SKIPPED_LOCKED`.
 */
export const FUNCTION_TIMEOUT = Duration.minutes(5);

/**
 * Chosen for CPU, not for memory: a run streams its window and peaks near 140 MiB at a million
 * payments (`npm run bench`), but memory is Lambda's only CPU knob (one vCPU at 1,769 MB). The
 * bench measured 9.5 µs of sync CPU per payment at 1M (9.2 to 10.8 µs in other runs that day,
 * on a host whose speed varies by a quarter from day to day), against a gateway
 * bound of 34.4 µs per payment (16 requests of 100 payments in flight, 50 ms each). 512 MB
 * (0.29 vCPU) keeps pace only up to 10 µs: no room for a slower day, or for ARM64, which the
 * bench does not measure. 768 MB (0.43 vCPU) keeps pace up to 14.9 µs, half again the
 * measured figure, at three quarters of the previous 1,024 MB (README, "The function's size").
 */
export const FUNCTION_MEMORY_MB = 768;

export type PaysyncFunctionProps = Omit<
  NodejsFunctionProps,
  "entry" | "handler" | "runtime" | "role" | "logGroup"
> & {
  /** The handler's file, from the repository root; its export is `handler`. */
  readonly entry?: string;
};

/**
 * The paysync handler with the project's defaults: ARM64, Node.js 24, bundled on this machine
 * by esbuild (never Docker) into ESM with source maps, its own log group, and a role that
 * starts with no permissions at all; the stack grants exactly what the run needs.
 */
export class PaysyncFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, { entry, ...props }: PaysyncFunctionProps = {}) {
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: "paysync: granted only what the stack grants it, nothing by default",
    });
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      // The ledger is the audit trail; logs are for diagnosing recent runs.
      retention: RetentionDays.THREE_MONTHS,
    });
    super(scope, id, {
      architecture: Architecture.ARM_64,
      memorySize: FUNCTION_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT,
      ...props,
      entry: repoFile(entry ?? "lambda/handler.ts"),
      handler: "handler",
      runtime: Runtime.NODEJS_24_X,
      depsLockFilePath: repoFile("package-lock.json"),
      projectRoot: repoFile(""),
      role,
      logGroup,
      environment: {
        NODE_OPTIONS: ["--enable-source-maps", ...HEAP_FLAGS].join(" "),
        AWS_LAMBDA_EXEC_WRAPPER: `/var/task/${EXEC_WRAPPER}`,
        // Lambda's CA bundle, with the RDS certificates, so `sslmode=verify-full` can verify.
        NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: "node24",
        mainFields: ["module", "main"],
        // Bundled CommonJS dependencies (pg) still call require().
        banner:
          "import { createRequire as __paysyncCreateRequire } from 'node:module'; const require = __paysyncCreateRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK is bundled (no "@aws-sdk/*" external) so Lambda runs the versions the tests
        // ran. pg-native is pg's optional native binding, which paysync never asks for.
        externalModules: ["pg-native"],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => [
            `cp "${inputDir}/lambda/config/${EXEC_WRAPPER}" "${outputDir}/${EXEC_WRAPPER}"`,
          ],
        },
        ...props.bundling,
      },
    });
    logGroup.grantWrite(role);
  }
}
