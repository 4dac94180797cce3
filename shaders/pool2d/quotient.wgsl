// Exact small quotients without u32 division (included by the fast pool variants): lavapipe runs a u32 division as
// one scalar divide per lane.

// a / s for a < 2^22 given inv = 1 / f32(s): (a + 0.5) / s lies at least 0.5 / s from an integer, more than the
// float rounding error, so truncation is exact.
fn quot(a: u32, inv: f32) -> u32 {
  return u32((f32(a) + 0.5) * inv);
}
