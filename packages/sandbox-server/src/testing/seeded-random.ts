/**
 * A small seeded generator (mulberry32): the same seed gives the same numbers in [0, 1)
 * on every machine, so a fault schedule, a payroll or a soak can be replayed from its
 * seed. Written here because no dependency in the project's table exposes one at run
 * time (fast-check's is internal to its arbitraries), and the algorithm is ten lines.
 */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** An integer in [min, max] (both included) from a generator. */
export const between = (random: () => number, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));
