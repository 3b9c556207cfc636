import { describe, expect, it } from "vitest";
import { defaultSyncConfig } from "../../lambda/core/config.ts";
import { guardTrip } from "../../lambda/core/guard.ts";

const limits = { maxCancelsPerRun: 100, maxOrphanRatio: 0.2 };

describe("the blast-radius guard", () => {
  it("lets the seed's 4 orphans of 9 through", () => {
    expect(guardTrip({ orphans: 4, scanned: 9, judged: 9 }, limits)).toBeUndefined();
  });

  it("trips on more orphans than MAX_CANCELS_PER_RUN, and not on exactly that many", () => {
    expect(guardTrip({ orphans: 101, scanned: 100_000, judged: 100_000 }, limits)).toContain(
      "MAX_CANCELS_PER_RUN",
    );
    expect(guardTrip({ orphans: 100, scanned: 100_000, judged: 100_000 }, limits)).toBeUndefined();
  });

  it("judges the orphan ratio from 20 scanned on", () => {
    expect(guardTrip({ orphans: 5, scanned: 20, judged: 20 }, limits)).toContain(
      "MAX_ORPHAN_RATIO",
    );
    expect(guardTrip({ orphans: 4, scanned: 20, judged: 20 }, limits)).toBeUndefined();
    expect(guardTrip({ orphans: 4, scanned: 19, judged: 19 }, limits)).toBeUndefined();
  });

  it("halts a small window in which the store knows none of 5 or more paid payments", () => {
    expect(guardTrip({ orphans: 9, scanned: 9, judged: 9 }, limits)).toContain("empty or broken");
    expect(guardTrip({ orphans: 5, scanned: 9, judged: 5 }, limits)).toContain("empty or broken");
    expect(guardTrip({ orphans: 4, scanned: 4, judged: 4 }, limits)).toBeUndefined();
    expect(
      guardTrip({ orphans: 9, scanned: 9, judged: 9 }, { ...limits, maxOrphanRatio: 1 }),
    ).toBeUndefined();
  });

  it("uses the contract's defaults", () => {
    expect(defaultSyncConfig.maxCancelsPerRun).toBe(100);
    expect(defaultSyncConfig.maxOrphanRatio).toBe(0.2);
  });
});
