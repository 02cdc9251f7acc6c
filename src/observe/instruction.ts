/** The language instruction: set from configuration, replaceable at run time (a topic or a call). */
import { InputError } from '../errors.js';

export const MAX_INSTRUCTION_CHARS = 2000;

export class Instruction {
  #text: string | null = null;
  #changed = 0;

  constructor(initial?: string) {
    if (initial !== undefined && initial.trim() !== '') this.set(initial, 'parameter instruction');
  }

  set(text: unknown, source: string): void {
    if (typeof text !== 'string' || text.trim() === '') {
      throw new InputError(`${source}: instruction must be a non-empty string, got ${JSON.stringify(text)}; the previous instruction stays.`);
    }
    if (text.length > MAX_INSTRUCTION_CHARS) {
      throw new InputError(`${source}: instruction is ${text.length} characters, above ${MAX_INSTRUCTION_CHARS}; the previous instruction stays.`);
    }
    this.#text = text.trim();
    this.#changed++;
  }

  /** How many times it was set; a new value lets the node know to replan. */
  get version(): number {
    return this.#changed;
  }

  get text(): string | null {
    return this.#text;
  }
}
