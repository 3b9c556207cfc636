import type { SyncPorts } from "../../lambda/core/run-sync.ts";
import type { Gateway } from "../../lambda/ports/gateway.ts";
import type { Ledger } from "../../lambda/ports/ledger.ts";
import type { OrderStore } from "../../lambda/ports/order-store.ts";

/** Thrown by every port call once the "process" is dead. */
export class ProcessKilled extends Error {
  override readonly name = "ProcessKilled";
}

export type CrashPoint =
  /** The claim is written, the gateway never called. */
  | "afterClaim"
  /** The gateway cancelled, the ledger never told. */
  | "afterGatewayAnswer";

/**
 * Ports that die like a process does: at the crash point, and from then on every call fails
 * without touching anything. What the dead run wrote stays written; nothing else happens.
 * `crashOn` picks which cancel (0-based, in call order) dies.
 */
export function killablePorts(
  ports: Pick<SyncPorts, "gateway" | "orders" | "ledger">,
  crash: { point: CrashPoint; crashOn?: number },
): { ports: Pick<SyncPorts, "gateway" | "orders" | "ledger">; killed: () => boolean } {
  let dead = false;
  let claims = 0;
  let answers = 0;
  const alive = <T>(call: () => Promise<T>): Promise<T> =>
    dead ? Promise.reject(new ProcessKilled("killed")) : call();
  const die = (): never => {
    dead = true;
    throw new ProcessKilled(`killed ${crash.point}`);
  };
  const target = crash.crashOn ?? 0;

  const ledger: Ledger = {
    claimCancel: async (request) => {
      const result = await alive(() => ports.ledger.claimCancel(request));
      if (crash.point === "afterClaim" && result.kind === "claimed" && claims++ === target) die();
      return result;
    },
    completeCancel: (...args) => alive(() => ports.ledger.completeCancel(...args)),
    releaseCancel: (...args) => alive(() => ports.ledger.releaseCancel(...args)),
    openClaims: () => alive(() => ports.ledger.openClaims()),
    closeExpiredClaim: (...args) => alive(() => ports.ledger.closeExpiredClaim(...args)),
    recordFinding: (...args) => alive(() => ports.ledger.recordFinding(...args)),
    acquireRunLock: (...args) => alive(() => ports.ledger.acquireRunLock(...args)),
    releaseRunLock: (...args) => alive(() => ports.ledger.releaseRunLock(...args)),
    recordRun: (...args) => alive(() => ports.ledger.recordRun(...args)),
    backfillSlices: (...args) => alive(() => ports.ledger.backfillSlices(...args)),
  };
  const gateway: Gateway = {
    async *listWindow(query, options) {
      if (dead) throw new ProcessKilled("killed");
      for await (const page of ports.gateway.listWindow(query, options)) {
        if (dead) throw new ProcessKilled("killed");
        yield page;
      }
    },
    ...(ports.gateway.paymentStatus === undefined
      ? {}
      : {
          paymentStatus: (pgUid: string) =>
            alive(() => ports.gateway.paymentStatus?.(pgUid) ?? Promise.resolve(undefined)),
        }),
    cancel: async (request) => {
      const outcome = await alive(() => ports.gateway.cancel(request));
      if (crash.point === "afterGatewayAnswer" && answers++ === target) die();
      // A sibling cancel that was already on the wire when the process died: its answer is lost.
      if (dead) throw new ProcessKilled("killed");
      return outcome;
    },
  };
  const orders: OrderStore = { paidOrders: (ids) => alive(() => ports.orders.paidOrders(ids)) };
  return { ports: { gateway, orders, ledger }, killed: () => dead };
}
