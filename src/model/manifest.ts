/**
 * The model contract's manifest (`models/<name>/model.yaml`): parsed, checked field by field, and
 * returned as plain typed data. Everything the runtime does differently for the two families is read
 * from here, never from the model's name.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { parse } from 'yaml';

import { ModelError } from '../errors.js';
import { withFileProblems } from '../file-problem.js';
import { FieldReader } from './field-reader.js';
import { rotationCodec, ROTATIONS, type RotationRepresentation } from './rotation-codec.js';
import { sessionConfigOf, type SessionConfig } from './session-config.js';

export const MANIFEST_FORMAT = 'twinvla-model/1';
export const FAMILIES = ['twinvla', 'twinbrainvla'] as const;
export type Family = (typeof FAMILIES)[number];
export const RESIZE_FILTERS = ['bicubic', 'bilinear', 'nearest', 'lanczos3'] as const;
export type ResizeFilter = (typeof RESIZE_FILTERS)[number];
export { ROTATIONS, type RotationRepresentation };

export interface CameraSpec {
  role: string;
  input: string;
  height: number;
  width: number;
  resize: ResizeFilter;
  letterbox: boolean;
}

/** Per-arm vector layout, in this order: position (xyz), rotation, gripper. */
export interface ArmLayout {
  position: 3;
  rotation: RotationRepresentation;
  gripper: 0 | 1;
}

export interface QuantileNormalization {
  method: 'quantile';
  q01: number[];
  q99: number[];
  mask: boolean[];
  /** Added to q99 - q01 in both directions (TwinVLA 1e-6; starVLA un-normalises with 0). */
  eps: number;
}

export const CLAMP_TARGETS = ['velocity', 'sample'] as const;

export interface Guidance {
  scale: number;
  /** The bound [-clamp, clamp] at every step; null: no clamp. */
  clamp: number | null;
  /** What the clamp bounds: the guided velocity before each step, or the sample after it. */
  clampTarget: (typeof CLAMP_TARGETS)[number];
  /** Guidance and its clamp apply only when scale > this (TwinVLA: 1); null: at any scale. */
  appliesAbove: number | null;
  /** Denoiser conditioning input -> the encoder output that stands for "no condition". */
  nullConditioning: Record<string, string>;
}

export interface Manifest {
  /** The folder and the manifest file, for messages and for resolving the graphs. */
  dir: string;
  file: string;
  name: string;
  family: Family;
  cameras: CameraSpec[];
  prompt: { tokenizer: string; maxTokens: number; inputs: { name: string; template: string }[] };
  state: { input: string; arms: string[]; layout: ArmLayout; normalization: QuantileNormalization };
  action: {
    arms: string[];
    layout: ArmLayout;
    horizon: number;
    /** Seconds between chunk steps. */
    dt: number;
    /** clip: to [-1, 1] before un-normalising; round: dimensions rounded to the nearest integer after
     * (a gripper that the family reports as 0/1); binarize: after the clip, a value below 0.5 becomes 0
     * and any other 1, before un-normalising (starVLA's gripper). */
    normalization: QuantileNormalization & { clip: boolean; round: boolean[]; binarize: boolean[] };
  };
  flow: {
    /** Where noise lives on the time axis: 1 (TwinVLA: t runs 1 -> 0) or 0 (TwinBrainVLA: 0 -> 1). */
    noiseTime: 0 | 1;
    steps: number;
    guidance: Guidance | null;
  };
  graphs: {
    encoder: GraphFiles & { inputs: string[]; outputs: string[] };
    denoiser: GraphFiles & {
      xT: string;
      t: string;
      /** Denoiser input -> encoder output. */
      conditioning: Record<string, string>;
      output: string;
    };
    /** The denoiser's vector-Jacobian product (tools/twinvla_tools/vjp_graph.py), for real-time
     * chunking's soft guidance: the denoiser's inputs plus `cotangent`, output `output`. Optional. */
    denoiserVjp: (GraphFiles & { cotangent: string; output: string }) | null;
  };
  /** How ONNX Runtime must load the graphs (model/session-config.ts); the defaults when absent. */
  runtime: { sessionConfig: SessionConfig };
  provenance: Record<string, unknown>;
}

/** A file holding a graph's weights outside its .onnx (ONNX external data, for a graph past
 * protobuf's 2 GB), relative to the model folder, with its size and sha256 (model/integrity.ts). */
export interface ExternalData {
  file: string;
  bytes: number;
  sha256: string;
}

/** A graph's files: the .onnx, relative to the model folder, and its external data (empty: none). */
export interface GraphFiles {
  file: string;
  sha256: string;
  externalData: ExternalData[];
}

export function armDim(layout: ArmLayout): number {
  return layout.position + rotationCodec(layout.rotation).dim + layout.gripper;
}

/** Keys the exporter writes that the runtime does not read: accepted, with everything under them. */
const UNREAD_KEYS = ['provenance', 'image_normalization', 'cameras.*.encoding'];

const FIX = 'Re-export the model with tools/twinvla_tools/export.py, or correct the field by hand.';

function layoutOf(r: FieldReader, path: string): ArmLayout {
  // Checked for the message; a position is always xyz, and the gripper is 0 or 1 once checked.
  r.number(`${path}.position`, { integer: true, min: 3, max: 3 });
  const rotation = r.oneOf(`${path}.rotation`, ROTATIONS);
  const gripper = r.number(`${path}.gripper`, { integer: true, min: 0, max: 1 });
  return { position: 3, rotation, gripper: gripper === 1 ? 1 : 0 };
}

function quantileOf(r: FieldReader, path: string, length: number): QuantileNormalization {
  r.oneOf(`${path}.method`, ['quantile']);
  const before = r.problems.length;
  const q01 = r.numbers(`${path}.q01`, length);
  const q99 = r.numbers(`${path}.q99`, length);
  const mask = r.booleans(`${path}.mask`, length);
  // Older manifests have no eps: they were written for 1e-6, the value both tools used then.
  const eps = r.get(`${path}.eps`) === undefined ? 1e-6 : r.number(`${path}.eps`, { min: 0, max: 1 });
  // Ranges are compared only when all three lists are well formed.
  if (r.problems.length === before) q01.forEach((lo, i) => {
    const hi = q99[i] ?? lo;
    if (mask[i] && !(hi > lo)) r.problem(`${path}.q99[${i}]`, `a value above q01[${i}] = ${lo}`, hi);
  });
  return { method: 'quantile', q01, q99, mask, eps };
}

function camerasOf(r: FieldReader): CameraSpec[] {
  const cameras = r.list('cameras').map((_, i): CameraSpec => {
    const p = `cameras.${i}`;
    return {
      role: r.string(`${p}.role`),
      input: r.string(`${p}.input`),
      height: r.number(`${p}.height`, { integer: true, min: 1, max: 8192 }),
      width: r.number(`${p}.width`, { integer: true, min: 1, max: 8192 }),
      resize: r.oneOf(`${p}.resize`, RESIZE_FILTERS),
      letterbox: r.boolean(`${p}.letterbox`),
    };
  });
  const roles = cameras.map((c) => c.role);
  roles.forEach((role, i) => {
    if (role && roles.indexOf(role) !== i) r.problem(`cameras.${i}.role`, 'a role not already used', role);
  });
  return cameras;
}

function promptOf(r: FieldReader): Manifest['prompt'] {
  return {
    tokenizer: r.string('prompt.tokenizer'),
    maxTokens: r.number('prompt.max_tokens', { integer: true, min: 1 }),
    inputs: r.list('prompt.inputs').map((_, i) => {
      const template = r.string(`prompt.inputs.${i}.template`);
      if (template && !template.includes('{instruction}')) {
        r.problem(`prompt.inputs.${i}.template`, 'a template containing {instruction}', template);
      }
      return { name: r.string(`prompt.inputs.${i}.name`), template };
    }),
  };
}

function stateOf(r: FieldReader): Manifest['state'] {
  const arms = r.strings('state.arms');
  const layout = layoutOf(r, 'state.layout');
  return { input: r.string('state.input'), arms, layout, normalization: quantileOf(r, 'state.normalization', arms.length * armDim(layout)) };
}

function actionOf(r: FieldReader): Manifest['action'] {
  const arms = r.strings('action.arms');
  const layout = layoutOf(r, 'action.layout');
  const length = arms.length * armDim(layout);
  return {
    arms,
    layout,
    horizon: r.number('action.horizon', { integer: true, min: 1, max: 10000 }),
    dt: r.number('action.dt', { min: 0, exclusiveMin: true, max: 10 }),
    normalization: {
      ...quantileOf(r, 'action.normalization', length),
      clip: r.boolean('action.normalization.clip'),
      round: r.get('action.normalization.round') === undefined ? new Array<boolean>(length).fill(false) : r.booleans('action.normalization.round', length),
      // Manifests written before binarize existed binarised nothing.
      binarize: r.get('action.normalization.binarize') === undefined ? new Array<boolean>(length).fill(false) : r.booleans('action.normalization.binarize', length),
    },
  };
}

function flowOf(r: FieldReader): Manifest['flow'] {
  const noiseTime = r.number('flow.noise_time', { min: 0, max: 1 });
  if (noiseTime !== 0 && noiseTime !== 1) r.problem('flow.noise_time', '0 or 1', noiseTime);
  const rawGuidance = r.get('flow.guidance');
  let guidance: Guidance | null = null;
  if (rawGuidance !== null && rawGuidance !== undefined) {
    const clamp = r.get('flow.guidance.clamp');
    // Manifests written before clamp_target / applies_above existed clamped the velocity at any scale.
    const target = r.get('flow.guidance.clamp_target');
    const above = r.get('flow.guidance.applies_above');
    guidance = {
      scale: r.number('flow.guidance.scale', { min: 0 }),
      clamp: clamp === null ? null : r.number('flow.guidance.clamp', { min: 0, exclusiveMin: true }),
      clampTarget: target === undefined ? 'velocity' : r.oneOf('flow.guidance.clamp_target', CLAMP_TARGETS),
      appliesAbove: above === undefined || above === null ? null : r.number('flow.guidance.applies_above'),
      nullConditioning: r.stringMap('flow.guidance.null_conditioning'),
    };
  } else if (rawGuidance === undefined) {
    r.problem('flow.guidance', 'a mapping {scale, clamp, clamp_target, applies_above, null_conditioning} or null', rawGuidance);
  }
  return { noiseTime: noiseTime === 0 ? 0 : 1, steps: r.number('flow.steps', { integer: true, min: 1, max: 1000 }), guidance };
}

const SHA256 = /^[0-9a-f]{64}$/;

/** `<path>.external_data`: absent for a self-contained graph (every manifest before it existed), else
 * a list of {file, bytes, sha256}, each file inside the model folder. */
function externalDataOf(r: FieldReader, path: string): ExternalData[] {
  if (r.get(`${path}.external_data`) === undefined) return [];
  return r.list(`${path}.external_data`).map((_, i) => {
    const p = `${path}.external_data.${i}`;
    const file = r.string(`${p}.file`);
    if (file && (isAbsolute(file) || normalize(file).split(sep)[0] === '..')) r.problem(`${p}.file`, 'a path inside the model folder, relative to it', file);
    const sha256 = r.string(`${p}.sha256`);
    if (sha256 && !SHA256.test(sha256)) r.problem(`${p}.sha256`, '64 lowercase hex digits (a sha256)', sha256);
    return { file, bytes: r.number(`${p}.bytes`, { integer: true, min: 0 }), sha256 };
  });
}

function graphFiles(r: FieldReader, path: string): GraphFiles {
  return { file: r.string(`${path}.file`), sha256: r.string(`${path}.sha256`), externalData: externalDataOf(r, path) };
}

function graphsOf(r: FieldReader): Manifest['graphs'] {
  const encoder = {
    ...graphFiles(r, 'graphs.encoder'),
    inputs: r.strings('graphs.encoder.inputs'),
    outputs: r.strings('graphs.encoder.outputs'),
  };
  const denoiser = {
    ...graphFiles(r, 'graphs.denoiser'),
    xT: r.string('graphs.denoiser.inputs.x_t'),
    t: r.string('graphs.denoiser.inputs.t'),
    conditioning: r.stringMap('graphs.denoiser.conditioning'),
    output: r.string('graphs.denoiser.output'),
  };
  const denoiserVjp = r.get('graphs.denoiser_vjp') === undefined ? null : {
    ...graphFiles(r, 'graphs.denoiser_vjp'),
    cotangent: r.string('graphs.denoiser_vjp.cotangent'),
    output: r.string('graphs.denoiser_vjp.output'),
  };
  for (const [path, sha] of [['graphs.encoder.sha256', encoder.sha256], ['graphs.denoiser.sha256', denoiser.sha256], ['graphs.denoiser_vjp.sha256', denoiserVjp?.sha256 ?? '']] as const) {
    if (sha && !SHA256.test(sha)) r.problem(path, '64 lowercase hex digits (a sha256)', sha);
  }
  return { encoder, denoiser, denoiserVjp };
}

type Parts = Pick<Manifest, 'cameras' | 'prompt' | 'state' | 'action' | 'flow' | 'graphs'>;

/** Every name the runtime will feed or read must exist on the other side. */
function crossCheck(r: FieldReader, { cameras, prompt, state, action, flow, graphs: { encoder, denoiser } }: Parts): void {
  const encoderInput = `one of graphs.encoder.inputs (${encoder.inputs.join(', ')})`;
  const encoderOutput = `one of graphs.encoder.outputs (${encoder.outputs.join(', ')})`;
  cameras.forEach((c, i) => {
    if (c.input && !encoder.inputs.includes(c.input)) r.problem(`cameras.${i}.input`, encoderInput, c.input);
  });
  prompt.inputs.forEach((p, i) => {
    if (p.name && !encoder.inputs.includes(p.name)) r.problem(`prompt.inputs.${i}.name`, encoderInput, p.name);
  });
  if (state.input && !encoder.inputs.includes(state.input)) r.problem('state.input', encoderInput, state.input);
  for (const [input, output] of Object.entries(denoiser.conditioning)) {
    if (!encoder.outputs.includes(output)) r.problem(`graphs.denoiser.conditioning.${input}`, encoderOutput, output);
  }
  for (const [input, output] of Object.entries(flow.guidance?.nullConditioning ?? {})) {
    if (!(input in denoiser.conditioning)) r.problem(`flow.guidance.null_conditioning.${input}`, `a key of graphs.denoiser.conditioning (${Object.keys(denoiser.conditioning).join(', ')})`, input);
    if (!encoder.outputs.includes(output)) r.problem(`flow.guidance.null_conditioning.${input}`, encoderOutput, output);
  }
  if (state.arms.join() !== action.arms.join()) r.problem('action.arms', `the same arms as state.arms (${state.arms.join(', ')})`, action.arms.join(', '));
}

/**
 * Parses and checks a manifest document. Pure: `file` only names it in messages, and whether a
 * referenced file exists inside `dir` is asked of `isFile` (loadManifest passes the file system's answer).
 */
export function parseManifest(doc: unknown, dir: string, file: string, isFile: (path: string) => boolean): Manifest {
  const r = new FieldReader(doc);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ModelError('MODEL_MANIFEST', `${file}: expected a YAML mapping at the top, found ${Array.isArray(doc) ? 'a list' : doc === null || doc === undefined ? 'an empty file' : JSON.stringify(doc)}. ${FIX}`);
  }
  r.oneOf('format', [MANIFEST_FORMAT]);
  const name = r.string('name');
  const family = r.oneOf('family', FAMILIES);
  const parts: Parts = { cameras: camerasOf(r), prompt: promptOf(r), state: stateOf(r), action: actionOf(r), flow: flowOf(r), graphs: graphsOf(r) };
  crossCheck(r, parts);
  const runtime = { sessionConfig: sessionConfigOf(r) };
  const { prompt, graphs } = parts;
  for (const [path, rel] of [['prompt.tokenizer', prompt.tokenizer], ['graphs.encoder.file', graphs.encoder.file], ['graphs.denoiser.file', graphs.denoiser.file], ['graphs.denoiser_vjp.file', graphs.denoiserVjp?.file ?? '']] as const) {
    if (rel && !isFile(join(dir, rel))) r.problem(path, `a file inside ${dir}`, `${rel} (no such file)`);
  }
  r.unknownKeys(UNREAD_KEYS);
  if (r.problems.length > 0) {
    const lines = r.problems.map((p) => `  - ${p.field}: expected ${p.expected}, found ${p.found}`);
    throw new ModelError('MODEL_MANIFEST', `${file}: ${r.problems.length} problem(s) in the model manifest:\n${lines.join('\n')}\n${FIX}`);
  }
  const provenance = (r.get('provenance') ?? {}) as Record<string, unknown>;
  return { dir, file, name, family, ...parts, runtime, provenance };
}

/** Reads `<dir>/model.yaml`. */
export function loadManifest(dir: string): Manifest {
  const file = join(dir, 'model.yaml');
  const refused = (m: string): ModelError => new ModelError('MODEL_FILE', m);
  // Not existsSync: it says false for a path it may not look at, which is a permission problem.
  const stat = withFileProblems('reading the model folder', refused, () => statSync(dir, { throwIfNoEntry: false }));
  if (!stat?.isDirectory()) {
    throw new ModelError('MODEL_FILE', `model folder ${dir} does not exist. Pass a folder made by tools/twinvla_tools/export.py, such as models/twinvla-tiny.`);
  }
  if (!withFileProblems('reading the model manifest', refused, () => statSync(file, { throwIfNoEntry: false }))) {
    throw new ModelError('MODEL_FILE', `${file} is missing: a model folder needs its manifest model.yaml beside encoder.onnx and denoiser.onnx. Re-export the model with tools/twinvla_tools/export.py.`);
  }
  const text = withFileProblems('reading the model manifest', refused, () => readFileSync(file, 'utf8'));
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ModelError('MODEL_MANIFEST', `${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}. ${FIX}`);
  }
  return parseManifest(doc, dir, file, (path) => existsSync(path) && statSync(path).isFile());
}
