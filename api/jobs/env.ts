// Integer settings from the environment for the job queue: a missing or invalid value falls back to the default.

export function intFromEnv<T extends number | undefined>(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: T,
  min = 1,
): number | T {
  const raw = env[name];
  const n = Number(raw);
  return raw && Number.isSafeInteger(n) && n >= min ? n : fallback;
}
