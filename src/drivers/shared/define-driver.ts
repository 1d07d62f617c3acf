import type { Driver, DriverCapabilities, DriverConnection, DriverSettings } from '../driver.ts';

/**
 * A bundled driver's factory result, stated once for all of them: frozen, with the options the
 * factory has already checked (`checkDriverOptions`) handed to `open` on every `connect()`. Each
 * driver gives its own converter from options to a connection (`<Db>DriverConnection.open`); a
 * throw in `open` is a rejected `connect()`.
 */
export function defineDriver<O extends object, C extends object>(
  name: string,
  capabilities: DriverCapabilities,
  options: Readonly<O>,
  open: (options: Readonly<O>, settings: DriverSettings) => DriverConnection<C> | Promise<DriverConnection<C>>,
): Driver<C> {
  return Object.freeze({
    name,
    capabilities,
    async connect(settings: DriverSettings): Promise<DriverConnection<C>> {
      return open(options, settings);
    },
  });
}
