// Fault injection. Scripted faults are the primary tool for tests (exactly
// which request fails, and how); the rate-based ones exist for soak runs and
// draw from a seeded PRNG so that a failing run can be replayed.

/**
 * Every action answers without effect, except `drop-after`. `provider-error` (Toss's `400
 * PROVIDER_ERROR`) and `pg-provider` (PortOne's `502 PG_PROVIDER`) are one gateway's own
 * transient answers; the simulator refuses them in a script for another dialect.
 */
export type FaultAction =
  | "503"
  | "429"
  | "drop-before"
  | "drop-after"
  | "500"
  | "provider-error"
  | "pg-provider";

/** The actions that are an answer, as opposed to a lost connection. */
export type AnswerAction = Exclude<FaultAction, "drop-before" | "drop-after">;

export interface FaultMatch {
  /** Case-insensitive HTTP method. */
  method?: string;
  /** Prefix of the URL path (query excluded). */
  pathPrefix?: string;
  /** Only matches cancel requests for this payment. */
  pgUid?: string;
}

export interface ScriptedFault {
  match: FaultMatch;
  action: FaultAction;
  /** How many matching requests this entry still fails. */
  times: number;
  /** Retry-After for a "429" action; defaults to rateLimit's, else 1. */
  retryAfterSeconds?: number;
}

export interface RateLimitFault {
  /** Probability 0..1 that a request is rate limited. */
  rate: number;
  retryAfterSeconds: number;
}

export interface FaultOptions {
  /** Seeds the PRNG for rate-based faults; omitted keeps the current stream. */
  seed?: number;
  /** Extra latency added to every response. */
  latencyMs?: number;
  /** 503 without effect (each dialect's own body). */
  errorRate?: number;
  /** 429 with Retry-After, without effect. */
  rateLimit?: RateLimitFault;
  /** Socket destroyed without an answer and without effect. */
  dropBeforeEffectRate?: number;
  /** Cancel only: the cancel is applied and stored, then the socket destroyed. */
  dropAfterEffectRate?: number;
  /** Page reads (listing requests) answered the dialect's 500: a count, or by page number. */
  failPageReads?: number | ((page: number) => boolean);
  /** Deterministic faults; the first entry that matches with times > 0 fires. */
  script?: readonly ScriptedFault[];
}

export interface FaultTarget {
  method: string;
  path: string;
  /** Set for cancel requests only. */
  pgUid?: string;
}

export type FaultDecision =
  | { kind: "none" }
  | { kind: "answer"; action: AnswerAction; retryAfterSeconds: number }
  | { kind: "drop-before" }
  | { kind: "drop-after" };

const DEFAULT_SEED = 0x5eed;
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export class FaultInjector {
  #options: FaultOptions = {};
  #script: ScriptedFault[] = [];
  #pageReadFailuresLeft = 0;
  #random: () => number = mulberry32(DEFAULT_SEED);

  constructor(options: FaultOptions = {}) {
    this.set(options);
  }

  /** Replaces all faults; scripts and page-read counters restart from the new values. */
  set(options: FaultOptions): void {
    validateFaults(options);
    this.#options = options;
    this.#script = (options.script ?? []).map((entry) => ({ ...entry, match: { ...entry.match } }));
    this.#pageReadFailuresLeft =
      typeof options.failPageReads === "number" ? options.failPageReads : 0;
    if (options.seed !== undefined) this.#random = mulberry32(options.seed);
  }

  extraLatencyMs(): number {
    return this.#options.latencyMs ?? 0;
  }

  /** Scripted faults win; otherwise the rates are rolled in a fixed order. */
  decide(target: FaultTarget): FaultDecision {
    const scripted = this.#takeScripted(target);
    if (scripted) return this.#fromAction(scripted.action, scripted.retryAfterSeconds);
    return this.#rollRates(target);
  }

  shouldFailPageRead(page: number): boolean {
    const rule = this.#options.failPageReads;
    if (typeof rule === "function") return rule(page);
    if (this.#pageReadFailuresLeft <= 0) return false;
    this.#pageReadFailuresLeft -= 1;
    return true;
  }

  /** Scripted faults not yet consumed, so a test can assert its script all fired. */
  remainingScripted(): number {
    return this.#script.reduce((sum, entry) => sum + Math.max(entry.times, 0), 0);
  }

  #takeScripted(target: FaultTarget): ScriptedFault | undefined {
    const entry = this.#script.find(
      (candidate) => candidate.times > 0 && matches(candidate.match, target),
    );
    if (entry) entry.times -= 1;
    return entry;
  }

  #rollRates(target: FaultTarget): FaultDecision {
    const options = this.#options;
    if (this.#roll(options.dropBeforeEffectRate)) return { kind: "drop-before" };
    if (options.rateLimit && this.#roll(options.rateLimit.rate)) {
      return this.#fromAction("429", options.rateLimit.retryAfterSeconds);
    }
    if (this.#roll(options.errorRate)) return this.#fromAction("503");
    if (target.pgUid !== undefined && this.#roll(options.dropAfterEffectRate)) {
      return { kind: "drop-after" };
    }
    return { kind: "none" };
  }

  // Only draws when the rate is positive, so enabling one fault does not shift
  // the random stream seen by runs that never used it.
  #roll(rate: number | undefined): boolean {
    if (rate === undefined || rate <= 0) return false;
    return this.#random() < rate;
  }

  #fromAction(action: FaultAction, retryAfterSeconds?: number): FaultDecision {
    if (action === "drop-before" || action === "drop-after") return { kind: action };
    const retryAfter =
      retryAfterSeconds ??
      this.#options.rateLimit?.retryAfterSeconds ??
      DEFAULT_RETRY_AFTER_SECONDS;
    return { kind: "answer", action, retryAfterSeconds: retryAfter };
  }
}

function matches(match: FaultMatch, target: FaultTarget): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== target.method.toUpperCase()) {
    return false;
  }
  if (match.pathPrefix !== undefined && !target.path.startsWith(match.pathPrefix)) return false;
  if (match.pgUid !== undefined && match.pgUid !== target.pgUid) return false;
  return true;
}

// A typo such as errorRate: 50 would silently mean "always"; fail loudly instead.
function validateFaults(options: FaultOptions): void {
  const rates = {
    errorRate: options.errorRate,
    "rateLimit.rate": options.rateLimit?.rate,
    dropBeforeEffectRate: options.dropBeforeEffectRate,
    dropAfterEffectRate: options.dropAfterEffectRate,
  };
  for (const [name, rate] of Object.entries(rates)) {
    if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
      throw new RangeError(`faults.${name} must be within 0..1, got ${rate}`);
    }
  }
  requireNonNegative("latencyMs", options.latencyMs);
  requireNonNegative("rateLimit.retryAfterSeconds", options.rateLimit?.retryAfterSeconds);
  if (typeof options.failPageReads === "number") {
    requireNonNegative("failPageReads", options.failPageReads);
  }
}

function requireNonNegative(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`faults.${name} must be a non-negative number, got ${value}`);
  }
}

/** Small, fast, seedable PRNG; quality is ample for fault dice. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
