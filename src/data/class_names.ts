// The paper's four diagnostic classes and the folder or label spellings that public data sets use for them.

/** Canonical class names, in the paper's order (normal first, COVID-19 last). */
export const CANONICAL_CLASSES = ['normal', 'bacterial', 'viral', 'covid'] as const;
export type CanonicalClass = (typeof CANONICAL_CLASSES)[number];

// Keys are spellings with case, spaces, '_' and '-' removed: "COVID-19" -> "covid19".
const ALIASES: Record<string, CanonicalClass> = {
  normal: 'normal',
  healthy: 'normal',
  nofinding: 'normal',
  bacterial: 'bacterial',
  bacteria: 'bacterial',
  pneumoniabacterial: 'bacterial',
  bacterialpneumonia: 'bacterial',
  viral: 'viral',
  virus: 'viral',
  pneumoniaviral: 'viral',
  viralpneumonia: 'viral',
  covid: 'covid',
  covid19: 'covid',
  sarscov2: 'covid',
  pneumoniacovid: 'covid',
  pneumoniacovid19: 'covid',
};

/** The canonical class a folder name or split-file label stands for, or undefined if it is not one of them. */
export function canonicalClassName(name: string): CanonicalClass | undefined {
  return ALIASES[name.toLowerCase().replace(/[\s_-]+/g, '')];
}
