/**
 * Playback of who spoke: plays a stretch of a call so a user can check a speaker before naming or
 * enrolling them. Sources: the recording the user added in Files (in this page's memory, while
 * the page is open; nothing is uploaded again), or a History call's audio kept by the engine when
 * the user opted in (Settings > Privacy; `history.audioClip`).
 */
import { useEffect, useRef, useState } from 'react';

import { MAX_AUDIO_CLIP_S } from '../src-shared/contracts/history.ts';
import type { Turn } from '../src-shared/contracts/analysis.ts';
import { errorText, useApp } from './state.ts';

/** Where a result's audio comes from. */
export type AudioSource = { kind: 'file'; file: File } | { kind: 'history'; callId: number };

/** What is playing: seconds of the call and who. */
export interface Playing {
  startS: number;
  endS: number;
  label: string;
}

/**
 * The stretch that represents a speaker: their longest turn, capped at `maxS` seconds
 * (default {@link MAX_AUDIO_CLIP_S}). @returns null when the speaker has no turn.
 */
export function speakerClip(turns: readonly Turn[], maxS = MAX_AUDIO_CLIP_S): Turn | null {
  let best: Turn | null = null;
  for (const t of turns) if (!best || t.endS - t.startS > best.endS - best.startS) best = t;
  return best && { ...best, endS: Math.min(best.endS, best.startS + maxS) };
}

/** Plays stretches of one result's audio through one `<audio>` element. */
export function usePlayback(source: AudioSource | null): {
  /** Attach to the `<audio>` element the result panel renders. */
  ref: React.RefObject<HTMLAudioElement | null>;
  playing: Playing | null;
  error: string | null;
  play(startS: number, endS: number, label: string): Promise<void>;
  stop(): void;
} {
  const conn = useApp((s) => s.conn);
  const ref = useRef<HTMLAudioElement | null>(null);
  const [playing, setPlaying] = useState<Playing | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The object URL of the added File, made on first play and revoked when the panel goes. */
  const fileUrl = useRef<{ file: File; url: string } | null>(null);
  useEffect(
    () => () => {
      if (fileUrl.current) URL.revokeObjectURL(fileUrl.current.url);
    },
    [],
  );
  /** End of the stretch in the element's own time (0-based for a History clip). */
  const stopAt = useRef(Infinity);

  useEffect(() => {
    const a = ref.current;
    if (!a) return;
    const onTime = (): void => {
      if (a.currentTime >= stopAt.current) {
        a.pause();
        setPlaying(null);
      }
    };
    const onEnd = (): void => setPlaying(null);
    a.addEventListener('timeupdate', onTime);
    a.addEventListener('ended', onEnd);
    return () => {
      a.removeEventListener('timeupdate', onTime);
      a.removeEventListener('ended', onEnd);
    };
  });

  const stop = (): void => {
    ref.current?.pause();
    setPlaying(null);
    setError(null);
  };
  const play = async (startS: number, endS: number, label: string): Promise<void> => {
    const a = ref.current;
    if (!a || !source) return;
    setError(null);
    try {
      endS = Math.min(endS, startS + MAX_AUDIO_CLIP_S);
      if (source.kind === 'file') {
        if (fileUrl.current?.file !== source.file) {
          if (fileUrl.current) URL.revokeObjectURL(fileUrl.current.url);
          fileUrl.current = { file: source.file, url: URL.createObjectURL(source.file) };
        }
        if (a.src !== fileUrl.current.url || a.error) {
          a.src = fileUrl.current.url;
          a.load();
        }
        stopAt.current = endS;
        a.currentTime = startS;
      } else {
        if (!conn) throw new Error('the engine is offline');
        const clip = await conn.history.audioClip(source.callId, startS, endS);
        const bytes = Uint8Array.from(atob(clip.base64), (c) => c.charCodeAt(0));
        if (a.src.startsWith('blob:')) URL.revokeObjectURL(a.src);
        a.src = URL.createObjectURL(new Blob([bytes], { type: clip.mime }));
        stopAt.current = clip.endS - clip.startS;
      }
      setPlaying({ startS, endS, label });
      await a.play();
    } catch (e) {
      // Stop, or a newer play, interrupts a pending play(): not an error to show
      if ((e as Error).name === 'AbortError') return;
      setPlaying(null);
      setError(errorText(e));
    }
  };
  return { ref, playing, error, play, stop };
}
