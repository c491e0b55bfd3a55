export { parseGpuGroups } from './gpus.js';
export { AnswersSchema, AnswersError, defaultAnswers, parseAnswers, type Answers, type AnswerName } from './answers/schema.js';
export { questions, type Question } from './answers/questions.js';
export { deploymentContext, type DeploymentContext, type WorkerContext } from './render/context.js';
export { bundleFiles } from './render/bundle.js';
export { renderBundle, staticFiles, type RenderedFile, type StaticFile } from './render/templates.js';
export { slugify } from './slug.js';
export { upstreamImages, plzImage } from './images.js';
