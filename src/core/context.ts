import path from 'node:path';
import { ConfigError } from './errors.js';
import type { RawTags } from './exiftool.js';

export interface PhotoContext {
  hint?: string;
  geocode: boolean;
}

/**
 * What the photo's own metadata says about it, as plain lines for the prompt: capture date, place (offline
 * reverse geocoding of its GPS, only when asked), folder names, keywords it already has, the user's hint.
 */
export async function contextLines(
  file: string,
  tags: RawTags,
  existingKeywords: readonly string[],
  options: PhotoContext,
): Promise<string[]> {
  const lines: string[] = [];
  const date = String(tags['ExifIFD:DateTimeOriginal'] ?? tags['IFD0:ModifyDate'] ?? '').match(/^(\d{4}):(\d{2}):(\d{2})/u);
  if (date) lines.push(`Taken on ${date[1]}-${date[2]}-${date[3]}.`);
  const lat = Number(tags['Composite:GPSLatitude']);
  const lon = Number(tags['Composite:GPSLongitude']);
  if (options.geocode && Number.isFinite(lat) && Number.isFinite(lon) && !(lat === 0 && lon === 0)) {
    const place = await nearestPlace(lat, lon);
    if (place) lines.push(`Taken near ${place}.`);
  }
  const folders = path.dirname(file).split(path.sep).filter(Boolean).slice(-2);
  if (folders.length) lines.push(`Folder: ${folders.join(' / ')}.`);
  if (existingKeywords.length) lines.push(`Keywords it already has: ${existingKeywords.slice(0, 30).join(', ')}.`);
  if (options.hint) lines.push(`The photographer says: ${options.hint}`);
  return lines;
}

/**
 * The offline geocoder behind `--geocode` is an optional peer package, not installed with phototag: it pulls
 * ~75 MB of build tools (TypeScript, esbuild) into every install for a feature that is off by default.
 */
export const GEOCODER_PACKAGE = 'offline-geocode-city';

type Geocoder = typeof import('offline-geocode-city');
let geocoder: Promise<Geocoder> | undefined;

/** Loads the geocoder once; a missing package is a config error naming the command that installs it. */
export function loadGeocoder(): Promise<Geocoder> {
  geocoder ??= import('offline-geocode-city').catch((error: unknown) => {
    geocoder = undefined;
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw error;
    throw new ConfigError(
      `--geocode (config key geocode: true) needs the optional package ${GEOCODER_PACKAGE}, which is not installed: ` +
        `npm install -g ${GEOCODER_PACKAGE} (beside a global phototag; in a clone, npm ci installs it)`,
    );
  });
  return geocoder;
}

async function nearestPlace(lat: number, lon: number): Promise<string | undefined> {
  const { getNearestCity } = await loadGeocoder();
  const city = await getNearestCity(lat, lon);
  return city?.cityName ? `${city.cityName}, ${city.countryName}` : city?.countryName;
}
