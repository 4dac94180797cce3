// NaN by its bits (included by the max pool forward shaders, where a NaN in the window wins as in PyTorch):
// compilers may fold v != v away.
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}
