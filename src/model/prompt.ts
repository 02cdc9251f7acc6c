/**
 * Prompt tokenisation with @huggingface/tokenizers from the model's own tokenizer.json. Each prompt
 * input of the manifest is its template with the instruction filled in, tokenised without added
 * special tokens (the templates spell out the ones they want).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

import { InputError, ModelError } from '../errors.js';
import { fileProblem } from '../file-problem.js';
import type { Manifest } from './manifest.js';

export class PromptEncoder {
  readonly #tokenizer: Tokenizer;
  readonly #inputs: Manifest['prompt']['inputs'];
  readonly #maxTokens: number;
  readonly #path: string;

  private constructor(tokenizer: Tokenizer, manifest: Manifest, path: string) {
    this.#tokenizer = tokenizer;
    this.#inputs = manifest.prompt.inputs;
    this.#maxTokens = manifest.prompt.maxTokens;
    this.#path = path;
  }

  static load(manifest: Manifest): PromptEncoder {
    const path = join(manifest.dir, manifest.prompt.tokenizer);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      const problem = fileProblem(e, 'reading the tokenizer');
      if (problem) throw new ModelError('MODEL_FILE', problem);
      throw new ModelError('MODEL_FILE', `${path}: cannot read the tokenizer (${(e as Error).message}); expected a Hugging Face tokenizer.json. Re-export the model.`);
    }
    try {
      return new PromptEncoder(new Tokenizer(json as object, {}), manifest, path);
    } catch (e) {
      throw new ModelError('MODEL_FILE', `${path}: not a tokenizer.json that @huggingface/tokenizers can load (${(e as Error).message}). Re-export the model.`);
    }
  }

  /** Token ids per encoder input, as int64 tensors' data. */
  encode(instruction: string): Map<string, BigInt64Array> {
    if (typeof instruction !== 'string' || instruction.trim().length === 0) {
      throw new InputError(`instruction: expected a non-empty string, found ${JSON.stringify(instruction)}; set the instruction parameter or publish one on the instruction topic.`);
    }
    const out = new Map<string, BigInt64Array>();
    for (const { name, template } of this.#inputs) {
      const text = template.split('{instruction}').join(instruction);
      const ids = this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
      if (ids.length > this.#maxTokens) {
        throw new InputError(`instruction: prompt input ${name} is ${ids.length} tokens, above the model's prompt.max_tokens ${this.#maxTokens} (${this.#path}); shorten the instruction.`);
      }
      out.set(name, BigInt64Array.from(ids.map((i: number) => BigInt(i))));
    }
    return out;
  }
}
