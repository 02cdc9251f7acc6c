/**
 * Bag files and folders that are damaged in the ways recordings and copies get damaged: each named
 * with what is wrong and what to do, never a stack trace or a message about something else.
 */
import { strict as assert } from 'node:assert';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openBag } from '../../src/bag/open-bag.js';
import { rejection, ROOT } from '../helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'rosbags');
const dir = mkdtempSync(join(tmpdir(), 'twinvla-bad-bag-files-'));

/** A copy of a fixture bag folder, changed by `edit`. */
function folder(name: string, from: string, edit: (d: string) => void): string {
  const d = join(dir, name);
  cpSync(join(FIXTURES, from), d, { recursive: true });
  edit(d);
  return d;
}
const cut = (path: string, keep: number): void => {
  const b = readFileSync(path);
  writeFileSync(path, b.subarray(0, Math.floor(b.length * keep)));
};
const metadata = (text: string) => (d: string): void => writeFileSync(join(d, 'metadata.yaml'), text);

describe('damaged bag files and folders', () => {
  it('an empty file, .mcap or .db3, is said to be empty', async () => {
    const mcap = join(dir, 'empty.mcap');
    writeFileSync(mcap, '');
    const e = await rejection(openBag(mcap));
    assert.equal(e.code, 'BAG');
    assert.equal(e.message, `${mcap}: the file is empty (0 bytes): nothing was recorded into it, or the copy failed.`);
    const db3 = folder('empty_db3', 'split_sqlite3', (d) => cut(join(d, 'split_0.db3'), 0));
    assert.equal((await rejection(openBag(db3))).message, `${db3}/split_0.db3: the file is empty (0 bytes): nothing was recorded into it, or the copy failed.`);
  });

  it('a truncated SQLite file is damaged, with the way to recover its messages', async () => {
    const d = folder('half_db3', 'split_sqlite3', (x) => cut(join(x, 'split_0.db3'), 0.5));
    const e = await rejection(openBag(d));
    assert.equal(e.code, 'BAG');
    assert.equal(e.message, `${d}/split_0.db3: the SQLite file is damaged (database disk image is malformed): the recording was cut short or the file is corrupt. \`sqlite3 ${d}/split_0.db3 .recover\` may save its messages into a new file.`);
  });

  it('a truncated compressed file (rosbag2 file compression) cannot be decompressed, named', async () => {
    const d = folder('half_zstd', 'zstd_file_mcap', (x) => cut(join(x, 'zstd_file_mcap.mcap.zstd'), 0.5));
    const e = await rejection(openBag(d));
    assert.equal(e.code, 'BAG');
    assert.match(e.message, /zstd_file_mcap\.mcap\.zstd: cannot decompress the zstd data \(.+\); the file is damaged or not what its metadata says\.$/);
  });

  it('metadata.yaml that is empty, a list, or lists no usable files', async () => {
    const cases: [string, string, string][] = [
      ['meta_empty', '', 'expected a mapping rosbag2_bagfile_information: {relative_file_paths: [...], ...} as `ros2 bag record` writes it; found an empty file.'],
      ['meta_list', '- a\n- b\n', 'expected a mapping rosbag2_bagfile_information: {relative_file_paths: [...], ...} as `ros2 bag record` writes it; found a list of 2.'],
      ['meta_other', 'version: 9\n', 'expected a mapping rosbag2_bagfile_information: {relative_file_paths: [...], ...} as `ros2 bag record` writes it; found keys version.'],
      ['meta_number', 'rosbag2_bagfile_information:\n  relative_file_paths: 5\n', 'rosbag2_bagfile_information.relative_file_paths: expected a list of one or more file names, found 5.'],
      ['meta_nulls', 'rosbag2_bagfile_information:\n  relative_file_paths: [3, null]\n', 'rosbag2_bagfile_information.relative_file_paths: expected a list of one or more file names, found [3,null].'],
      ['meta_none', 'rosbag2_bagfile_information:\n  relative_file_paths: []\n', 'rosbag2_bagfile_information.relative_file_paths: expected a list of one or more file names, found [].'],
    ];
    for (const [name, text, message] of cases) {
      const d = folder(name, 'split_sqlite3', metadata(text));
      const e = await rejection(openBag(d));
      assert.equal(e.code, 'BAG', name);
      assert.equal(e.message, `${d}/metadata.yaml: ${message}`, name);
    }
  });

  it('metadata.yaml that lists a folder, or a file outside the bag folder', async () => {
    const sub = folder('meta_folder', 'split_sqlite3', (d) => {
      mkdirSync(join(d, 'sub.db3'));
      metadata('rosbag2_bagfile_information:\n  relative_file_paths: [sub.db3]\n')(d);
    });
    assert.equal((await rejection(openBag(sub))).message, `${sub}/metadata.yaml: lists sub.db3, which is a folder in ${sub}, not a bag file.`);
    const away = folder('meta_away', 'split_sqlite3', metadata('rosbag2_bagfile_information:\n  relative_file_paths: [../nowhere/x.db3]\n'));
    assert.equal((await rejection(openBag(away))).message, `${away}/metadata.yaml: lists ../nowhere/x.db3, which is not in ${away}.`);
  });
});
