import type { OrderStore } from "../ports/order-store.ts";
import { CompactStringTable } from "../util/compact-table.ts";
import { byPaidAtThenUid, judgeAccepted, triage } from "./classify.ts";
import { lookupPaidOrders } from "./lookup-orders.ts";
import { emptyCounts, type Finding, type Payment, type RunCounts } from "./model.ts";
import { REPORT_LIST_LIMIT } from "./report.ts";

/** A duplicate finding names at most this many other payments of its order. */
const OTHERS_KEPT = REPORT_LIST_LIMIT;

export interface WindowJudgeOptions {
  readonly store: OrderStore;
  readonly orderChunkSize: number;
  /** Payments paid at or after this are in the grace period. */
  readonly graceStart: number;
  /** Orphans kept in full; past this many the guard halts the run anyway. */
  readonly orphanKeep: number;
  /** Findings kept for the report and the ledger; counts stay exact beyond it. */
  readonly findingKeep: number;
  /** pg_uids with an open claim: their payments are kept so stale claims can be closed. */
  readonly watched: ReadonlySet<string>;
  /** Checked before each store lookup. */
  readonly beforeLookup: () => void;
}

export interface WindowVerdict {
  readonly counts: RunCounts;
  /** In (paid_at, pg_uid) order; complete unless `orphansDropped`. */
  readonly orphans: Payment[];
  readonly orphansDropped: boolean;
  readonly flagged: Finding[];
  /** Payments of the window that have an open claim. */
  readonly watched: ReadonlyMap<string, Payment>;
  /** Pages that broke the gateway's (paid_at, pg_uid) order; 0 for a well-behaved gateway. */
  readonly outOfOrder: number;
}

/**
 * Judges a window as it streams past, holding only what a verdict needs: the orders'
 * lookups one chunk at a time, the orphans (few, and capped), the findings (capped), and
 * for each paid order the first payment accepted for it (in a compact off-heap table), so a
 * second payment for the same order is recognised however far apart the two are.
 */
export function createWindowJudge(options: WindowJudgeOptions) {
  const counts = emptyCounts();
  const orphans: Payment[] = [];
  const orphanUids = new Set<string>();
  let orphansDropped = false;
  const flagged: Finding[] = [];
  const watched = new Map<string, Payment>();
  const acceptedByOrder = new CompactStringTable();
  // pg_uids of the previous and current page: in a sorted listing a repeat can only sit
  // next to its first sighting, so this catches repeats without remembering the window.
  let previousPage = new Set<string>();
  let currentPage = new Set<string>();
  let last: Payment | undefined;
  let outOfOrder = 0;
  // Paid payments waiting for their chunk's lookup, by pg_uid so a withdrawal is O(1).
  let pending = new Map<string, Payment>();
  let pendingOrders = new Set<string>();

  const keepFinding = (finding: Finding) => {
    if (flagged.length < options.findingKeep) flagged.push(finding);
  };

  /** A repeat that slipped past the page-level check, e.g. from an unsorted gateway. */
  const repeatSighting = () => {
    counts.scanned--;
  };

  const addOrphan = (payment: Payment) => {
    if (orphanUids.has(payment.pgUid)) return repeatSighting();
    counts.orphans++;
    if (orphans.length >= options.orphanKeep) {
      orphansDropped = true;
      return;
    }
    orphans.push(payment);
    orphanUids.add(payment.pgUid);
  };

  /** Takes back a paid sighting still waiting for its lookup, or already an orphan. */
  const withdraw = (pgUid: string): boolean => {
    if (pending.delete(pgUid)) return true;
    if (!orphanUids.delete(pgUid)) return false;
    const index = orphans.findIndex((p) => p.pgUid === pgUid);
    if (index >= 0) orphans.splice(index, 1);
    counts.orphans--;
    return true;
  };

  /**
   * Surplus payments of one order, kept for at most `findingKeep` findings in all: its
   * payments in window order, accepted first (at most OTHERS_KEPT + 1), and the findings.
   * `otherPgUids` is filled in at the end, so that a finding also names later surplus.
   */
  const duplicateGroups = new Map<string, { pgUids: string[]; findings: Finding[] }>();
  let duplicatesKept = 0;

  const addDuplicate = (
    payment: Payment,
    orderId: string,
    accepted: string,
    orderAmount: number,
  ) => {
    counts.duplicates++;
    let group = duplicateGroups.get(orderId);
    if (group === undefined) {
      if (duplicatesKept >= options.findingKeep) return;
      group = { pgUids: [accepted], findings: [] };
      duplicateGroups.set(orderId, group);
    }
    // An order with more surplus than this already has more findings than a report lists,
    // so the report says it is truncated.
    if (group.pgUids.length <= OTHERS_KEPT) group.pgUids.push(payment.pgUid);
    if (duplicatesKept >= options.findingKeep) return;
    duplicatesKept++;
    group.findings.push({
      kind: "DUPLICATE_PAYMENT",
      pgUid: payment.pgUid,
      storeOrderId: payment.storeOrderId,
      pgAmount: payment.amount,
      orderAmount,
      reason: `order ${orderId} has more than one paid payment; ${accepted} is presumed accepted`,
    });
  };

  async function judgePending(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.values()].sort(byPaidAtThenUid);
    // The batch's distinct order ids, gathered as its payments arrived.
    const orderIds = pendingOrders;
    pending = new Map();
    pendingOrders = new Set();
    options.beforeLookup();
    const orders = await lookupPaidOrders(options.store, orderIds, options.orderChunkSize);
    for (const payment of batch) {
      const order = orders.get(payment.storeOrderId);
      if (order === undefined) {
        addOrphan(payment);
        continue;
      }
      // The store names the payment it accepted: any other is surplus and safe to cancel.
      if (order.pgUid !== undefined && order.pgUid !== payment.pgUid) {
        addOrphan(payment);
        continue;
      }
      if (order.pgUid === undefined) {
        // The first payment judged for an order is its accepted one from here on.
        const accepted = acceptedByOrder.putIfAbsent(order.id, payment.pgUid);
        if (accepted === payment.pgUid) {
          repeatSighting();
          continue;
        }
        if (accepted !== undefined) {
          addDuplicate(payment, order.id, accepted, order.amount);
          continue;
        }
      }
      const verdict = judgeAccepted(payment, order);
      if (verdict.kind === "matched") counts.matched++;
      else if (verdict.kind === "mismatch") {
        counts.mismatches++;
        keepFinding(verdict.finding);
      }
    }
  }

  return {
    async addPage(page: readonly Payment[]): Promise<void> {
      previousPage = currentPage;
      currentPage = new Set();
      // By index: the loop awaits lookups, and an iterator kept across an await is an object
      // per payment for the garbage collector.
      for (let i = 0; i < page.length; i++) {
        const payment = page[i] as Payment;
        if (payment.status !== "paid" && withdraw(payment.pgUid)) {
          // A later sighting says it is no longer paid (a gateway that lists a payment's
          // events, like Toss): doubt never turns into a refund, so it stops being judged.
          counts.ignored++;
          if (options.watched.has(payment.pgUid)) watched.set(payment.pgUid, payment);
          continue;
        }
        if (previousPage.has(payment.pgUid) || currentPage.has(payment.pgUid)) continue;
        currentPage.add(payment.pgUid);
        if (last !== undefined && byPaidAtThenUid(last, payment) > 0) outOfOrder++;
        last = payment;
        counts.scanned++;
        if (options.watched.has(payment.pgUid)) watched.set(payment.pgUid, payment);
        const place = triage(payment, options.graceStart);
        if (place !== "judge") {
          counts[place]++;
          continue;
        }
        if (pending.has(payment.pgUid)) {
          repeatSighting();
          continue;
        }
        pending.set(payment.pgUid, payment);
        pendingOrders.add(payment.storeOrderId);
        if (pendingOrders.size >= options.orderChunkSize) await judgePending();
      }
    },

    async finish(): Promise<WindowVerdict> {
      await judgePending();
      for (const { pgUids, findings } of duplicateGroups.values()) {
        for (const finding of findings) {
          const others = pgUids.filter((pgUid) => pgUid !== finding.pgUid);
          keepFinding({ ...finding, otherPgUids: others.slice(0, OTHERS_KEPT) });
        }
      }
      return { counts, orphans, orphansDropped, flagged, watched, outOfOrder };
    },
  };
}
