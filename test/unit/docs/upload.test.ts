import { expect, test } from 'bun:test';
import { checkUpload, uploadKey } from '../../../src/docs/upload.ts';

test('upload keys keep clean names as they are and the extension always', () => {
  expect(uploadKey('Travel policy (2024).md')).toBe('uploads/Travel policy (2024).md');
  expect(uploadKey('C:\\\\fakepath\\\\notes.TXT')).toBe('uploads/notes.txt');
  expect(uploadKey('ünïcode.md')).toBe('uploads/ünïcode.md');
  const long = uploadKey(`${'a'.repeat(300)}.txt`);
  expect(long.endsWith('.txt')).toBe(true);
  expect(long.length).toBeLessThan(130);
});

test('names that must change get a hash of the original, so different names stay different', () => {
  const a = uploadKey('report?.md');
  const b = uploadKey('report*.md');
  expect(a).toMatch(/^uploads\/report-[0-9a-f]{6}\.md$/);
  expect(b).toMatch(/^uploads\/report-[0-9a-f]{6}\.md$/);
  expect(a).not.toBe(b);
  expect(uploadKey('../../etc/passwd.md')).toBe('uploads/passwd.md');
  expect(uploadKey('.hidden.md')).not.toContain('/.');
});

test('checkUpload refuses what is not allowed, with the reason', async () => {
  const rules = { maxBytes: 10, allowedExtensions: ['.md'] };
  await expect(checkUpload('text', rules)).rejects.toThrow('Choose a file to upload');
  await expect(checkUpload(new File(['x'], 'a.pdf'), rules)).rejects.toThrow('only .md files are accepted');
  await expect(checkUpload(new File(['x'.repeat(11)], 'a.md'), rules)).rejects.toThrow('the limit is 0.00 MB');
  expect((await checkUpload(new File(['# ok'], 'a.md'), rules)).key).toBe('uploads/a.md');
});
