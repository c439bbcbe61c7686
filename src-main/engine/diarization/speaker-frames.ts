/**
 * Which fbank frames belong to a local speaker of a segmentation window — shared by the file
 * diarizer and the live diarizer, so both embed exactly the same evidence. pyannote 3.x embeds a
 * local speaker from the frames where it speaks alone ("exclude overlap") when there are enough
 * of them, else from all its active frames.
 */
import { FB_DIM, FB_HOP, FB_WIN } from '../audio/fbank.ts';
import { SEG_FRAMES, SEG_FRAME_STEP, SEG_RECEPTIVE_FIELD, SEG_SPEAKERS } from './segmentation.ts';

/** The fbank frame constants, defined in audio/fbank.ts; re-exported for the diarizers. */
export { FB_DIM, FB_HOP, FB_WIN };

/** Segmentation output frame (0..588) whose receptive field is centred nearest to fbank frame `j`. */
export function segFrameOf(j: number, winStart: number): number {
  const center = j * FB_HOP + FB_WIN / 2 - winStart;
  return Math.min(
    SEG_FRAMES - 1,
    Math.max(0, Math.round((center - SEG_RECEPTIVE_FIELD / 2) / SEG_FRAME_STEP)),
  );
}

/** Active output frames of local speaker `s` in a window's activity [589, 3]. */
export function activeFrameCount(activity: Uint8Array, s: number): number {
  let n = 0;
  for (let i = 0; i < SEG_FRAMES; i++) n += activity[i * SEG_SPEAKERS + s];
  return n;
}

/**
 * Global fbank frame indices f0..f1 where local speaker `s` is active: those where it speaks
 * alone when at least `minFrames` of them exist, else all its active frames.
 * @returns the frames, or null when fewer than `minFrames` qualify.
 */
export function speakerFrames(
  activity: Uint8Array,
  s: number,
  winStart: number,
  f0: number,
  f1: number,
  minFrames: number,
): number[] | null {
  const clean: number[] = [];
  const any: number[] = [];
  for (let j = f0; j <= f1; j++) {
    const i = segFrameOf(j, winStart);
    if (!activity[i * SEG_SPEAKERS + s]) continue;
    any.push(j);
    let others = 0;
    for (let o = 0; o < SEG_SPEAKERS; o++) if (o !== s) others += activity[i * SEG_SPEAKERS + o];
    if (!others) clean.push(j);
  }
  const use = clean.length >= minFrames ? clean : any;
  return use.length >= minFrames ? use : null;
}

/** Copies fbank rows (global indices `js`; row 0 of `fb` is frame `fbStart`) into a new [n, 80] array. */
export function gatherRows(fb: Float32Array, fbStart: number, js: number[]): Float32Array {
  const out = new Float32Array(js.length * FB_DIM);
  js.forEach((j, r) => out.set(fb.subarray((j - fbStart) * FB_DIM, (j - fbStart + 1) * FB_DIM), r * FB_DIM));
  return out;
}
