import fs from 'node:fs';
import path from 'node:path';

export type SidecarName = 'base' | 'ext';

/** `photo.xmp` (Lightroom, Capture One, DxO) or `photo.CR2.xmp` (darktable, digiKam). */
export function sidecarPath(file: string, naming: SidecarName): string {
  if (naming === 'ext') return `${file}.xmp`;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.xmp`;
}

/** An existing sidecar of either name is reused (the configured name first); else the configured name. */
export function findSidecar(file: string, naming: SidecarName): { path: string; exists: boolean } {
  const preferred = sidecarPath(file, naming);
  const other = sidecarPath(file, naming === 'base' ? 'ext' : 'base');
  for (const candidate of [preferred, other]) if (fs.existsSync(candidate)) return { path: candidate, exists: true };
  return { path: preferred, exists: false };
}
