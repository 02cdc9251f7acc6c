/**
 * metrics.json, the record of one evaluation run (format twinvla-eval/1): what evaluate() writes and
 * what the report, the headline table, `twinvla compare` and the pooled many-bag run read back.
 */
import type { ParamValue } from '../config/params.js';
import type { EpisodeMetrics } from './episodes.js';
import type { ArmMetrics, Stat } from './metrics.js';

export interface Metrics {
  format: 'twinvla-eval/1';
  bag: string;
  model: string;
  seed: number;
  latency: string;
  window_s: { start: number; end: number };
  chunks: number;
  refused_snapshots: Record<string, number>;
  inference_latency_ms: Stat;
  observation_to_chunk_ms: Stat;
  /** Each chunk's snapshot age when its inference started (the snapshot's stamp, its oldest input's,
   * to the start): observation to chunk = frame age + inference latency. Absent in older runs. */
  frame_age_ms?: Stat;
  arms: Record<string, ArmMetrics>;
  /** Episodes found from pauses in the recording and instruction changes, with their own errors. */
  episodes: EpisodeMetrics[];
  /** The parameters file, and per node the parameters that differ from the defaults. */
  parameters: { file: string | null; nodes: Record<string, Record<string, ParamValue>> };
}
