// Finds stop strings in streamed, detokenized text across chunk boundaries.
// Invariant: text that could still become the start of a stop string is held back, so a stop
// string (or any part of it) never reaches the client; everything before it always does. Text pushed with
// checkStops false (before min_tokens, as vLLM) is passed through unmatched, with what was held before it.

export interface StopMatch {
  /** Text safe to emit now. */
  text: string;
  /** A stop string was found: `text` ends right before it and nothing more will be emitted. */
  stopped: boolean;
}

export class StopMatcher {
  private held = '';
  private done = false;

  constructor(private readonly stops: readonly string[]) {}

  push(chunk: string, checkStops = true): StopMatch {
    if (this.done) return { text: '', stopped: true };
    const buffer = this.held + chunk;
    if (!checkStops) {
      this.held = '';
      return { text: buffer, stopped: false };
    }
    const at = this.firstStopIndex(buffer);
    if (at !== null) {
      this.done = true;
      this.held = '';
      return { text: buffer.slice(0, at), stopped: true };
    }
    const keep = this.longestStopPrefixSuffix(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { text: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** The generation ended without a stop string: release what was held back. */
  flush(): string {
    const rest = this.done ? '' : this.held;
    this.held = '';
    return rest;
  }

  private firstStopIndex(buffer: string): number | null {
    let best: number | null = null;
    for (const stop of this.stops) {
      const i = buffer.indexOf(stop);
      if (i >= 0 && (best === null || i < best)) best = i;
    }
    return best;
  }

  /** Length of the longest suffix of `buffer` that is a proper prefix of some stop string. */
  private longestStopPrefixSuffix(buffer: string): number {
    let keep = 0;
    for (const stop of this.stops) {
      // Candidate suffixes, longest first; only those starting with the stop's first character are compared.
      const first = stop.charCodeAt(0);
      for (let start = Math.max(0, buffer.length - stop.length + 1); start < buffer.length - keep; start++) {
        if (buffer.charCodeAt(start) === first && stop.startsWith(buffer.slice(start))) {
          keep = buffer.length - start;
          break;
        }
      }
    }
    return keep;
  }
}
