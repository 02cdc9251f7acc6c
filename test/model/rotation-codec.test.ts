import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

import { GaussianNoise } from '../../src/model/noise.js';
import { ROTATIONS, rotationCodec, type RotationRepresentation } from '../../src/model/rotation-codec.js';
import { ROOT, thrown } from '../helpers.js';

const MODULE = join(ROOT, 'src', 'model', 'rotation-codec.ts');

/** Type-checks the codec module, with `edit` applied to its text, as `npm run build` would. */
function compileErrors(edit: (text: string) => string): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: true, types: [],
  };
  const host = ts.createCompilerHost(options);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) => (file === MODULE
    ? ts.createSourceFile(file, edit(readFileSync(MODULE, 'utf8')), language)
    : original(file, language, ...rest));
  const program = ts.createProgram([MODULE], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName.slice(ROOT.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('rotation codecs', () => {
  it('every layout encodes a quaternion into dim values and decodes them back (up to sign, w >= 0)', () => {
    const g = new GaussianNoise(7);
    for (const name of ROTATIONS) {
      const codec = rotationCodec(name);
      assert.equal(codec.name, name);
      for (let i = 0; i < 200; i++) {
        const raw = [g.normal(), g.normal(), g.normal(), g.normal()];
        const n = Math.hypot(...raw);
        const q = raw.map((v) => v / n);
        const values = codec.encode(q);
        assert.equal(values.length, codec.dim, name);
        const back = codec.decode([9, 9, 9, ...values], 3);
        const s = Math.sign(q[3]!) || 1;
        for (let j = 0; j < 4; j++) assert.ok(Math.abs(back[j]! - s * q[j]!) < 1e-9, `${name}: ${back} vs ${q}`);
      }
    }
    assert.deepEqual(ROTATIONS.map((r) => rotationCodec(r).dim), [6, 4]);
  });

  it('a value outside the union (a manifest read without checking) is refused, naming it', () => {
    const e = thrown(() => rotationCodec('euler' as RotationRepresentation));
    assert.equal(e.code, 'MODEL_MANIFEST');
    assert.match(e.message, /rotation representation "euler" has no codec; expected one of rot6d, quaternion/);
  });

  it('adding a layout without its codec is a compile error at the factory', function () {
    this.timeout(60000);
    assert.deepEqual(compileErrors((t) => t), []);
    const added = compileErrors((t) => {
      const edited = t.replace("['rot6d', 'quaternion'] as const", "['rot6d', 'quaternion', 'euler'] as const");
      assert.notEqual(edited, t, 'the ROTATIONS list was not found in the module');
      return edited;
    });
    assert.equal(added.length, 1, added.join('\n'));
    assert.match(added[0]!, /^src\/model\/rotation-codec\.ts:\d+ Type '"euler"' is not assignable to type 'never'/);
  });
});
