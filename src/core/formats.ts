import path from 'node:path';

export type PixelSource = 'sharp' | 'heif' | 'raw-preview';

export interface PhotoFormat {
  name: string;
  /** How the pixels for the model are obtained. */
  pixels: PixelSource;
  /** Metadata goes into an XMP sidecar, never into the file. */
  sidecarOnly: boolean;
  /** The container holds IPTC-IIM (ExifTool writes it to PNG only as a non-standard block). */
  iptc: boolean;
  /** The container holds EXIF ImageDescription. */
  exif: boolean;
}

const inFile = (name: string, pixels: PixelSource, iptc: boolean, exif = true): PhotoFormat => ({
  name,
  pixels,
  sidecarOnly: false,
  iptc,
  exif,
});
const raw = (name: string): PhotoFormat => ({ name, pixels: 'raw-preview', sidecarOnly: true, iptc: false, exif: false });

/** ExifTool FileType → how phototag treats it. A file is judged by its content, not its extension. */
const FORMATS: Record<string, PhotoFormat> = {
  JPEG: inFile('JPEG', 'sharp', true),
  MPO: inFile('MPO', 'sharp', true),
  TIFF: inFile('TIFF', 'sharp', true),
  PNG: inFile('PNG', 'sharp', false),
  WEBP: inFile('WebP', 'sharp', false),
  'EXTENDED WEBP': inFile('WebP', 'sharp', false),
  GIF: inFile('GIF', 'sharp', false, false),
  AVIF: inFile('AVIF', 'sharp', false),
  HEIC: inFile('HEIC', 'heif', false),
  HEIF: inFile('HEIF', 'heif', false),
  ...Object.fromEntries(
    ['CR2', 'CR3', 'CRW', 'NEF', 'NRW', 'ARW', 'SR2', 'SRF', 'ORF', 'RAF', 'RW2', 'RWL', 'DNG', 'PEF', 'SRW', 'X3F', '3FR', 'IIQ', 'ERF', 'MRW', 'KDC', 'DCR', 'MEF', 'MOS'].map(
      (type) => [type, raw(type)],
    ),
  ),
};

/** What the early decode assumes before ExifTool has named the format. */
export const SHARP_FORMAT: PhotoFormat = inFile('image', 'sharp', false);

const SHARP_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe', 'mpo', 'tif', 'tiff', 'png', 'webp', 'gif', 'avif']);

/** The extension says sharp will decode it (the content still decides: see formatOf). */
export function hasSharpExtension(file: string): boolean {
  return SHARP_EXTENSIONS.has(path.extname(file).slice(1).toLowerCase());
}

export function formatOf(fileType: string | undefined): PhotoFormat | undefined {
  return fileType ? FORMATS[fileType.toUpperCase()] : undefined;
}

/** Extensions worth looking at when phototag is given a folder or a glob (the content decides later). */
export const PHOTO_EXTENSIONS = new Set([
  ...['jpg', 'jpeg', 'jpe', 'mpo', 'tif', 'tiff', 'png', 'webp', 'gif', 'avif', 'heic', 'heif', 'hif'],
  ...['cr2', 'cr3', 'crw', 'nef', 'nrw', 'arw', 'sr2', 'srf', 'orf', 'raf', 'rw2', 'rwl', 'dng', 'pef', 'srw', 'x3f', '3fr', 'iiq', 'erf', 'mrw', 'kdc', 'dcr', 'mef', 'mos'],
]);

export function hasPhotoExtension(file: string): boolean {
  return PHOTO_EXTENSIONS.has(path.extname(file).slice(1).toLowerCase());
}
