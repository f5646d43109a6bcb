import path from 'node:path';

/** How the pixels for the model are obtained. */
export type PixelSource = 'sharp' | 'heif' | 'raw-preview' | 'psd' | 'bmp' | 'jp2' | 'jxl';

export interface PhotoFormat {
  name: string;
  pixels: PixelSource;
  /** Metadata goes into an XMP sidecar, never into the file (RAW). */
  sidecarOnly: boolean;
  /** ExifTool can write into the file itself; when false only `--sidecar` can tag it (BMP, BigTIFF). */
  inFile: boolean;
  /** The container holds IPTC-IIM (ExifTool writes it to PNG only as a non-standard block). */
  iptc: boolean;
  /** The container holds EXIF ImageDescription. */
  exif: boolean;
  /**
   * File name extensions ExifTool accepts when it rewrites this content. ExifTool picks its writer by the
   * name (a JPEG named `.nef` is "Not a valid NEF"), so a file named otherwise is written through an alias.
   */
  extensions: readonly string[];
}

const JPEG_EXTENSIONS = ['jpg', 'jpeg', 'jpe', 'jif', 'jfif', 'jfi', 'mpo'];

const inFile = (name: string, pixels: PixelSource, iptc: boolean, extensions: readonly string[], exif = true): PhotoFormat => ({
  name,
  pixels,
  sidecarOnly: false,
  inFile: true,
  iptc,
  exif,
  extensions,
});
/** Formats ExifTool reads but cannot write into: tagged through an XMP sidecar when asked (`--sidecar`). */
const readOnly = (name: string, pixels: PixelSource, extensions: readonly string[]): PhotoFormat => ({
  ...inFile(name, pixels, false, extensions, false),
  inFile: false,
});
const raw = (name: string): PhotoFormat => ({
  name,
  pixels: 'raw-preview',
  sidecarOnly: true,
  inFile: false,
  iptc: false,
  exif: false,
  extensions: [],
});

/** ExifTool RAW file types (camera originals): always an XMP sidecar, pixels from the embedded preview. */
export const RAW_TYPES = [
  '3FR',
  'ARI',
  'ARQ',
  'ARW',
  'CR2',
  'CR3',
  'CRM',
  'CRW',
  'CS1',
  'DCR',
  'DNG',
  'EIP',
  'ERF',
  'FFF',
  'GPR',
  'IIQ',
  'K25',
  'KDC',
  'MEF',
  'MOS',
  'MRW',
  'NEF',
  'NRW',
  'ORF',
  'ORI',
  'PEF',
  'RAF',
  'RAW',
  'RW2',
  'RWL',
  'SR2',
  'SRF',
  'SRW',
  'X3F',
] as const;

/** ExifTool FileType (without its qualifier) → how phototag treats it. A file is judged by its content, not its extension. */
const FORMATS: Record<string, PhotoFormat> = {
  JPEG: inFile('JPEG', 'sharp', true, JPEG_EXTENSIONS),
  MPO: inFile('MPO', 'sharp', true, JPEG_EXTENSIONS),
  TIFF: inFile('TIFF', 'sharp', true, ['tif', 'tiff']),
  PNG: inFile('PNG', 'sharp', false, ['png']),
  WEBP: inFile('WebP', 'sharp', false, ['webp']),
  'EXTENDED WEBP': inFile('WebP', 'sharp', false, ['webp']),
  GIF: inFile('GIF', 'sharp', false, ['gif'], false),
  AVIF: inFile('AVIF', 'sharp', false, ['avif']),
  HEIC: inFile('HEIC', 'heif', false, ['heic', 'heif', 'hif']),
  HEIF: inFile('HEIF', 'heif', false, ['heif', 'heic', 'hif']),
  // Photoshop: XMP, IPTC and EXIF live in its image resources; pixels from the flattened composite.
  PSD: inFile('PSD', 'psd', true, ['psd']),
  PSB: inFile('PSB', 'psd', true, ['psb']),
  // JPEG 2000: XMP and EXIF in its boxes; a bare codestream (J2C) has no place for metadata.
  JP2: inFile('JP2', 'jp2', false, ['jp2', 'jpf', 'jpx']),
  JPX: inFile('JPX', 'jp2', false, ['jpx', 'jpf', 'jp2']),
  J2C: readOnly('JPEG 2000 codestream', 'jp2', ['j2c', 'j2k', 'jpc']),
  // JPEG XL: XMP and EXIF in its boxes (ExifTool writes them); pixels decoded by libjxl (WebAssembly).
  JXL: inFile('JXL', 'jxl', false, ['jxl']),
  BMP: readOnly('BMP', 'bmp', ['bmp', 'dib']),
  // BigTIFF: ExifTool reads it but "does not support writing of BigTIFF images".
  BTF: readOnly('BigTIFF', 'sharp', ['tif', 'tiff', 'btf']),
  ...Object.fromEntries(RAW_TYPES.map((type) => [type, raw(type)])),
};

/** What the early decode assumes before ExifTool has named the format. */
export const SHARP_FORMAT: PhotoFormat = inFile('image', 'sharp', false, []);

const SHARP_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe', 'mpo', 'tif', 'tiff', 'png', 'webp', 'gif', 'avif']);

/** The extension says sharp will decode it (the content still decides: see formatOf). */
export function hasSharpExtension(file: string): boolean {
  return SHARP_EXTENSIONS.has(extensionOf(file));
}

/**
 * ExifTool's FileType → format. ExifTool 13 qualifies some types (`WEBP (lossless)`, `Extended WEBP
 * (lossless)`, `RAF (M-RAW)`): the qualifier says nothing about how the file is written, so it is ignored.
 */
export function formatOf(fileType: string | undefined): PhotoFormat | undefined {
  return fileType ? FORMATS[baseFileType(fileType)] : undefined;
}

export function baseFileType(fileType: string): string {
  return fileType
    .replace(/\s*\([^)]*\)\s*/gu, ' ')
    .trim()
    .toUpperCase();
}

/** The file's name does not say what ExifTool would need to write this content (a JPEG named `.nef`). */
export function needsWriteAlias(file: string, format: PhotoFormat): boolean {
  return format.extensions.length > 0 && !format.extensions.includes(extensionOf(file));
}

function extensionOf(file: string): string {
  return path.extname(file).slice(1).toLowerCase();
}

/** Extensions worth looking at when phototag is given a folder or a glob (the content decides later). BMP and BigTIFF
 * are left out: they take only a sidecar, and a folder of Windows bitmaps is rarely a photo library. */
export const PHOTO_EXTENSIONS = new Set([
  ...[
    'jpg',
    'jpeg',
    'jpe',
    'jif',
    'jfif',
    'mpo',
    'tif',
    'tiff',
    'png',
    'webp',
    'gif',
    'avif',
    'heic',
    'heif',
    'hif',
    'psd',
    'psb',
    'jp2',
    'jpf',
    'jpx',
    'jxl',
  ],
  ...RAW_TYPES.map((type) => type.toLowerCase()),
]);

export function hasPhotoExtension(file: string): boolean {
  return PHOTO_EXTENSIONS.has(extensionOf(file));
}
