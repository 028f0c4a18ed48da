/** One SenML record in its JSON form (RFC 8428, section 4.1); the first of a pack carries the base name and time. */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  n: string;
  u?: string;
  v?: number;
  vs?: string;
}

/**
 * SenML JSON (RFC 8428) for the terminal's metrics: one pack per report,
 * base name `urn:dev:paycard:<terminal>:` and base time in seconds; each
 * record has a name, a unit from the RFC 8428 registry where one fits, and a
 * numeric (`v`) or string (`vs`) value. Times and durations are in seconds.
 */
export class SenmlPack {
  readonly records: SenmlRecord[] = [];

  constructor(private readonly baseName: string, private readonly baseTimeSec: number) {}

  /** Adds a numeric record; a non-finite value is left out (SenML numbers are finite). */
  number(name: string, value: number, unit?: string): this {
    if (!Number.isFinite(value)) return this;
    const r = this.record(name);
    if (unit !== undefined) r.u = unit;
    r.v = value;
    return this;
  }

  text(name: string, value: string): this {
    this.record(name).vs = value;
    return this;
  }

  private record(name: string): SenmlRecord {
    // The base name and time ride on the first record (RFC 8428 section 4.1).
    const r: SenmlRecord = this.records.length === 0 ? { bn: this.baseName, bt: this.baseTimeSec, n: name } : { n: name };
    this.records.push(r);
    return r;
  }

  toJSON(): SenmlRecord[] {
    return this.records;
  }
}
