/**
 * IPC channel names of the desktop bridge, defined once and free of dependencies so the sandboxed
 * preload bundle stays tiny. Pure TypeScript.
 */

/** The single IPC channel the preload allows (STYLE.md 3): RPC envelopes in both directions. */
export const RPC_CHANNEL = 'callscope:rpc';

/** Every channel the preload bridge may use; anything else is refused in preload and main. */
export const ALLOWED_CHANNELS: readonly string[] = [RPC_CHANNEL];

/**
 * One-way channel on which the preload reports the local path of a file the user picked or dropped
 * (Electron `webUtils.getPathForFile`); the engine opens `{kind: 'path'}` references to those files
 * only (src-main/app/file-grants.ts). Not an RPC channel: the page cannot send on it.
 */
export const FILE_GRANT_CHANNEL = 'callscope:file-granted';
