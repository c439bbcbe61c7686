/**
 * The audio format every part of Callscope agrees on. Pure TypeScript: the engine (decoding,
 * features, models), the capture sources, the renderer's capture bridge and the store import it.
 */

/**
 * Sample rate of all audio inside Callscope, Hz: ffmpeg decodes and captures resample to it, the
 * renderer's capture frames carry it, and every model and feature works at it (Silero VAD,
 * pyannote segmentation-3.0, the Kaldi fbank of the speaker encoders and the age/gender model are
 * all defined at 16 kHz).
 */
export const ENGINE_SAMPLE_RATE = 16_000;
