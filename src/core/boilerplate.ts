/**
 * Text that cameras, phones and software put into title/description fields by themselves. It is nobody's
 * description of the photo, so it counts as empty (phototag fills the field) rather than as a person's text.
 */

/** Exact values (compared case-insensitively, white space squashed). */
const KNOWN = new Set(
  [
    'OLYMPUS DIGITAL CAMERA',
    'SONY DSC',
    'DIGITAL CAMERA',
    'DIGITAL STILL CAMERA',
    'KONICA MINOLTA DIGITAL CAMERA',
    'MINOLTA DIGITAL CAMERA',
    'KODAK DIGITAL STILL CAMERA',
    'KODAK CSC',
    'SAMSUNG CAMERA PICTURES',
    'SAMSUNG DIGITAL CAMERA',
    'SAMSUNG',
    'SANYO DIGITAL CAMERA',
    'PENTAX DIGITAL CAMERA',
    'PENTAX IMAGE',
    'CASIO DIGITAL CAMERA',
    'CASIO QV DIGITAL',
    'NIKON DIGITAL CAMERA',
    'CANON DIGITAL CAMERA',
    'FUJIFILM DIGITAL CAMERA',
    'HP DIGITAL CAMERA',
    'LG ELECTRONICS',
    'LG DIGITAL CAMERA',
    'MOTOROLA',
    'HUAWEI',
    'XIAOMI',
    'EXIF_JPEG_PICTURE',
    'EXIF JPEG PICTURE',
    'JPEG_PICTURE',
    'DEFAULT',
    'UNTITLED',
    'UNTITLED IMAGE',
    'NO TITLE',
    'NO DESCRIPTION',
    'IMAGE',
    'PICTURE',
    'PHOTO',
    'DCIM',
    'PICASA',
    'SCREENSHOT',
    'CAMERA',
    'MY PHOTO',
    'DESCRIPTION',
    'TITLE',
    'CAPTION',
    'N/A',
    'NONE',
    'NULL',
    '-',
    '.',
    '?',
  ].map((text) => text.toLowerCase()),
);

/** Software signatures and camera defaults that vary by version or number. */
const PATTERNS: readonly RegExp[] = [
  /^file written by adobe photoshop/iu,
  /^created with (the )?gimp/iu,
  /^created by (the )?gimp/iu,
  /^creator: gd-jpeg/iu,
  /^lead technologies/iu,
  /^(intel\(r\) jpeg library|ijg jpeg library)/iu,
  /^created (with|by) (acd ?see|acd systems|paint shop pro|paint\.net|irfanview|xnview|picasa|windows photo)/iu,
  /^(\w+ )?digital (still )?camera( \w+)?$/iu,
  /^exif[_ ]jpeg(_\d+)?$/iu,
  /^(img|dsc|dscn|dscf|dcp|pict|cimg|sdc|p|_mg|_dsc|photo|image|pxl|mvimg|wp)[_-]?\d[\d_-]*(\.(jpe?g|heic|tiff?|png|dng))?$/iu,
  /^(screenshot|screen shot)[\s_-]*\d[\d\s_.:-]*(\.(png|jpe?g))?$/iu,
  /^<?(digimax|kenox) [\w /-]+>?$/iu,
];

/** Camera make and model: a description that only repeats them is the firmware's, not a person's. */
export interface CameraNames {
  make?: string;
  model?: string;
}

export function isBoilerplate(text: string, camera: CameraNames = {}): boolean {
  const value = squash(text);
  if (value === '' || /^[\p{P}\p{S}\s]*$/u.test(value)) return true;
  if (KNOWN.has(value)) return true;
  if (PATTERNS.some((pattern) => pattern.test(value))) return true;
  const make = squash(camera.make ?? '');
  const model = squash(camera.model ?? '');
  const names = [make, model, `${make} ${model}`.trim(), `${make} ${model} digital camera`.trim(), `${model} digital camera`.trim()].filter(
    Boolean,
  );
  // "NIKON D70" as make "NIKON CORPORATION" + model "NIKON D70", or "Canon PowerShot A85" as the model itself.
  return names.includes(value) || (make !== '' && value === `${make.split(' ')[0]} ${model}`.trim());
}

function squash(text: string): string {
  return text.replace(/\s+/gu, ' ').trim().toLowerCase();
}
