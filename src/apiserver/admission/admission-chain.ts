/**
 * AdmissionChain runs admission plugins in order: every mutating `admit` first (the caller then defaults and
 * validates the object), later every `validate`. A plugin that throws stops the chain and the write.
 */
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';

/** AdmissionChain is an ordered list of plugins with the two phases upstream has. */
export class AdmissionChain {
  readonly #plugins: readonly AdmissionPlugin[];

  constructor(plugins: readonly AdmissionPlugin[]) {
    this.#plugins = plugins;
  }

  /** The plugins' names in the order they run. */
  get names(): string[] {
    return this.#plugins.map((p) => p.name);
  }

  /** admit runs the mutating phase; plugins may change `attributes.object`. */
  async admit(attributes: AdmissionAttributes): Promise<void> {
    for (const plugin of this.#plugins) {
      if (!plugin.admit || (plugin.handles && !plugin.handles(attributes))) continue;
      await plugin.admit(attributes);
    }
  }

  /** validate runs the validating phase; plugins may only refuse. */
  async validate(attributes: AdmissionAttributes): Promise<void> {
    for (const plugin of this.#plugins) {
      if (!plugin.validate || (plugin.handles && !plugin.handles(attributes))) continue;
      await plugin.validate(attributes);
    }
  }
}
