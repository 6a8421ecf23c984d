// Sliding-window token throughput (seed 003 tokens_per_second by phase): steps add their token
// counts; rates are tokens in the last `windowSeconds` divided by the window, so an idle worker
// decays to 0 instead of showing its last busy value.

export interface ThroughputRates {
  prefill: number;
  decode: number;
  combined: number;
}

export class ThroughputWindow {
  private readonly entries: { atMs: number; prefill: number; decode: number }[] = [];

  constructor(private readonly windowSeconds = 10, private readonly now: () => number = () => performance.now()) {}

  add(numPrefillTokens: number, numDecodeTokens: number): void {
    this.entries.push({ atMs: this.now(), prefill: numPrefillTokens, decode: numDecodeTokens });
    this.trim();
  }

  rates(): ThroughputRates {
    this.trim();
    let prefill = 0;
    let decode = 0;
    for (const e of this.entries) {
      prefill += e.prefill;
      decode += e.decode;
    }
    return { prefill: prefill / this.windowSeconds, decode: decode / this.windowSeconds, combined: (prefill + decode) / this.windowSeconds };
  }

  private trim(): void {
    const cutoff = this.now() - this.windowSeconds * 1000;
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.atMs < cutoff) drop++;
    if (drop > 0) this.entries.splice(0, drop);
  }
}
