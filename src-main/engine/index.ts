/** Public surface of the analysis engine (in-process use: CLI, tests, web host). */
export {
  analyzeFile,
  loadEngineModels,
  speakerEmbeddingsOf,
  speakerEmbeddingSetsOf,
  type SpeakerEmbeddingSet,
  DEFAULT_PARAMS,
  type EngineModels,
  type PipelineParams,
} from './pipeline/analyze-file.ts';
export { AudioInputError } from './audio/ffmpeg.ts';
export { ModelNotFoundError } from './inference/registry.ts';
