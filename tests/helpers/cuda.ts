// Whether the runtime can run on CUDA here, found out without asking the runtime (whose answer is what the device
// tests check): onnxruntime-node loads its CUDA provider from a library next to its binding, which a normal install
// on a GPU host downloads and `ONNXRUNTIME_NODE_INSTALL=skip` (.ci/run, NOTES §2) leaves out; and the GPU needs the
// NVIDIA driver loaded.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

function providerLibrary(): string | undefined {
  const require = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
  const bin = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin');
  if (!existsSync(bin)) return undefined;
  for (const napi of readdirSync(bin)) {
    const lib = path.join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
    if (existsSync(lib)) return lib;
  }
  return undefined;
}

export const CUDA_PROVIDER = providerLibrary();
export const NVIDIA_DRIVER = existsSync('/proc/driver/nvidia/version');
/** A CUDA provider and a GPU: loading on CUDA must work. Otherwise it must fail and fall back to the CPU. */
export const CUDA_USABLE = CUDA_PROVIDER !== undefined && NVIDIA_DRIVER;
export const CUDA_SITUATION = CUDA_USABLE
  ? `CUDA provider ${CUDA_PROVIDER} and an NVIDIA driver`
  : `no CUDA here (${CUDA_PROVIDER ? 'provider installed' : 'no CUDA provider library in onnxruntime-node'}, ${NVIDIA_DRIVER ? 'NVIDIA driver loaded' : 'no NVIDIA driver'})`;
