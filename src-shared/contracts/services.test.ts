import { describe, expect, it } from 'vitest';

import { type EmitServiceEvent, SERVICE, type ServiceEvents } from './services.ts';

describe('typed service events (issue 17)', () => {
  it('an emitter accepts each event with its own payload type', () => {
    const seen: [string, string, unknown][] = [];
    const emit: EmitServiceEvent = (s, e, p) => void seen.push([s, e, p]);
    emit(SERVICE.library, 'changed', { count: 2 });
    emit(SERVICE.models, 'changed', { id: 'silero-vad-v6' });
    // @ts-expect-error `npm run typecheck` fails if a payload of another event is accepted
    emit(SERVICE.library, 'changed', { id: 'x' });
    // @ts-expect-error … or an event the service does not have
    emit(SERVICE.live, 'changed', { count: 1 });
    const services: (keyof ServiceEvents)[] = ['analysis', 'library', 'live', 'models'];
    expect(seen.map(([s]) => s)).toEqual(['library', 'models', 'library', 'live']);
    expect(services).toHaveLength(4);
  });
});
