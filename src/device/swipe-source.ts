import type { RandomPort } from "../core/lib/ports";

/** What a card reader hands the terminal (the app fills terminal, merchant, time). */
export interface ReaderSwipe {
  transaction_id: string;
  card_hash: string;
  amount_cents: number;
}

/** Swipes made on the device itself: the lab's buttons and the simulator's script. */
export class SwipeMaker {
  /** Ordinary customers' cards (hashes: never a card number). */
  readonly cards: string[];
  /** Amounts of ordinary purchases lie in [normalMin, normalMax). */
  readonly normalMin = 1_200;
  readonly normalMax = 4_800;
  /** A big ticket is about 40 times a normal purchase. */
  readonly bigTicketFactor = 40;
  private seq = 0;
  private burstSeq = 0;

  /** `bootTag` makes transaction ids unique across boots (the request-id boot part). */
  constructor(
    private readonly bootTag: string,
    private readonly random: RandomPort,
    poolSize = 4,
  ) {
    this.cards = [];
    for (let i = 0; i < poolSize; i++) this.cards.push("crd_" + bootTag + "_" + hex(random.nextUint32()));
  }

  private id(): string {
    return "tx_" + this.bootTag + "_" + (++this.seq).toString(36);
  }

  private between(min: number, max: number): number {
    return min + (this.random.nextUint32() % (max - min));
  }

  /** A normal purchase from the card pool. */
  normal(): ReaderSwipe {
    return { transaction_id: this.id(), card_hash: this.cards[this.random.nextUint32() % this.cards.length]!, amount_cents: this.between(this.normalMin, this.normalMax) };
  }

  /** A big ticket: ~40× a normal purchase, on a pool card. */
  bigTicket(): ReaderSwipe {
    const typical = (this.normalMin + this.normalMax) / 2;
    return {
      transaction_id: this.id(),
      card_hash: this.cards[this.random.nextUint32() % this.cards.length]!,
      amount_cents: Math.round(typical * this.bigTicketFactor) + this.between(0, 500),
    };
  }

  /** A fresh card for one card-testing burst. */
  newTestCard(): string {
    return "crd_" + this.bootTag + "_test" + (++this.burstSeq).toString(36) + "_" + hex(this.random.nextUint32());
  }

  /** One small charge of a card-testing burst (1.00 to 2.99). */
  cardTest(card: string): ReaderSwipe {
    return { transaction_id: this.id(), card_hash: card, amount_cents: this.between(100, 300) };
  }
}

function hex(n: number): string {
  return ("0000000" + (n >>> 0).toString(16)).slice(-8);
}
