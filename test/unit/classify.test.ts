import { describe, expect, it } from "vitest";
import { judgeOrder, mergeSighting, triage } from "../../lambda/core/classify.ts";
import { NOW, payment } from "../support/payments.ts";

const graceStart = NOW - 30 * 60_000;

describe("triage", () => {
  it("judges only paid payments older than the grace period", () => {
    expect(triage(payment("A", 1, 100), graceStart)).toBe("judge");
    expect(triage(payment("A", 1, 100, { paidAt: graceStart }), graceStart)).toBe("inGrace");
    expect(triage(payment("A", 1, 100, { status: "cancelled" }), graceStart)).toBe("ignored");
    expect(triage(payment("A", 1, 100, { status: "refund_pending" }), graceStart)).toBe("ignored");
  });
});

describe("judgeOrder", () => {
  it("calls every payment of a missing (or unpaid) order an orphan", () => {
    const verdicts = judgeOrder(undefined, [payment("A", 1, 100), payment("B", 1, 100)]);
    expect(verdicts.map((v) => [v.kind, v.payment.pgUid])).toEqual([
      ["orphan", "A"],
      ["orphan", "B"],
    ]);
  });

  it("matches a payment whose order has the same amount", () => {
    expect(judgeOrder({ id: "1", amount: 100 }, [payment("A", 1, 100)])).toEqual([
      { kind: "matched", payment: payment("A", 1, 100) },
    ]);
  });

  it("flags a differing amount, never cancels it", () => {
    const [verdict] = judgeOrder({ id: "3", amount: 25000 }, [payment("PG13", 3, 15000)]);
    expect(verdict?.kind).toBe("mismatch");
    expect(verdict?.kind === "mismatch" && verdict.finding).toMatchObject({
      kind: "AMOUNT_MISMATCH",
      pgUid: "PG13",
      storeOrderId: "3",
      pgAmount: 15000,
      orderAmount: 25000,
    });
  });

  it("presumes the earliest of two payments accepted and flags the other as a duplicate", () => {
    const early = payment("B", 7, 100, { paidAt: NOW - 90 * 60_000 });
    const late = payment("A", 7, 100, { paidAt: NOW - 80 * 60_000 });
    const verdicts = judgeOrder({ id: "7", amount: 100 }, [late, early]);
    expect(verdicts.map((v) => [v.kind, v.payment.pgUid])).toEqual([
      ["matched", "B"],
      ["duplicate", "A"],
    ]);
    const duplicate = verdicts[1];
    expect(duplicate?.kind === "duplicate" && duplicate.finding).toMatchObject({
      kind: "DUPLICATE_PAYMENT",
      pgUid: "A",
      storeOrderId: "7",
      otherPgUids: ["B"],
    });
  });

  it("breaks a paid_at tie by pg_uid and lists every other payment on each duplicate", () => {
    const verdicts = judgeOrder({ id: "7", amount: 100 }, [
      payment("C", 7, 100),
      payment("A", 7, 100),
      payment("B", 7, 100),
    ]);
    expect(verdicts.map((v) => v.kind)).toEqual(["matched", "duplicate", "duplicate"]);
    expect(verdicts[0]?.payment.pgUid).toBe("A");
    const findings = verdicts.flatMap((v) => (v.kind === "duplicate" ? [v.finding] : []));
    expect(findings.map((f) => [f.pgUid, f.otherPgUids])).toEqual([
      ["B", ["A", "C"]],
      ["C", ["A", "B"]],
    ]);
  });

  it("cancels the payments an order did not accept when the store names the accepted one", () => {
    const verdicts = judgeOrder({ id: "7", amount: 100, pgUid: "B" }, [
      payment("A", 7, 100),
      payment("B", 7, 100),
    ]);
    expect(verdicts.map((v) => [v.kind, v.payment.pgUid])).toEqual([
      ["orphan", "A"],
      ["matched", "B"],
    ]);
  });
});

describe("mergeSighting", () => {
  it("keeps one payment per pg_uid, and any non-paid sighting wins", () => {
    const paid = payment("A", 1, 100);
    const cancelled = payment("A", 1, 100, { status: "cancelled" });
    expect(mergeSighting(undefined, paid)).toBe(paid);
    expect(mergeSighting(paid, paid)).toBe(paid);
    expect(mergeSighting(paid, cancelled)).toBe(cancelled);
    expect(mergeSighting(cancelled, paid)).toBe(cancelled);
  });
});
