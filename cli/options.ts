// Numeric command-line options, checked the same way by every command.
import { UsageError } from './errors.ts';

/** `value` as a number that passes `check`, or a usage error naming the option. */
export function parseNumber(name: string, value: string, check: (n: number) => boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) throw new UsageError(`${name}: invalid value "${value}"`);
  return n;
}

export const isPositive = (n: number): boolean => n > 0;
export const isPositiveInteger = (n: number): boolean => Number.isInteger(n) && n > 0;
export const isCount = (n: number): boolean => Number.isInteger(n) && n >= 0;
