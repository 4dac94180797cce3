/** Errors the GPU runtime raises; each says what was being run or allocated and, where it can, how to fix it. */

export class GpuError extends Error {
  override name = 'GpuError';
}

/** No WebGPU adapter could be had: says why and how to get one. */
export class NoAdapterError extends GpuError {
  override name = 'NoAdapterError';
}

export const NO_ADAPTER_HELP =
  'No WebGPU adapter was found. cnnx needs a GPU driver with Vulkan (Linux), Metal (macOS) or D3D12 (Windows). ' +
  'On a Linux machine without a GPU, install the software Vulkan driver (Mesa lavapipe) with ' +
  '`bash scripts/install-software-gpu.sh` (Debian 12: libvulkan1 and mesa-vulkan-drivers from bookworm-backports; ' +
  "Debian 12's own Mesa 22.3 is too old for Dawn).";
