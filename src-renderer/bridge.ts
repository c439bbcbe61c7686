/**
 * The renderer's single typed entry to the engine (STYLE.md 4). Today it exposes the bridge
 * version the preload publishes; the service proxies over src-shared/contracts arrive with the
 * desktop-app issue.
 */
import type { AnalysisResult } from '../src-shared/contracts/analysis.ts';

/** What the preload exposes on `window.callscope`. */
export interface CallscopeBridge {
  readonly bridgeVersion: number;
}

/** The bridge, or null when the page runs outside the desktop shell. */
export function getBridge(): CallscopeBridge | null {
  const w = window as unknown as { callscope?: CallscopeBridge };
  return w.callscope ?? null;
}

/** Speakers of a result ordered by talk time, for display. */
export function speakersByTalkTime(result: AnalysisResult): AnalysisResult['speakers'] {
  return [...result.speakers].sort((a, b) => b.speechS - a.speechS);
}
