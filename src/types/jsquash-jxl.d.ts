declare module '@jsquash/jxl/decode.js' {
  export function init(module: WebAssembly.Module, options: object): Promise<unknown>;
  export default function decode(buffer: ArrayBuffer): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
