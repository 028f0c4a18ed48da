/**
 * The bytes of `u8` as an ArrayBuffer holding exactly them, for SDK calls that
 * take an ArrayBuffer (File.write, the TLS session's certificates): the view's
 * own buffer when it covers all of it (no copy: frames and decoded DER are
 * whole buffers), else a copy.
 */
export function exactBuffer(u8: Uint8Array): ArrayBuffer {
  const b = u8.buffer as ArrayBuffer;
  return u8.byteOffset === 0 && u8.byteLength === b.byteLength ? b : (u8.slice().buffer as ArrayBuffer);
}
