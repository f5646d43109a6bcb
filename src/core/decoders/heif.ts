import { PhotoError } from '../errors.js';
import { runHelper } from './helpers.js';

export interface RgbaImage {
  width: number;
  height: number;
  data: Buffer;
}

/**
 * The child's program. libheif (heic-decode, WASM) prints its complaints about a broken file with printf,
 * straight to file descriptor 1: in phototag's own process that would land in the middle of `--json` output,
 * and a console patch cannot catch it. So the decode runs in a child whose stdout is a pipe phototag reads
 * as diagnostics; the pixels come back on fd 3 as width, height (uint32 BE) and RGBA bytes.
 */
const CHILD = `
const fs = require('node:fs');
const decode = require(process.argv[1]);
const out = fs.createWriteStream(null, { fd: 3 });
decode({ buffer: fs.readFileSync(process.argv[2]) }).then((image) => {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(image.width, 0);
  head.writeUInt32BE(image.height, 4);
  out.write(head);
  out.end(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), () => process.exit(0));
}, (error) => {
  process.stderr.write(String(error && error.message || error) + '\\n');
  process.exit(2);
});
`;

/** Generous: a 48 MP HEIC decodes in a few seconds in WASM; a hung decoder must not hold a worker for ever. */
const DECODE_TIMEOUT_MS = 120_000;

export async function decodeHeif(file: string): Promise<RgbaImage> {
  const modulePath = require.resolve('heic-decode');
  const { child, said, exited } = runHelper(
    process.execPath,
    ['-e', CHILD, modulePath, file],
    ['ignore', 'pipe', 'pipe', 'pipe'],
    DECODE_TIMEOUT_MS,
  );
  const chunks: Buffer[] = [];
  child.stdio[3]!.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await exited;
  const data = Buffer.concat(chunks);
  if (code === 0 && data.length >= 8) {
    const width = data.readUInt32BE(0);
    const height = data.readUInt32BE(4);
    if (data.length - 8 === width * height * 4) return { width, height, data: data.subarray(8) };
  }
  throw new PhotoError(
    'corrupt',
    `cannot decode HEIF image: ${firstReason(said.join('')) ?? (code === null ? 'the decoder was stopped' : 'no image in the file')}`,
  );
}

/** libheif's lines ("Could not parse HEIF file Invalid input: No 'iprp' box", …) as one clear reason. */
function firstReason(text: string): string | undefined {
  const lines = [
    ...new Set(
      text
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    ),
  ];
  return lines.length ? lines.slice(0, 2).join('; ') : undefined;
}
