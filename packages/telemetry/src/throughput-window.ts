// Sliding-window token throughput (seed 003 tokens_per_second by phase): steps add their token
// counts; rates are tokens in the last `windowSeconds` divided by the window, so an idle worker
// decays to 0 instead of showing its last busy value. Invariant: the running sums equal the sums of the
// entries from `head` on, so add() and rates() cost O(1) amortised (called on every engine step).

export interface ThroughputRates {
  prefill: number;
  decode: number;
  combined: number;
}

interface Entry { atMs: number; prefill: number; decode: number }

export class ThroughputWindow {
  private entries: Entry[] = [];
  /** Entries before it have left the window. */
  private head = 0;
  private sumPrefill = 0;
  private sumDecode = 0;

  constructor(private readonly windowSeconds = 10, private readonly now: () => number = () => performance.now()) {}

  add(numPrefillTokens: number, numDecodeTokens: number): void {
    this.entries.push({ atMs: this.now(), prefill: numPrefillTokens, decode: numDecodeTokens });
    this.sumPrefill += numPrefillTokens;
    this.sumDecode += numDecodeTokens;
    this.trim();
  }

  rates(): ThroughputRates {
    this.trim();
    const w = this.windowSeconds;
    return { prefill: this.sumPrefill / w, decode: this.sumDecode / w, combined: (this.sumPrefill + this.sumDecode) / w };
  }

  private trim(): void {
    const cutoff = this.now() - this.windowSeconds * 1000;
    while (this.head < this.entries.length && this.entries[this.head]!.atMs < cutoff) {
      const e = this.entries[this.head++]!;
      this.sumPrefill -= e.prefill;
      this.sumDecode -= e.decode;
    }
    if (this.head === this.entries.length) {
      // Empty: reset exactly (no float drift from the running subtraction).
      this.entries = [];
      this.head = 0;
      this.sumPrefill = 0;
      this.sumDecode = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
