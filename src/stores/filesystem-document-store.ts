import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { AppError } from '../errors.ts';
import { checkDocumentKey } from './document-keys.ts';
import type { DocumentStore } from './document-store.ts';

/** Originals on the local disk under one root folder. */
export class FilesystemDocumentStore implements DocumentStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Refuses keys that would leave the root (`../`, absolute paths), twice over. */
  private pathOf(key: string): string {
    const full = resolve(this.root, checkDocumentKey(key));
    if (!full.startsWith(this.root + sep)) {
      throw new AppError('invalid_key', `Document key "${key}" points outside the document folder.`, 400);
    }
    return full;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await Bun.write(path, bytes);
  }

  async get(key: string): Promise<Uint8Array | null> {
    const file = Bun.file(this.pathOf(key));
    if (!(await file.exists())) return null;
    return new Uint8Array(await file.arrayBuffer());
  }

  async list(prefix = ''): Promise<string[]> {
    const exists = await stat(this.root).catch(() => null);
    if (!exists) return [];
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => relative(this.root, join(e.parentPath, e.name)).split(sep).join('/'))
      .filter((key) => key.startsWith(prefix))
      .sort();
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }
}
