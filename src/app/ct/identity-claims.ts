/**
 * @module app/ct/identity-claims
 * Which batch evaluates a certificate seen in several places at once. A precertificate and its certificate
 * (one CT identity) may sit in one batch, in two batches of one log, or in logs read at the same time; the
 * inventory in the store only knows an identity once a batch commits. A batch claims its identities, in log
 * order and before any await; an identity another batch in flight has claimed counts as known.
 */

/** The identities claimed by the batches in flight of one CT run (every log of it). */
export class IdentityClaims {
  readonly #owners = new Map<string, object>();

  /**
   * Claims `identity` for `batch`: true when the batch is the first to claim it (or already holds it), false
   * when another batch in flight holds it.
   */
  claim(identity: string, batch: object): boolean {
    const owner = this.#owners.get(identity);
    if (owner === undefined) {
      this.#owners.set(identity, batch);
      return true;
    }
    return owner === batch;
  }

  /**
   * Drops the claims of `batch` once its transaction has committed (the store knows its identities from
   * then on) or failed (a later read evaluates them again). Claims live only while a batch is in flight.
   */
  release(batch: object, identities: Iterable<string>): void {
    for (const id of identities) if (this.#owners.get(id) === batch) this.#owners.delete(id);
  }

  /** How many identities batches in flight hold (for tests: nothing is left behind). */
  get size(): number {
    return this.#owners.size;
  }
}
