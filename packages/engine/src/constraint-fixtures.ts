// Test fixtures (not exported): a TokenConstraint over token-id sequences and its factory, standing in for the
// grammar package. A choice spec's strings are space-separated token ids; a regex spec is refused as unsupported.

import { err, ok, type Result, type StructuredOutputError, type StructuredOutputSpec, type TokenConstraint, type TokenConstraintFactory } from '@mini-dynamo/protocol';

/** Output must be one of `choices`; EOS allowed once complete, or (`terminate`) the last token ends it. */
export class ChoiceConstraint implements TokenConstraint {
  readonly output: number[] = [];
  private ended = false;

  constructor(
    private readonly choices: number[][], private readonly vocabSize: number,
    private readonly eosTokenIds: readonly number[], private readonly terminate: boolean,
  ) {}

  allowedTokenMask(): Uint32Array {
    const mask = new Uint32Array(Math.ceil(this.vocabSize / 32));
    for (const id of this.allowed()) mask[id >>> 5]! |= 1 << (id & 31);
    return mask;
  }

  accept(tokenId: number): boolean {
    if (this.ended || !this.allowed().includes(tokenId)) return false;
    if (this.eosTokenIds.includes(tokenId)) this.ended = true;
    else this.output.push(tokenId);
    return true;
  }

  get isTerminated(): boolean {
    return this.ended || (this.terminate && this.isComplete() && !this.extendable());
  }

  private allowed(): number[] {
    const next = this.choices.filter((c) => c.length > this.output.length && this.output.every((t, i) => c[i] === t)).map((c) => c[this.output.length]!);
    return this.isComplete() && !this.terminate ? [...next, ...this.eosTokenIds] : next;
  }

  private isComplete(): boolean {
    return this.choices.some((c) => c.length === this.output.length && c.every((t, i) => this.output[i] === t));
  }

  private extendable(): boolean {
    return this.choices.some((c) => c.length > this.output.length && this.output.every((t, i) => c[i] === t));
  }
}

export class ChoiceConstraintFactory implements TokenConstraintFactory {
  readonly created: ChoiceConstraint[] = [];

  constructor(private readonly vocabSize: number, private readonly eosTokenIds: readonly number[], private readonly terminate = false) {}

  create(spec: StructuredOutputSpec): Result<TokenConstraint, StructuredOutputError> {
    if (spec.kind !== 'choice') return err({ code: 'unsupported', message: `${spec.kind} constraints are not supported by the test factory` });
    const c = new ChoiceConstraint(spec.choices.map((s) => s.split(' ').map(Number)), this.vocabSize, this.eosTokenIds, this.terminate);
    this.created.push(c);
    return ok(c);
  }
}
