import { decideClaim } from "../../lambda/core/claim-rules.ts";
import type { BackfillSliceTag } from "../../lambda/core/config.ts";
import type { Finding, PaidOrder, Payment, RunReport } from "../../lambda/core/model.ts";
import { cursorPages, numberedPages } from "../../lambda/gateways/paging.ts";
import type {
  CancelOutcome,
  CancelRequest,
  Gateway,
  ListOptions,
  PageQuery,
  PaymentState,
} from "../../lambda/ports/gateway.ts";
import type {
  CancelRecord,
  ClaimOutcomeState,
  ClaimRequest,
  ClaimResult,
  FinalCancelState,
  Ledger,
  LockResult,
  OpenClaim,
} from "../../lambda/ports/ledger.ts";
import type { OrderStore } from "../../lambda/ports/order-store.ts";
import type { TestOrder } from "./payments.ts";

/** In-memory twins of the three ports, for unit tests of the core only. */

export class MemoryGateway implements Gateway {
  readonly cancelCalls: CancelRequest[] = [];
  readonly pageCalls: number[] = [];
  readonly cancelledUids = new Set<string>();
  countable = true;
  failPage?: number;
  cancelAnswer?: (request: CancelRequest) => CancelOutcome | Error | undefined;

  constructor(private readonly payments: Payment[]) {}

  private inWindow(query: PageQuery): Payment[] {
    return this.payments
      .filter((p) => p.paidAt >= query.window.from && p.paidAt < query.window.to)
      .map((p) => (this.cancelledUids.has(p.pgUid) ? { ...p, status: "cancelled" } : p));
  }

  /** Numbered pages through the shared helper, or cursor pages when not `countable`. */
  async *listWindow(query: PageQuery, options: ListOptions): AsyncGenerator<readonly Payment[]> {
    const total = this.inWindow(query).length;
    if (this.countable) {
      const count = { totalPages: Math.ceil(total / query.perPage), totalCount: total };
      yield* numberedPages(count, (page) => this.page(query, page), options);
      return;
    }
    yield* cursorPages(async (_cursor: number | undefined, page) => {
      const payments = await this.page(query, page);
      return { payments, next: payments.length < query.perPage ? undefined : page + 1 };
    }, options);
  }

  private async page(query: PageQuery, page: number): Promise<Payment[]> {
    this.pageCalls.push(page);
    if (page === this.failPage) throw new Error(`page ${page} failed`);
    const start = (page - 1) * query.perPage;
    return this.inWindow(query).slice(start, start + query.perPage);
  }

  /** Set to give the gateway a lookup: the state of each payment right before its cancel. */
  lookup?: (pgUid: string) => PaymentState | undefined | Error;

  paymentStatus?(pgUid: string): Promise<PaymentState | undefined>;

  enableLookup(lookup: (pgUid: string) => PaymentState | undefined | Error): void {
    this.lookup = lookup;
    this.paymentStatus = async (pgUid) => {
      const state = this.lookup?.(pgUid);
      if (state instanceof Error) throw state;
      return state;
    };
  }

  async cancel(request: CancelRequest): Promise<CancelOutcome> {
    this.cancelCalls.push(request);
    const scripted = this.cancelAnswer?.(request);
    if (scripted instanceof Error) throw scripted;
    if (scripted) return scripted;
    if (this.cancelledUids.has(request.pgUid)) return { kind: "already_cancelled" };
    this.cancelledUids.add(request.pgUid);
    return { kind: "cancelled" };
  }
}

export class MemoryOrderStore implements OrderStore {
  readonly calls: string[][] = [];
  down = false;

  constructor(private readonly orders: readonly TestOrder[]) {}

  async paidOrders(ids: readonly string[]): Promise<PaidOrder[]> {
    this.calls.push([...ids]);
    if (this.down) throw new Error("store unreachable");
    const wanted = new Set(ids);
    return this.orders
      .filter((o) => wanted.has(o.id) && o.paid !== false)
      .map(({ paid: _paid, ...order }) => order);
  }
}

type MutableRecord = { -readonly [K in keyof CancelRecord]: CancelRecord[K] } & {
  storeOrderId?: string;
  amount?: number;
};

/** Same rules as the DynamoDB ledger, one record at a time. */
export class MemoryLedger implements Ledger {
  readonly records = new Map<string, MutableRecord>();
  readonly findings: Finding[] = [];
  private readonly findingKeys = new Set<string>();
  readonly runs: RunReport[] = [];
  /** A backfill's slice reports by backfill, pass and slice start, as the ledger keeps them. */
  readonly slices = new Map<string, RunReport>();
  lock?: { owner: string; leaseUntil: number };

  async claimCancel(req: ClaimRequest): Promise<ClaimResult> {
    const record = this.records.get(req.pgUid);
    if (!record) {
      this.records.set(req.pgUid, {
        state: "CLAIMED",
        owner: req.runId,
        leaseUntil: req.now + req.leaseMs,
        attempts: 1,
        idempotencyKey: req.idempotencyKey,
        storeOrderId: req.storeOrderId,
        amount: req.amount,
      });
      return { kind: "claimed", idempotencyKey: req.idempotencyKey, attempt: 1 };
    }
    // The core's claim rules, as the DynamoDB ledger applies them.
    const decision = decideClaim(record, req);
    switch (decision.kind) {
      case "answer":
        return decision.result;
      case "giveUp":
        record.state = "FAILED";
        record.lastError = decision.reason;
        return { kind: "failed", reason: decision.reason };
      case "takeOver":
        record.owner = req.runId;
        record.leaseUntil = req.now + req.leaseMs;
        record.attempts++;
        return { kind: "claimed", idempotencyKey: record.idempotencyKey, attempt: record.attempts };
    }
  }

  async completeCancel(
    pgUid: string,
    runId: string,
    state: ClaimOutcomeState,
    _now: number,
    detail?: string,
  ) {
    const record = this.records.get(pgUid);
    if (record?.state !== "CLAIMED" || record.owner !== runId) return;
    record.state = state;
    if (state === "FAILED" && detail !== undefined) record.lastError = detail;
  }

  async releaseCancel(pgUid: string, runId: string, now: number, error: string) {
    const record = this.records.get(pgUid);
    if (record?.state !== "CLAIMED" || record.owner !== runId) return;
    record.leaseUntil = now;
    record.lastError = error;
  }

  async openClaims(): Promise<OpenClaim[]> {
    return [...this.records]
      .filter(([, r]) => r.state === "CLAIMED" || r.state === "REQUESTED")
      .map(([pgUid, r]) => ({
        pgUid,
        state: r.state as "CLAIMED" | "REQUESTED",
        ...(r.storeOrderId === undefined ? {} : { storeOrderId: r.storeOrderId }),
        ...(r.amount === undefined ? {} : { amount: r.amount }),
        owner: r.owner,
        leaseUntil: r.leaseUntil,
        attempts: r.attempts,
      }));
  }

  async closeExpiredClaim(
    pgUid: string,
    _runId: string,
    now: number,
    state: FinalCancelState,
    detail: string,
  ) {
    const record = this.records.get(pgUid);
    const open =
      record?.state === "REQUESTED" || (record?.state === "CLAIMED" && record.leaseUntil <= now);
    if (record === undefined || !open) return false;
    record.state = state;
    if (state === "FAILED") record.lastError = detail;
    return true;
  }

  async recordFinding(finding: Finding) {
    this.findings.push(finding);
    const key = `${finding.pgUid}#${finding.kind}`;
    const raised = !this.findingKeys.has(key);
    this.findingKeys.add(key);
    return { raised };
  }

  async acquireRunLock(runId: string, now: number, leaseMs: number): Promise<LockResult> {
    if (this.lock && this.lock.leaseUntil >= now && this.lock.owner !== runId) {
      return { acquired: false, owner: this.lock.owner, leaseUntil: this.lock.leaseUntil };
    }
    this.lock = { owner: runId, leaseUntil: now + leaseMs };
    return { acquired: true };
  }

  async releaseRunLock(runId: string) {
    if (this.lock?.owner === runId) this.lock = undefined;
  }

  async recordRun(report: RunReport, _expiresAtSeconds: number, slice?: BackfillSliceTag) {
    this.runs.push(report);
    if (slice !== undefined) {
      this.slices.set(`${slice.backfillId}#${slice.pass}#${report.window.from}`, report);
    }
  }

  async backfillSlices(backfillId: string, pass: BackfillSliceTag["pass"]) {
    const prefix = `${backfillId}#${pass}#`;
    return [...this.slices.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, report]) => report);
  }
}
