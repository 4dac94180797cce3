/**
 * What the engine needs from its host, and nothing more: a WebGPU entry point and the text of a shader.
 * Node (Dawn) and the browser (navigator.gpu) each provide one; engine code never imports a host API directly.
 */
export interface Platform {
  /** The WebGPU entry point (navigator.gpu in a browser, Dawn's create() in Node). */
  readonly gpu: GPU;
  /** Text of `shaders/<path>.wgsl`, e.g. loadShader('conv2d/forward'). */
  loadShader(path: string): string;
  /**
   * Awaits GPU work the host's way when the adapter is a software one that shares the CPU with the host (Node:
   * without busy-polling; see unhurried_wait.ts). Absent: a plain await.
   */
  waitGently?<T>(work: Promise<T>): Promise<T>;
  /** Drops the host's hold on the GPU so the process can exit. */
  release(): void;
  /** Names the host for messages ("Dawn (node webgpu)", "browser"). */
  readonly name: string;
  /** The native API under WebGPU where the host knows it (Dawn picks Vulkan on Linux, Metal on macOS, D3D12 on Windows). */
  readonly backend: string;
}
