// The three experimental set-ups of Majeed et al. 2020 ("Covid-19 detection using CNN transfer learning from
// X-ray images"), expressed as class selections and training-set caps.
import type { CanonicalClass } from './class_names.js';

export type Scenario = 1 | 2 | 3;

export interface ScenarioDefinition {
  description: string;
  /** Classes kept, in label order (index = label). */
  classes: CanonicalClass[];
  /** Largest number of training images drawn (seeded) per class; classes absent here keep all. */
  trainCaps: Partial<Record<CanonicalClass, number>>;
}

export const SCENARIOS: Record<Scenario, ScenarioDefinition> = {
  1: {
    description: 'normal vs COVID-19, all data',
    classes: ['normal', 'covid'],
    trainCaps: {},
  },
  2: {
    description: 'normal, bacterial, viral and COVID-19, all data',
    classes: ['normal', 'bacterial', 'viral', 'covid'],
    trainCaps: {},
  },
  3: {
    // The paper trains on 350 images of each non-COVID class and all 111 COVID-19 images; the test set is unchanged.
    description: 'four classes, at most 350 training images per non-COVID class',
    classes: ['normal', 'bacterial', 'viral', 'covid'],
    trainCaps: { normal: 350, bacterial: 350, viral: 350 },
  },
};
