import { describe, expect, it } from 'vitest';

import { AppError, ERROR_CODES, errorCodeOf, isErrorCode } from './errors.ts';

describe('AppError and its codes (issue 17: one vocabulary)', () => {
  it('every code is one snake_case spelling, its own key', () => {
    for (const [key, code] of Object.entries(ERROR_CODES)) {
      expect(code).toBe(key);
      expect(code).toMatch(/^[a-z0-9]+(_[a-z0-9]+)*$/);
    }
  });

  it('carries code, message, name, details and cause', () => {
    const cause = new Error('disk');
    const e = new AppError('not_found', 'no call with id 3', { details: { callId: 3 }, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'AppError', code: 'not_found', message: 'no call with id 3' });
    expect(e.details).toEqual({ callId: 3 });
    expect(e.cause).toBe(cause);
    expect(new AppError('busy', 'x', { name: 'StoreError' }).name).toBe('StoreError');
  });

  it('recognises only its own codes', () => {
    expect(isErrorCode('not_kept')).toBe(true);
    for (const c of ['not-found', 'ENOENT', 'toString', '', 7, null]) expect(isErrorCode(c)).toBe(false);
    expect(errorCodeOf(new AppError('network', 'x'))).toBe('network');
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeUndefined();
    expect(errorCodeOf(null)).toBeUndefined();
  });
});
