// Preload (node --import) that shifts this process's wall clock by MONGOCK_TEST_CLOCK_OFFSET_MS:
// Date.now() and `new Date()` lie, as on a host whose clock is off. performance.now() (monotonic)
// is untouched, as it is on such a host.
const offset = Number(process.env.MONGOCK_TEST_CLOCK_OFFSET_MS ?? 0);
const RealDate = globalThis.Date;
const realNow = RealDate.now.bind(RealDate);

class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(realNow() + offset);
    else super(...args);
  }
  static now() {
    return realNow() + offset;
  }
  static [Symbol.hasInstance](value) {
    return value instanceof RealDate;
  }
}

globalThis.Date = ShiftedDate;
