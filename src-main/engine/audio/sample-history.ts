/**
 * The most recent samples of a stream, addressed by absolute sample index (a ring buffer), so a
 * live consumer can fetch the audio behind frames it learns about later (e.g. the speech behind a
 * diarizer's evidence rows, for pitch statistics).
 */
export class SampleHistory {
  private readonly ring: Float32Array;
  /** Samples pushed so far (absolute index one past the newest sample). */
  private total = 0;

  /**
   * @param capacity samples kept (e.g. 30 s × 16 000).
   * @throws RangeError when `capacity` is not a positive integer.
   */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      throw new RangeError(`SampleHistory capacity must be a positive integer, got ${capacity}`);
    }
    this.ring = new Float32Array(capacity);
  }

  /** Absolute index one past the newest sample. */
  get end(): number {
    return this.total;
  }

  /** Appends samples. */
  push(samples: Float32Array): void {
    const cap = this.ring.length;
    const src = samples.length > cap ? samples.subarray(samples.length - cap) : samples;
    let pos = (this.total + samples.length - src.length) % cap;
    let o = 0;
    while (o < src.length) {
      const n = Math.min(src.length - o, cap - pos);
      this.ring.set(src.subarray(o, o + n), pos);
      o += n;
      pos = (pos + n) % cap;
    }
    this.total += samples.length;
  }

  /**
   * Copy of samples [start, end) (absolute indices), or null when part of the range has left the
   * buffer or has not arrived yet.
   */
  slice(start: number, end: number): Float32Array | null {
    const cap = this.ring.length;
    if (start < 0 || end > this.total || start < this.total - cap || end < start) return null;
    const out = new Float32Array(end - start);
    for (let i = 0; i < out.length; i++) out[i] = this.ring[(start + i) % cap];
    return out;
  }
}
