/**
 * Java Mongock 5.5.1's decisions on ordinary inputs, as named examples (the exhaustive proof
 * against the real Java classes is test/java/mongock-parity.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { isValidSystemVersion, isWithinSystemVersions } from '../../src/change/system-version.ts';
import { hasText, javaTrim } from '../../src/change/unit-order.ts';
import { MemoryDatabase, memoryDriver } from '../../src/drivers/index.ts';
import { ChangeLog, ChangeSet, compareSystemVersions, defineChangeUnit, MongockBuilder, silentLogger } from '../../src/index.ts';

const sign = (a: string, b: string) => Math.sign(compareSystemVersions(a, b));

describe("system versions: Maven's ComparableVersion (maven-artifact 3.6.1)", () => {
  it('orders qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga = final < sp < unknown', () => {
    const ladder = ['1-alpha', '1-beta', '1-milestone', '1-rc', '1-snapshot', '1', '1-sp', '1-foo', '1-release'];
    for (let i = 1; i < ladder.length; i++) expect(sign(ladder[i - 1]!, ladder[i]!), `${ladder[i - 1]} < ${ladder[i]}`).toBe(-1);
    for (const same of ['1-ga', '1-final', '1.0', '1-0', '1.0.0', '1-GA', '1.FINAL']) expect(sign(same, '1'), same).toBe(0);
    expect(sign('1-cr1', '1-rc1')).toBe(0);
    expect(sign('1a1', '1-alpha-1')).toBe(0);
    expect(sign('1m1', '1-milestone-1')).toBe(0);
    expect(sign('1-1', '1')).toBe(1);
    expect(sign('1-1', '1.1')).toBe(-1);
    expect(sign('2.10', '2.9')).toBe(1);
    expect(sign('1.0-SNAPSHOT', '1.0')).toBe(-1);
  });

  it('accepts every string, as Maven does: "" is 0, and 1.0a, v1.0, 1.0.RELEASE, 2.0.0.Final are versions', () => {
    expect(sign('', '0')).toBe(0);
    for (const version of ['1.0a', '1alpha', '1.0.alpha', '1.0.RELEASE', '2.0.0.Final', 'v1.0', 'banana', ' 1 '])
      expect(isValidSystemVersion(version), version).toBe(true);
    expect(sign('2.0.0.Final', '2')).toBe(0);
    expect(sign('1.0.RELEASE', '1.0')).toBe(1);
    expect(isValidSystemVersion(1)).toBe(false);
    expect(isValidSystemVersion(undefined)).toBe(false);
  });

  it("compares integers of any size, and Java's int / long / big-integer kinds", () => {
    expect(sign('1.99999999999999999999999', '1.99999999999999999999998')).toBe(1);
    expect(sign('2147483648', '2147483647')).toBe(1);
    expect(sign('0000000001', '1')).toBe(0); // leading zeros are stripped before sizing
  });

  it('decides validity without any memory of earlier calls', () => {
    // The old parse cache made a refused version valid once it had been compared.
    const fresh = ['1.0a', 'x', ''].map((version) => isValidSystemVersion(version));
    compareSystemVersions('1.0a', 'x');
    expect(['1.0a', 'x', ''].map((version) => isValidSystemVersion(version))).toEqual(fresh);
    expect(isValidSystemVersion(42)).toBe(false);
  });

  it("keeps Mongock's inclusive window, defaults 0 .. 2147483647", async () => {
    expect(isWithinSystemVersions('0', '0', '2147483647')).toBe(true);
    expect(isWithinSystemVersions('2147483647', '0', '2147483647')).toBe(true);
    expect(isWithinSystemVersions('2147483647.1', '0', '2147483647')).toBe(false);
    expect(isWithinSystemVersions('1-sp', '0', '1')).toBe(false);
    expect(isWithinSystemVersions('1-ga', '0', '1')).toBe(true);
    const units = ['1-rc1', '1', '1-sp1', '1.0.1', 'v2'].map((version, i) =>
      defineChangeUnit({ id: `u${i}`, order: String(i), author: 'dev', systemVersion: version, execute() {}, rollback() {} }),
    );
    const result = await new MongockBuilder()
      .setDriver(memoryDriver({ database: new MemoryDatabase() }))
      .setLogger(silentLogger)
      .addChangeUnits(...units)
      .setStartSystemVersion('1')
      .setEndSystemVersion('1.0.1')
      .buildRunner()
      .execute();
    expect(result.items.map((item) => item.changeId)).toEqual(['u1', 'u2', 'u3']);
  });
});

describe("orders: Java's String#trim and ChangeLogComparator", () => {
  it('trims only code units up to U+0020, as Java does', () => {
    expect(javaTrim('\u0000 001\t\n')).toBe('001');
    expect(javaTrim('\u00a0001\u3000')).toBe('\u00a0001\u3000');
    expect(hasText('\u00a0')).toBe(true);
    expect(hasText('\ufeff')).toBe(true);
    expect(hasText('\u0001\u001f ')).toBe(false);
  });

  it('runs units without an order (empty or Java-blank) after the others, by class name, and accepts non-ASCII blanks as orders', async () => {
    const ran: string[] = [];
    const unit = (id: string, order: string) => defineChangeUnit({ id, order, author: 'dev', execute: () => void ran.push(id), rollback() {} });
    @ChangeLog()
    class LegacyWithoutOrder {
      @ChangeSet({ id: 'set-2', author: 'dev', order: '2' }) b() {
        ran.push('set-2');
      }
      @ChangeSet({ id: 'set-empty', author: 'dev', order: '' }) a() {
        ran.push('set-empty');
      }
    }
    const warnings: string[] = [];
    await new MongockBuilder()
      .setDriver(memoryDriver({ database: new MemoryDatabase() }))
      .setLogger({ ...silentLogger, warn: (message) => void warnings.push(message) })
      .addChangeUnits(unit('blank', '\u0001 '), unit('nbsp', '\u00a0'), unit('two', '2'), LegacyWithoutOrder, unit('ideographic', '\u3000'))
      .buildRunner()
      .execute();
    // Ordered: '2' < U+00A0 < U+3000. Unordered, by class name: 'LegacyWithoutOrder' < 'defineChangeUnit'.
    // Inside the ChangeLog, change sets by raw order: '' before '2'.
    expect(ran).toEqual(['two', 'nbsp', 'ideographic', 'set-empty', 'set-2', 'blank']);
    expect(warnings.some((w) => w.includes('have no order') && w.includes('LegacyWithoutOrder'))).toBe(true);
  });
});
