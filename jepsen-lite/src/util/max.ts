// Maximum of a possibly huge list without spreading it into arguments (a spread of millions
// of values overflows the stack).
export function maxOf(xs: Iterable<number>, floor: number): number {
  let m = floor;
  for (const x of xs) if (x > m) m = x;
  return m;
}
