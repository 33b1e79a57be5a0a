// Verifies LevelDB table files (.ldb/.sst) against the checksums LevelDB wrote into them:
// every block (data, index, meta index) ends with a type byte and a masked CRC-32C of its
// contents. classic-level cannot ask LevelDB to verify these (no verify_checksums option), so
// when the store finds damage (a record checksum, records missing, LevelDB's own corruption
// error) this names the table files that are damaged, for the message the operator reads.
// It reads each file whole (files are at most a few MiB: LevelDB's table size).
//
// Table format (LevelDB table/format.h): blocks, then a 48-byte footer: the meta-index and
// index block handles (varint offset, varint size), padding, and the magic number. The index
// block's entries map keys to data block handles. A block is prefix-compressed entries plus a
// restart array and its count (fixed32). Type 1 blocks are Snappy-compressed: the index block
// is decompressed to read it, data blocks only checksummed.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const FOOTER_BYTES = 48;
const TRAILER_BYTES = 5;
const MAGIC_LO = 0x8b80fb57;
const MAGIC_HI = 0xdb477524;
const CRC_MASK_DELTA = 0xa282ead8;
const BLOCK_NONE = 0;
const BLOCK_SNAPPY = 1;
/** A table's blocks are far smaller; a bigger claimed size is damage, not data. */
const BLOCK_BYTES_MAX = 64 * 1024 * 1024;

const CRC32C_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (CRC32C_TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function unmask(masked: number): number {
  const rot = (masked - CRC_MASK_DELTA) >>> 0;
  return ((rot >>> 17) | (rot << 15)) >>> 0;
}

class Damaged extends Error {}

class Reader {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}

  varint(): number {
    let n = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.pos >= this.end) throw new Damaged('truncated varint');
      const byte = this.buf[this.pos++] as number;
      n += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return n;
    }
    throw new Damaged('varint too long');
  }
}

interface Handle {
  readonly offset: number;
  readonly size: number;
}

/** The block's contents after checking its trailer's CRC; decompressed when `parse`. */
function readBlock(file: Uint8Array, h: Handle, what: string, parse: boolean): Uint8Array {
  if (h.size > BLOCK_BYTES_MAX || h.offset + h.size + TRAILER_BYTES > file.length - FOOTER_BYTES) {
    throw new Damaged(`${what} block at ${h.offset} (+${h.size}) lies outside the file`);
  }
  const withType = file.subarray(h.offset, h.offset + h.size + 1);
  const type = withType[h.size] as number;
  const stored = new DataView(file.buffer, file.byteOffset + h.offset + h.size + 1, 4).getUint32(0, true);
  if (crc32c(withType) !== unmask(stored)) throw new Damaged(`${what} block at byte ${h.offset} fails its checksum`);
  const contents = withType.subarray(0, h.size);
  if (!parse) return contents;
  if (type === BLOCK_NONE) return contents;
  if (type === BLOCK_SNAPPY) return snappyDecompress(contents);
  throw new Damaged(`${what} block at byte ${h.offset} has unknown type ${type}`);
}

/** The values (block handles) of an index block's entries. */
function indexHandles(block: Uint8Array): Handle[] {
  if (block.length < 4) throw new Damaged('index block too short');
  const restarts = new DataView(block.buffer, block.byteOffset + block.length - 4, 4).getUint32(0, true);
  const end = block.length - 4 * (restarts + 1);
  if (end < 0) throw new Damaged('index block restart array too long');
  const out: Handle[] = [];
  const r = new Reader(block, 0, end);
  while (r.pos < end) {
    r.varint(); // shared key bytes
    const unshared = r.varint();
    const valueBytes = r.varint();
    r.pos += unshared;
    const v = new Reader(block, r.pos, r.pos + valueBytes);
    out.push({ offset: v.varint(), size: v.varint() });
    r.pos += valueBytes;
  }
  return out;
}

function snappyDecompress(src: Uint8Array): Uint8Array {
  const r = new Reader(src, 0, src.length);
  const length = r.varint();
  if (length > BLOCK_BYTES_MAX) throw new Damaged('compressed block claims an impossible size');
  const out = new Uint8Array(length);
  let o = 0;
  let i = r.pos;
  while (i < src.length) {
    const tag = src[i++] as number;
    let len: number;
    let offset: number;
    if ((tag & 3) === 0) {
      len = tag >>> 2;
      if (len >= 60) {
        const bytes = len - 59;
        len = 0;
        for (let k = 0; k < bytes; k++) len |= (src[i + k] as number) << (8 * k);
        i += bytes;
      }
      len += 1;
      if (i + len > src.length || o + len > length) throw new Damaged('compressed block overruns');
      out.set(src.subarray(i, i + len), o);
      i += len;
      o += len;
      continue;
    }
    if ((tag & 3) === 1) {
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | (src[i++] as number);
    } else if ((tag & 3) === 2) {
      len = (tag >>> 2) + 1;
      offset = (src[i] as number) | ((src[i + 1] as number) << 8);
      i += 2;
    } else {
      len = (tag >>> 2) + 1;
      offset = new DataView(src.buffer, src.byteOffset + i, 4).getUint32(0, true);
      i += 4;
    }
    if (offset === 0 || offset > o || o + len > length) throw new Damaged('compressed block copies out of range');
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset] as number;
  }
  if (o !== length) throw new Damaged('compressed block is short');
  return out;
}

/** Why the table file's bytes are damaged, or undefined when every block checks out. */
export function tableDamage(file: Uint8Array): string | undefined {
  try {
    if (file.length < FOOTER_BYTES) throw new Damaged(`${file.length} bytes, shorter than a table footer`);
    const footer = new DataView(file.buffer, file.byteOffset + file.length - FOOTER_BYTES, FOOTER_BYTES);
    if (footer.getUint32(40, true) !== MAGIC_LO || footer.getUint32(44, true) !== MAGIC_HI) throw new Damaged('bad table magic number');
    const r = new Reader(file, file.length - FOOTER_BYTES, file.length - 8);
    const metaIndex: Handle = { offset: r.varint(), size: r.varint() };
    const index: Handle = { offset: r.varint(), size: r.varint() };
    readBlock(file, metaIndex, 'meta index', false);
    for (const h of indexHandles(readBlock(file, index, 'index', true))) readBlock(file, h, 'data', false);
    return undefined;
  } catch (err) {
    if (err instanceof Damaged) return err.message;
    throw err;
  }
}

/** The damaged table files of the LevelDB database in `dbDir`, each with what is wrong. */
export async function damagedTables(dbDir: string): Promise<{ file: string; damage: string }[]> {
  const out: { file: string; damage: string }[] = [];
  for (const name of (await readdir(dbDir)).sort()) {
    if (!name.endsWith('.ldb') && !name.endsWith('.sst')) continue;
    const file = join(dbDir, name);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch {
      continue; // removed by a compaction since the listing
    }
    const damage = tableDamage(bytes);
    if (damage !== undefined) out.push({ file, damage });
  }
  return out;
}
