/**
 * Maps class names used by a ground-truth set onto the model's class ids. Names are compared without case,
 * spaces, underscores or dashes ("traffic light" = "traffic_light"); when a name is not among the model's
 * labels, a known synonym is tried (darknet's coco.names and BDD100K's two label sets disagree on a few).
 */

const SYNONYMS: readonly (readonly string[])[] = [
  ["motorbike", "motorcycle", "motor"],
  ["aeroplane", "airplane"],
  ["sofa", "couch"],
  ["tvmonitor", "tv"],
  ["bicycle", "bike"],
  ["person", "pedestrian"],
];

const normalize = (name: string) => name.toLowerCase().replace(/[\s_\-]+/g, "");

export class ClassNameMap {
  readonly #ids = new Map<string, number>();
  /** ground-truth names that matched no model class, with how many objects were dropped */
  readonly unmatched = new Map<string, number>();

  constructor(labels: readonly string[], overrides: Readonly<Record<string, string>> = {}) {
    labels.forEach((label, id) => {
      if (!this.#ids.has(normalize(label))) this.#ids.set(normalize(label), id);
    });
    for (const group of SYNONYMS) {
      const id = group.map((n) => this.#ids.get(normalize(n))).find((v) => v !== undefined);
      if (id === undefined) continue;
      for (const n of group) if (!this.#ids.has(normalize(n))) this.#ids.set(normalize(n), id);
    }
    for (const [from, to] of Object.entries(overrides)) {
      const id = this.#ids.get(normalize(to));
      if (id === undefined) throw new Error(`class map: "${from}" → "${to}", but "${to}" is not a model class (${labels.join(", ")})`);
      this.#ids.set(normalize(from), id);
    }
  }

  /** The model class id of a ground-truth name, or undefined (and counted) when none matches. */
  resolve(name: string): number | undefined {
    const id = this.#ids.get(normalize(name));
    if (id === undefined) this.unmatched.set(name, (this.unmatched.get(name) ?? 0) + 1);
    return id;
  }
}
