// 1,000 no-op change units, as plain definitions (what a large project's history looks like).
import { defineChangeUnit } from '../dist/index.js';

export const UNIT_COUNT = 1000;

export const units = Array.from({ length: UNIT_COUNT }, (_, i) =>
  defineChangeUnit({ id: `unit-${i}`, order: String(i).padStart(4, '0'), author: 'bench', execute() {}, rollback() {} }),
);
