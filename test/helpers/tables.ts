/** Taking a .lwtable file apart and putting it back together, for tests that damage one field at a time. */

/** The header of a table (JSON) and the bytes after it (the arrays, from the first one on, and the end marker). */
export function splitTable(bytes: Buffer): { version: number; header: Record<string, unknown>; arrays: Buffer } {
  const length = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', 16, 16 + length)) as Record<string, unknown>;
  const at = 16 + length + ((8 - ((16 + length) % 8)) % 8);
  return { version: bytes.readUInt32LE(8), header, arrays: bytes.subarray(at) };
}

/** A table of this header text and these arrays (the header padded so that the arrays start on 8 bytes). */
export function joinTable(version: number, header: string, arrays: Buffer): Buffer {
  const text = Buffer.from(header);
  const fixed = Buffer.alloc(16);
  Buffer.from('LWTABLE\n').copy(fixed);
  fixed.writeUInt32LE(version, 8);
  fixed.writeUInt32LE(text.length, 12);
  return Buffer.concat([fixed, text, Buffer.alloc((8 - ((16 + text.length) % 8)) % 8), arrays]);
}

/** `bytes` with its header changed by `edit`. */
export function withHeader(bytes: Buffer, edit: (h: Record<string, unknown>) => void): Buffer {
  const { version, header, arrays } = splitTable(bytes);
  edit(header);
  return joinTable(version, JSON.stringify(header), arrays);
}
