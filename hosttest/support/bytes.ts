/** Byte helpers shared by the codec, journal and fuzz suites. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** An MQTT string field of ASCII text: 2-byte length + bytes. */
export function str(s: string): number[] {
  const out = [s.length >> 8, s.length & 0xff];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

/** An MQTT packet from its first byte and body (body shorter than 128 bytes). */
export function raw(header: number, ...body: (number | number[])[]): Uint8Array {
  const flat: number[] = [];
  for (const b of body) {
    if (typeof b === "number") flat.push(b);
    else for (const x of b) flat.push(x);
  }
  if (flat.length > 127) throw new Error("raw() body too long");
  return new Uint8Array([header, flat.length, ...flat]);
}
