/**
 * The rule behind Settings > Models' buttons (`ModelStatus.actions`): every state a model can be
 * in, with the manifest facts that change the answer (active, default, optional, downloadable,
 * license accepted, model-free), mapped to the actions the model manager allows. The UI draws
 * exactly these, so each row here is a button that is shown or hidden.
 */
import { describe, expect, it } from 'vitest';

import type { ModelAction, ModelState } from '../../../src-shared/contracts/services.ts';
import { type ModelActionFacts, modelActions, usable } from './model-actions.ts';

/** An optional candidate with a file, not in use, downloadable, no license to accept. */
const candidate = (state: ModelState, over: Partial<ModelActionFacts> = {}): ModelActionFacts => ({
  file: 'x.onnx',
  state,
  active: false,
  isDefault: false,
  optional: true,
  downloadable: true,
  requiresLicenseAcceptance: false,
  licenseAcceptedAt: null,
  ...over,
});

describe('modelActions: each state → the allowed actions', () => {
  const cases: [string, ModelActionFacts, ModelAction[]][] = [
    ['available candidate', candidate('available'), ['install', 'download']],
    ['available candidate without a URL', candidate('available', { downloadable: false }), ['install']],
    ['installed candidate', candidate('installed'), ['use', 'remove']],
    ['installed candidate in use', candidate('installed', { active: true }), ['remove']],
    ['external candidate (CALLSCOPE_MODELS_DIR)', candidate('external'), ['use']],
    ['bundled candidate', candidate('bundled'), ['use']],
    ['verify-failed candidate: reinstall, not use', candidate('verify-failed'), ['install', 'download']],
    [
      'missing default',
      candidate('missing', { isDefault: true, optional: false, active: true }),
      ['install', 'download'],
    ],
    ['bundled default in use', candidate('bundled', { isDefault: true, optional: false, active: true }), []],
    ['bundled default not in use', candidate('bundled', { isDefault: true, optional: false }), ['use']],
    [
      'a default installed in the user folder is never removable',
      candidate('installed', { isDefault: true, optional: false }),
      ['use'],
    ],
    [
      'installed model that is not a candidate is not removable',
      candidate('installed', { optional: false }),
      ['use'],
    ],
    ['model-free backend in use', candidate('bundled', { file: null, isDefault: true, active: true }), []],
    ['model-free backend not in use', candidate('bundled', { file: null, isDefault: true }), ['use']],
    [
      'license not accepted: installed but not usable',
      candidate('installed', { requiresLicenseAcceptance: true }),
      ['remove'],
    ],
    [
      'license accepted at install',
      candidate('installed', { requiresLicenseAcceptance: true, licenseAcceptedAt: '2026-12-04T18:00:00Z' }),
      ['use', 'remove'],
    ],
  ];
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(modelActions(facts)).toEqual(expected);
  });

  it('usable is what useModel accepts: a present, verified file and an accepted license', () => {
    expect(usable(candidate('installed'))).toBe(true);
    expect(usable(candidate('external'))).toBe(true);
    expect(usable(candidate('available'))).toBe(false);
    expect(usable(candidate('missing'))).toBe(false);
    expect(usable(candidate('verify-failed'))).toBe(false);
    expect(usable(candidate('installed', { requiresLicenseAcceptance: true }))).toBe(false);
  });
});
