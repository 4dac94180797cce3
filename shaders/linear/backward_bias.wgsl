// linear.backward_bias: db[j] = sum over rows i of dy[i, j] (overwrites db). Each workgroup owns WG_X adjacent
// columns; its WG_Y thread rows take rows i = ty, ty + WG_Y, ... (consecutive threads read consecutive columns),
// and thread row 0 adds the WG_Y partial sums in order, so the result is deterministic.
// Bindings: @0 p: Params; @1 dy: array<f32> (read): [rows, m] row-major; @2 db: array<f32> (read_write): [m].
// Params: rows (batch), m (output features). Workgroup: WG_X x WG_Y threads; grid = ceil(m / WG_X).
struct Params { rows: u32, m: u32 }

override WG_X: u32;
override WG_Y: u32;
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;

var<workgroup> partial: array<f32, WG_X * WG_Y>;

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wid.x * WG_X + lid.x;
  var sum = 0.0;
  if (j < p.m) {
    for (var i = lid.y; i < p.rows; i += WG_Y) { sum += dy[i * p.m + j]; }
  }
  partial[lid.y * WG_X + lid.x] = sum;
  workgroupBarrier();
  if (lid.y == 0u && j < p.m) {
    var total = 0.0;
    for (var t = 0u; t < WG_Y; t++) { total += partial[t * WG_X + lid.x]; }
    db[j] = total;
  }
}
