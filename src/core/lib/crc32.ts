/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as in zlib, PNG and
 * Ethernet); crc32("123456789") = 0xCBF43926. Table-driven, the 1 KiB table
 * built once at module load.
 */
const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c >>> 0;
}

/**
 * Continues a CRC over bytes[start..end). Start with `crc = 0`; the result
 * of one call is the `crc` of the next, so data may come in pieces.
 */
export function crc32Update(crc: number, bytes: Uint8Array, start: number, end: number): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 of bytes[start..end) as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return crc32Update(0, bytes, start, end);
}
