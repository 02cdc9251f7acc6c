/** `twinvla inspect`: the contract of a model folder as a person reads it. */
import type * as ort from 'onnxruntime-node';

import { armDim, type ArmLayout, type GraphFiles, type Manifest } from './model/manifest.js';
import { rotationCodec } from './model/rotation-codec.js';

function layoutText(arms: string[], layout: ArmLayout): string {
  const parts = [`position ${layout.position}`, `${layout.rotation} ${rotationCodec(layout.rotation).dim}`];
  if (layout.gripper) parts.push('gripper 1');
  return `${arms.join(', ')} x [${parts.join(', ')}] = ${arms.length * armDim(layout)} values`;
}

/** ", weights in encoder.onnx.data (2.54 GB)": where a graph keeps its weights as ONNX external data. */
function externalText(g: GraphFiles): string {
  if (g.externalData.length === 0) return '';
  return `, weights in ${g.externalData.map((d) => `${d.file} (${(d.bytes / 1e9).toFixed(2)} GB)`).join(', ')}`;
}

function ioText(meta: readonly ort.InferenceSession.ValueMetadata[]): string[] {
  return meta.map((m) => (m.isTensor ? `${m.name}: ${m.type} [${m.shape.join(', ')}]` : `${m.name}: (not a tensor)`));
}

export function describeContract(m: Manifest, sessions?: { encoder: ort.InferenceSession; denoiser: ort.InferenceSession }): string {
  const out: string[] = [];
  const row = (k: string, v: string): void => { out.push(`${k.padEnd(11)}${v}`); };
  const p = m.provenance;
  row('model', `${m.name} (family ${m.family}) in ${m.dir}`);
  row('provenance', `preset ${String(p['preset'] ?? '?')}, seed ${String(p['seed'] ?? '?')}, checkpoint ${String(p['source_checkpoint'] ?? 'none (random initialisation)')}, exporter ${String(p['exporter_version'] ?? '?')}, torch ${String(p['torch'] ?? '?')}, opset ${String(p['opset'] ?? '?')}`);
  for (const c of m.cameras) row('camera', `${c.role.padEnd(12)} -> ${c.input}: ${c.width}x${c.height} rgb8 uint8 NHWC, resize ${c.resize}, letterbox ${c.letterbox ? 'yes' : 'no'}`);
  for (const i of m.prompt.inputs) row('prompt', `${i.name} <- ${JSON.stringify(i.template)} (${m.prompt.tokenizer}, at most ${m.prompt.maxTokens} tokens)`);
  const sn = m.state.normalization;
  row('state', `${m.state.input}: ${layoutText(m.state.arms, m.state.layout)}; quantile-normalised on ${sn.mask.filter(Boolean).length} of ${sn.mask.length}`);
  const an = m.action.normalization;
  row('action', `${layoutText(m.action.arms, m.action.layout)}; quantile on ${an.mask.filter(Boolean).length} of ${an.mask.length}${an.clip ? ', clipped to [-1, 1] first' : ''}`);
  row('horizon', `${m.action.horizon} steps, dt ${m.action.dt} s (${(1 / m.action.dt).toFixed(1)} Hz), ${(m.action.horizon * m.action.dt).toFixed(2)} s per chunk`);
  const f = m.flow;
  row('flow', `noise at t=${f.noiseTime} (Euler ${f.noiseTime === 1 ? '1 -> 0' : '0 -> 1'}), ${f.steps} steps`);
  const g = f.guidance;
  row('guidance', g ? `scale ${g.scale}${g.appliesAbove === null ? '' : ` (applies above ${g.appliesAbove})`}, clamp ${g.clamp === null ? 'none' : `${g.clampTarget} to +-${g.clamp}`}, null condition ${Object.entries(g.nullConditioning).map(([k, v]) => `${k} <- ${v}`).join(', ')}` : 'none');
  const sc = m.runtime.sessionConfig;
  row('runtime', `ONNX Runtime graph optimisation ${sc.graphOptimizationLevel}${Object.entries(sc.entries).map(([k, v]) => `, ${k}=${v}`).join('')} (runtime.session_config)`);
  const e = m.graphs.encoder, d = m.graphs.denoiser;
  row('encoder', `${e.file} sha256 ${e.sha256.slice(0, 16)}...${externalText(e)}`);
  if (sessions) {
    for (const l of ioText(sessions.encoder.inputMetadata)) row('  in', l);
    for (const l of ioText(sessions.encoder.outputMetadata)) row('  out', l);
  }
  row('denoiser', `${d.file} sha256 ${d.sha256.slice(0, 16)}...${externalText(d)}; x_t <- ${d.xT}, t <- ${d.t}, ${Object.entries(d.conditioning).map(([k, v]) => `${k} <- encoder.${v}`).join(', ')}`);
  if (sessions) {
    for (const l of ioText(sessions.denoiser.inputMetadata)) row('  in', l);
    for (const l of ioText(sessions.denoiser.outputMetadata)) row('  out', l);
  }
  return out.join('\n');
}
