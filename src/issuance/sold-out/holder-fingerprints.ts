/**
 * 32-bit FNV-1a of a canonical userId. Any fixed function keeps the
 * "certainly not a holder" answer exact; a good spread keeps "may be a
 * holder" rare for shoppers who are not (about n in 2^32 for n holders).
 */
export function fingerprint(userId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Who holds a sold-out coupon's places, in 4 bytes a holder: a sorted array
 * of fingerprints. A shopper whose fingerprint is absent certainly holds no
 * place; one whose fingerprint is present may, and must be asked about in Redis.
 */
export class HolderFingerprints {
  private constructor(private readonly sorted: Uint32Array) {}

  static of(fingerprints: readonly number[]): HolderFingerprints {
    return new HolderFingerprints(Uint32Array.from(fingerprints).sort());
  }

  get size(): number {
    return this.sorted.length;
  }

  mayHold(userId: string): boolean {
    const want = fingerprint(userId);
    let lo = 0;
    let hi = this.sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.sorted[mid]!;
      if (at === want) return true;
      if (at < want) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
