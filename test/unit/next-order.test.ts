import { describe, expect, it } from 'vitest';
import { nextOrder, sortsAfterAll } from '../../src/cli/next-order.ts';

const NOW = new Date('2026-12-01T11:45:30Z');
const keys = (...orders: string[]): string[][] => orders.map((order) => order.split('/'));
const next = (...orders: string[]): string => nextOrder(keys(...orders), NOW).order;

describe('the order `mongock create` picks sorts after every existing unit', () => {
  it('starts at 0001 in an empty folder', () => {
    expect(nextOrder([], NOW)).toEqual({ order: '0001', scheme: 'first' });
  });

  it('keeps the width of 3-digit and 4-digit orders', () => {
    expect(next('001', '002', '003')).toBe('004');
    expect(next('0001', '0002', '0010')).toBe('0011');
    expect(next('009', '010')).toBe('011');
  });

  it('takes the current date stamp at the width in use, or the next one when the newest is ahead of the clock', () => {
    expect(nextOrder(keys('20261130090000', '20261201080000'), NOW)).toEqual({ order: '20261201114530', scheme: 'date-stamp' });
    expect(next('20261130', '20261129')).toBe('20261201');
    expect(next('20261201', '20261130')).toBe('20261202');
    expect(next('20270101120000')).toBe('20270101120001');
  });

  it('with mixed widths, goes after the greatest order as strings compare, not as numbers', () => {
    // 0004 was written by an old `create`: as a string it sorts before 001.
    expect(next('001', '002', '003', '0004')).toBe('004');
    expect(next('1', '2', '10')).toBe('3');
    expect(next('v1', 'v2', 'v10')).toBe('v3');
    expect(next('999')).toBe('999_1');
    expect(next('abc')).toBe('abc_1');
  });

  it('goes after legacy ChangeLog orders (ChangeLog order first, then ChangeSet order)', () => {
    expect(next('001', '002/001', '002/002')).toBe('003');
  });

  it('every pick sorts after every input as the runner compares (string <, whatever the class names)', () => {
    const cases = [['001', '002', '003', '0004'], ['1', '2', '10'], ['999'], ['20261201', '3'], ['b', 'a_9', 'a10'], ['002/001', '001']];
    for (const orders of cases) {
      const order = next(...orders);
      expect(sortsAfterAll(order, keys(...orders)), `${order} after ${orders.join(',')}`).toBe(true);
      for (const existing of orders) expect(order > existing.split('/')[0]!, `${order} > ${existing}`).toBe(true);
    }
  });

  it('an order that would run earlier, or a ChangeLog without order, cannot be last', () => {
    expect(sortsAfterAll('0004', keys('001', '002', '003'))).toBe(false);
    expect(sortsAfterAll('003', keys('001', '003'))).toBe(false); // a tie is decided by class names
    expect(sortsAfterAll('002', keys('002/001'))).toBe(false); // same ChangeLog order: class names decide
    expect(sortsAfterAll('003', keys('002/001'))).toBe(true);
    expect(sortsAfterAll('999', [[' ', '001']])).toBe(false); // a blank ChangeLog order is no order
    expect(sortsAfterAll('999', [['', '001']])).toBe(false);
  });
});
