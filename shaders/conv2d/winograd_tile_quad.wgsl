// Which 4 tiles a thread of a Winograd transform pass takes (forward_8_winograd_*, backward_weight_7_winograd_*):
// thread q of planes of p.plane tiles each (a multiple of 4) takes plane nc = q / (plane / 4) (image n's channel c,
// nc = n * channels + c) and its tiles t .. t + 3. Needs the Params field plane.
fn tileQuad(q: u32) -> vec2u {
  let quadsPerPlane = p.plane / 4u;
  let nc = q / quadsPerPlane;
  return vec2u(nc, 4u * (q - nc * quadsPerPlane));
}
