// What a pool's forward reads (included by the pool forward shaders): x itself, or relu(batchnorm2d(x)) normalised
// tap by tap from batchnorm2d's statistics, so that the normalised map is never written (concat_pool2d).
// Needs the x binding, the stats binding (array<f32> [5, C]: rows mean, var, invstd, scale, beta), the override
// BN_RELU (1: normalise, 0: read x as it is) and Params field c.

// The fused batch norm's mean, scale and beta for the plane being pooled (BN_RELU = 1; see setPlane).
var<private> bn: vec3f;

fn setPlane(plane: u32) {
  if (BN_RELU == 1u) {
    let ch = plane % p.c;
    bn = vec3f(stats[ch], stats[3u * p.c + ch], stats[4u * p.c + ch]);
  }
}

// The value the pool sees at x[i]: x itself, or relu(batchnorm2d(x)) with the normalize pass's arithmetic.
fn tap(i: u32) -> f32 {
  let v = x[i];
  if (BN_RELU == 1u) { return max((v - bn.x) * bn.y + bn.z, 0.0); }
  return v;
}
