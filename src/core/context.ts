import path from 'node:path';
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

async function nearestPlace(lat: number, lon: number): Promise<string | undefined> {
  const { getNearestCity } = await import('offline-geocode-city');
  const city = await getNearestCity(lat, lon);
  return city?.cityName ? `${city.cityName}, ${city.countryName}` : city?.countryName;
}
