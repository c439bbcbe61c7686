/**
 * The Live view's source choice: replay a stereo recording, this computer's microphone + system
 * output through PulseAudio/PipeWire (with the two sources to use), or browser capture; and
 * whether several local people share the microphone. A controlled fragment of the Live toolbar:
 * the Start/Stop button and the clock stay with the view. Everything is disabled while a session
 * runs.
 */
import type { LiveDevice, LiveSourceChoice } from '../use-live-session.ts';

export function SourcePicker({
  choice,
  onChange,
  devices,
  running,
}: {
  choice: LiveSourceChoice;
  /** Called with the fields that changed. */
  onChange: (patch: Partial<LiveSourceChoice>) => void;
  /** PulseAudio/PipeWire sources: the microphones and the `.monitor` sources of the outputs. */
  devices: LiveDevice[];
  running: boolean;
}): React.JSX.Element {
  const { kind } = choice;
  return (
    <>
      <label className="radio">
        <input
          type="radio"
          name="src"
          checked={kind === 'replay'}
          onChange={() => onChange({ kind: 'replay' })}
          disabled={running}
        />{' '}
        Replay a stereo recording
      </label>
      <label className="radio">
        <input
          type="radio"
          name="src"
          checked={kind === 'pulse'}
          onChange={() => onChange({ kind: 'pulse' })}
          disabled={running}
        />{' '}
        This computer (mic + system output)
      </label>
      <label className="radio">
        <input
          type="radio"
          name="src"
          checked={kind === 'browser'}
          onChange={() => onChange({ kind: 'browser' })}
          disabled={running}
        />{' '}
        This computer (browser capture)
      </label>
      <label className="radio" title="Tell apart several local people who share the microphone">
        <input
          type="checkbox"
          checked={choice.diarizeMic}
          onChange={(e) => onChange({ diarizeMic: e.target.checked })}
          disabled={running}
          data-testid="diarize-mic"
        />{' '}
        Several people on the mic
      </label>
      {kind === 'browser' ? (
        <span className="muted small-text">
          microphone + system audio shared through screen sharing (the picture is discarded)
        </span>
      ) : kind === 'replay' ? (
        <input
          type="file"
          accept="audio/*"
          aria-label="Stereo recording to replay"
          disabled={running}
          onChange={(e) => onChange({ file: e.target.files?.[0] ?? null })}
          data-testid="live-file"
        />
      ) : (
        <>
          <select
            aria-label="Microphone source"
            value={choice.mic}
            onChange={(e) => onChange({ mic: e.target.value })}
            disabled={running}
          >
            <option value="">default microphone</option>
            {devices
              .filter((d) => !d.monitor)
              .map((d) => (
                <option key={d.name}>{d.name}</option>
              ))}
          </select>
          <select
            aria-label="System output source"
            value={choice.system}
            onChange={(e) => onChange({ system: e.target.value })}
            disabled={running}
          >
            <option value="">default output monitor</option>
            {devices
              .filter((d) => d.monitor)
              .map((d) => (
                <option key={d.name}>{d.name}</option>
              ))}
          </select>
        </>
      )}
    </>
  );
}
