import { LockArgumentError } from "./errors";

export interface LockKeys {
  readonly resource: string;
  readonly lock: string;
  readonly fence: string;
  readonly channel: string;
}

/**
 * All names of one resource share the hash tag `{resource}`, so they live in
 * one Redis Cluster slot and a script may touch them together.
 */
export function lockKeys(resource: string, channelPrefix: string): LockKeys {
  // A brace would move the hash-tag boundary; an empty tag would hash whole keys to different slots.
  if (resource === "" || /[{}]/.test(resource)) {
    throw new LockArgumentError("a resource name must be non-empty and free of braces", resource);
  }
  const base = `lock:{${resource}}`;
  return { resource, lock: base, fence: `${base}:fence`, channel: `${channelPrefix}${base}:released` };
}
