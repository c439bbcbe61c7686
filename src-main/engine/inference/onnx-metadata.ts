/**
 * Reads an ONNX file's `metadata_props` (key/value strings such as sherpa-onnx's `framework`,
 * `sample_rate`, `normalize_samples`, `feature_normalize_type`), which onnxruntime-node 1.30 does
 * not expose. Walks only the top level of the `ModelProto` protobuf with positional reads and skips
 * every other field by its length, so a 300 MB model costs a few small reads, not a full load.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/ ; field numbers from onnx.proto
 * (`ModelProto.metadata_props = 14`, `StringStringEntryProto.key = 1`, `.value = 2`).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const METADATA_PROPS = 14;

/** Reads a base-128 varint at `pos` of `buf`. @returns value and the position after it. */
function varint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * scale;
    if (!(b & 0x80)) return [value, pos];
    scale *= 128;
  }
  throw new Error('varint longer than 10 bytes');
}

/** Decodes one `StringStringEntryProto`. */
function entry(buf: Uint8Array): [string, string] {
  let key = '';
  let value = '';
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = varint(buf, pos);
    const wire = tag & 7;
    if (wire !== 2) throw new Error(`unexpected wire type ${wire} in metadata entry`);
    const [len, p2] = varint(buf, p1);
    const text = Buffer.from(buf.subarray(p2, p2 + len)).toString('utf8');
    if (tag >>> 3 === 1) key = text;
    else if (tag >>> 3 === 2) value = text;
    pos = p2 + len;
  }
  return [key, value];
}

/**
 * The custom metadata of an ONNX model file.
 * @returns key → value (empty when the model has none).
 * @throws Error naming the file when it is not a readable ONNX protobuf.
 */
export function readOnnxMetadata(path: string): Record<string, string> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(20);
    const out: Record<string, string> = {};
    let pos = 0;
    while (pos < size) {
      const got = readSync(fd, head, 0, head.length, pos);
      const [tag, p1] = varint(head.subarray(0, got), 0);
      const field = tag >>> 3;
      const wire = tag & 7;
      let next: number;
      if (wire === 0) next = pos + varint(head.subarray(0, got), p1)[1];
      else if (wire === 1) next = pos + p1 + 8;
      else if (wire === 5) next = pos + p1 + 4;
      else if (wire === 2) {
        const [len, p2] = varint(head.subarray(0, got), p1);
        next = pos + p2 + len;
        if (field === METADATA_PROPS) {
          const body = new Uint8Array(len);
          readSync(fd, body, 0, len, pos + p2);
          const [k, v] = entry(body);
          out[k] = v;
        }
      } else throw new Error(`unsupported protobuf wire type ${wire}`);
      if (next > size) throw new Error('field runs past the end of the file');
      pos = next;
    }
    return out;
  } catch (err) {
    throw new Error(
      `${path}: not a readable ONNX model (${err instanceof Error ? err.message : String(err)})`,
    );
  } finally {
    closeSync(fd);
  }
}
